//! Files that ssokey owns: private (0600 in 0700 directories), written
//! atomically.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Creates `dir` and its missing parents, private to the user.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Replaces `path` with `contents` atomically: a private temp file in the same
/// directory, fsync, then rename over the old file.
pub fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    replace(path, contents, None)
}

/// Replaces an existing file atomically and keeps its permissions; a new file
/// is created 0600. The directory must exist. When `path` is a symlink (a
/// dotfiles manager's, say), the file at the end of its chain is replaced,
/// from a temp file beside it, and the links stay links.
pub fn replace_keeping_mode(path: &Path, contents: &[u8]) -> io::Result<()> {
    let path = follow_links(path)?;
    let permissions = fs::metadata(&path).ok().map(|m| m.permissions());
    replace(&path, contents, permissions)
}

/// The most symlinks followed in a row, as Linux's `MAXSYMLINKS`.
const MAX_LINKS: usize = 40;

/// The path of the file that `path` names through its symlinks (which may
/// not exist yet); `path` itself when it is not a symlink.
fn follow_links(path: &Path) -> io::Result<PathBuf> {
    let mut path = path.to_owned();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let target = fs::read_link(&path)?;
                // A relative target is relative to the link's directory; an
                // absolute one replaces the path.
                path = match path.parent() {
                    Some(dir) => dir.join(target),
                    None => target,
                };
            }
            Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
            _ => return Ok(path),
        }
    }
    Err(io::Error::other(format!(
        "too many levels of symbolic links at {}",
        path.display()
    )))
}

fn replace(path: &Path, contents: &[u8], permissions: Option<fs::Permissions>) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = private_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)?;
        file.write_all(contents)?;
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

#[cfg(unix)]
pub(super) fn private_options() -> OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = OpenOptions::new();
    options.mode(0o600);
    options
}

#[cfg(not(unix))]
pub(super) fn private_options() -> OpenOptions {
    OpenOptions::new()
}

/// Asserts that the generated file `dir/file` of the repository holds
/// `expected`; with `SSOKEY_BLESS` set, writes it first. For the completion
/// scripts and man pages, which are committed and must follow the code.
#[cfg(test)]
pub fn assert_generated(dir: &str, file: &str, expected: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let path = dir.join(file);
    if std::env::var_os("SSOKEY_BLESS").is_some() {
        fs::create_dir_all(&dir).unwrap();
        fs::write(&path, expected).unwrap();
    }
    let committed = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "{} is out of date: regenerate it with SSOKEY_BLESS=1 cargo test",
        path.display()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_files_replace_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/state.json");
        write_private(&path, b"one").unwrap();
        write_private(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temp file is left behind");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
    }

    #[cfg(unix)]
    #[test]
    fn replacing_through_symlinks_keeps_the_links_and_the_mode() {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let dir = tempfile::tempdir().unwrap();
        let dotfiles = dir.path().join("dotfiles");
        let home = dir.path().join("home");
        fs::create_dir_all(&dotfiles).unwrap();
        fs::create_dir_all(&home).unwrap();
        let real = dotfiles.join("config");
        fs::write(&real, b"one").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        // A relative link to an absolute one to the file.
        symlink(&real, dotfiles.join("latest")).unwrap();
        let link = home.join("config");
        symlink("../dotfiles/latest", &link).unwrap();

        replace_keeping_mode(&link, b"two").unwrap();
        assert_eq!(fs::read(&real).unwrap(), b"two");
        assert_eq!(
            fs::read_link(&link).unwrap(),
            Path::new("../dotfiles/latest")
        );
        assert_eq!(fs::read_link(dotfiles.join("latest")).unwrap(), real);
        let mode = fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let count = |dir: &Path| fs::read_dir(dir).unwrap().count();
        assert_eq!((count(&dotfiles), count(&home)), (2, 1), "no temp file");

        // A link whose file is missing gets the file, and stays a link.
        fs::remove_file(&real).unwrap();
        replace_keeping_mode(&link, b"three").unwrap();
        assert_eq!(fs::read(&real).unwrap(), b"three");
        assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
        let mode = fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);

        // A loop of links is an error, not a hang, and changes nothing.
        let looped = home.join("loop");
        symlink("loop", &looped).unwrap();
        assert!(replace_keeping_mode(&looped, b"x").is_err());
        assert!(fs::symlink_metadata(&looped).unwrap().is_symlink());
    }
}
