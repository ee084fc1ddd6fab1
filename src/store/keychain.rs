//! The OS keychain: entries under one service name, keyed by session, each value
//! split into pieces small enough for every platform's store.
//!
//! Windows Credential Manager rejects a blob over 2,560 bytes and stores text as
//! UTF-16, so no piece is longer than 1,280 UTF-16 code units, on every platform:
//! the split that Windows needs is the split that the Linux tests exercise.
//!
//! A value is written as continuation pieces under a fresh generation id first,
//! then the head entry that names that generation, then the old generation's
//! pieces are deleted. The head is replaced in one store call, so a reader sees
//! the old value or the new one, never a mix, and a crash leaves at worst some
//! orphan pieces that the next write of the same key removes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::choice::{Choice, Kind};

/// The one service name that every ssokey entry is stored under.
pub const SERVICE: &str = "ssokey";

/// The longest piece, in UTF-16 code units (2,560 bytes on Windows).
pub const MAX_PIECE_UNITS: usize = 1280;

const HEAD_MAGIC: &str = "ssokey1";

#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    #[error("no keychain can be reached: {cause}")]
    Unavailable { cause: String },
    #[error("the keychain is locked or refused access: {cause}")]
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
        usage: Option<super::kernel::Usage>,
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
    fn quota(&self) -> Option<super::kernel::Usage> {
        None
    }
}

/// Cached role credentials go to a store with a key quota only while the
/// user's usage stays within this share of it (3/8): they give way first,
/// before the fast tier (which keeps within half) and long before a sign-in.
const CACHE_SHARE: (u64, u64) = (3, 8);

/// The keychain, as the rest of ssokey sees it: whole values by key, in the
/// store that its [`Choice`] names.
pub struct Keychain {
    store: std::cell::OnceCell<(Box<dyn RawStore>, Kind)>,
    choice: Option<Choice>,
}

impl Keychain {
    /// Opens the chosen store now, so that a missing keychain is reported
    /// before any other work.
    pub fn open(choice: &Choice) -> Result<Self, KeychainError> {
        let keychain = Self::lazy(choice.clone());
        keychain.store()?;
        Ok(keychain)
    }

    /// The chosen store, opened when first used: a path that may not need
    /// the keychain at all pays nothing for it.
    pub fn lazy(choice: Choice) -> Self {
        Self {
            store: std::cell::OnceCell::new(),
            choice: Some(choice),
        }
    }

    #[cfg(test)]
    pub fn with_store(store: Box<dyn RawStore>) -> Self {
        let cell = std::cell::OnceCell::new();
        let _ = cell.set((store, Kind::Native));
        Self {
            store: cell,
            choice: None,
        }
    }

    /// Which store answered, once one has.
    pub fn kind(&self) -> Option<Kind> {
        self.store.get().map(|(_, kind)| *kind)
    }

    fn store(&self) -> Result<&dyn RawStore, KeychainError> {
        if let Some((store, _)) = self.store.get() {
            return Ok(store.as_ref());
        }
        let choice = self
            .choice
            .as_ref()
            .expect("a keychain without a store has a choice");
        let opened = super::choice::open(choice)?;
        Ok(self.store.get_or_init(|| opened).0.as_ref())
    }

    pub fn read(&self, key: &str) -> Result<Option<String>, KeychainError> {
        tracing::trace!(key, "keychain read");
        // A concurrent writer may delete the pieces of the generation that we
        // just read the head of: read again, and give up only if that persists.
        for _ in 0..3 {
            let Some(head) = self.store()?.get(key)? else {
                return Ok(None);
            };
            let head = Head::parse(key, &head)?;
            let mut value = head.first.to_owned();
            let mut complete = true;
            for index in 1..head.count {
                let Some(piece) = self
                    .store()?
                    .get(&piece_name(key, head.generation, index))?
                else {
                    complete = false;
                    break;
                };
                value.push_str(&piece);
            }
            if complete {
                return Ok(Some(value));
            }
        }
        Err(KeychainError::Corrupt {
            key: key.to_owned(),
            reason: "a piece of the value is missing".to_owned(),
        })
    }

