//! What every credential store is to the keychain: the primitive
//! operations ([`RawStore`]), the one error type of the keychain
//! ([`KeychainError`]), and the user's kernel key quota ([`Usage`]) that the
//! kernel store and the fast tier keep within.

use std::sync::Arc;

use crate::exit::{Exit, Reported};

/// The one service name that every ssokey entry is stored under.
pub const SERVICE: &str = "ssokey";

/// The longest piece, in UTF-16 code units (2,560 bytes on Windows).
pub const MAX_PIECE_UNITS: usize = 1280;

#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    #[error("no keychain can be reached: {cause}")]
    Unavailable { cause: String },
    /// The store's own words stay in `cause`, for `-v` (its `Debug`): they
    /// name library internals ("SS error: result not returned from SS API").
    #[error("the keychain is locked or refused access")]
    Locked { cause: String },
    #[error("the keychain entry '{key}' is corrupt: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("the keychain failed on entry '{key}': {cause}")]
    Failed { key: String, cause: String },
    /// The kernel keyring was asked for, and the kernel refuses it.
    #[error("the kernel keyring cannot be used: {cause}")]
    KernelUnavailable { cause: String },
    /// `auto` found neither store.
    #[error(
        "no keychain can be reached: no Secret Service answers ({secret_service}), and {kernel}"
    )]
    NoneAnswers {
        secret_service: String,
        kernel: String,
    },
    /// The kernel keyring holds all that the user's key quota allows.
    #[error("the kernel's key quota for your user is full{}: ssokey could not {what}", .usage.map(|u| format!(" ({})", u.describe())).unwrap_or_default())]
    QuotaFull {
        /// What ssokey could not do: "store 'KEY'", "open your persistent
        /// keyring".
        what: String,
        usage: Option<Usage>,
    },
    #[error("{origin} is '{value}', which is not a keychain that ssokey knows")]
    UnknownChoice { origin: String, value: String },
}

impl KeychainError {
    pub fn hint(&self) -> String {
        match self {
            Self::Unavailable { .. } => unavailable_hint().to_owned(),
            Self::Locked { .. } => {
                "unlock your keychain (the login keyring) and run the command again".to_owned()
            }
            Self::Corrupt { key, .. } => {
                let session = super::keys::session_of(key).unwrap_or("NAME");
                format!(
                    "run: ssokey logout --session {session} && ssokey login --session {session}"
                )
            }
            Self::Failed { .. } => "run the command again; if it keeps failing, check that your keychain works (e.g. with secret-tool or the Keychain Access app)".to_owned(),
            Self::KernelUnavailable { .. } => format!(
                "allow keyctl, or use a Secret Service: {ALLOW_KEYCTL}; or start a Secret Service \
                 and run ssokey with SSOKEY_KEYCHAIN=secret-service"
            ),
            Self::NoneAnswers { .. } => format!(
                "start a Secret Service (GNOME Keyring, KWallet or KeePassXC in a desktop session; \
                 without one: dbus-run-session -- bash, then inside it: \
                 gnome-keyring-daemon --unlock --components=secrets), \
                 or allow keyctl so that ssokey can use the kernel keyring: {ALLOW_KEYCTL}"
            ),
            Self::QuotaFull { usage, .. } => format!(
                "raise the kernel's key quota (as root): {}, and make it last in /etc/sysctl.d/; \
                 or free keys of your user (keyctl show @u); or keep tokens in a Secret Service \
                 (SSOKEY_KEYCHAIN=secret-service)",
                usage.map_or_else(
                    || "sysctl -w kernel.keys.maxkeys=1000 kernel.keys.maxbytes=100000".to_owned(),
                    |u| u.raise_command()
                )
            ),
            Self::UnknownChoice { origin, .. } => {
                format!("set {origin} to auto, secret-service or kernel")
            }
        }
    }
}

