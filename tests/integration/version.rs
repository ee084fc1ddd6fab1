//! `ssokey --version`: what a downloaded binary says it is.

use pretty_assertions::assert_eq;

use crate::harness::{TestEnv, config};

#[test]
fn version_names_the_commit_the_target_and_the_build_date() {
    let env = TestEnv::headless(config(), None);
    let run = env.run(&["--version"]);
    let lines: Vec<&str> = run.success().stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{run}");
    assert_eq!(lines[0], format!("ssokey {}", env!("CARGO_PKG_VERSION")));
    // The commit checked out here (build.rs runs again after each commit).
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("git");
    assert!(head.status.success(), "this test runs in a git checkout");
    let head = String::from_utf8(head.stdout).unwrap();
    assert_eq!(lines[1], format!("commit: {}", head.trim()));
    let target = lines[2].strip_prefix("target: ").expect("target: ...");
    assert!(
        target.starts_with(std::env::consts::ARCH) && target.contains("-linux-"),
        "{run}"
    );
    let date = lines[3].strip_prefix("built: ").expect("built: ...");
    let parts: Vec<&str> = date.split('-').collect();
    assert!(
        parts.len() == 3
            && parts[0].len() == 4
            && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
            && date > "2026-01-01",
        "{run}"
    );
    // -V stays one line, for scripts.
    let short = env.run(&["-V"]);
    assert_eq!(
        short.success().stdout,
        format!("ssokey {}\n", env!("CARGO_PKG_VERSION"))
    );
}
