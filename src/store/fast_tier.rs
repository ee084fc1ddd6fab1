//! The fast tier in front of the keychain for cached role credentials: on
//! Linux, the kernel's key-retention service (the user keyring). A key lives in
//! kernel memory only, never on disk, is gone after a reboot, and carries a
//! timeout at the credentials' refresh time, so the kernel drops it by itself.
//! Any process of the same user can read it, which is the same boundary as an
//! unlocked Secret Service. Where keyutils cannot be used (a seccomp profile
//! that forbids keyctl, say), there is no fast tier and the keychain serves
//! alone. On macOS and Windows the native store is the only tier.
//!
//! Every entry is bound to the sign-in that it was stored under: a session's
//! [`Mark`], a small key without a secret that a new sign-in and logout delete
//! (see [`FastTier::delete_where`]). An entry carries its mark's serial number
//! and is served only while that mark lives, so that no entry outlives its
//! sign-in, whatever the keychain did meanwhile.

use std::time::Duration;

#[cfg(target_os = "linux")]
use super::keys;
use super::raw::Usage;

/// The longest that a session's mark lives without an entry stored under it:
/// as long as the longest role credentials that IAM Identity Center hands
/// out. Every entry stored under the mark extends it to at least the entry's
/// own lifetime.
#[cfg(target_os = "linux")]
const MARK_LIFETIME: Duration = Duration::from_hours(12);

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

/// One sign-in to a session, as the fast tier knows it: the serial number of
/// the session's mark key when it was taken.
#[cfg(target_os = "linux")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark(i32);

/// Without a fast tier there is no mark either.
#[cfg(not(target_os = "linux"))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {}

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

    /// The current sign-in to `session`: its mark, made now if there is none
    /// (the first run after a sign-in or a reboot). Take it before reading
    /// what the entry will hold (the token, the keychain's entry): a logout
    /// that deletes those afterwards deletes this mark too. `None` when the
    /// mark cannot be made; then nothing is stored for the session.
    pub fn mark(&self, session: &str) -> Option<Mark> {
        let description = self.description(&keys::sign_in_mark(session));
        if let Ok(found) = self.keyring.search(&description) {
            return Some(Mark(found.get_id().as_raw_id()));
        }
        if !room_for(&description, MARK_VALUE.len()) {
            return None;
        }
        // Two runs that make it at once get the same key: adding a "user" key
        // that exists updates it in place.
        let added = self.keyring.add_key(&description, MARK_VALUE).ok()?;
        if added.set_timeout(seconds(MARK_LIFETIME)).is_err() {
            let _ = added.invalidate();
            return None;
        }
        Some(Mark(added.get_id().as_raw_id()))
    }

    /// Whether `mark` is still the sign-in to `session`: one kernel call.
    pub fn is_current(&self, session: &str, mark: Mark) -> bool {
        linux_keyutils::Key::from_id(linux_keyutils::KeySerialId::new(mark.0))
            .metadata()
            .is_ok_and(|m| m.get_description() == self.description(&keys::sign_in_mark(session)))
    }

    /// The value under `key`, if the kernel still holds it and the sign-in to
    /// `session` that it was stored under lasts: three kernel calls (find,
    /// read, and look at the mark). An entry of an ended sign-in is deleted.
    pub fn get(&self, session: &str, key: &str) -> Option<String> {
        let found = self.keyring.search(&self.description(key)).ok()?;
        let text = String::from_utf8(found.read_to_vec().ok()?).ok();
        let value = text.as_deref().and_then(|text| {
            let (mark, value) = text.split_once('\n')?;
            let mark = Mark(mark.parse().ok()?);
            self.is_current(session, mark).then(|| value.to_owned())
        });
        if value.is_none() {
            tracing::debug!(key, "the fast tier's entry belongs to an ended sign-in");
            let _ = found.invalidate();
        }
        value
    }

    /// Stores `value` under `key` for `lifetime`, bound to the sign-in `mark`
    /// of `session`; best effort, as a cache is.
    pub fn set(&self, session: &str, key: &str, value: &str, lifetime: Duration, mark: Mark) {
        let seconds = seconds(lifetime);
        if seconds == 0 {
            self.delete(key);
            return;
        }
        let description = self.description(key);
        let value = format!("{}\n{value}", mark.0);
        if !room_for(&description, value.len()) {
            tracing::debug!(
                key,
                "the fast tier keeps within half the user's key quota; the keychain serves this one"
            );
            self.delete(key);
            return;
        }
        let mark_key = linux_keyutils::Key::from_id(linux_keyutils::KeySerialId::new(mark.0));
        if mark_key
            .set_timeout(self::seconds(lifetime.max(MARK_LIFETIME)))
            .is_err()
        {
            return;
        }
        let Ok(added) = self.keyring.add_key(&description, &value) else {
            return;
        };
        // A key that cannot expire by itself is not kept, nor one whose
        // sign-in ended while it was stored (a logout that looked for the
        // session's keys before it was there).
        if added.set_timeout(seconds).is_err() || !self.is_current(session, mark) {
            let _ = added.invalidate();
        }
    }

    pub fn delete(&self, key: &str) {
        if let Ok(found) = self.keyring.search(&self.description(key)) {
            let _ = found.invalidate();
        }
    }

    /// The keys of this namespace that the kernel holds, found in the user
    /// keyring itself: whatever the keychain knows of them.
    pub fn keys(&self) -> Vec<String> {
        self.entries().into_iter().map(|(key, _)| key).collect()
    }

    /// Deletes every key of this namespace that `wanted` accepts, found in the
    /// user keyring itself (marks first, so that nothing is served meanwhile);
    /// returns the keys deleted.
    pub fn delete_where(&self, wanted: impl Fn(&str) -> bool) -> Vec<String> {
        let (mut marks, mut entries): (Vec<_>, Vec<_>) = self
            .entries()
            .into_iter()
            .filter(|(key, _)| wanted(key))
            .partition(|(key, _)| {
                keys::session_of(key).is_some_and(|s| keys::sign_in_mark(s) == *key)
            });
        marks.append(&mut entries);
        marks
            .into_iter()
            .filter(|(_, found)| found.invalidate().is_ok())
            .map(|(key, _)| key)
            .collect()
    }

    /// This namespace's keys in the user keyring, without the namespace.
    fn entries(&self) -> Vec<(String, linux_keyutils::Key)> {
        let prefix = self.description("");
        let Ok(links) = self.keyring.get_links(100_000) else {
            return Vec::new();
        };
        links
            .iter()
            .filter_map(linux_keyutils::LinkNode::as_key)
            .filter_map(|found| {
                let metadata = found.metadata().ok()?;
                let key = metadata.get_description().strip_prefix(&prefix)?.to_owned();
                Some((key, found))
            })
            .collect()
    }
}

