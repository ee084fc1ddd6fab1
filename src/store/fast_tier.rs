//! The fast tier in front of the keychain for cached role credentials: on
//! Linux, the kernel's key-retention service (the user keyring). A key lives in
//! kernel memory only, never on disk, is gone after a reboot, and carries a
//! timeout at the credentials' refresh time, so the kernel drops it by itself.
//! Any process of the same user can read it, which is the same boundary as an
//! unlocked Secret Service. Where keyutils cannot be used (a seccomp profile
//! that forbids keyctl, say), there is no fast tier and the keychain serves
//! alone. On macOS and Windows the native store is the only tier.

use std::time::Duration;

/// The fast tier, when this system has one: the user keyring on Linux.
#[cfg(target_os = "linux")]
pub struct FastTier {
    keyring: linux_keyutils::KeyRing,
    /// Keeps apart the caches of different ssokey configurations of one user.
    namespace: String,
}

/// Elsewhere there is no fast tier: this type has no value, and
/// [`FastTier::open`] always finds none.
#[cfg(not(target_os = "linux"))]
pub enum FastTier {}

#[cfg(target_os = "linux")]
impl FastTier {
    /// The user keyring, or `None` where keyutils is unavailable.
    pub fn open(namespace_of: &std::path::Path) -> Option<Self> {
        use linux_keyutils::{KeyRing, KeyRingIdentifier};
        let keyring = KeyRing::from_special_id(KeyRingIdentifier::User, false).ok()?;
        Some(Self {
            keyring,
            namespace: namespace(namespace_of),
        })
    }

    fn description(&self, key: &str) -> String {
        format!("ssokey:{}:{key}", self.namespace)
    }

    /// The value under `key`, if the kernel still holds it.
    pub fn get(&self, key: &str) -> Option<String> {
        let found = self.keyring.search(&self.description(key)).ok()?;
        String::from_utf8(found.read_to_vec().ok()?).ok()
    }

    /// Stores `value` under `key` for `lifetime`; best effort, as a cache is.
    pub fn set(&self, key: &str, value: &str, lifetime: Duration) {
        let seconds = usize::try_from(lifetime.as_secs()).unwrap_or(usize::MAX);
        if seconds == 0 {
            self.delete(key);
            return;
        }
        let description = self.description(key);
        if !has_room(
            &std::fs::read_to_string("/proc/key-users").unwrap_or_default(),
            Some(own_uid()),
            description.len() + 1 + value.len(),
        ) {
            tracing::debug!(
                key,
                "the fast tier keeps within half the user's key quota; the keychain serves this one"
            );
            self.delete(key);
            return;
        }
        if let Ok(added) = self.keyring.add_key(&description, value)
            && added.set_timeout(seconds).is_err()
        {
            // A key that cannot expire by itself is not kept.
            let _ = added.invalidate();
        }
    }

    pub fn delete(&self, key: &str) {
        if let Ok(found) = self.keyring.search(&self.description(key)) {
            let _ = found.invalidate();
        }
    }
}

#[cfg(not(target_os = "linux"))]
impl FastTier {
    pub fn open(_namespace_of: &std::path::Path) -> Option<Self> {
        None
    }

    pub fn get(&self, _key: &str) -> Option<String> {
        match *self {}
    }

    pub fn set(&self, _key: &str, _value: &str, _lifetime: Duration) {
        match *self {}
    }

    pub fn delete(&self, _key: &str) {
        match *self {}
    }
}

/// This process's effective user id, whose key quota the kernel charges.
/// Not the owner of /proc/self: ssokey is not dumpable (see
/// [`crate::core_dumps`]), so its /proc files are root's.
#[cfg(target_os = "linux")]
fn own_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Pure: whether the user `uid` may add a key of `bytes` to the fast tier and
/// still use at most half of their key quota, as `/proc/key-users` shows it
/// (`uid: usage nkeys/nikeys qnkeys/maxkeys qnbytes/maxbytes`). The kernel's
/// default quota for a user is 200 keys and 20,000 bytes, about 15 cached
/// credentials: the other half stays free for programs that need the user
/// keyring (Kerberos `KEYRING:` caches, say). What cannot be read does not
/// stop the write; the kernel enforces the quota itself.
pub fn has_room(key_users: &str, uid: Option<u32>, bytes: usize) -> bool {
    let Some(uid) = uid else { return true };
    let Some(line) = key_users.lines().find(|line| {
        line.split_once(':')
            .and_then(|(id, _)| id.trim().parse::<u32>().ok())
            == Some(uid)
    }) else {
        return true;
    };
    let pair = |field: Option<&str>| -> Option<(u64, u64)> {
        let (used, max) = field?.split_once('/')?;
        Some((used.parse().ok()?, max.parse().ok()?))
    };
    let mut fields = line.split_whitespace().skip(3);
    let (Some((keys, max_keys)), Some((used, max_bytes))) =
        (pair(fields.next()), pair(fields.next()))
    else {
        return true;
    };
    keys < max_keys / 2 && used + bytes as u64 <= max_bytes / 2
}

/// A short, stable name for a configuration directory (FNV-1a, 64 bits):
/// the fast tier's keys are `ssokey:NAMESPACE:KEY`.
pub fn namespace(path: &std::path::Path) -> String {
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

    const KEY_USERS: &str =
        "    0:    10 9/9 5/1000000 212/25000000\n 1000:     5 5/5 3/200 9000/20000\n";

    #[test]
    fn the_fast_tier_keeps_within_half_the_key_quota() {
        // 9,000 of 20,000 bytes used: 1,000 more fit in half, 1,001 do not.
        assert!(has_room(KEY_USERS, Some(1000), 1000));
        assert!(!has_room(KEY_USERS, Some(1000), 1001));
        assert!(has_room(KEY_USERS, Some(0), 1_000_000));
        // 100 of 200 keys used: no more.
        let keys = " 1000:   100 100/100 100/200 100/20000\n";
        assert!(!has_room(keys, Some(1000), 10));
        // A user without keys yet, or what cannot be read, does not stop it.
        assert!(has_room(KEY_USERS, Some(1001), 1000));
        assert!(has_room("", Some(1000), 1000));
        assert!(has_room(KEY_USERS, None, 1_000_000));
        assert!(has_room(" 1000: garbage\n", Some(1000), 1_000_000));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_kernels_key_users_table_reads_as_expected() {
        let dir = tempfile::tempdir().unwrap();
        let Some(tier) = FastTier::open(dir.path()) else {
            return; // keyctl is forbidden here; the keychain serves alone.
        };
        tier.set("k", "value", Duration::from_mins(1));
        let table = std::fs::read_to_string("/proc/key-users").unwrap();
        let uid = own_uid();
        // Our line is there, and a value larger than any quota never fits.
        assert!(
            table
                .lines()
                .any(|line| line.trim_start().starts_with(&format!("{uid}:"))),
            "{table}"
        );
        assert!(!has_room(&table, Some(uid), usize::MAX / 2));
        tier.delete("k");
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
