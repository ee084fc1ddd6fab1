//! The role-credential cache: credentials per (session, account, role) in the
//! keychain, reused while they have more than a margin left, and the lock
//! that makes parallel runs fetch them once.

use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// The cached credentials, if any. A damaged or foreign entry is a miss (it is
/// replaced by the next fill), but a keychain that cannot be reached is an error.
pub fn lookup(keychain: &Keychain, key: &str) -> Result<Option<RoleCredentials>, KeychainError> {
    match keychain.read_json::<RoleCredentials>(key) {
        Ok(Some(credentials)) if credentials.is_well_formed() => Ok(Some(credentials)),
        Ok(_) | Err(KeychainError::Corrupt { .. }) => Ok(None),
        Err(err) => Err(err),
    }
}

pub fn store(
    keychain: &Keychain,
    key: &str,
    credentials: &RoleCredentials,
) -> Result<(), KeychainError> {
    keychain.write_json(key, credentials)
}

/// Deletes every credential cached for the session; returns how many.
pub fn clear(keychain: &Keychain, session: &str) -> Result<usize, KeychainError> {
    let prefix = prefix(session);
    let keys: Vec<String> = keychain
        .users()?
        .into_iter()
        .filter(|user| user.starts_with(&prefix) && !user.contains('#'))
        .collect();
    for key in &keys {
        keychain.delete(key)?;
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