/// How a container lets keyctl through.
const ALLOW_KEYCTL: &str = "Docker's default seccomp profile refuses the keyctl, add_key and \
     request_key system calls; run the container with a profile that allows them \
     (docker run --security-opt seccomp=PROFILE.json)";

#[cfg(target_os = "linux")]
fn unavailable_hint() -> &'static str {
    "the Secret Service over the D-Bus session bus was asked for (SSOKEY_KEYCHAIN or ssokey_keychain); start one (GNOME Keyring, KWallet or KeePassXC) in your desktop session, or on a headless machine run: dbus-run-session -- bash, then inside it: gnome-keyring-daemon --unlock --components=secrets; or let ssokey use the kernel keyring: SSOKEY_KEYCHAIN=auto"
}

#[cfg(not(target_os = "linux"))]
fn unavailable_hint() -> &'static str {
    "ssokey keeps tokens only in the OS keychain; sign in to a desktop session where it is available"
}

/// A store shared by the keychains of one run (see [`super::choice::open`]).
impl<T: RawStore + ?Sized> RawStore for Arc<T> {
    fn get(&self, user: &str) -> Result<Option<String>, KeychainError> {
        (**self).get(user)
    }
    fn set(&self, user: &str, value: &str) -> Result<(), KeychainError> {
        (**self).set(user, value)
    }
    fn delete(&self, user: &str) -> Result<bool, KeychainError> {
        (**self).delete(user)
    }
    fn users(&self) -> Result<Vec<String>, KeychainError> {
        (**self).users()
    }
    fn quota(&self) -> Option<Usage> {
        (**self).quota()
    }
}

/// The primitive operations of a credential store, one item per `user` name.
pub trait RawStore {
    fn get(&self, user: &str) -> Result<Option<String>, KeychainError>;
    fn set(&self, user: &str, value: &str) -> Result<(), KeychainError>;
    /// Returns whether there was an item to delete.
    fn delete(&self, user: &str) -> Result<bool, KeychainError>;
    /// The `user` names of every item under [`SERVICE`].
    fn users(&self) -> Result<Vec<String>, KeychainError>;
    /// The kernel key quota that this store's items count against, for a
    /// store that has one.
    fn quota(&self) -> Option<Usage> {
        None
    }
}

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
        // In u128, so that no size, however large, overflows.
        let within = |used: u64, more: u64, max: u64| {
            (u128::from(used) + u128::from(more)) * u128::from(denominator)
                <= u128::from(max) * u128::from(numerator)
        };
        within(self.keys, keys, self.max_keys) && within(self.bytes, bytes, self.max_bytes)
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

/// This process's effective user id, whose key quota the kernel charges.
/// Not the owner of /proc/self: ssokey is not dumpable (see
/// [`crate::core_dumps`]), so its /proc files are root's.
pub fn own_uid() -> Option<u32> {
    #[cfg(unix)]
    {
        Some(rustix::process::geteuid().as_raw())
    }
    #[cfg(not(unix))]
    {
        None
    }
}

impl Reported for KeychainError {
    fn hint(&self) -> Option<String> {
        // A damaged sign-in is no sign-in: a new login replaces it.
        if let KeychainError::Corrupt { key, .. } = self
            && let Some(session) = super::keys::signed_in_by(key)
        {
            return Some(format!("run: ssokey login --session {session}"));
        }
        Some(KeychainError::hint(self))
    }
    fn exit(&self) -> Exit {
        match self {
            KeychainError::Corrupt { key, .. } if super::keys::signed_in_by(key).is_some() => {
                Exit::NotSignedIn
            }
            KeychainError::Unavailable { .. }
            | KeychainError::Locked { .. }
            | KeychainError::KernelUnavailable { .. }
            | KeychainError::NoneAnswers { .. }
            | KeychainError::QuotaFull { .. } => Exit::Keychain,
            KeychainError::UnknownChoice { .. } => Exit::Usage,
            KeychainError::Corrupt { .. } | KeychainError::Failed { .. } => Exit::Failure,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
