//! Files that ssokey owns: private (0600 in 0700 directories), written
//! atomically.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Creates `dir` and its missing parents, private to the user (0700), and
/// checks that it can be trusted ([`check_trusted`]): one that another user
/// made first, or may replace, is refused.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    check_trusted(dir).map_err(io::Error::other)
}

/// A directory of ssokey's that another user could have written to: its
/// lock files, pause files, listings and remembered sessions are not
/// trusted.
#[derive(Debug, thiserror::Error)]
pub enum UntrustedDir {
    #[error("{} belongs to another user (uid {owner}), so ssokey does not trust what is in it", path.display())]
    NotOwned { path: PathBuf, owner: u32 },
    #[error("{} is writable by other users (mode {mode:03o}), so ssokey does not trust what is in it", path.display())]
    Writable { path: PathBuf, mode: u32 },
}

impl UntrustedDir {
    pub fn hint(&self) -> String {
        match self {
            Self::NotOwned { path, .. } => format!(
                "use a directory of your own: set XDG_CACHE_HOME or XDG_CONFIG_HOME to one, or have {} removed (it is not yours)",
                path.display()
            ),
            Self::Writable { path, .. } => {
                format!("run: chmod go-w '{}'", path.display())
            }
        }
    }
}

/// Whether `dir`, and every directory above it, is safe from other users.
/// ssokey's own directories (`dir`, up to the one named `ssokey`) must be
/// owned by the user (or root) and writable by no one else, so that no one
/// else can plant a file in them. The directories above must be owned by the
/// user or root, and may be writable by others only with the sticky bit (as
/// /tmp), where others can neither remove nor rename what the user put
/// there. A directory that does not exist (yet) is not checked; its parents
/// are. Elsewhere than Unix, nothing is checked.
pub fn check_trusted(dir: &Path) -> Result<(), UntrustedDir> {
    #[cfg(unix)]
    {
        let uid = rustix::process::geteuid().as_raw();
        let is_ssokey = |path: &Path| path.file_name().is_some_and(|name| name == "ssokey");
        // Outside any `ssokey` directory, only `dir` itself is ssokey's own.
        let inside = dir.ancestors().any(is_ssokey);
        let mut own = true;
        let mut current = Some(dir);
        while let Some(path) = current {
            if let Ok(metadata) = fs::metadata(path) {
                judge(path, &metadata, uid, own)?;
            }
            if is_ssokey(path) || !inside {
                own = false;
            }
            current = path.parent().filter(|p| !p.as_os_str().is_empty());
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Pure, but for the metadata: whether the directory at `path` passes, for
/// the user `uid`; `own` when it is one of ssokey's own directories.
#[cfg(unix)]
fn judge(path: &Path, metadata: &fs::Metadata, uid: u32, own: bool) -> Result<(), UntrustedDir> {
    use std::os::unix::fs::MetadataExt as _;
    let (owner, mode) = (metadata.uid(), metadata.mode() & 0o7777);
    let writable_by_others = mode & 0o022 != 0;
    let sticky = mode & 0o1000 != 0;
    if owner != uid && owner != 0 {
        return Err(UntrustedDir::NotOwned {
            path: path.to_owned(),
            owner,
        });
    }
    if writable_by_others && (own || !sticky) {
        return Err(UntrustedDir::Writable {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

/// The file at `path`, read only when its directory can be trusted
/// ([`check_trusted`]): a lock, pause or listing file that another user
/// could have planted is as good as none.
pub fn read_trusted(path: &Path) -> io::Result<Vec<u8>> {
    if let Some(dir) = path.parent() {
        check_trusted(dir).map_err(io::Error::other)?;
    }
    fs::read(path)
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

/// Replaces `path` itself with a new file holding `contents`, with
/// `permissions` (the file it replaces keeps none of its own), from a temp
/// file beside it. A symlink at `path` is replaced, never followed: for a
/// copy such as a backup, in a directory that others may write to.
pub fn replace_with_permissions(
    path: &Path,
    contents: &[u8],
    permissions: fs::Permissions,
) -> io::Result<()> {
    replace(path, contents, Some(permissions))
}

/// Temp names tried before giving up, when something is in the way.
const TEMP_ATTEMPTS: usize = 8;

/// Writes `contents` to a new temp file beside `path` and renames it over
/// `path`: a rename replaces whatever is at `path` (a symlink included)
/// rather than writing through it. The temp file is created exclusively
/// (`O_EXCL`), so a file or symlink planted at its predictable name is never
/// opened, written or removed; another name is tried instead. It is private
/// from its creation and gets `permissions` before it takes `path`.
fn replace(path: &Path, contents: &[u8], permissions: Option<fs::Permissions>) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (temp, mut file) = create_temp(dir, &file_name)?;
    let result = (|| {
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

/// A new, private temp file in `dir`, named `.NAME.PID.tmp` unless
/// something is already there, then with a random part added.
fn create_temp(dir: &Path, file_name: &str) -> io::Result<(PathBuf, fs::File)> {
    use std::hash::{BuildHasher, Hasher};
    let pid = std::process::id();
    let mut last = None;
    for attempt in 0..TEMP_ATTEMPTS {
        let name = if attempt == 0 {
            format!(".{file_name}.{pid}.tmp")
        } else {
            // RandomState is seeded from the OS's random source.
            let random = std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish();
            format!(".{file_name}.{pid}.{random:016x}.tmp")
        };
        let temp = dir.join(name);
        match private_options().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => last = Some(err),
            Err(err) => return Err(err),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no temp file could be created")))
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

    /// Modes and owners as `judge` sees them: the user's own directory must
    /// be writable by nobody else; root's may be only with the sticky bit;
    /// another user's never.
    #[cfg(unix)]
    #[test]
    fn a_directory_is_trusted_when_no_one_else_can_write_or_replace_it() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let uid = rustix::process::geteuid().as_raw();
        let path = dir.path();
        let metadata = |mode: u32| {
            fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
            fs::metadata(path).unwrap()
        };
        for mode in [0o700, 0o755, 0o750, 0o1700] {
            assert!(judge(path, &metadata(mode), uid, true).is_ok(), "{mode:o}");
        }
        for mode in [0o777, 0o770, 0o702, 0o1777, 0o720] {
            assert!(
                matches!(
                    judge(path, &metadata(mode), uid, true),
                    Err(UntrustedDir::Writable { .. })
                ),
                "{mode:o}"
            );
        }
        // A directory above ssokey's (/tmp): writable by all only when sticky.
        assert!(judge(path, &metadata(0o1777), uid, false).is_ok());
        assert!(judge(path, &metadata(0o777), uid, false).is_err());
        fs::set_permissions(path, fs::Permissions::from_mode(0o700)).unwrap();
        check_trusted(&path.join("not/made/yet")).unwrap();
    }

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

    /// A symlink planted at the temp file's predictable name, pointing at
    /// another file of the user's: that file is neither written nor moved,
    /// the link stays where it was, and the write still happens.
    #[cfg(unix)]
    #[test]
    fn a_planted_temp_symlink_is_never_followed() {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        fs::set_permissions(&victim, fs::Permissions::from_mode(0o644)).unwrap();
        let path = dir.path().join("state.json");
        let planted = dir
            .path()
            .join(format!(".state.json.{}.tmp", std::process::id()));
        symlink(&victim, &planted).unwrap();

        write_private(&path, b"ours").unwrap();
        replace_keeping_mode(&path, b"ours again").unwrap();
        replace_with_permissions(
            &dir.path().join("copy"),
            b"copy",
            fs::Permissions::from_mode(0o640),
        )
        .unwrap();

        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        let mode = |p: &Path| fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&victim), 0o644);
        assert_eq!(fs::read_link(&planted).unwrap(), victim);
        assert!(!fs::symlink_metadata(&path).unwrap().is_symlink());
        assert_eq!(fs::read(&path).unwrap(), b"ours again");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("copy")), 0o640);
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 4, "victim, link, state.json, copy: {names:?}");
    }

    /// A symlink at the path itself is replaced by the file, not followed.
    #[cfg(unix)]
    #[test]
    fn a_copy_replaces_a_symlink_at_its_path() {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let backup = dir.path().join("config.ssokey-backup");
        symlink(&victim, &backup).unwrap();
        replace_with_permissions(&backup, b"old config", fs::Permissions::from_mode(0o640))
            .unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        let metadata = fs::symlink_metadata(&backup).unwrap();
        assert!(metadata.is_file());
        assert_eq!(metadata.permissions().mode() & 0o777, 0o640);
        assert_eq!(fs::read(&backup).unwrap(), b"old config");
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
