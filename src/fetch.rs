//! Role credentials for the target that a command names: the target from the
//! flags, a profile or `AWS_PROFILE` (as values the front resolved from the
//! command line), then the role cache and the portal through
//! [`role_credentials::for_target`], signing in by itself when the sign-in
//! has ended ([`auto`]). Every command that hands out credentials (`env`,
//! `credential-process`, `exec`, `console`, the credential server) gets them
//! here.

use crate::context::Context;
use crate::credentials::RoleCredentials;
use crate::listing::{self, Listing};
use crate::role_credentials::{self, Options};
use crate::session::{self, Session};
use crate::sign_in::auto;
use crate::target::{self, Target};

/// The target that `request` names: the flags, else the profile, else
/// `AWS_PROFILE`, from the config file that the run has read. Fails with
/// [`target::TargetError::Missing`] when nothing names one.
pub fn target(ctx: &Context, request: &target::TargetSpec) -> anyhow::Result<Target> {
    let config = if request.account.is_none() {
        ctx.config()?
    } else {
        None
    };
    Ok(target::resolve(
        request,
        config,
        &ctx.aws_config_file.display().to_string(),
    )?)
}

/// Credentials for `wanted`, from the cache while they have more than the
/// margin left, else new ones, signing in by itself when the sign-in has
/// ended; with a label "session/account/role" for messages. `command`
/// names the command to the user.
pub fn credentials(
    ctx: &Context,
    session_flag: Option<&str>,
    wanted: &Target,
    options: &Options,
    command: &str,
) -> anyhow::Result<(RoleCredentials, String)> {
    auto::retry(ctx, command, || {
        role_credentials::for_target(ctx, session_flag, wanted, options)
    })
}

/// The session that the credentials of `wanted` come from: `--session`, the
/// profile's, else the last sign-in. No network.
pub fn session_of(
    ctx: &Context,
    session_flag: Option<&str>,
    wanted: &Target,
) -> anyhow::Result<Session> {
    let request = session::SessionSpec {
        session: session_flag.map(str::to_owned).or(wanted.session.clone()),
        ..session::SessionSpec::default()
    };
    session::resolve_for(ctx, &request)
}

/// The `region` of the profile `name`. Best effort: a config file that
/// cannot be read gives none.
pub fn profile_region(ctx: &Context, name: &str) -> Option<String> {
    let config = ctx.config().ok()??;
    let profile = config.profile(name)?;
    profile.get("region").map(str::to_owned)
}

/// The session to pick a target from, and what is assigned in it, signing
/// in by itself when the sign-in has ended.
pub fn assignments(
    ctx: &Context,
    session_flag: Option<&str>,
    command: &str,
) -> anyhow::Result<(Session, Listing)> {
    let session = session::resolve_for(ctx, &session::SessionSpec::named(session_flag))?;
    let listing = auto::retry(ctx, command, || {
        listing::obtain(ctx, &session, false, listing::DEFAULT_CONCURRENCY)
    })?;
    Ok((session, listing))
}