/// Whether a key `description` with a value of `value_bytes` keeps within
/// half the user's key quota (see [`has_room`]).
#[cfg(target_os = "linux")]
fn room_for(description: &str, value_bytes: usize) -> bool {
    has_room(
        &std::fs::read_to_string("/proc/key-users").unwrap_or_default(),
        super::raw::own_uid(),
        description.len() + 1 + value_bytes,
    )
}

/// What a mark holds: no secret, only a word for whoever lists the keyring.
#[cfg(target_os = "linux")]
const MARK_VALUE: &str = "signed-in";

#[cfg(target_os = "linux")]
fn seconds(lifetime: Duration) -> usize {
    usize::try_from(lifetime.as_secs()).unwrap_or(usize::MAX)
}

#[cfg(not(target_os = "linux"))]
impl FastTier {
    pub fn open(_namespace_of: &std::path::Path) -> Option<Self> {
        None
    }

    pub fn mark(&self, _session: &str) -> Option<Mark> {
        match *self {}
    }

    pub fn is_current(&self, _session: &str, _mark: Mark) -> bool {
        match *self {}
    }

    pub fn get(&self, _session: &str, _key: &str) -> Option<String> {
        match *self {}
    }

    pub fn set(&self, _session: &str, _key: &str, _value: &str, _lifetime: Duration, _mark: Mark) {
        match *self {}
    }

    pub fn delete(&self, _key: &str) {
        match *self {}
    }

    pub fn keys(&self) -> Vec<String> {
        match *self {}
    }

    pub fn delete_where(&self, _wanted: impl Fn(&str) -> bool) -> Vec<String> {
        match *self {}
    }
}

