//! The kernel keychain: on Linux without a Secret Service, the user's
//! persistent keyring of the kernel's key-retention service (persistent-keyring(7)).
//!
//! Its keys live in kernel memory only, never on disk. The persistent keyring
//! outlives the login session, so that one sign-in serves every SSH session
//! of the user; the kernel drops it at reboot, and when it has gone unused for
//! `/proc/sys/kernel/keys/persistent_keyring_expiry` seconds (three days by
//! default; every run of ssokey that opens it starts that time again). Any
//! process of the same user can read it, the same boundary as an unlocked
//! Secret Service.
//!
//! ssokey links the persistent keyring into its own process keyring, which
//! ends with the process: the link makes every key under it possessed, so that
//! the default key permissions (all for the possessor) serve, whatever session
//! keyring the process inherited (`su`, `setpriv`, `sudo -u`), and it leaves no
//! trace in the user's session or user keyring.
//!
//! Every key counts against the user's key quota (`/proc/key-users`): 200 keys
//! and 20,000 bytes by default for a user other than root, shared with the fast
//! tier and other programs (Kerberos `KEYRING:` caches). [`Usage`] reads it, so
//! that cached role credentials give way before anything else does.

use std::fmt::Write as _;

/// A user's key quota and what is used of it, from one line of
/// `/proc/key-users` (`uid: usage nkeys/nikeys qnkeys/maxkeys qnbytes/maxbytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub uid: u32,
    pub keys: u64,
    pub max_keys: u64,
    pub bytes: u64,
    pub max_bytes: u64,
}

impl Usage {
    /// Pure: the line of `uid` in a `/proc/key-users` table, if it is there
    /// and well formed. A user who has no key yet has no line.
    pub fn parse(table: &str, uid: u32) -> Option<Self> {
        let line = table.lines().find(|line| {
            line.split_once(':')
                .and_then(|(id, _)| id.trim().parse::<u32>().ok())
                == Some(uid)
        })?;
        let pair = |field: Option<&str>| -> Option<(u64, u64)> {
            let (used, max) = field?.split_once('/')?;
            Some((used.parse().ok()?, max.parse().ok()?))
        };
        let mut fields = line.split_whitespace().skip(3);
        let (keys, max_keys) = pair(fields.next())?;
        let (bytes, max_bytes) = pair(fields.next())?;
        Some(Self {
            uid,
            keys,
            max_keys,
            bytes,
            max_bytes,
        })
    }

    /// This process's user's usage now, when the kernel shows it.
    pub fn current() -> Option<Self> {
        let table = std::fs::read_to_string("/proc/key-users").ok()?;
        Self::parse(&table, own_uid()?)
    }

    /// Pure: whether `keys` more keys of `bytes` more bytes keep the usage
    /// within `numerator / denominator` of the quota.
    pub fn fits_within(&self, keys: u64, bytes: u64, numerator: u64, denominator: u64) -> bool {
        (self.keys + keys) * denominator <= self.max_keys * numerator
            && (self.bytes + bytes) * denominator <= self.max_bytes * numerator
    }

    /// "12 of 200 keys and 3,400 of 20,000 bytes in use".
    pub fn describe(&self) -> String {
        format!(
            "{} of {} keys and {} of {} bytes in use",
            self.keys,
            self.max_keys,
            thousands(self.bytes),
            thousands(self.max_bytes)
        )
    }

    /// The sysctl that raises this quota, with values that leave room: root
    /// has its own pair.
    pub fn raise_command(&self) -> String {
        let (keys, bytes) = if self.uid == 0 {
            ("kernel.keys.root_maxkeys", "kernel.keys.root_maxbytes")
        } else {
            ("kernel.keys.maxkeys", "kernel.keys.maxbytes")
        };
        format!(
            "sysctl -w {keys}={} {bytes}={}",
            (self.max_keys * 2).max(1000),
            (self.max_bytes * 4).max(100_000)
        )
    }
}

/// "20,000".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// How long the persistent keyring lasts unused, from
/// `/proc/sys/kernel/keys/persistent_keyring_expiry`.
pub fn expiry_secs() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/kernel/keys/persistent_keyring_expiry")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Pure: what the kernel store means for a sign-in, for `status` and `doctor`.
pub fn lifetime_note(expiry_secs: Option<u64>) -> String {
    let mut note =
        "the kernel keyring keeps tokens in memory only, until the machine restarts".to_owned();
    match expiry_secs {
        Some(secs) => {
            let _ = write!(
                note,
                ", or until ssokey has gone unused for {} (kernel.keys.persistent_keyring_expiry = {secs} s)",
                humantime::format_duration(std::time::Duration::from_secs(secs))
            );
        }
        None => note.push_str(", or until the persistent keyring's expiry"),
    }
    note
}

