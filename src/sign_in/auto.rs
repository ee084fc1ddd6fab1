//! Auto sign-in: when `credential-process`, `env`, `exec` or `list` find the
//! sign-in over (no token, or the refresh refused), they sign in by
//! themselves and carry on, where they can reach the user: a browser can
//! open (PKCE), or a terminal can show a device code.
//!
//! - **One sign-in for the machine.** Whoever takes the session's sign-in
//!   lock signs in; every other run waits on the lock, then finds the new
//!   token. N parallel runs make one authorization and one browser tab.
//! - **No storms.** After the user's no (refused, not approved in time,
//!   Ctrl-C), auto sign-in pauses for the session ([`cool_down`]); runs in
//!   that window fail at once.
//! - **Off** with `SSOKEY_AUTO_LOGIN=0` or `ssokey_auto_login = false` in
//!   the `[sso-session]`; and where nobody can be reached (a CI job, which
//!   `CI` names; no browser and no terminal: a daemon) nothing changes: exit
//!   3 and the hint, at once.
//! - **Off after `ssokey logout`** for that session, until `ssokey login`
//!   ([`signed_out`]): a person who signed out meant it.

use std::time::Duration;

use super::flow::{self, Asker, Flow};
use super::{cool_down, signed_out, users_no};
use crate::auth::{self, AuthError};
use crate::clock;
use crate::context::Context;
use crate::exit::{Exit, Reported};
use crate::session;
use crate::store::keychain::Keychain;
use crate::store::lock::Lock;
use crate::store::paths;

