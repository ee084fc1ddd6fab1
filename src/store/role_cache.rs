//! The role-credential cache: credentials per (session, account, role) in the
//! keychain, with the fast tier in front of it, reused while they have more
//! than a margin left, and the lock that makes parallel runs fetch them once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::fast_tier::FastTier;
use crate::keychain::{Keychain, KeychainError};
use crate::portal::RoleCredentials;

pub fn key(session: &str, account_id: &str, role: &str) -> String {
    format!("{}{account_id}/{role}", prefix(session))
}

fn prefix(session: &str) -> String {
    format!("session/{session}/role/")
}

/// Whether cached credentials can still be handed out.
pub fn is_fresh(credentials: &RoleCredentials, now: u64, margin: Duration) -> bool {
    credentials.expiration > now.saturating_add(margin.as_secs())
}

/// Fresh cached credentials, if any: from the fast tier when it holds them
/// (one read, no keychain), else from the keychain, which then refills the
/// fast tier. A damaged or foreign entry is a miss (the next fill replaces it),
/// but a keychain that cannot be reached is an error.
pub fn lookup(
    fast: Option<&FastTier>,
    keychain: &Keychain,
    key: &str,
    now: u64,
    margin: Duration,
) -> Result<Option<RoleCredentials>, KeychainError> {
    let fresh = |c: &RoleCredentials| c.is_well_formed() && is_fresh(c, now, margin);
    if let Some(credentials) = fast
        .and_then(|f| f.get(key))
        .and_then(|text| serde_json::from_str::<RoleCredentials>(&text).ok())
        .filter(fresh)
    {
        tracing::trace!(key, "hit in the fast tier");
        return Ok(Some(credentials));
    }
    let credentials = match keychain.read_json::<RoleCredentials>(key) {
        Ok(found) => found.filter(fresh),
        Err(err @ KeychainError::Corrupt { .. }) => {
            tracing::debug!(key, error = %err, "ignoring a damaged cache entry");
            None
        }
        Err(err) => return Err(err),
    };
    tracing::trace!(key, hit = credentials.is_some(), "looked in the keychain");
    if let (Some(fast), Some(credentials)) = (fast, &credentials) {
        fill_fast(fast, key, credentials, now, margin);
    }
    Ok(credentials)
}

/// Stores new credentials in the keychain and the fast tier.
pub fn store(
    fast: Option<&FastTier>,
    keychain: &Keychain,
    key: &str,
    credentials: &RoleCredentials,
    now: u64,
    margin: Duration,
) -> Result<(), KeychainError> {
    if let Some(fast) = fast {
        fill_fast(fast, key, credentials, now, margin);
    }
    keychain.write_json(key, credentials)
}

/// The fast tier keeps credentials until they are due for refresh.
fn fill_fast(
    fast: &FastTier,
    key: &str,
    credentials: &RoleCredentials,
    now: u64,
    margin: Duration,
) {
    let lifetime = credentials
        .expiration
        .saturating_sub(now.saturating_add(margin.as_secs()));
    if let Ok(text) = serde_json::to_string(credentials) {
        fast.set(key, &text, Duration::from_secs(lifetime));
    }
}

/// Deletes every credential cached for the session, from both tiers; returns how many.
pub fn clear(
    fast: Option<&FastTier>,
    keychain: &Keychain,
    session: &str,
) -> Result<usize, KeychainError> {
    let prefix = prefix(session);
    let keys = keychain.delete_where(|key| key.starts_with(&prefix))?;
    if let Some(fast) = fast {
        for key in &keys {
            fast.delete(key);
        }
    }
    Ok(keys.len())
}

/// The lock file for one target; it holds no secret, only its name says which.
pub fn lock_path(cache_dir: &Path, session: &str, account_id: &str, role: &str) -> PathBuf {
    let safe: String = role
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    cache_dir
        .join("locks")
        .join(format!("role-{session}-{account_id}-{safe}.lock"))
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

    #[test]
    fn lock_names_are_safe_file_names() {
        let path = lock_path(Path::new("/c"), "work", "111122223333", "Admin+x@y.z");
        assert_eq!(
            path,
            Path::new("/c/locks/role-work-111122223333-Admin_x_y_z.lock")
        );
    }
}