/// This process's user id: the owner of /proc/self.
fn own_uid() -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata("/proc/self").ok().map(|m| m.uid())
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(target_os = "linux")]
pub use linux::KernelStore;

#[cfg(target_os = "linux")]
mod linux {
    use linux_keyutils::{KeyError, KeyRing, KeyRingIdentifier};

    use super::Usage;
    use crate::store::keychain::{KeychainError, MAX_PIECE_UNITS, RawStore};

    /// The user's persistent keyring, through ssokey's process keyring.
    pub struct KernelStore {
        keyring: KeyRing,
        /// `ssokey-store:NAMESPACE:`, before each key's name: keeps apart the
        /// entries of different ssokey configurations of one user.
        prefix: String,
    }

    impl KernelStore {
        /// Links the persistent keyring into this process's keyring (which
        /// starts its expiry time again), or says why the kernel refuses.
        pub fn open(namespace_of: &std::path::Path) -> Result<Self, KeychainError> {
            let keyring =
                KeyRing::get_persistent(KeyRingIdentifier::Process).map_err(open_refused)?;
            Ok(Self {
                keyring,
                prefix: format!(
                    "ssokey-store:{}:",
                    crate::store::fast_tier::namespace(namespace_of)
                ),
            })
        }

        fn description(&self, user: &str) -> String {
            format!("{}{user}", self.prefix)
        }
    }

    /// The error of a failed KEYCTL_GET_PERSISTENT.
    pub(super) fn open_refused(err: KeyError) -> KeychainError {
        if err == KeyError::QuotaExceeded {
            // The keyring itself takes a key of the quota, when it is made.
            KeychainError::QuotaFull {
                what: "open your persistent keyring (which needs a key of its own)".to_owned(),
                usage: Usage::current(),
            }
        } else {
            KeychainError::KernelUnavailable {
                cause: refusal(err),
            }
        }
    }

    /// What a failed KEYCTL_GET_PERSISTENT means.
    fn refusal(err: KeyError) -> String {
        match err {
            // A seccomp filter answers ENOSYS (tests/no-keyctl) or EPERM
            // (Docker's default profile).
            // ENOSYS is 38 on every Linux architecture that ssokey builds for.
            KeyError::Unknown(38) => {
                "the kernel refuses the keyctl system call (ENOSYS: a seccomp profile forbids it)"
                    .to_owned()
            }
            KeyError::PermissionDenied => {
                "the kernel refuses the keyctl system call (EPERM: a seccomp profile, such as Docker's default, forbids it)"
                    .to_owned()
            }
            KeyError::OperationNotSupported => {
                "this kernel has no persistent keyrings (CONFIG_PERSISTENT_KEYRINGS)".to_owned()
            }
            KeyError::AccessDenied => {
                "the kernel denies access to the user's persistent keyring".to_owned()
            }
            other => format!("the kernel refuses the user's persistent keyring ({other:?})"),
        }
    }

    /// Whether an error means that the key is not there (any more).
    fn gone(err: KeyError) -> bool {
        matches!(
            err,
            KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked
        )
    }

    fn failed(user: &str, err: KeyError) -> KeychainError {
        match err {
            KeyError::QuotaExceeded => KeychainError::QuotaFull {
                what: format!("store '{user}'"),
                usage: Usage::current(),
            },
            other => KeychainError::Failed {
                key: user.to_owned(),
                cause: format!("the kernel keyring failed ({other:?})"),
            },
        }
    }

    impl RawStore for KernelStore {
        fn get(&self, user: &str) -> Result<Option<String>, KeychainError> {
            let read = self
                .keyring
                .search(&self.description(user))
                .and_then(|key| key.read_to_vec());
            match read {
                Ok(bytes) => {
                    String::from_utf8(bytes)
                        .map(Some)
                        .map_err(|_| KeychainError::Corrupt {
                            key: user.to_owned(),
                            reason: "it is not UTF-8 text".to_owned(),
                        })
                }
                Err(err) if gone(err) => Ok(None),
                Err(err) => Err(failed(user, err)),
            }
        }

        fn set(&self, user: &str, value: &str) -> Result<(), KeychainError> {
            // The limit of every store holds here too: one piece format.
            if value.encode_utf16().count() > MAX_PIECE_UNITS {
                return Err(KeychainError::Failed {
                    key: user.to_owned(),
                    cause: format!("a piece is longer than {MAX_PIECE_UNITS} UTF-16 code units"),
                });
            }
            // A key of the same description is updated in place, in one call.
            self.keyring
                .add_key(&self.description(user), value)
                .map(|_| ())
                .map_err(|err| failed(user, err))
        }

        fn delete(&self, user: &str) -> Result<bool, KeychainError> {
            match self
                .keyring
                .search(&self.description(user))
                .and_then(|key| key.invalidate())
            {
                Ok(()) => Ok(true),
                Err(err) if gone(err) => Ok(false),
                Err(err) => Err(failed(user, err)),
            }
        }