/// Pure: whether the user `uid` may add a key of `bytes` to the fast tier and
/// still use at most half of their key quota, as `/proc/key-users` shows it
/// (`uid: usage nkeys/nikeys qnkeys/maxkeys qnbytes/maxbytes`). The kernel's
/// default quota for a user is 200 keys and 20,000 bytes, about 15 cached
/// credentials: the other half stays free for programs that need the user
/// keyring (Kerberos `KEYRING:` caches, say). What cannot be read does not
/// stop the write; the kernel enforces the quota itself.
pub fn has_room(key_users: &str, uid: Option<u32>, bytes: usize) -> bool {
    uid.and_then(|uid| Usage::parse(key_users, uid))
        .is_none_or(|usage| usage.fits_within(1, bytes as u64, 1, 2))
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

    /// A fast tier of its own (a fresh namespace), where keyutils works.
    #[cfg(target_os = "linux")]
    fn tier() -> Option<(tempfile::TempDir, FastTier)> {
        let dir = tempfile::tempdir().unwrap();
        let tier = FastTier::open(dir.path())?;
        Some((dir, tier))
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_kernels_key_users_table_reads_as_expected() {
        let Some((_dir, tier)) = tier() else {
            return; // keyctl is forbidden here; the keychain serves alone.
        };
        let mark = tier.mark("s").unwrap();
        tier.set("s", "k", "value", Duration::from_mins(1), mark);
        let table = std::fs::read_to_string("/proc/key-users").unwrap();
        let uid = super::super::raw::own_uid().unwrap();
        // Our line is there, and a value larger than any quota never fits.
        assert!(
            table
                .lines()
                .any(|line| line.trim_start().starts_with(&format!("{uid}:"))),
            "{table}"
        );
        assert!(!has_room(&table, Some(uid), usize::MAX / 2));
        tier.delete_where(|_| true);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn values_round_trip_and_are_deleted_when_keyutils_works() {
        let Some((_dir, tier)) = tier() else {
            return; // keyctl is forbidden here; the keychain serves alone.
        };
        let mark = tier.mark("s").unwrap();
        assert_eq!(tier.mark("s"), Some(mark), "one mark per sign-in");
        tier.set("s", "k", "value", Duration::from_mins(1), mark);
        assert_eq!(tier.get("s", "k").as_deref(), Some("value"));
        tier.set("s", "k", "other", Duration::from_mins(1), mark);
        assert_eq!(tier.get("s", "k").as_deref(), Some("other"));
        tier.delete("k");
        assert_eq!(tier.get("s", "k"), None);
        tier.set("s", "k", "gone at once", Duration::ZERO, mark);
        assert_eq!(tier.get("s", "k"), None);
        tier.delete_where(|_| true);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_entry_lasts_no_longer_than_its_sign_in() {
        let Some((_dir, tier)) = tier() else {
            return; // keyctl is forbidden here; the keychain serves alone.
        };
        let first = tier.mark("s").unwrap();
        let other = tier.mark("t").unwrap();
        tier.set(
            "s",
            "session/s/role/1/R",
            "first",
            Duration::from_mins(1),
            first,
        );
        tier.set(
            "t",
            "session/t/role/1/R",
            "other",
            Duration::from_mins(1),
            other,
        );
        // A mark of another session does not serve this one.
        assert_eq!(tier.get("t", "session/s/role/1/R"), None);
        tier.set(
            "s",
            "session/s/role/1/R",
            "first",
            Duration::from_mins(1),
            first,
        );
        // The sign-in ends: only its mark goes, and its entry is served no more.
        let deleted = tier.delete_where(|key| key == keys::sign_in_mark("s"));
        assert_eq!(deleted, [keys::sign_in_mark("s")]);
        assert!(!tier.is_current("s", first));
        assert_eq!(tier.get("s", "session/s/role/1/R"), None);
        // Nor is one stored under it afterwards, by a run that took the mark
        // before the sign-in ended.
        tier.set(
            "s",
            "session/s/role/1/R",
            "late",
            Duration::from_mins(1),
            first,
        );
        assert_eq!(tier.get("s", "session/s/role/1/R"), None);
        assert!(!tier.keys().contains(&"session/s/role/1/R".to_owned()));
        // The next sign-in has a mark of its own; the other session keeps its.
        let second = tier.mark("s").unwrap();
        assert_ne!(second, first);
        assert_eq!(
            tier.get("t", "session/t/role/1/R").as_deref(),
            Some("other")
        );
        // Deleting a session's keys finds them in the kernel: mark first.
        let deleted = tier.delete_where(|key| keys::session_of(key) == Some("t"));
        assert_eq!(
            deleted,
            [keys::sign_in_mark("t"), "session/t/role/1/R".to_owned()]
        );
        assert_eq!(tier.keys(), [keys::sign_in_mark("s")]);
        tier.delete_where(|_| true);
        assert!(tier.keys().is_empty());
    }
}
