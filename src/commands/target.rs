//! What the credential commands (`env`, `credential-process`, `exec`,
//! `console`, `serve`) share: the command line's target and cache flags
//! turned into values once, and the pick on the terminal when nothing names
//! a target.

use crate::cli::{CacheArgs, TargetArgs};
use crate::context::Context;
use crate::credentials::RoleCredentials;
use crate::fetch;
use crate::output::picker;
use crate::role_credentials::Options;
use crate::target::{self, AccountRef, Target, TargetError};

/// What the flags and `AWS_PROFILE` name.
pub fn request(ctx: &Context, args: &TargetArgs) -> target::TargetSpec {
    target::TargetSpec {
        account: args.account.clone(),
        role: args.role.clone(),
        profile: args.profile.clone(),
        env_profile: ctx.aws_profile.clone(),
        assume_roles: args.assume_role.clone(),
        external_id: args.external_id.clone(),
        role_session_name: args.role_session_name.clone(),
    }
}

/// How the cache is used, from the flags.
pub fn options(cache: &CacheArgs) -> Options {
    Options {
        refresh: cache.refresh,
        margin: cache.margin,
    }
}

/// The profile in effect: the one that `--profile` names, else `AWS_PROFILE`.
pub fn profile<'a>(ctx: &'a Context, args: &'a TargetArgs) -> Option<&'a str> {
    args.profile.as_deref().or(ctx.aws_profile.as_deref())
}

/// The target that the flags, the profile or `AWS_PROFILE` name, or that the
/// user picks on the terminal (when `picker` allows it and both stdin and
/// stderr are terminals).
pub fn wanted(
    ctx: &Context,
    session_flag: Option<&str>,
    args: &TargetArgs,
    command: &str,
    picker: bool,
) -> anyhow::Result<Target> {
    match fetch::target(ctx, &request(ctx, args)) {
        Err(err)
            if picker
                && ctx.stdin_is_terminal
                && ctx.stderr_is_terminal
                && matches!(err.downcast_ref(), Some(TargetError::Missing)) =>
        {
            pick(ctx, session_flag, command)
        }
        other => other,
    }
}

/// The credentials for the target that the flags, the profile or
/// `AWS_PROFILE` name (or, with `picker`, that the user picks), with a label
/// "session/account/role".
pub fn fetch(
    ctx: &Context,
    session_flag: Option<&str>,
    args: &TargetArgs,
    cache: &CacheArgs,
    command: &str,
    picker: bool,
) -> anyhow::Result<(RoleCredentials, String)> {
    let wanted = wanted(ctx, session_flag, args, command, picker)?;
    fetch::credentials(ctx, session_flag, &wanted, &options(cache), command)
}

/// The target the user picks from the session's listing.
fn pick(ctx: &Context, session_flag: Option<&str>, command: &str) -> anyhow::Result<Target> {
    let (session, listing) = fetch::assignments(ctx, session_flag, command)?;
    if listing.assignments.is_empty() {
        anyhow::bail!(
            "no roles are assigned to you in the session '{}'",
            session.name
        );
    }
    let Some(picked) = picker::pick(&listing.assignments, ctx.stderr_color)? else {
        return Err(anyhow::Error::new(TargetError::Missing).context("no role was picked"));
    };
    crate::ui::say(format_args!(
        "{}/{} (next time: {})",
        picked.account_name,
        picked.role_name,
        picker::equivalent(command, picked)
    ));
    Ok(Target {
        session: Some(session.name),
        account: AccountRef::Id(picked.account_id.clone()),
        role: picked.role_name.clone(),
        chain: target::Chain::default(),
    })
}
