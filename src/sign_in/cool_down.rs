//! The cool-down after an auto sign-in that the user refused, let run out or
//! cancelled: no new one starts for the session until it ends, so that a
//! build that runs a hundred processes does not open a hundred tabs after
//! the user said no. A small file in the cache dir, with no secret in it:
//! when it ends and why. `ssokey login` (any successful sign-in) clears it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::store::{files, paths};

/// How long auto sign-in pauses after the user's no.
pub const LENGTH: Duration = Duration::from_mins(5);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoolDown {
    /// When auto sign-in resumes, in seconds since the Unix epoch.
    pub until: u64,
    /// What ended the last sign-in ("refused", say).
    pub reason: String,
}

impl CoolDown {
    /// Pure: the cool-down in `text`, if it still runs at `now`. A damaged
    /// file is none: it must not stop sign-ins for good.
    pub fn parse_active(text: &str, now: u64) -> Option<Self> {
        let cool_down: Self = serde_json::from_str(text).ok()?;
        // A clock set back must not make it last for ever.
        let sane = cool_down.until <= now + LENGTH.as_secs();
        (cool_down.until > now && sane).then_some(cool_down)
    }
}

/// The session's cool-down, if one runs now.
pub fn active(ctx: &Context, session: &str, now: u64) -> Option<CoolDown> {
    // A pause file that another user could have planted pauses nothing.
    let bytes = files::read_trusted(&paths::cool_down(&ctx.cache_dir, session)).ok()?;
    CoolDown::parse_active(&String::from_utf8_lossy(&bytes), now)
}

/// Starts the session's cool-down. Best effort: a cache dir that cannot be
/// written loses only the pause.
pub fn start(ctx: &Context, session: &str, reason: &str, now: u64) {
    let cool_down = CoolDown {
        until: now + LENGTH.as_secs(),
        reason: reason.to_owned(),
    };
    let path = paths::cool_down(&ctx.cache_dir, session);
    let text = serde_json::to_string(&cool_down).unwrap_or_default();
    if let Err(err) = files::write_private(&path, text.as_bytes()) {
        tracing::debug!(path = %path.display(), %err, "could not start the cool-down");
    }
}

/// Ends the session's cool-down, if one runs.
pub fn clear(ctx: &Context, session: &str) {
    let path = paths::cool_down(&ctx.cache_dir, session);
    match std::fs::remove_file(&path) {
        Ok(()) => tracing::debug!(session, "ended the auto sign-in cool-down"),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => tracing::debug!(path = %path.display(), %err, "could not end the cool-down"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cool_down_runs_until_its_end_and_never_longer_than_its_length() {
        let text = r#"{"until":1300,"reason":"refused"}"#;
        let active = CoolDown::parse_active(text, 1000).unwrap();
        assert_eq!(active.reason, "refused");
        assert!(CoolDown::parse_active(text, 1300).is_none());
        // Written by a clock far ahead of this one: ignored.
        assert!(CoolDown::parse_active(r#"{"until":99999,"reason":"x"}"#, 1000).is_none());
        assert!(CoolDown::parse_active("not json", 1000).is_none());
    }
}
