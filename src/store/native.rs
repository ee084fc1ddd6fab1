//! The OS's own credential store behind the keychain: the Secret Service on
//! Linux, the macOS Keychain, Windows Credential Manager, through the keyring
//! ecosystem's store crates; its errors mapped to [`KeychainError`].

use std::sync::Arc;

use super::raw::{KeychainError, MAX_PIECE_UNITS, RawStore, SERVICE};

/// The native store of this OS, through keyring-core.
pub struct NativeStore {
    store: Arc<keyring_core::CredentialStore>,
}

impl NativeStore {
    pub fn open() -> Result<Self, KeychainError> {
        let store = native_store().map_err(|err| KeychainError::Unavailable {
            cause: describe(&err),
        })?;
        Ok(Self { store })
    }

    fn entry(&self, user: &str) -> Result<keyring_core::Entry, KeychainError> {
        keyring_core::Entry::new_in_store(&self.store, SERVICE, user)
            .map_err(|err| map_error(user, err))
    }
}

#[cfg(target_os = "linux")]
fn native_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    let store: Arc<keyring_core::CredentialStore> =
        zbus_secret_service_keyring_store::Store::new()?;
    Ok(store)
}

#[cfg(target_os = "macos")]
fn native_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    let store: Arc<keyring_core::CredentialStore> =
        apple_native_keyring_store::keychain::Store::new()?;
    Ok(store)
}

#[cfg(target_os = "windows")]
fn native_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    let store: Arc<keyring_core::CredentialStore> = windows_native_keyring_store::Store::new()?;
    Ok(store)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn native_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    Err(keyring_core::Error::NotSupportedByStore(
        "ssokey supports the keychains of Linux, macOS and Windows".to_owned(),
    ))
}

impl RawStore for NativeStore {
    fn get(&self, user: &str) -> Result<Option<String>, KeychainError> {
        let entry = self.entry(user)?;
        match retrying(user, || entry.get_password()) {
            Ok(value) => Ok(Some(value)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(err) => Err(map_error(user, err)),
        }
    }

    fn set(&self, user: &str, value: &str) -> Result<(), KeychainError> {
        // The Windows limit holds everywhere, so that the Linux tests prove the split.
        if value.encode_utf16().count() > MAX_PIECE_UNITS {
            return Err(KeychainError::Failed {
                key: user.to_owned(),
                cause: format!("a piece is longer than {MAX_PIECE_UNITS} UTF-16 code units"),
            });
        }
        let entry = self.entry(user)?;
        retrying(user, || entry.set_password(value)).map_err(|err| map_error(user, err))
    }

    fn delete(&self, user: &str) -> Result<bool, KeychainError> {
        let entry = self.entry(user)?;
        match retrying(user, || entry.delete_credential()) {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(err) => Err(map_error(user, err)),
        }
    }

    fn users(&self) -> Result<Vec<String>, KeychainError> {
        let spec = search_spec();
        let spec: std::collections::HashMap<&str, &str> = spec.iter().copied().collect();
        let entries = self
            .store
            .search(&spec)
            .map_err(|err| map_error(SERVICE, err))?;
        Ok(entries
            .iter()
            .filter_map(keyring_core::Entry::get_specifiers)
            .filter(|(service, _)| service == SERVICE)
            .map(|(_, user)| user)
            .collect())
    }
}

/// How many times a store operation is tried when the platform fails it.
const ATTEMPTS: usize = 3;

/// Runs `operation` again when the platform fails it. The Secret Service finds
/// an item first and then acts on the item's path; another process may delete
/// the item in between, and the call then fails on a path that no longer
/// exists. A new try searches again and sees the item gone: a delete then finds
/// nothing to delete, a read finds no value and a write creates the item.
fn retrying<T>(
    user: &str,
    operation: impl Fn() -> keyring_core::Result<T>,
) -> keyring_core::Result<T> {
    let mut attempt = 1;
    loop {
        match operation() {
            Err(keyring_core::Error::PlatformFailure(cause))
                if attempt < ATTEMPTS && !looks_unreachable(&cause.to_string()) =>
            {
                tracing::debug!(user, attempt, %cause, "keychain operation failed; trying again");
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// What finds every ssokey item: the stores take different search keys.
#[cfg(not(target_os = "windows"))]
fn search_spec() -> [(&'static str, &'static str); 1] {
    [("service", SERVICE)]
}

/// Windows names a credential `{user}.{service}`.
#[cfg(target_os = "windows")]
fn search_spec() -> [(&'static str, &'static str); 1] {
    [("pattern", r"\.ssokey$")]
}

/// Maps a keyring error without ever carrying the raw bytes some variants hold.
fn map_error(user: &str, err: keyring_core::Error) -> KeychainError {
    use keyring_core::Error as E;
    let key = user.to_owned();
    match err {
        E::NoStorageAccess(cause) => {
            // The store's own words, for -v: the error says it in plain ones.
            tracing::info!(%cause, "the keychain refused access");
            KeychainError::Locked {
                cause: cause.to_string(),
            }
        }
        E::BadEncoding(_) => KeychainError::Corrupt {
            key,
            reason: "it is not UTF-8 text".to_owned(),
        },
        E::BadDataFormat(_, _) => KeychainError::Corrupt {
            key,
            reason: "the store could not decode it".to_owned(),
        },
        E::Ambiguous(entries) => KeychainError::Corrupt {
            key,
            reason: format!("{} keychain items match it", entries.len()),
        },
        E::PlatformFailure(cause) => {
            let cause = cause.to_string();
            if looks_unreachable(&cause) {
                KeychainError::Unavailable { cause }
            } else {
                KeychainError::Failed { key, cause }
            }
        }
        other => KeychainError::Failed {
            key,
            cause: describe(&other),
        },
    }
}

fn describe(err: &keyring_core::Error) -> String {
    match err {
        keyring_core::Error::PlatformFailure(cause)
        | keyring_core::Error::NoStorageAccess(cause) => cause.to_string(),
        keyring_core::Error::BadEncoding(_) | keyring_core::Error::BadDataFormat(_, _) => {
            "undecodable data".to_owned()
        }
        other => other.to_string(),
    }
}

/// Whether a platform failure means that no store answers at all.
fn looks_unreachable(cause: &str) -> bool {
    let cause = cause.to_ascii_lowercase();
    [
        "serviceunknown",
        "not provided by any .service",
        "no such file",
        "connection refused",
        "address",
        // The bus went away while ssokey was connected to it.
        "broken pipe",
        "connection reset",
    ]
    .iter()
    .any(|needle| cause.contains(needle))
}
