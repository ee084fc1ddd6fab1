//! Lock files: an exclusive advisory lock per session and per target, so
//! that parallel runs refresh a token or fetch credentials once between them.

use std::fs::File;
use std::io;
use std::path::Path;

use super::files::{create_private_dir, private_options};

/// An exclusive advisory lock on a file, released when dropped (or when the
/// process dies, so a killed process never leaves a stale lock behind).
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Blocks until the lock at `path` is ours.
    pub fn acquire(path: &Path) -> io::Result<Self> {
        if let Some(dir) = path.parent() {
            create_private_dir(dir)?;
        }
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        file.lock()?;
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_is_exclusive_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locks/x.lock");
        let lock = Lock::acquire(&path).unwrap();
        let other = File::open(&path).unwrap();
        assert!(other.try_lock().is_err());
        drop(lock);
        assert!(other.try_lock().is_ok());
    }
}
