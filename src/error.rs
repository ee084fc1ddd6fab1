//! How a failure reaches the user: one `error:` line, a `hint:` line with the
//! command to run next, and a documented exit code.

use std::process::ExitCode;

use crate::auth::AuthError;
use crate::aws::oidc::OidcError;
use crate::aws::sdk::{CallError, InsecureEndpoint, NetError};
use crate::aws::signin::SigninError;
use crate::config_file::ConfigError;
use crate::console::ConsoleError;
use crate::profiles::ProfilesError;
use crate::session::SessionError;
use crate::sign_in::SignInError;
use crate::sign_in::auto::AutoError;
use crate::store::keychain::KeychainError;
use crate::store::keys;
use crate::store::lock::LockError;
use crate::target::TargetError;
use crate::ui;

/// The exit codes, documented in the README.
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

/// The hint and exit code for an error: those of the outermost error in its
/// chain that says them.
pub fn classify(err: &anyhow::Error) -> (Option<String>, Exit) {
    err.chain()
        .find_map(reported)
        .map_or((None, Exit::Failure), |e| (e.hint(), e.exit()))
}

/// `cause` as a [`Reported`], when it is one of the errors that are.
fn reported<'e>(cause: &'e (dyn std::error::Error + 'static)) -> Option<&'e dyn Reported> {
    macro_rules! first_of {
        ($($type:ty),+) => {
            $(if let Some(e) = cause.downcast_ref::<$type>() {
                return Some(e);
            })+
        };
    }
    first_of!(
        AutoError,
        SignInError,
        AuthError,
        KeychainError,
        LockError,
        TargetError,
        ProfilesError,
        SessionError,
        ConfigError,
        OidcError,
        CallError,
        SigninError,
        InsecureEndpoint,
        NetError,
        ConsoleError,
        std::io::Error
    );
    None
}

impl Reported for AuthError {
    fn hint(&self) -> Option<String> {
        // No Secret Service answered, so this run looked in the kernel
        // keyring: a sign-in kept by the Secret Service of another (desktop)
        // session is not seen from here.
        if let AuthError::NotSignedIn { session } = self
            && let Some(cause) = crate::store::choice::fell_back()
        {
            return Some(format!(
                "no Secret Service answers here ({cause}), so ssokey keeps sessions in the kernel keyring, \
                 where '{session}' is not signed in (a sign-in kept by the Secret Service of a desktop \
                 session is not seen from here); sign in here with: ssokey login --session {session}"
            ));
        }
        Some(AuthError::hint(self))
    }
    fn exit(&self) -> Exit {
        Exit::NotSignedIn
    }
}

impl Reported for AutoError {
    fn hint(&self) -> Option<String> {
        Some(AutoError::hint(self))
    }
    fn exit(&self) -> Exit {
        Exit::NotSignedIn
    }
}

impl Reported for SignInError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            SignInError::Cancelled | SignInError::Refused(_) | SignInError::NoCode => {
                "run ssokey login again and approve the sign-in in the browser".to_owned()
            }
            SignInError::TimedOut(_) => "run ssokey login again and approve the sign-in in the browser; on a machine whose browser cannot reach this one, sign in with: ssokey login --device-code".to_owned(),
        })
    }
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

impl Reported for KeychainError {
    fn hint(&self) -> Option<String> {
        // A damaged sign-in is no sign-in: a new login replaces it.
        if let KeychainError::Corrupt { key, .. } = self
            && let Some(session) = keys::signed_in_by(key)
        {
            return Some(format!("run: ssokey login --session {session}"));
        }
        Some(KeychainError::hint(self))
    }
    fn exit(&self) -> Exit {
        match self {
            KeychainError::Corrupt { key, .. } if keys::signed_in_by(key).is_some() => {
                Exit::NotSignedIn
            }
            KeychainError::Unavailable { .. }
            | KeychainError::Locked { .. }
            | KeychainError::KernelUnavailable { .. }
            | KeychainError::NoneAnswers { .. }
            | KeychainError::QuotaFull { .. } => Exit::Keychain,
            KeychainError::UnknownChoice { .. } => Exit::Usage,
            KeychainError::Corrupt { .. } | KeychainError::Failed { .. } => Exit::Failure,
        }
    }
}

