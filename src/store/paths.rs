//! Where ssokey keeps its files: the remembered sessions in its config dir,
//! the listing caches and lock files in its cache dir. None holds a secret.

use std::path::{Path, PathBuf};

/// ssokey's config dir (the remembered sessions): the platform's config dir,
/// else `~/.config`, then `ssokey`.
pub fn config_dir(home: &Path) -> PathBuf {
    dirs::config_dir()
        .unwrap_or_else(|| home.join(".config"))
        .join("ssokey")
}

/// ssokey's cache dir (listings, lock files): the platform's cache dir, else
/// `~/.cache`, then `ssokey`.
pub fn cache_dir(home: &Path) -> PathBuf {
    dirs::cache_dir()
        .unwrap_or_else(|| home.join(".cache"))
        .join("ssokey")
}

/// The remembered sessions and the one used last.
pub fn sessions(config_dir: &Path) -> PathBuf {
    config_dir.join("sessions.json")
}

/// Where the listing caches live, one file per session.
pub fn listings(cache_dir: &Path) -> PathBuf {
    cache_dir.join("listings")
}

/// The listing cache of one session.
pub fn listing(cache_dir: &Path, session: &str) -> PathBuf {
    listings(cache_dir).join(format!("{session}.json"))
}

/// The lock for a session's tokens.
pub fn session_lock(cache_dir: &Path, session: &str) -> PathBuf {
    cache_dir
        .join("locks")
        .join(format!("session-{session}.lock"))
}

/// The lock that one sign-in to the session holds from start to end, so
/// that parallel runs share it.
pub fn sign_in_lock(cache_dir: &Path, session: &str) -> PathBuf {
    cache_dir
        .join("locks")
        .join(format!("sign-in-{session}.lock"))
}

/// The session's auto sign-in cool-down (no secret: a time and a reason).
pub fn cool_down(cache_dir: &Path, session: &str) -> PathBuf {
    cache_dir.join("cool-down").join(format!("{session}.json"))
}

/// The mark that the user signed out of the session (no secret).
pub fn signed_out(cache_dir: &Path, session: &str) -> PathBuf {
    cache_dir.join("signed-out").join(session)
}

/// The lock for the credentials at the end of a role chain (`chain_id`)
/// that starts from one role.
pub fn chain_lock(
    cache_dir: &Path,
    session: &str,
    account_id: &str,
    role: &str,
    chain_id: &str,
) -> PathBuf {
    let mut path = role_lock(cache_dir, session, account_id, role).into_os_string();
    path.push(format!(".chain-{chain_id}.lock"));
    PathBuf::from(path)
}

/// The lock for one target's credentials; only its name says which.
pub fn role_lock(cache_dir: &Path, session: &str, account_id: &str, role: &str) -> PathBuf {
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

    #[test]
    fn lock_names_are_safe_file_names() {
        let path = role_lock(Path::new("/c"), "work", "111122223333", "Admin+x@y.z");
        assert_eq!(
            path,
            Path::new("/c/locks/role-work-111122223333-Admin_x_y_z.lock")
        );
    }
}
