//! The user's README, the guide in docs/ and CONTRIBUTING.md hold together:
//! every relative link names a file that is there and, with a `#`, a heading
//! of that file; and the README shows its two commands (install, tests).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The markdown files of the guide.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md"), root().join("CONTRIBUTING.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// GitHub's anchor of a heading: lower case, spaces to `-`, punctuation
/// other than `-` and `_` dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(page: &Path) -> Vec<String> {
    std::fs::read_to_string(page)
        .unwrap()
        .lines()
        .filter_map(|line| line.strip_prefix('#'))
        .map(|line| anchor(line.trim_start_matches('#')))
        .collect()
}

#[test]
fn every_relative_link_of_the_guide_leads_somewhere() {
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for (at, _) in text.match_indices("](") {
            let rest = &text[at + 2..];
            let target = &rest[..rest.find(')').unwrap()];
            if target.starts_with("http://") || target.starts_with("https://") || target.is_empty()
            {
                continue;
            }
            let (file, fragment) = target.split_once('#').unwrap_or((target, ""));
            let file = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(file)
            };
            assert!(file.exists(), "{}: {target} is not there", page.display());
            if !fragment.is_empty() && file.extension().is_some_and(|ext| ext == "md") {
                assert!(
                    anchors(&file).iter().any(|a| a == fragment),
                    "{}: no heading #{fragment} in {}",
                    page.display(),
                    file.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} links");
}

#[test]
fn the_readme_shows_the_install_and_the_test_command() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains("cargo install --locked --path ."),
        "{readme}"
    );
    assert!(readme.contains("bash .ci/run"), "{readme}");
    assert!(
        readme.lines().count() <= 260,
        "the README is for users: {} lines",
        readme.lines().count()
    );
}

/// The install section names the archives that .ci/dist builds, before
/// `cargo install`, and how to check them against SHA256SUMS.
#[test]
fn the_readme_names_the_archives_first_and_how_to_check_them() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let install = &readme[readme.find("## Install").unwrap()..];
    let install = &install[..install[3..].find("\n## ").unwrap()];
    let list = std::process::Command::new(root().join(".ci/dist"))
        .arg("--list")
        .output()
        .unwrap();
    assert!(list.status.success());
    let version = env!("CARGO_PKG_VERSION");
    let names = String::from_utf8(list.stdout).unwrap();
    let cargo_install = install.find("cargo install --locked --path .").unwrap();
    for name in names.lines() {
        // The Windows archive of a release is the MSVC build's.
        let name = name
            .replace(version, "VERSION")
            .replace("windows-gnu", "windows-msvc");
        let at = install.find(&format!("`{name}`"));
        assert!(at.is_some_and(|at| at < cargo_install), "{name}\n{install}");
    }
    assert!(install.contains("sha256sum --check"), "{install}");
}