        fn users(&self) -> Result<Vec<String>, KeychainError> {
            let links = self
                .keyring
                .get_links(100_000)
                .map_err(|err| failed("the persistent keyring", err))?;
            Ok(links
                .iter()
                .filter_map(linux_keyutils::LinkNode::as_key)
                .filter_map(|key| key.metadata().ok())
                .filter_map(|meta| {
                    meta.get_description()
                        .strip_prefix(&self.prefix)
                        .map(str::to_owned)
                })
                .collect())
        }

        fn quota(&self) -> Option<Usage> {
            Usage::current()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A quota too full for the persistent keyring itself: the error says
    /// that the keyring could not be opened, not that a key named "the
    /// persistent keyring" could not be stored.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_quota_at_open_names_the_keyring() {
        let message = linux::open_refused(linux_keyutils::KeyError::QuotaExceeded).to_string();
        assert!(
            message.contains("ssokey could not open your persistent keyring"),
            "{message}"
        );
        assert!(!message.contains("could not store"), "{message}");
    }

    const TABLE: &str =
        "    0:    10 9/9 5/1000000 212/25000000\n65534:     5 5/5 3/200 9000/20000\n";

    #[test]
    fn usage_reads_the_users_line() {
        assert_eq!(
            Usage::parse(TABLE, 65534),
            Some(Usage {
                uid: 65534,
                keys: 3,
                max_keys: 200,
                bytes: 9000,
                max_bytes: 20000
            })
        );
        assert_eq!(Usage::parse(TABLE, 1000), None);
        assert_eq!(Usage::parse(" 1000: garbage\n", 1000), None);
        assert_eq!(Usage::parse("", 0), None);
    }

    #[test]
    fn fits_within_a_fraction_of_the_quota() {
        let usage = Usage::parse(TABLE, 65534).unwrap();
        // Half of 20,000 bytes is 10,000: 1,000 more fit, 1,001 do not.
        assert!(usage.fits_within(1, 1000, 1, 2));
        assert!(!usage.fits_within(1, 1001, 1, 2));
        assert!(usage.fits_within(97, 0, 1, 2));
        assert!(!usage.fits_within(98, 0, 1, 2));
        assert!(usage.fits_within(197, 11_000, 1, 1));
        assert!(!usage.fits_within(198, 0, 1, 1));
    }

    #[test]
    fn the_fix_names_the_sysctl_of_the_user() {
        let user = Usage::parse(TABLE, 65534).unwrap();
        assert_eq!(
            user.describe(),
            "3 of 200 keys and 9,000 of 20,000 bytes in use"
        );
        assert_eq!(
            user.raise_command(),
            "sysctl -w kernel.keys.maxkeys=1000 kernel.keys.maxbytes=100000"
        );
        let root = Usage::parse(TABLE, 0).unwrap();
        assert_eq!(
            root.raise_command(),
            "sysctl -w kernel.keys.root_maxkeys=2000000 kernel.keys.root_maxbytes=100000000"
        );
    }

    #[test]
    fn the_note_says_reboot_and_expiry() {
        assert_eq!(
            lifetime_note(Some(259_200)),
            "the kernel keyring keeps tokens in memory only, until the machine restarts, \
             or until ssokey has gone unused for 3days (kernel.keys.persistent_keyring_expiry = 259200 s)"
        );
        assert!(lifetime_note(None).ends_with("the persistent keyring's expiry"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn values_round_trip_in_the_persistent_keyring_when_keyctl_works() {
        use crate::store::keychain::{KeychainError, RawStore};
        let dir = tempfile::tempdir().unwrap();
        let store = match KernelStore::open(dir.path()) {
            Ok(store) => store,
            Err(KeychainError::KernelUnavailable { .. }) => return,
            Err(other) => panic!("{other}"),
        };
        assert_eq!(store.get("k").unwrap(), None);
        store.set("k", "value").unwrap();
        store.set("k#1", "piece").unwrap();
        assert_eq!(store.get("k").unwrap().as_deref(), Some("value"));
        store.set("k", "other").unwrap();
        assert_eq!(store.get("k").unwrap().as_deref(), Some("other"));
        let mut users = store.users().unwrap();
        users.sort();
        assert_eq!(users, ["k", "k#1"]);
        assert!(store.delete("k").unwrap());
        assert!(store.delete("k#1").unwrap());
        assert!(!store.delete("k").unwrap());
        assert_eq!(store.get("k").unwrap(), None);
        // Another configuration sees none of it.
        let other = tempfile::tempdir().unwrap();
        let other = KernelStore::open(other.path()).unwrap();
        store.set("mine", "x").unwrap();
        assert_eq!(other.get("mine").unwrap(), None);
        assert!(other.users().unwrap().is_empty());
        store.delete("mine").unwrap();
    }
}