/// Why an auto sign-in did not happen or did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum AutoError {
    #[error(
        "the sign-in to '{session}' has ended, and auto sign-in is paused: the last one was {reason}"
    )]
    CoolingDown {
        session: String,
        reason: String,
        until: u64,
    },
    #[error("not signed in to '{session}': you signed out with ssokey logout")]
    SignedOut { session: String },
    #[error("could not sign in to '{session}' for {command}")]
    Failed {
        session: String,
        command: String,
        #[source]
        cause: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl AutoError {
    pub fn hint(&self) -> String {
        match self {
            AutoError::CoolingDown { session, until, .. } => format!(
                "auto sign-in resumes at {} ({}); sign in now with: ssokey login --session {session}",
                crate::output::render::rfc3339(*until),
                crate::output::render::relative(*until, clock::now())
            ),
            AutoError::SignedOut { session } => format!(
                "auto sign-in stays off until you sign in again: ssokey login --session {session}"
            ),
            AutoError::Failed { session, .. } => {
                format!("run: ssokey login --session {session}")
            }
        }
    }
}

/// Pure: whether auto sign-in is on: `SSOKEY_AUTO_LOGIN` decides, else the
/// session's `ssokey_auto_login`, else it is on.
pub fn enabled(env_value: Option<&str>, session_value: Option<&str>) -> bool {
    let off = |value: &str| {
        matches!(
            value.trim().to_ascii_lowercase().as_str(),
            "0" | "false" | "off" | "no"
        )
    };
    env_value.or(session_value).is_none_or(|value| !off(value))
}

/// Runs `attempt`; when it fails because the sign-in is over and the user
/// can be reached, signs in (once for the machine) and runs it again.
/// `command` names the command in what the user is told.
pub fn retry<T>(
    ctx: &Context,
    command: &str,
    mut attempt: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let err = match attempt() {
        Ok(value) => return Ok(value),
        Err(err) => err,
    };
    let Some(session) = signed_out_session(&err) else {
        return Err(err);
    };
    if sign_in(ctx, &session, command)? {
        attempt()
    } else {
        Err(err)
    }
}

/// The session whose sign-in is over, when that is what `err` says.
fn signed_out_session(err: &anyhow::Error) -> Option<String> {
    err.chain()
        .find_map(|cause| match cause.downcast_ref::<AuthError>()? {
            AuthError::NotSignedIn { session } | AuthError::Expired { session, .. } => {
                Some(session.clone())
            }
        })
}

/// Signs in to `name` if auto sign-in may: `Ok(false)` when it may not
/// (off, or nobody to reach), so that the caller's own error stands.
fn sign_in(ctx: &Context, name: &str, command: &str) -> anyhow::Result<bool> {
    if ctx
        .auto_login
        .as_deref()
        .is_some_and(|value| !enabled(Some(value), None))
    {
        return Ok(false);
    }
    let Ok(session) = session::resolve_for(ctx, &session::SessionSpec::named(Some(name))) else {
        return Ok(false);
    };
    if !enabled(ctx.auto_login.as_deref(), session.auto_login.as_deref()) {
        return Ok(false);
    }
    if signed_out::is_marked(ctx, name) {
        return Err(AutoError::SignedOut {
            session: name.to_owned(),
        }
        .into());
    }
    let reach = ctx.reach();
    if reach.ci {
        tracing::debug!(session = name, "a CI job: nobody to sign in");
        return Ok(false);
    }
    let terminal = ctx.stderr_is_terminal || crate::ui::terminal_reachable();
    let Some(how) = flow::choose(reach, Asker::Auto { terminal }) else {
        tracing::debug!(session = name, "nobody to reach for an auto sign-in");
        return Ok(false);
    };
    cooling_down(ctx, name)?;
    // One sign-in for the machine: the others wait here for as long as it
    // may take, then find its token.
    let _lock = Lock::acquire(
        &paths::sign_in_lock(&ctx.cache_dir, name),
        &format!("the sign-in to '{name}'"),
        super::pkce::WAIT + Duration::from_mins(1),
    )?;
    // The holder may have been refused meanwhile.
    cooling_down(ctx, name)?;
    let keychain = Keychain::open(&session.keychain_choice(ctx))?;
    if let Ok(Some(token)) = auth::load_token(&keychain, name)
        && token.issued_at_ms >= ctx.started_ms
        && token.is_usable(clock::now())
    {
        tracing::debug!(session = name, "another run signed in meanwhile");
        return Ok(true);
    }
    crate::ui::speak_on_terminal();
    crate::ui::say(format_args!("Signing in to '{name}' for {command}..."));
    let failed = |cause: anyhow::Error| AutoError::Failed {
        session: name.to_owned(),
        command: command.to_owned(),
        cause: cause.into(),
    };
    let net = ctx
        .net(&session.region, session.section())
        .map_err(failed)?;
    match super::sign_in(ctx, &keychain, &session, &net, how) {
        Ok(token) => {
            crate::ui::say(format_args!(
                "Signed in to '{name}'; {}.",
                super::lifetime(&token)
            ));
            Ok(true)
        }
        Err(err) => {
            // After the user's no, and after any failure once a browser tab
            // was opened: the next run must not open another (a portal that
            // fails each code exchange would get a tab per run).
            if let Some(reason) = users_no(&err) {
                cool_down::start(ctx, name, reason, clock::now());
            } else if how.flow == Flow::Pkce {
                cool_down::start(ctx, name, "unsuccessful", clock::now());
            }
            Err(failed(err).into())
        }
    }
}

fn cooling_down(ctx: &Context, name: &str) -> Result<(), AutoError> {
    match cool_down::active(ctx, name, clock::now()) {
        Some(active) => Err(AutoError::CoolingDown {
            session: name.to_owned(),
            reason: active.reason,
            until: active.until,
        }),
        None => Ok(()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_sign_in_is_on_unless_the_variable_or_the_session_turns_it_off() {
        assert!(enabled(None, None));
        assert!(enabled(Some("1"), Some("false")));
        assert!(!enabled(Some("0"), None));
        assert!(!enabled(Some("off"), Some("true")));
        assert!(!enabled(None, Some("false")));
        assert!(!enabled(None, Some(" No ")));
        assert!(enabled(None, Some("true")));
    }

    #[test]
    fn only_an_ended_sign_in_is_retried() {
        let ended = anyhow::Error::new(AuthError::NotSignedIn {
            session: "work".into(),
        })
        .context("could not get credentials");
        assert_eq!(signed_out_session(&ended).as_deref(), Some("work"));
        assert_eq!(signed_out_session(&anyhow::anyhow!("network")), None);
    }
}
