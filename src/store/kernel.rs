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
                crate::clock::spell(std::time::Duration::from_secs(secs))
            );
        }
        None => note.push_str(", or until the persistent keyring's expiry"),
    }
    note
}

#[cfg(target_os = "linux")]
pub use linux::KernelStore;

#[cfg(target_os = "linux")]
mod linux {
    use linux_keyutils::{KeyError, KeyRing, KeyRingIdentifier};

    use crate::store::raw::{KeychainError, MAX_PIECE_UNITS, RawStore, Usage};

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

    #[test]
    fn the_note_says_reboot_and_expiry() {
        assert_eq!(
            lifetime_note(Some(259_200)),
            "the kernel keyring keeps tokens in memory only, until the machine restarts, \
             or until ssokey has gone unused for 3 days (kernel.keys.persistent_keyring_expiry = 259200 s)"
        );
        assert!(lifetime_note(None).ends_with("the persistent keyring's expiry"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn values_round_trip_in_the_persistent_keyring_when_keyctl_works() {
        use crate::store::raw::{KeychainError, RawStore};
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
