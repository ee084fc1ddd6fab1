//! `ssokey env`, `ssokey credential-process` and `ssokey exec`: role
//! credentials out, as shell lines, as JSON, or in a command's environment.

use std::ffi::OsString;
use std::process::{Command, ExitCode};

use crate::cli::{CredentialProcessArgs, EnvArgs, ExecArgs, TargetArgs};
use crate::commands::target;
use crate::context::{Context, EXEC_TARGET_VAR};
use crate::exit::ExecError;
use crate::fetch;
use crate::output::render::{self, Shell};
use crate::serve;

pub fn env(ctx: &Context, session_flag: Option<&str>, args: &EnvArgs) -> anyhow::Result<ExitCode> {
    let shell = args
        .shell
        .unwrap_or_else(|| Shell::detect(Context::parent_process().as_deref(), cfg!(windows)));
    if args.unset {
        crate::output::print(&render::unsets(shell))?;
        return Ok(ExitCode::SUCCESS);
    }
    let (credentials, _) =
        target::fetch(ctx, session_flag, &args.target, &args.cache, "env", true)?;
    crate::output::print(&render::exports(shell, &credentials))?;
    if let Some(profile) = other_profile(ctx.aws_profile.as_deref(), &args.target) {
        crate::ui::warning(format_args!(
            "AWS_PROFILE={profile} stays set in your shell, and some SDKs (the JavaScript SDK v3) use that profile instead of these credentials; unset it, or use ssokey exec"
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Pure: `AWS_PROFILE`, when it names a profile other than the target of the
/// flags. (With no flags it is the target itself.)
fn other_profile<'a>(aws_profile: Option<&'a str>, target: &TargetArgs) -> Option<&'a str> {
    let profile = aws_profile?;
    let named = target.account.is_some() || target.profile.as_deref().is_some_and(|p| p != profile);
    named.then_some(profile)
}

pub fn credential_process(
    ctx: &Context,
    session_flag: Option<&str>,
    args: &CredentialProcessArgs,
) -> anyhow::Result<ExitCode> {
    // Never a picker: the caller is a program.
    let (credentials, _) = target::fetch(
        ctx,
        session_flag,
        &args.target,
        &args.cache,
        "credential-process",
        false,
    )?;
    crate::output::print(&render::credential_process_json(&credentials))?;
    Ok(ExitCode::SUCCESS)
}

pub fn exec(
    ctx: &Context,
    session_flag: Option<&str>,
    args: &ExecArgs,
) -> anyhow::Result<ExitCode> {
    if args.server {
        return exec_with_server(ctx, session_flag, args);
    }
    let (credentials, label) =
        target::fetch(ctx, session_flag, &args.target, &args.cache, "exec", true)?;
    let (mut command, program) = command(ctx, args, &label);
    for (name, value) in render::credential_variables(&credentials) {
        command.env(name, value);
    }
    run(command, program)
}

/// `exec --server`: the command gets the credential server's two variables
/// and no keys; the server lives until the command ends.
fn exec_with_server(
    ctx: &Context,
    session_flag: Option<&str>,
    args: &ExecArgs,
) -> anyhow::Result<ExitCode> {
    let (server, label) = serve::for_target(
        ctx,
        session_flag,
        target::wanted(ctx, session_flag, &args.target, "exec", true)?,
        &target::options(&args.cache),
        0,
        "exec",
    )?;
    let (mut command, program) = command(ctx, args, &label);
    for name in render::CREDENTIAL_VARIABLES
        .into_iter()
        .chain(serve::OTHER_CONTAINER_VARIABLES)
    {
        command.env_remove(name);
    }
    for (name, value) in server.variables() {
        command.env(name, value.expose());
    }
    leave_ctrl_c_to_the_command();
    let status = serve::child::run(server, command).map_err(|err| exec_error(program, &err))?;
    serve::child::exit_like(status)
}

/// The command to run, with the environment that both kinds of `exec` give
/// it: no profile variables, the profile's region, the target's label. Warns
/// when this `exec` runs inside another for a different target.
fn command<'a>(ctx: &Context, args: &'a ExecArgs, label: &str) -> (Command, &'a OsString) {
    if let Some(outer) = &ctx.exec_target
        && outer != label
    {
        crate::ui::warning(format_args!(
            "running inside 'ssokey exec' for {outer}; this command gets {label} instead"
        ));
    }
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let mut command = Command::new(program);
    command.args(rest).env(EXEC_TARGET_VAR, label);
    for name in render::PROFILE_VARIABLES {
        command.env_remove(name);
    }
    let region =
        target::profile(ctx, &args.target).and_then(|name| fetch::profile_region(ctx, name));
    for (name, value) in render::region_variables(region.as_deref(), ctx.aws_region_set) {
        command.env(name, value);
    }
    (command, program)
}

/// Replaces ssokey with the command, so that its exit status, a signal that
/// kills it, and its terminal handling are exactly the command's own.
#[cfg(unix)]
fn run(mut command: Command, program: &OsString) -> anyhow::Result<ExitCode> {
    use std::os::unix::process::CommandExt;
    let err = command.exec();
    Err(exec_error(program, &err))
}

/// Elsewhere ssokey waits for the command and exits with its whole status
/// (codes above 255 and NTSTATUS values included).
#[cfg(not(unix))]
fn run(mut command: Command, program: &OsString) -> anyhow::Result<ExitCode> {
    leave_ctrl_c_to_the_command();
    let status = command.status().map_err(|err| exec_error(program, &err))?;
    std::process::exit(status.code().unwrap_or(1))
}

/// Ctrl-C reaches every process on the console, the command and ssokey alike.
/// ssokey leaves it to the command (terraform stops cleanly) and goes on
/// waiting, so that the prompt comes back only when the command is done. It
/// registers a handler rather than setting the ignore flag, which the command
/// would inherit; cargo run does the same. ctrlc owns the FFI: its handler
/// reports every console event handled and wakes a thread that runs ours,
/// which does nothing. Best effort, as a failure only leaves Ctrl-C to end
/// ssokey too.
#[cfg(windows)]
fn leave_ctrl_c_to_the_command() {
    let _ = ctrlc::set_handler(|| {});
}

/// On unix the terminal's Ctrl-C reaches the command by itself, and
/// [`serve::signals::Forwarding`] keeps ssokey alive through it.
#[cfg(not(windows))]
fn leave_ctrl_c_to_the_command() {}

fn exec_error(program: &OsString, err: &std::io::Error) -> anyhow::Error {
    let program = program.to_string_lossy().into_owned();
    if err.kind() == std::io::ErrorKind::NotFound {
        ExecError::NotFound { program }.into()
    } else {
        ExecError::CannotRun {
            program,
            cause: err.to_string(),
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shell_profile_other_than_the_target_is_named() {
        let flags = TargetArgs {
            account: Some("111122223333".to_owned()),
            role: Some("Admin".to_owned()),
            ..TargetArgs::default()
        };
        let profile = |name: &str| TargetArgs {
            profile: Some(name.to_owned()),
            ..TargetArgs::default()
        };
        assert_eq!(other_profile(Some("dev"), &flags), Some("dev"));
        assert_eq!(other_profile(Some("dev"), &profile("prod")), Some("dev"));
        assert_eq!(other_profile(Some("dev"), &profile("dev")), None);
        assert_eq!(other_profile(Some("dev"), &TargetArgs::default()), None);
        assert_eq!(other_profile(None, &flags), None);
    }
}