impl Reported for LockError {
    fn hint(&self) -> Option<String> {
        match self {
            LockError::Io { source, .. } => Some(io_hint(source)),
            LockError::Held { .. } => LockError::hint(self),
        }
    }
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

impl Reported for TargetError {
    fn hint(&self) -> Option<String> {
        Some(TargetError::hint(self))
    }
    fn exit(&self) -> Exit {
        match self {
            // Not the user's words: the portal's answer.
            TargetError::RoleRefused { .. } => Exit::Failure,
            _ => Exit::Usage,
        }
    }
}

impl Reported for ProfilesError {
    fn hint(&self) -> Option<String> {
        Some(ProfilesError::hint(self))
    }
    fn exit(&self) -> Exit {
        match self {
            ProfilesError::UnknownPlaceholder { .. } | ProfilesError::Unclosed(_) => Exit::Usage,
            ProfilesError::ReadOnly(_)
            | ProfilesError::NoDirectory { .. }
            | ProfilesError::NothingListed { .. } => Exit::Failure,
        }
    }
}

impl Reported for SessionError {
    fn hint(&self) -> Option<String> {
        Some(SessionError::hint(self))
    }
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

impl Reported for ConfigError {
    fn hint(&self) -> Option<String> {
        Some(ConfigError::hint(self))
    }
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

impl Reported for OidcError {
    fn hint(&self) -> Option<String> {
        Some(oidc_hint(self))
    }
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

impl Reported for CallError {
    fn hint(&self) -> Option<String> {
        Some(call_hint(self))
    }
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

impl Reported for SigninError {
    fn hint(&self) -> Option<String> {
        Some(SigninError::hint(self))
    }
    fn exit(&self) -> Exit {
        match self {
            SigninError::Insecure(_) => Exit::Usage,
            _ => Exit::Failure,
        }
    }
}

impl Reported for NetError {
    fn hint(&self) -> Option<String> {
        match self {
            NetError::Runtime(err) => Some(io_hint(err)),
            NetError::Insecure(err) => err.hint(),
        }
    }
    fn exit(&self) -> Exit {
        match self {
            NetError::Runtime(_) => Exit::Failure,
            NetError::Insecure(err) => err.exit(),
        }
    }
}

impl Reported for InsecureEndpoint {
    fn hint(&self) -> Option<String> {
        Some(InsecureEndpoint::hint().to_owned())
    }
    fn exit(&self) -> Exit {
        // A setting to change, as a wrong option is.
        Exit::Usage
    }
}

impl Reported for ConsoleError {
    fn hint(&self) -> Option<String> {
        Some(ConsoleError::hint(self))
    }
    fn exit(&self) -> Exit {
        match self {
            ConsoleError::BadService(_) | ConsoleError::BadDestination(_) => Exit::Usage,
            ConsoleError::NoBrowser(_) => Exit::Failure,
        }
    }
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
fn io_hint(err: &std::io::Error) -> String {
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

fn oidc_hint(err: &OidcError) -> String {
    match err {
        OidcError::AccessDenied | OidcError::DeviceCodeExpired => {
            "run ssokey login again and approve the code in the browser".to_owned()
        }
        OidcError::InvalidGrant | OidcError::InvalidClient => {
            "run: ssokey login --force".to_owned()
        }
        OidcError::InvalidScope(_) => "check sso_registration_scopes in the [sso-session] section of your AWS config file: ssokey needs sso:account:access, and the portal knows only its documented scopes".to_owned(),
        OidcError::Endpoint(_) => "check AWS_ENDPOINT_URL_SSO_OIDC and AWS_ENDPOINT_URL, and the session's region".to_owned(),
        OidcError::Call(call) => call_hint(call),
    }
}

fn call_hint(err: &CallError) -> String {
    match err {
        CallError::Unreachable { cause, .. } if cause.contains("certificate") => {
            "the service's TLS certificate is not trusted: behind a proxy that inspects TLS, point SSL_CERT_FILE at the proxy's CA certificate; otherwise check AWS_ENDPOINT_URL_SSO and AWS_ENDPOINT_URL_SSO_OIDC".to_owned()
        }
        CallError::Unreachable { .. } => "check your network connection (and any AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL_SSO_OIDC or proxy settings), then try again".to_owned(),
        CallError::Endless(_) => "a portal that pages without end is broken or is not IAM Identity Center: check the start URL of the session and any AWS_ENDPOINT_URL_SSO; if it is only slow, try again later".to_owned(),
        err @ CallError::Service { .. } if err.is_throttle() => {
            "the portal is throttling requests; wait a minute and try again".to_owned()
        }
        _ => "try again in a moment; if it persists, check the start URL and region of the session".to_owned(),
    }
}

/// Prints a command-line error as every other error is printed (`ssokey:
/// error:` and a `hint:` line that names the help to read), with exit code 2;
/// `--help` and `--version` print as clap prints them.
pub fn usage(err: &clap::Error, args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    if !err.use_stderr() {
        let _ = err.print();
        return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(0));
    }
    let (message, hint) = usage_message(&err.render().to_string(), subcommand(args).as_deref());
    ui::usage_error(&message, &hint);
    Exit::Usage.into()
}

/// The subcommand that the arguments name, if any.
fn subcommand(args: impl IntoIterator<Item = std::ffi::OsString>) -> Option<String> {
    use clap::CommandFactory as _;
    let command = crate::cli::Cli::command();
    let names: Vec<&str> = command
        .get_subcommands()
        .map(clap::Command::get_name)
        .collect();
    let mut args = args
        .into_iter()
        .skip(1)
        .map(|arg| arg.to_string_lossy().into_owned());
    while let Some(arg) = args.next() {
        if arg == "--session" {
            // The one option before the subcommand that takes a value.
            args.next();
        } else if names.contains(&arg.as_str()) {
            return Some(arg);
        }
    }
    None
}

/// clap's plain error text as ssokey's message and hint: its `error: `
/// prefix and its closing "For more information" line go, and the hint
/// names the `--help` of the subcommand.
fn usage_message(rendered: &str, subcommand: Option<&str>) -> (String, String) {
    let message: Vec<&str> = rendered
        .lines()
        .filter(|line| !line.starts_with("For more information"))
        .collect();
    let message = message.join("\n");
    let message = message.trim();
    let message = message.strip_prefix("error: ").unwrap_or(message);
    let command = match subcommand {
        Some(name) => format!("ssokey {name}"),
        None => "ssokey".to_owned(),
    };
    (
        message.to_owned(),
        format!("see the usage in: {command} --help"),
    )
}

/// The message with its causes on one line, each said once.
pub fn one_line(err: &anyhow::Error) -> String {
    let mut message = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
    }
    message
}

/// Reports the error on stderr: the message with its causes on one line,
/// then the hint. Returns the exit code.
pub fn report(err: &anyhow::Error) -> ExitCode {
    let (hint, exit) = classify(err);
    tracing::debug!(error = ?err, "failed");
    ui::error(&one_line(err), hint.as_deref());
    exit.into()
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;
    use pretty_assertions::assert_eq;

    use super::*;

    fn usage_of(args: &[&str]) -> (String, String) {
        let err = crate::cli::Cli::try_parse_from(args).unwrap_err();
        assert!(err.use_stderr());
        let args = args.iter().map(std::ffi::OsString::from);
        usage_message(&err.render().to_string(), subcommand(args).as_deref())
    }

    #[test]
    fn a_damaged_sign_in_is_no_sign_in_and_other_damage_is_a_failure() {
        let corrupt = |key: &str| {
            anyhow::Error::new(KeychainError::Corrupt {
                key: key.to_owned(),
                reason: "a syntax error".to_owned(),
            })
            .context("could not read the token")
        };
        for key in ["session/work/token", "session/work/client"] {
            assert_eq!(
                classify(&corrupt(key)),
                (
                    Some("run: ssokey login --session work".to_owned()),
                    Exit::NotSignedIn
                ),
                "{key}"
            );
        }
        for key in [
            "session/work/role/111122223333/Admin",
            "session/work/tokens",
            "ssokey-doctor-probe",
        ] {
            assert_eq!(classify(&corrupt(key)).1, Exit::Failure, "{key}");
        }
    }

    #[test]
    fn usage_errors_name_the_problem_and_the_help_to_read() {
        let (message, hint) = usage_of(&["ssokey", "env", "--shell", "tcsh"]);
        assert_eq!(
            message,
            "invalid value 'tcsh' for '--shell <SHELL>'\n  [possible values: bash, zsh, fish, powershell, cmd]\n\n  tip: a similar value exists: 'zsh'"
        );
        assert_eq!(hint, "see the usage in: ssokey env --help");
        let (message, hint) = usage_of(&["ssokey", "env", "--unset", "--profile", "p"]);
        assert!(
            message.starts_with("the argument '--unset' cannot be used with '--profile <NAME>'"),
            "{message}"
        );
        assert_eq!(hint, "see the usage in: ssokey env --help");
        let (_, hint) = usage_of(&["ssokey", "--session", "env", "list", "--bad"]);
        assert_eq!(hint, "see the usage in: ssokey list --help");
        let (message, hint) = usage_of(&["ssokey", "--no-such-flag"]);
        assert!(
            message.starts_with("unexpected argument '--no-such-flag'"),
            "{message}"
        );
        assert_eq!(hint, "see the usage in: ssokey --help");
    }
}
