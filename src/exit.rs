//! How ssokey exits, and what each typed error says of itself where
//! modules meet: the command to run next, and the exit code. The errors
//! implement [`Reported`] next to their types; [`crate::error`] prints them.

use std::process::ExitCode;

/// The exit codes, documented in docs/troubleshooting.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    /// Any other failure.
    Failure = 1,
    /// The command line was wrong (clap uses 2 as well).
    Usage = 2,
    /// Not signed in, or the sign-in expired, was revoked or is damaged: run `ssokey login`.
    NotSignedIn = 3,
    /// No keychain could be reached, or it is locked.
    Keychain = 4,
    /// `exec` found the command but could not run it (as shells say).
    CannotRun = 126,
    /// `exec` could not find the command (as shells say).
    CommandNotFound = 127,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// An error that knows what the user should do about it, and how ssokey exits
/// with it. Each typed error where modules meet says this of itself.
pub trait Reported {
    /// The command to run, or what to check, next.
    fn hint(&self) -> Option<String>;
    fn exit(&self) -> Exit;
}

impl Reported for std::io::Error {
    fn hint(&self) -> Option<String> {
        Some(io_hint(self))
    }
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

/// A file or directory that ssokey could not use: the message names it.
pub(crate) fn io_hint(err: &std::io::Error) -> String {
    if let Some(untrusted) = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<crate::store::files::UntrustedDir>())
    {
        return untrusted.hint();
    }
    match err.kind() {
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
            "make the path named above writable by your user, then run the command again"
                .to_owned()
        }
        _ => "check that the path named above can be created (each directory in it must be a directory), then run the command again".to_owned(),
    }
}

/// A command that `exec` could not start; it exits as shells do.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("could not run '{program}': no such command")]
    NotFound { program: String },
    #[error("could not run '{program}': {cause}")]
    CannotRun { program: String, cause: String },
}

impl Reported for ExecError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::NotFound { program } if program.contains('/') => {
                format!("check the path '{program}'")
            }
            Self::NotFound { .. } => {
                "check the command's name, or that its directory is on PATH".to_owned()
            }
            Self::CannotRun { program, .. } => {
                format!("check that '{program}' is an executable file (chmod +x)")
            }
        })
    }
    fn exit(&self) -> Exit {
        match self {
            Self::NotFound { .. } => Exit::CommandNotFound,
            Self::CannotRun { .. } => Exit::CannotRun,
        }
    }
}
