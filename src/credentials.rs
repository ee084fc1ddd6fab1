//! Role credentials for the target that the command line names: the flags,
//! the profile or `AWS_PROFILE`, or a pick on the terminal; then the role
//! cache and the portal through [`crate::roles::for_target`], signing in by
//! itself when the sign-in has ended ([`auto`]). Every command
//! that hands out credentials (`env`, `credential-process`, `exec`,
//! `console`, the credential server) gets them here.

use crate::aws::portal::RoleCredentials;
use crate::cli::{CacheArgs, TargetArgs};
use crate::config_file;
use crate::context::Context;
use crate::listing;
use crate::output::picker;
use crate::roles::{self, Options};
use crate::session::{self, Session};
use crate::sign_in::auto;
use crate::target::{self, AccountRef, TargetError, Wanted};

/// The credentials for the target the flags, the profile or `AWS_PROFILE`
/// name, with a label "session/account/role" for messages, signing in by
/// itself when the sign-in has ended ([`auto`]). With no target, `picker`
/// allows a pick on the terminal. `command` names the command to the user.
pub fn fetch(
    env: &Context,
    session_flag: Option<&str>,
    target_args: &TargetArgs,
    cache: &CacheArgs,
    command: &str,
    picker: bool,
) -> anyhow::Result<(RoleCredentials, String)> {
    let config = config_file::Lazy::new(&env.aws_config_file);
    let wanted = wanted_in(env, session_flag, target_args, command, picker, &config)?;
    let options = options(cache);
    auto::retry(env, command, || {
        roles::for_target(env, session_flag, &wanted, &options, &config)
    })
}

/// The target that the flags, the profile or `AWS_PROFILE` name, or that the
/// user picks on the terminal (when `picker` allows it).
pub fn wanted(
    env: &Context,
    session_flag: Option<&str>,
    target_args: &TargetArgs,
    command: &str,
    picker: bool,
) -> anyhow::Result<Wanted> {
    let config = config_file::Lazy::new(&env.aws_config_file);
    wanted_in(env, session_flag, target_args, command, picker, &config)
}

/// Credentials for a target resolved before, from the cache while they have
/// more than the margin left, else new ones, signing in by itself when the
/// sign-in has ended: for a caller that asks again and again (the credential
/// server). The config file is read anew.
pub fn for_wanted(
    env: &Context,
    session_flag: Option<&str>,
    wanted: &Wanted,
    options: &Options,
    command: &str,
) -> anyhow::Result<(RoleCredentials, String)> {
    let config = config_file::Lazy::new(&env.aws_config_file);
    auto::retry(env, command, || {
        roles::for_target(env, session_flag, wanted, options, &config)
    })
}

/// How the cache is used, from the flags.
pub fn options(cache: &CacheArgs) -> Options {
    Options {
        refresh: cache.refresh,
        margin: cache.margin,
    }
}

/// The session that the credentials of `wanted` come from: `--session`, the
/// profile's, else the last sign-in. No network.
pub fn session_of(
    env: &Context,
    session_flag: Option<&str>,
    wanted: &Wanted,
) -> anyhow::Result<Session> {
    let request = session::Request {
        session: session_flag.map(str::to_owned).or(wanted.session.clone()),
        ..session::Request::default()
    };
    Ok(session::resolve_for(env, &request)?.0)
}

/// The `region` of the profile in effect: the one that `--profile` names,
/// else `AWS_PROFILE`'s. Best effort: a config file that cannot be read gives
/// none.
pub fn profile_region(env: &Context, target_args: &TargetArgs) -> Option<String> {
    let name = target_args.profile.as_ref().or(env.aws_profile.as_ref())?;
    let config = config_file::load(&env.aws_config_file).ok()??;
    let profile = config.profile(name)?;
    profile.get("region").map(str::to_owned)
}

fn wanted_in(
    env: &Context,
    session_flag: Option<&str>,
    target_args: &TargetArgs,
    command: &str,
    picker: bool,
    config: &config_file::Lazy,
) -> anyhow::Result<Wanted> {
    let request = target::Request {
        account: target_args.account.clone(),
        role: target_args.role.clone(),
        profile: target_args.profile.clone(),
        env_profile: env.aws_profile.clone(),
    };
    let needs_config = request.account.is_none();
    match target::resolve(
        &request,
        if needs_config { config.get()? } else { None },
        &env.aws_config_file.display().to_string(),
    ) {
        Err(TargetError::Missing) if env.stdin_is_terminal && env.stderr_is_terminal => {
            if !picker {
                return Err(TargetError::Missing.into());
            }
            pick(env, session_flag, command)
        }
        other => Ok(other?),
    }
}

/// The target the user picks from the session's listing.
fn pick(env: &Context, session_flag: Option<&str>, command: &str) -> anyhow::Result<Wanted> {
    let request = session::Request::named(session_flag);
    let (session, _) = session::resolve_for(env, &request)?;
    let listing = auto::retry(env, command, || {
        listing::obtain(env, &session, false, crate::listing::DEFAULT_CONCURRENCY)
    })?;
    if listing.assignments.is_empty() {
        anyhow::bail!(
            "no roles are assigned to you in the session '{}'",
            session.name
        );
    }
    let Some(picked) = picker::pick(&listing.assignments, env.stderr_color)? else {
        return Err(anyhow::Error::new(TargetError::Missing).context("no role was picked"));
    };
    crate::ui::say(format_args!(
        "{}/{} (next time: {})",
        picked.account_name,
        picked.role_name,
        picker::equivalent(command, picked)
    ));
    Ok(Wanted {
        session: Some(session.name),
        account: AccountRef::Id(picked.account_id.clone()),
        role: picked.role_name.clone(),
    })
}
