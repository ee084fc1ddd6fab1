//! Short-lived AWS credentials, wherever they come from (the portal's
//! GetRoleCredentials today): the one type that the cache, the renderers,
//! the console and the credential server take, and the checks that make
//! them safe to hand to a shell.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// Short-lived credentials for one role in one account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// Seconds since the Unix epoch.
    pub expiration: u64,
}

/// The latest expiration that ssokey takes: the last second of the year 9999,
/// the last that RFC 3339 can write.
pub const MAX_EXPIRATION: u64 = 253_402_300_799;

impl RoleCredentials {
    /// The credentials in a GetRoleCredentials answer, checked: every value
    /// present and made only of the characters that AWS credentials are made
    /// of, and an expiration (milliseconds since the epoch, as the portal
    /// sends it) that is a time RFC 3339 can write. Pure, so that a property
    /// test can throw anything at it.
    pub fn from_response(
        access_key_id: Option<&str>,
        secret_access_key: Option<&str>,
        session_token: Option<&str>,
        expiration_millis: i64,
    ) -> Result<Self, &'static str> {
        let (Some(key_id), Some(secret), Some(token)) =
            (access_key_id, secret_access_key, session_token)
        else {
            return Err("a credential is missing");
        };
        let expiration = u64::try_from(expiration_millis / 1000)
            .ok()
            .filter(|&e| (1..=MAX_EXPIRATION).contains(&e))
            .ok_or("the expiration is not a time ssokey can use")?;
        let credentials = Self {
            access_key_id: key_id.to_owned(),
            secret_access_key: Secret::new(secret),
            session_token: Secret::new(token),
            expiration,
        };
        if !credentials.is_well_formed() {
            return Err("the credentials hold characters that AWS credentials never do");
        }
        Ok(credentials)
    }

    /// Whether every value holds only the characters that AWS credentials are
    /// made of, so that no shell can read anything else into them, and the
    /// expiration is one that RFC 3339 can write.
    pub fn is_well_formed(&self) -> bool {
        let key_id = &self.access_key_id;
        (16..=128).contains(&key_id.len())
            && key_id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && is_base64ish(self.secret_access_key.expose())
            && is_base64ish(self.session_token.expose())
            && (1..=MAX_EXPIRATION).contains(&self.expiration)
    }
}

fn is_base64ish(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'+' | b'='))
}

/// Pure: whether credentials that expire at `expiration` (epoch seconds) may
/// still be handed out at `now`: more than `margin` left.
pub fn is_fresh(expiration: u64, now: u64, margin: Duration) -> bool {
    expiration > now.saturating_add(margin.as_secs())
}

impl RoleCredentials {
    /// Whether they may still be handed out at `now`: see [`is_fresh`].
    pub fn is_fresh(&self, now: u64, margin: Duration) -> bool {
        is_fresh(self.expiration, now, margin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_until_the_margin() {
        let credentials = RoleCredentials {
            access_key_id: "ASIAEXAMPLE123456789".into(),
            secret_access_key: Secret::new("s"),
            session_token: Secret::new("t"),
            expiration: 10_000,
        };
        assert!(credentials.is_fresh(10_000 - 901, Duration::from_mins(15)));
        assert!(!credentials.is_fresh(10_000 - 900, Duration::from_mins(15)));
        assert!(credentials.is_fresh(9_999, Duration::ZERO));
    }

    #[test]
    fn credentials_are_served_while_more_than_the_margin_is_left() {
        let margin = Duration::from_mins(15);
        assert!(is_fresh(10_000, 10_000 - 901, margin));
        assert!(!is_fresh(10_000, 10_000 - 900, margin));
        assert!(!is_fresh(10_000, 20_000, margin));
        assert!(is_fresh(10_000, 9_999, Duration::ZERO));
    }
}
