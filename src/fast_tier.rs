//! The fast tier in front of the keychain for cached role credentials: on
//! Linux, the kernel's key-retention service (the user keyring). A key lives in
//! kernel memory only, never on disk, is gone after a reboot, and carries a
//! timeout at the credentials' refresh time, so the kernel drops it by itself.
//! Any process of the same user can read it, which is the same boundary as an
//! unlocked Secret Service. Where keyutils cannot be used (a seccomp profile
//! that forbids keyctl, say), there is no fast tier and the keychain serves
//! alone. On macOS and Windows the native store is the only tier.

use std::time::Duration;

/// The fast tier, when this system has one.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub struct FastTier {
    #[cfg(target_os = "linux")]
    keyring: linux_keyutils::KeyRing,
    /// Keeps apart the caches of different ssokey configurations of one user.
    namespace: String,
}

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
impl FastTier {
    /// The user keyring, or `None` where keyutils is unavailable.
    #[cfg(target_os = "linux")]
    pub fn open(namespace_of: &std::path::Path) -> Option<Self> {
        use linux_keyutils::{KeyRing, KeyRingIdentifier};
        let keyring = KeyRing::from_special_id(KeyRingIdentifier::User, false).ok()?;
        Some(Self {
            keyring,
            namespace: namespace(namespace_of),
        })
    }

    #[cfg(not(target_os = "linux"))]
    pub fn open(_namespace_of: &std::path::Path) -> Option<Self> {
        None
    }

    fn description(&self, key: &str) -> String {
        format!("ssokey:{}:{key}", self.namespace)
    }

    /// The value under `key`, if the kernel still holds it.
    #[cfg(target_os = "linux")]
    pub fn get(&self, key: &str) -> Option<String> {
        let found = self.keyring.search(&self.description(key)).ok()?;
        String::from_utf8(found.read_to_vec().ok()?).ok()
    }

    #[cfg(not(target_os = "linux"))]
    pub fn get(&self, _key: &str) -> Option<String> {
        None
    }

    /// Stores `value` under `key` for `lifetime`; best effort, as a cache is.
    #[cfg(target_os = "linux")]
    pub fn set(&self, key: &str, value: &str, lifetime: Duration) {
        let seconds = usize::try_from(lifetime.as_secs()).unwrap_or(usize::MAX);
        if seconds == 0 {
            self.delete(key);
            return;
        }
        if let Ok(added) = self.keyring.add_key(&self.description(key), value)
            && added.set_timeout(seconds).is_err()
        {
            // A key that cannot expire by itself is not kept.
            let _ = added.invalidate();
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub fn set(&self, _key: &str, _value: &str, _lifetime: Duration) {}

    #[cfg(target_os = "linux")]
    pub fn delete(&self, key: &str) {
        if let Ok(found) = self.keyring.search(&self.description(key)) {
            let _ = found.invalidate();
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub fn delete(&self, _key: &str) {}
}

/// A short, stable name for a configuration directory (FNV-1a, 64 bits).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn namespace(path: &std::path::Path) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in path.to_string_lossy().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_differ_by_directory_and_are_stable() {
        let a = namespace(std::path::Path::new("/home/a/.config/ssokey"));
        let b = namespace(std::path::Path::new("/home/b/.config/ssokey"));
        assert_ne!(a, b);
        assert_eq!(a, namespace(std::path::Path::new("/home/a/.config/ssokey")));
        assert_eq!(a.len(), 16);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn values_round_trip_and_are_deleted_when_keyutils_works() {
        let dir = tempfile::tempdir().unwrap();
        let Some(tier) = FastTier::open(dir.path()) else {
            return; // keyctl is forbidden here; the keychain serves alone.
        };
        tier.set("k", "value", Duration::from_mins(1));
        assert_eq!(tier.get("k").as_deref(), Some("value"));
        tier.set("k", "other", Duration::from_mins(1));
        assert_eq!(tier.get("k").as_deref(), Some("other"));
        tier.delete("k");
        assert_eq!(tier.get("k"), None);
        tier.set("k", "gone at once", Duration::ZERO);
        assert_eq!(tier.get("k"), None);
    }
}
