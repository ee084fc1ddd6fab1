//! The role-credential cache: credentials per (session, account, role) in the
//! keychain, with the fast tier in front of it, reused while they have more
//! than a margin left.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::credentials::RoleCredentials;
use crate::store::fast_tier::{FastTier, Mark};
use crate::store::keychain::Keychain;
use crate::store::keys;
use crate::store::raw::KeychainError;

/// The two tiers, opened once per run: the fast tier (when it is on and the
/// kernel offers it) in front of the keychain.
pub struct RoleCache<'k> {
    fast: Option<FastTier>,
    keychain: &'k Keychain,
}

/// The sign-in that credentials are fetched under, as the fast tier knows it
/// (see [`RoleCache::generation`]).
pub struct Generation(Option<Mark>);

impl<'k> RoleCache<'k> {
    /// The cache over `keychain`; `fast_tier_of` names the configuration whose
    /// fast tier to use, `None` for none.
    pub fn new(keychain: &'k Keychain, fast_tier_of: Option<&std::path::Path>) -> Self {
        Self {
            fast: fast_tier_of.and_then(FastTier::open),
            keychain,
        }
    }

    /// The current sign-in to `session`. Take it before reading the token
    /// that fetches the credentials to [`store`](Self::store): a logout or a
    /// new sign-in that comes later ends it, and what is stored under it then
    /// is not kept.
    pub fn generation(&self, session: &str) -> Generation {
        Generation(self.fast.as_ref().and_then(|fast| fast.mark(session)))
    }

    /// Fresh cached credentials of `session`, if any: from the fast tier when
    /// it holds them for the current sign-in (no keychain), else from the
    /// keychain, which then refills the fast tier. A damaged or foreign entry
    /// is a miss (the next fill replaces it), but a keychain that cannot be
    /// reached is an error.
    pub fn lookup(
        &self,
        session: &str,
        key: &str,
        now: u64,
        margin: Duration,
    ) -> Result<Option<RoleCredentials>, KeychainError> {
        let fresh = |c: &RoleCredentials| c.is_well_formed() && c.is_fresh(now, margin);
        if let Some(credentials) = self
            .fast
            .as_ref()
            .and_then(|f| f.get(session, key))
            .and_then(|text| serde_json::from_str::<RoleCredentials>(&text).ok())
            .filter(fresh)
        {
            tracing::trace!(key, "hit in the fast tier");
            return Ok(Some(credentials));
        }
        // Taken before the keychain is read: see `generation`.
        let generation = self.generation(session);
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
            self.fill_fast(session, key, credentials, &generation, now, margin);
        }
        Ok(credentials)
    }

    /// Stores new credentials, fetched under `generation`, in the keychain, then
    /// in the fast tier. What the keychain could not take, the fast tier does
    /// not keep either: it is a cache of the keychain, and a keychain that
    /// fails may be one that the user locked or whose session ended. Nor does
    /// either keep credentials whose sign-in ended meanwhile.
    pub fn store(
        &self,
        session: &str,
        key: &str,
        credentials: &RoleCredentials,
        generation: &Generation,
        now: u64,
        margin: Duration,
    ) -> Result<(), KeychainError> {
        self.keychain.write_cache_json(key, credentials)?;
        if let (Some(fast), Some(mark)) = (&self.fast, generation.0)
            && !fast.is_current(session, mark)
        {
            // A logout or a new sign-in deleted the session's entries while
            // these were fetched, perhaps before this one was written.
            tracing::debug!(key, "the sign-in ended meanwhile; not caching");
            self.keychain.delete(key)?;
            return Ok(());
        }
        self.fill_fast(session, key, credentials, generation, now, margin);
        Ok(())
    }

    /// The fast tier keeps credentials until they are due for refresh.
    fn fill_fast(
        &self,
        session: &str,
        key: &str,
        credentials: &RoleCredentials,
        generation: &Generation,
        now: u64,
        margin: Duration,
    ) {
        let (Some(fast), Some(mark)) = (&self.fast, generation.0) else {
            return;
        };
        let lifetime = credentials
            .expiration
            .saturating_sub(now.saturating_add(margin.as_secs()));
        if let Ok(text) = serde_json::to_string(credentials) {
            fast.set(session, key, &text, Duration::from_secs(lifetime), mark);
        }
    }

    /// Deletes every credential cached for the session, from both tiers, and
    /// ends its sign-in in the fast tier; returns how many credentials there
    /// were. The fast tier's keys are found in the kernel itself, whatever
    /// the keychain holds: before the keychain's are deleted (a run that read
    /// one of those refills the fast tier under a mark that goes now) and
    /// after (a mark that such a run made meanwhile).
    pub fn clear(&self, session: &str) -> Result<usize, KeychainError> {
        let prefix = keys::roles_of(session);
        let of_session = |key: &str| keys::session_of(key) == Some(session);
        let mut cleared = BTreeSet::new();
        if let Some(fast) = &self.fast {
            cleared.extend(fast.delete_where(of_session));
        }
        cleared.extend(self.keychain.delete_where(|key| key.starts_with(&prefix))?);
        if let Some(fast) = &self.fast {
            cleared.extend(fast.delete_where(of_session));
        }
        Ok(cleared
            .iter()
            .filter(|key| key.starts_with(&prefix))
            .count())
    }
}
