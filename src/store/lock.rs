//! Lock files: an exclusive advisory lock per session and per target, so
//! that parallel runs refresh a token or fetch credentials once between them.
//! A run waits for a lock a bounded time (a holder may be stopped, by Ctrl-Z
//! say): after a moment it says which process holds it (the holder writes its
//! pid in the lock file, which holds nothing else), and at the bound it gives
//! up with [`LockError::Held`]; the caller decides whether to fail or to go
//! ahead without the lock.

use std::fs::File;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::files::{create_private_dir, private_options};
use crate::exit::{Exit, Reported};

/// How long a run waits for a lock unless `SSOKEY_LOCK_WAIT` says otherwise.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// How long a run waits before it says who it waits for.
const SAY_AFTER: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{holder} holds the lock on {what} and did not let go of it in {waited:.0?}")]
    Held {
        /// What the lock guards, for people: "the session 'work'".
        what: String,
        holder: Holder,
        /// The bound that the wait reached.
        waited: Duration,
    },
    #[error("could not take the lock file {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl LockError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Held {
                holder: Holder::Process(pid),
                ..
            } => Some(format!(
                "process {pid} holds the lock; resume it (`fg` in its shell, or kill -CONT {pid}) or end it, then run the command again"
            )),
            Self::Held { .. } => Some(
                "another ssokey process holds the lock; resume or end it, then run the command again"
                    .to_owned(),
            ),
            Self::Io { .. } => None,
        }
    }
}

/// The process that holds a lock, as its lock file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Process(u32),
    /// The file names none (yet): the holder took the lock a moment ago.
    Unknown,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Process(pid) => write!(f, "process {pid}"),
            Self::Unknown => f.write_str("another process"),
        }
    }
}

impl Holder {
    /// The holder that the lock file at `path` names.
    pub fn of(path: &Path) -> Self {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .map_or(Self::Unknown, Self::Process)
    }
}

/// An exclusive advisory lock on a file, released when dropped (or when the
/// process dies, so a killed process never leaves a stale lock behind).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Waits up to `wait` until the lock at `path`, on `what` (for messages),
    /// is ours; says on stderr who holds it after two seconds of waiting.
    pub fn acquire(path: &Path, what: &str, wait: Duration) -> Result<Self, LockError> {
        let io_error = |source| LockError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent() {
            create_private_dir(dir).map_err(io_error)?;
        }
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io_error)?;
        let file = match file.try_lock() {
            Ok(()) => file,
            Err(std::fs::TryLockError::Error(err)) => return Err(io_error(err)),
            Err(std::fs::TryLockError::WouldBlock) => wait_for(file, path, what, wait)?,
        };
        // Not a secret: who to resume or end when others wait.
        let pid = format!("{}\n", std::process::id());
        if let Err(err) = file
            .set_len(0)
            .and_then(|()| (&file).write_all(pid.as_bytes()))
        {
            tracing::debug!(path = %path.display(), %err, "could not note the lock's holder");
        }
        Ok(Self { _file: file })
    }
}

/// Blocks on the lock in a thread of its own, so that the wait ends the moment
/// the holder lets go, or at the bound. A thread that gets the lock after the
/// bound drops it at once, since no one takes its answer.
fn wait_for(file: File, path: &Path, what: &str, wait: Duration) -> Result<File, LockError> {
    let started = Instant::now();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(file.lock().map(|()| file));
    });
    let mut said = false;
    loop {
        let waited = started.elapsed();
        let until = if said { wait } else { SAY_AFTER.min(wait) };
        match receiver.recv_timeout(until.saturating_sub(waited)) {
            Ok(Ok(file)) => return Ok(file),
            Ok(Err(source)) => {
                return Err(LockError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
            Err(mpsc::RecvTimeoutError::Timeout) if !said && started.elapsed() < wait => {
                crate::ui::note(format_args!(
                    "waiting for {}, which holds the lock on {what}",
                    Holder::of(path)
                ));
                said = true;
            }
            Err(_) => {
                return Err(LockError::Held {
                    what: what.to_owned(),
                    holder: Holder::of(path),
                    waited: wait,
                });
            }
        }
    }
}

impl Reported for LockError {
    fn hint(&self) -> Option<String> {
        match self {
            LockError::Io { source, .. } => Some(crate::exit::io_hint(source)),
            LockError::Held { .. } => LockError::hint(self),
        }
    }
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_is_exclusive_until_dropped_and_names_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locks/x.lock");
        let lock = Lock::acquire(&path, "x", DEFAULT_WAIT).unwrap();
        assert_eq!(Holder::of(&path), Holder::Process(std::process::id()));
        let other = File::open(&path).unwrap();
        assert!(other.try_lock().is_err());
        drop(lock);
        assert!(other.try_lock().is_ok());
    }

    #[test]
    fn a_lock_held_too_long_is_an_error_that_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        std::fs::write(&path, "4242\n").unwrap();
        let holder = File::options().write(true).open(&path).unwrap();
        holder.lock().unwrap();
        let err = Lock::acquire(&path, "the session 'x'", Duration::from_millis(100)).unwrap_err();
        assert!(
            matches!(
                err,
                LockError::Held {
                    holder: Holder::Process(4242),
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string().starts_with(
                "process 4242 holds the lock on the session 'x' and did not let go of it in 100ms"
            ),
            "{err}"
        );
        assert!(err.hint().unwrap().contains("kill -CONT 4242"));
        // Once the holder lets go, the lock is there to take.
        drop(holder);
        Lock::acquire(&path, "the session 'x'", Duration::from_millis(100)).unwrap();
    }

    #[test]
    fn holders_read_back_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        assert_eq!(Holder::of(&path), Holder::Unknown);
        std::fs::write(&path, "").unwrap();
        assert_eq!(Holder::of(&path), Holder::Unknown);
        std::fs::write(&path, "12\n").unwrap();
        assert_eq!(Holder::of(&path), Holder::Process(12));
        assert_eq!(Holder::Process(12).to_string(), "process 12");
    }
}
