//! The role-credential cache: credentials per (session, account, role) in the
//! keychain, with the fast tier in front of it, reused while they have more
//! than a margin left.

use std::time::Duration;

use crate::aws::portal::RoleCredentials;
use crate::store::fast_tier::FastTier;
use crate::store::keychain::{Keychain, KeychainError};
use crate::store::keys;

/// Whether cached credentials can still be handed out.
pub fn is_fresh(credentials: &RoleCredentials, now: u64, margin: Duration) -> bool {
    credentials.expiration > now.saturating_add(margin.as_secs())
}

/// The two tiers, opened once per run: the fast tier (when it is on and the
/// kernel offers it) in front of the keychain.
pub struct RoleCache<'k> {
    fast: Option<FastTier>,
    keychain: &'k Keychain,
}

impl<'k> RoleCache<'k> {
    /// The cache over `keychain`; `fast_tier_of` names the configuration whose
    /// fast tier to use, `None` for none.
    pub fn new(keychain: &'k Keychain, fast_tier_of: Option<&std::path::Path>) -> Self {
        Self {
            fast: fast_tier_of.and_then(FastTier::open),
            keychain,
        }
    }

    /// Fresh cached credentials, if any: from the fast tier when it holds them
    /// (one read, no keychain), else from the keychain, which then refills the
    /// fast tier. A damaged or foreign entry is a miss (the next fill replaces
    /// it), but a keychain that cannot be reached is an error.
    pub fn lookup(
        &self,
        key: &str,
        now: u64,
        margin: Duration,
    ) -> Result<Option<RoleCredentials>, KeychainError> {
        let fresh = |c: &RoleCredentials| c.is_well_formed() && is_fresh(c, now, margin);
        if let Some(credentials) = self
            .fast
            .as_ref()
            .and_then(|f| f.get(key))
            .and_then(|text| serde_json::from_str::<RoleCredentials>(&text).ok())
            .filter(fresh)
        {
            tracing::trace!(key, "hit in the fast tier");
            return Ok(Some(credentials));
        }
        let credentials = match self.keychain.read_json::<RoleCredentials>(key) {
            Ok(found) => found.filter(fresh),
            Err(err @ KeychainError::Corrupt { .. }) => {
                tracing::debug!(key, error = %err, "ignoring a damaged cache entry");
                None
            }
            Err(err) => return Err(err),
        };
        tracing::trace!(key, hit = credentials.is_some(), "looked in the keychain");
        if let Some(credentials) = &credentials {
            self.fill_fast(key, credentials, now, margin);
        }
        Ok(credentials)
    }

    /// Stores new credentials in the keychain and the fast tier.
    pub fn store(
        &self,
        key: &str,
        credentials: &RoleCredentials,
        now: u64,
        margin: Duration,
    ) -> Result<(), KeychainError> {
        self.fill_fast(key, credentials, now, margin);
        self.keychain.write_cache_json(key, credentials)
    }

    /// The fast tier keeps credentials until they are due for refresh.
    fn fill_fast(&self, key: &str, credentials: &RoleCredentials, now: u64, margin: Duration) {
        let Some(fast) = &self.fast else { return };
        let lifetime = credentials
            .expiration
            .saturating_sub(now.saturating_add(margin.as_secs()));
        if let Ok(text) = serde_json::to_string(credentials) {
            fast.set(key, &text, Duration::from_secs(lifetime));
        }
    }

    /// Deletes every credential cached for the session, from both tiers;
    /// returns how many.
    pub fn clear(&self, session: &str) -> Result<usize, KeychainError> {
        let prefix = keys::roles_of(session);
        let keys = self.keychain.delete_where(|key| key.starts_with(&prefix))?;
        if let Some(fast) = &self.fast {
            for key in &keys {
                fast.delete(key);
            }
        }
        Ok(keys.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn fresh_until_the_margin() {
        let credentials = RoleCredentials {
            access_key_id: "ASIAEXAMPLE123456789".into(),
            secret_access_key: Secret::new("s"),
            session_token: Secret::new("t"),
            expiration: 10_000,
        };
        assert!(is_fresh(
            &credentials,
            10_000 - 901,
            Duration::from_mins(15)
        ));
        assert!(!is_fresh(
            &credentials,
            10_000 - 900,
            Duration::from_mins(15)
        ));
        assert!(is_fresh(&credentials, 9_999, Duration::ZERO));
    }
}