    pub fn write(&self, key: &str, value: &str) -> Result<(), KeychainError> {
        tracing::trace!(key, bytes = value.len(), "keychain write");
        let old = match self.store()?.get(key)? {
            Some(head) => Head::parse(key, &head)
                .ok()
                .map(|head| (head.generation, head.count)),
            None => None,
        };
        let generation = new_generation();
        let header_units = Head::header(generation, usize::MAX).len();
        let pieces = split(value, MAX_PIECE_UNITS - header_units, MAX_PIECE_UNITS);
        let mut written = Vec::new();
        for (index, piece) in pieces.iter().enumerate().skip(1) {
            let name = piece_name(key, generation, index);
            if let Err(err) = self.store()?.set(&name, piece) {
                self.delete_pieces(&written);
                return Err(err);
            }
            written.push(name);
        }
        let head = format!("{}{}", Head::header(generation, pieces.len()), pieces[0]);
        if let Err(err) = self.store()?.set(key, &head) {
            self.delete_pieces(&written);
            return Err(err);
        }
        if let Some((generation, count)) = old {
            let stale: Vec<String> = (1..count)
                .map(|index| piece_name(key, generation, index))
                .collect();
            self.delete_pieces(&stale);
        }
        Ok(())
    }

    /// Deletes the value and every piece of it, including the orphans that an
    /// interrupted write or a damaged head left; returns whether there was a value.
    pub fn delete(&self, key: &str) -> Result<bool, KeychainError> {
        Ok(!self.delete_where(|candidate| candidate == key)?.is_empty())
    }

    /// Deletes every value whose key `wanted` accepts, with its pieces, after
    /// one search of the store; returns the keys of the values deleted.
    pub fn delete_where(
        &self,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<Vec<String>, KeychainError> {
        let (pieces, keys): (Vec<String>, Vec<String>) = self
            .store()?
            .users()?
            .into_iter()
            .filter(|user| wanted(user.split_once('#').map_or(user.as_str(), |(key, _)| key)))
            .partition(|user| user.contains('#'));
        // Heads first: a reader then finds either the whole value or none.
        for key in &keys {
            tracing::trace!(key, "keychain delete");
            self.store()?.delete(key)?;
        }
        self.delete_pieces(&pieces);
        Ok(keys)
    }

    pub fn read_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, KeychainError> {
        let Some(text) = self.read(key)? else {
            return Ok(None);
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|err| KeychainError::Corrupt {
                key: key.to_owned(),
                // Only the kind and the position: serde_json's own message
                // quotes the offending value, which may be a secret.
                reason: format!(
                    "not the JSON that ssokey writes ({} error at line {} column {})",
                    match err.classify() {
                        serde_json::error::Category::Io => "an I/O",
                        serde_json::error::Category::Syntax => "a syntax",
                        serde_json::error::Category::Data => "a data",
                        serde_json::error::Category::Eof => "an end-of-input",
                    },
                    err.line(),
                    err.column()
                ),
            })
    }

    pub fn write_json<T: Serialize>(&self, key: &str, value: &T) -> Result<(), KeychainError> {
        let text = serde_json::to_string(value).map_err(|err| KeychainError::Failed {
            key: key.to_owned(),
            cause: err.to_string(),
        })?;
        self.write(key, &text)
    }

    /// Writes a cached value, which the next run can fetch again: a store
    /// with a key quota takes it only while [`CACHE_SHARE`] of the quota
    /// holds it, and otherwise drops the old value too.
    pub fn write_cache_json<T: Serialize>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), KeychainError> {
        if let Some(usage) = self.store()?.quota() {
            let text = serde_json::to_string(value).map_err(|err| KeychainError::Failed {
                key: key.to_owned(),
                cause: err.to_string(),
            })?;
            let pieces = text
                .encode_utf16()
                .count()
                .div_ceil(MAX_PIECE_UNITS - 32)
                .max(1);
            // Each key also holds its description, at most some 100 bytes.
            let bytes = text.len() + pieces * 100;
            let (pieces, bytes) = (
                u64::try_from(pieces).unwrap_or(u64::MAX),
                u64::try_from(bytes).unwrap_or(u64::MAX),
            );
            if !usage.fits_within(pieces, bytes, CACHE_SHARE.0, CACHE_SHARE.1) {
                tracing::debug!(
                    key,
                    usage = usage.describe(),
                    "the kernel key quota is short; this cache entry gives way"
                );
                self.delete(key)?;
                return Ok(());
            }
        }
        self.write_json(key, value)
    }

