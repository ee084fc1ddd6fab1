//! How a failure reaches the user: one `error:` line, a `hint:` line with the
//! command to run next, and a documented exit code.

use std::process::ExitCode;

use crate::auth::AuthError;
use crate::aws::federation::FederationError;
use crate::aws::http::{SendError, TrustError};
use crate::aws::net::NetError;
use crate::aws::oidc::OidcError;
use crate::aws::sdk::{CallError, InsecureEndpoint};
use crate::aws::vanity::VanityError;
use crate::browser::BrowserError;
use crate::config_file::ConfigError;

use crate::chain::ChainError;
use crate::console::ConsoleError;
use crate::exit::{ExecError, Exit, Reported};
use crate::profiles::ProfilesError;
use crate::session::SessionError;
use crate::sign_in::SignInError;
use crate::sign_in::auto::AutoError;
use crate::start_url::StartUrlError;
use crate::store::lock::LockError;
use crate::store::raw::KeychainError;
use crate::target::TargetError;
use crate::ui;

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
        StartUrlError,
        ConfigError,
        OidcError,
        CallError,
        FederationError,
        InsecureEndpoint,
        NetError,
        TrustError,
        SendError,
        VanityError,
        ConsoleError,
        ChainError,
        BrowserError,
        ExecError,
        std::io::Error
    );
    None
}

/// Prints a command-line error as every other error is printed (`ssokey:
/// error:` and a `hint:` line that names the help to read), with exit code 2;
/// `--help` and `--version` print as clap prints them.
pub fn usage(err: &clap::Error, args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    if !err.use_stderr() {
        let _ = err.print();
        return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(0));
    }
    let (message, hint) = usage_message(
        &err.render().to_string(),
        err.kind(),
        subcommand(args).as_deref(),
    );
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
/// names the `--help` of the subcommand; for `exec` without its command
/// after `--`, where the command goes.
fn usage_message(
    rendered: &str,
    kind: clap::error::ErrorKind,
    subcommand: Option<&str>,
) -> (String, String) {
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
    let hint = if subcommand == Some("exec")
        && matches!(
            kind,
            clap::error::ErrorKind::UnknownArgument
                | clap::error::ErrorKind::MissingRequiredArgument
        ) {
        "put the command to run after --, e.g.: ssokey exec --profile NAME -- aws sts get-caller-identity"
            .to_owned()
    } else {
        format!("see the usage in: {command} --help")
    };
    (message.to_owned(), hint)
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
        usage_message(
            &err.render().to_string(),
            err.kind(),
            subcommand(args).as_deref(),
        )
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
        for args in [
            &["ssokey", "exec", "--profile", "p", "aws", "s3", "ls"][..],
            &["ssokey", "exec", "--profile", "p"][..],
        ] {
            let (_, hint) = usage_of(args);
            assert_eq!(
                hint,
                "put the command to run after --, e.g.: ssokey exec --profile NAME -- aws sts get-caller-identity",
                "{args:?}"
            );
        }
    }

    /// Every typed error of ssokey reaches the top with its hint and exit
    /// code: it implements [`Reported`] next to its type, and [`reported`]
    /// looks for it. A new error type that forgets either fails here.
    #[test]
    fn every_error_type_says_its_hint_and_exit_code() {
        // Types that never reach the top alone: each lives only inside
        // another, which reports for it.
        const WRAPPED: [&str; 2] = [
            "ParseError",   // inside ConfigError
            "UntrustedDir", // inside std::io::Error, whose io_hint says its hint
        ];
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let this = std::fs::read_to_string(src.join("error.rs")).unwrap();
        let looked_for = &this[this.find("first_of!(\n").unwrap()..];
        let looked_for = &looked_for[..looked_for.find(");").unwrap()];
        let mut files = Vec::new();
        let mut dirs = vec![src];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        let mut found = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (at, line) in lines.iter().enumerate() {
                let line = line.trim_start();
                if !(line.starts_with("#[derive(") && line.contains("thiserror::Error")) {
                    continue;
                }
                let decl = lines[at..]
                    .iter()
                    .find(|line| line.contains("pub enum ") || line.contains("pub struct "))
                    .unwrap();
                let name = decl
                    .split_whitespace()
                    .skip_while(|word| *word != "enum" && *word != "struct")
                    .nth(1)
                    .unwrap()
                    .trim_end_matches('{')
                    .to_owned();
                found += 1;
                if WRAPPED.contains(&name.as_str()) {
                    continue;
                }
                assert!(
                    text.contains(&format!("impl Reported for {name} ")),
                    "{name} in {} implements no Reported next to its type",
                    file.display()
                );
                assert!(
                    looked_for
                        .split(|c: char| !c.is_alphanumeric() && c != '_')
                        .any(|word| word == name),
                    "{name} is not among the errors that `reported` looks for"
                );
            }
        }
        assert!(found >= 15, "found only {found} error types");
    }
}