    fn delete_pieces(&self, names: &[String]) {
        let Ok(store) = self.store() else { return };
        for name in names {
            // Best effort: an orphan piece holds part of a value that no head
            // names, and the next write of the key removes what it can find.
            let _ = store.delete(name);
        }
    }
}

struct Head<'a> {
    generation: u64,
    count: usize,
    first: &'a str,
}

impl<'a> Head<'a> {
    fn header(generation: u64, count: usize) -> String {
        format!("{HEAD_MAGIC}:{generation:016x}:{count}:")
    }

    fn parse(key: &str, text: &'a str) -> Result<Self, KeychainError> {
        let corrupt = |reason: &str| KeychainError::Corrupt {
            key: key.to_owned(),
            reason: reason.to_owned(),
        };
        let mut parts = text.splitn(4, ':');
        match parts.next() {
            Some(HEAD_MAGIC) => {}
            // The format is versioned by the head's first field. Another
            // version's entry is not read: for a cached role credential that
            // is a miss (see `cache::lookup`), which fetches and overwrites
            // it; for a token or a client registration it is this error,
            // whose hint is to sign out and in again.
            Some(other) if is_other_format(other) => {
                return Err(KeychainError::Corrupt {
                    key: key.to_owned(),
                    reason: format!(
                        "it was written by another version of ssokey (format {other}; this one reads {HEAD_MAGIC})"
                    ),
                });
            }
            _ => return Err(corrupt("it was not written by ssokey")),
        }
        let generation = parts
            .next()
            .and_then(|g| u64::from_str_radix(g, 16).ok())
            .ok_or_else(|| corrupt("its header has no generation"))?;
        let count = parts
            .next()
            .and_then(|c| c.parse::<usize>().ok())
            .filter(|&c| (1..=1000).contains(&c))
            .ok_or_else(|| corrupt("its header has no piece count"))?;
        let first = parts
            .next()
            .ok_or_else(|| corrupt("its header is cut short"))?;
        Ok(Self {
            generation,
            count,
            first,
        })
    }
}

/// Whether a head's first field names a format of ssokey other than this one's.
fn is_other_format(magic: &str) -> bool {
    magic
        .strip_prefix("ssokey")
        .is_some_and(|version| !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit()))
}

fn piece_name(key: &str, generation: u64, index: usize) -> String {
    format!("{key}#{generation:016x}.{index}")
}

fn new_generation() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    // Unique across processes (pid) and within one (counter); not a secret.
    #[allow(clippy::cast_possible_truncation)]
    let mixed = (nanos as u64)
        ^ (u64::from(std::process::id()) << 40)
        ^ COUNTER.fetch_add(1, Ordering::Relaxed).rotate_left(20);
    mixed
}

/// Splits `value` into pieces of at most `first_units` UTF-16 code units for the
/// first piece and `rest_units` for each later one, never inside a character.
fn split(value: &str, first_units: usize, rest_units: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut units = 0;
    let mut limit = first_units;
    for (offset, ch) in value.char_indices() {
        if units + ch.len_utf16() > limit {
            pieces.push(&value[start..offset]);
            start = offset;
            units = 0;
            limit = rest_units;
        }
        units += ch.len_utf16();
    }
    pieces.push(&value[start..]);
    pieces
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use super::*;

    /// An in-memory store that enforces the Windows size limit, as the real one does.
    #[derive(Default)]
    struct MemoryStore {
        items: RefCell<BTreeMap<String, String>>,
        fail_sets_after: RefCell<Option<usize>>,
    }

    impl RawStore for std::rc::Rc<MemoryStore> {
        fn get(&self, user: &str) -> Result<Option<String>, KeychainError> {
            Ok(self.items.borrow().get(user).cloned())
        }
        fn set(&self, user: &str, value: &str) -> Result<(), KeychainError> {
            assert!(
                value.encode_utf16().count() <= MAX_PIECE_UNITS,
                "piece of {} units",
                value.encode_utf16().count()
            );
            if let Some(left) = self.fail_sets_after.borrow_mut().as_mut() {
                if *left == 0 {
                    return Err(KeychainError::Failed {
                        key: user.to_owned(),
                        cause: "injected".to_owned(),
                    });
                }
                *left -= 1;
            }
            self.items
                .borrow_mut()
                .insert(user.to_owned(), value.to_owned());
            Ok(())
        }
        fn delete(&self, user: &str) -> Result<bool, KeychainError> {
            Ok(self.items.borrow_mut().remove(user).is_some())
        }
        fn users(&self) -> Result<Vec<String>, KeychainError> {
            Ok(self.items.borrow().keys().cloned().collect())
        }
    }

    fn keychain() -> (Keychain, std::rc::Rc<MemoryStore>) {
        let store = std::rc::Rc::new(MemoryStore::default());
        (Keychain::with_store(Box::new(store.clone())), store)
    }

    #[test]
    fn small_values_take_one_item() {
        let (keychain, store) = keychain();
        keychain.write("session/a/token", "hello").unwrap();
        assert_eq!(store.items.borrow().len(), 1);
        assert_eq!(
            keychain.read("session/a/token").unwrap().as_deref(),
            Some("hello")
        );
    }

    #[test]
    fn large_values_are_split_and_joined() {
        let (keychain, store) = keychain();
        let value: String = (0..5000u32)
            .map(|i| char::from_digit(i % 36, 36).unwrap())
            .collect();
        keychain.write("k", &value).unwrap();
        // 1,234 characters fit beside the header, then 1,280 a piece.
        assert_eq!(store.items.borrow().len(), 4);
        assert_eq!(keychain.read("k").unwrap().unwrap(), value);
    }

    #[test]
    fn split_counts_utf16_units_and_never_cuts_a_character() {
        // 'é' is one UTF-16 unit and two UTF-8 bytes; '😀' is two units.
        let value = "é😀".repeat(1000);
        let pieces = split(&value, 100, MAX_PIECE_UNITS);
        assert!(
            pieces
                .iter()
                .all(|p| p.encode_utf16().count() <= MAX_PIECE_UNITS)
        );
        assert!(pieces[0].encode_utf16().count() <= 100);
        assert_eq!(pieces.concat(), value);
        let (keychain, _) = keychain();
        keychain.write("k", &value).unwrap();
        assert_eq!(keychain.read("k").unwrap().unwrap(), value);
    }

    #[test]
    fn split_of_empty_value_is_one_empty_piece() {
        assert_eq!(split("", 10, 10), vec![""]);
    }

    #[test]
    fn rewrite_removes_the_old_pieces() {
        let (keychain, store) = keychain();
        keychain.write("k", &"x".repeat(4000)).unwrap();
        keychain.write("k", &"y".repeat(3000)).unwrap();
        assert_eq!(store.items.borrow().len(), 3);
        assert_eq!(keychain.read("k").unwrap().unwrap(), "y".repeat(3000));
        keychain.write("k", "z").unwrap();
        assert_eq!(store.items.borrow().len(), 1);
    }

    #[test]
    fn a_failed_write_keeps_the_old_value() {
        let (keychain, store) = keychain();
        keychain.write("k", &"x".repeat(3000)).unwrap();
        let before = store.items.borrow().clone();
        *store.fail_sets_after.borrow_mut() = Some(1);
        assert!(keychain.write("k", &"y".repeat(5000)).is_err());
        assert_eq!(*store.items.borrow(), before);
        assert_eq!(keychain.read("k").unwrap().unwrap(), "x".repeat(3000));
    }

    #[test]
    fn delete_removes_every_piece() {
        let (keychain, store) = keychain();
        keychain.write("k", &"x".repeat(4000)).unwrap();
        keychain.write("other", "keep").unwrap();
        assert!(keychain.delete("k").unwrap());
        assert!(!keychain.delete("k").unwrap());
        assert_eq!(store.items.borrow().keys().collect::<Vec<_>>(), ["other"]);
    }

    #[test]
    fn delete_removes_the_pieces_of_a_damaged_head_too() {
        let (keychain, store) = keychain();
        keychain.write("k", &"x".repeat(4000)).unwrap();
        store.set("k", "damaged").unwrap();
        assert!(keychain.delete("k").unwrap());
        assert!(
            store.items.borrow().is_empty(),
            "{:?}",
            store.items.borrow().keys()
        );
    }

    #[test]
    fn foreign_or_damaged_entries_are_reported_as_corrupt() {
        let (keychain, store) = keychain();
        store.set("k", "not ours").unwrap();
        assert!(matches!(
            keychain.read("k"),
            Err(KeychainError::Corrupt { .. })
        ));
        keychain.write("k", &"x".repeat(3000)).unwrap();
        let piece = store
            .items
            .borrow()
            .keys()
            .find(|name| name.contains('#'))
            .cloned()
            .unwrap();
        store.delete(&piece).unwrap();
        assert!(matches!(
            keychain.read("k"),
            Err(KeychainError::Corrupt { .. })
        ));
        store.set("v", "ssokey2:00000000000000ab:1:{}").unwrap();
        let err = keychain.read("v").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the keychain entry 'v' is corrupt: it was written by another version of ssokey \
             (format ssokey2; this one reads ssokey1)"
        );
        store.set("j", "ssokey1:zz:1:").unwrap();
        assert!(matches!(
            keychain.read("j"),
            Err(KeychainError::Corrupt { .. })
        ));
    }

    #[test]
    fn json_that_is_not_ours_is_corrupt_and_the_error_holds_no_value() {
        /// Only deserialized: the shape is what the test is about.
        #[derive(Debug, serde::Deserialize)]
        struct Shaped {
            #[serde(rename = "expires_at")]
            _expires_at: u64,
        }
        let (keychain, _) = keychain();
        keychain.write("k", "{\"secret\": \"s3cr3t\"").unwrap();
        let err = keychain.read_json::<serde_json::Value>("k").unwrap_err();
        assert!(matches!(err, KeychainError::Corrupt { .. }));
        assert!(!format!("{err} {err:?}").contains("s3cr3t"));
        // Well-formed JSON of the wrong shape: serde's own message would
        // quote the value ("invalid type: string \"s3cr3t\", ...").
        keychain.write("k", "{\"expires_at\": \"s3cr3t\"}").unwrap();
        let err = keychain.read_json::<Shaped>("k").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("s3cr3t"), "{err}");
        assert!(format!("{err}").contains("line 1"), "{err}");
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        const CASES: u32 = 2000;

        /// What another program may leave under a key: anything, or a head
        /// that is nearly ours.
        fn entry() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                "ssokey[0-9]{0,2}:[0-9a-fz]{0,17}:[0-9]{0,5}:.{0,20}",
                "ssokey1:00000000000000ab:[0-9]{1,4}:\\{.{0,20}",
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(CASES))]

            /// Any value, however long and whatever its characters, is
            /// stored in pieces the Windows limit allows (the store asserts
            /// it) and reads back as itself.
            #[test]
            fn values_round_trip(value in prop_oneof![
                any::<String>(),
                proptest::collection::vec(any::<char>(), 1000..4000).prop_map(String::from_iter),
            ]) {
                let (keychain, _) = keychain();
                keychain.write("k", &value).unwrap();
                prop_assert_eq!(keychain.read("k").unwrap(), Some(value.clone()));
                keychain.write("k", "short").unwrap();
                prop_assert_eq!(keychain.read("k").unwrap(), Some("short".to_owned()));
            }

            /// Whatever stands under a key and beside it: a value, or a
            /// corrupt entry, never a panic; a write replaces it, and a
            /// delete leaves nothing of it.
            #[test]
            fn foreign_entries_read_or_fail_cleanly(
                head in entry(),
                pieces in proptest::collection::vec((0usize..4, any::<String>()), 0..3),
            ) {
                let (keychain, store) = keychain();
                store.items.borrow_mut().insert("k".to_owned(), head.clone());
                for (index, piece) in &pieces {
                    store.items.borrow_mut().insert(format!("k#00000000000000ab.{index}"), piece.clone());
                }
                match keychain.read("k") {
                    Ok(Some(value)) => {
                        prop_assert!(head.starts_with("ssokey1:"));
                        let first = head.splitn(4, ':').nth(3).unwrap();
                        prop_assert!(value.starts_with(first));
                    }
                    Ok(None) => prop_assert!(false, "the head is there"),
                    Err(KeychainError::Corrupt { .. }) => {}
                    Err(other) => prop_assert!(false, "{other}"),
                }
                // A role-credential cache entry like it is a miss.
                let found = crate::store::role_cache::RoleCache::new(&keychain, None).lookup("s", "k", 0, std::time::Duration::ZERO);
                prop_assert!(matches!(found, Ok(None)), "{:?}", found.map(|c| c.is_some()));
                keychain.write("k", "new").unwrap();
                prop_assert_eq!(keychain.read("k").unwrap(), Some("new".to_owned()));
                prop_assert!(keychain.delete("k").unwrap());
                prop_assert!(store.items.borrow().is_empty(), "{:?}", store.items.borrow().keys().collect::<Vec<_>>());
            }
        }
    }
}
