//! Which store keeps a session's tokens: `SSOKEY_KEYCHAIN`, else the
//! session's `ssokey_keychain`, else `auto`: the Secret Service when one
//! answers, else (on Linux) the kernel keyring.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use super::raw::{KeychainError, RawStore};

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preference {
    Auto,
    SecretService,
    Kernel,
}

impl Preference {
    /// `auto`, `secret-service` or `kernel`, in any case.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "secret-service" => Some(Self::SecretService),
            "kernel" => Some(Self::Kernel),
            _ => None,
        }
    }
}

/// The store that answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Kind {
    /// The OS's own store: the Secret Service, the macOS Keychain, Windows
    /// Credential Manager.
    Native,
    /// The kernel's persistent keyring (Linux).
    Kernel,
}

impl Kind {
    /// The name that `status` shows.
    pub fn name(self) -> &'static str {
        match self {
            Self::Kernel => "kernel",
            Self::Native if cfg!(target_os = "macos") => "keychain",
            Self::Native if cfg!(windows) => "credential-manager",
            Self::Native => "secret-service",
        }
    }

    /// What it is, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Kernel => "the kernel keyring (the user's persistent keyring)",
            Self::Native if cfg!(target_os = "macos") => "the macOS Keychain",
            Self::Native if cfg!(windows) => "Windows Credential Manager",
            Self::Native => "the Secret Service",
        }
    }
}

/// The session's own `ssokey_keychain`: as read, or how to look it up when
/// the store is first opened (the hot path reads no config file).
#[derive(Clone)]
pub enum Setting {
    Known(Option<String>),
    Deferred(Arc<dyn Fn() -> Option<String> + Send + Sync>),
}

impl std::fmt::Debug for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Known(value) => f.debug_tuple("Known").field(value).finish(),
            Self::Deferred(_) => f.write_str("Deferred"),
        }
    }
}

/// Everything that chooses a store, gathered before any is opened.
#[derive(Debug, Clone)]
pub struct Choice {
    /// `SSOKEY_KEYCHAIN`, when set.
    pub env: Option<String>,
    pub setting: Setting,
    /// ssokey's configuration directory: the kernel store's entries are kept
    /// apart per directory, as the fast tier's are.
    pub namespace_of: PathBuf,
}

impl Choice {
    /// What is wanted: the variable wins over the session's setting.
    pub fn wanted(&self) -> Result<Preference, KeychainError> {
        if let Some(value) = self.env.as_deref().filter(|v| !v.trim().is_empty()) {
            return Preference::parse(value).ok_or_else(|| KeychainError::UnknownChoice {
                origin: "SSOKEY_KEYCHAIN".to_owned(),
                value: value.to_owned(),
            });
        }
        let setting = match &self.setting {
            Setting::Known(value) => value.clone(),
            // A config file that cannot be read says so where the session is
            // resolved; here it sets nothing.
            Setting::Deferred(lookup) => lookup(),
        };
        match setting.as_deref().filter(|v| !v.trim().is_empty()) {
            None => Ok(Preference::Auto),
            Some(value) => Preference::parse(value).ok_or_else(|| KeychainError::UnknownChoice {
                origin: "ssokey_keychain in the [sso-session] section".to_owned(),
                value: value.to_owned(),
            }),
        }
    }
}

/// Why this process keeps tokens in the kernel keyring when `auto` chose it:
/// the Secret Service's failure. Set once, by [`open`].
static FELL_BACK: OnceLock<String> = OnceLock::new();

/// Whether `auto` found no Secret Service in this run, and why: a sign-in made
/// under the Secret Service is not seen from here.
pub fn fell_back() -> Option<&'static str> {
    FELL_BACK.get().map(String::as_str)
}

/// A store opened by this process.
type Opened = (Arc<dyn RawStore + Send + Sync>, Kind);

/// The stores this process has opened, by what was wanted and where: a run
/// connects to each once (the auto sign-in around a fetch, say, uses the
/// fetch's own connection).
static OPENED: Mutex<Vec<(Preference, PathBuf, Opened)>> = Mutex::new(Vec::new());

/// Opens the store that `choice` names, or hands out the one this process
/// opened for the same choice already.
pub fn open(choice: &Choice) -> Result<(Box<dyn RawStore>, Kind), KeychainError> {
    let wanted = choice.wanted()?;
    let mut opened = OPENED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let found = opened
        .iter()
        .find(|(w, namespace, _)| *w == wanted && *namespace == choice.namespace_of);
    let (store, kind) = if let Some((_, _, (store, kind))) = found {
        (Arc::clone(store), *kind)
    } else {
        let (store, kind) = open_anew(choice, wanted)?;
        opened.push((
            wanted,
            choice.namespace_of.clone(),
            (Arc::clone(&store), kind),
        ));
        (store, kind)
    };
    Ok((Box::new(store), kind))
}

fn open_anew(choice: &Choice, wanted: Preference) -> Result<Opened, KeychainError> {
    tracing::debug!(?wanted, "opening the keychain");
    match wanted {
        Preference::SecretService => native(),
        Preference::Kernel => kernel(choice),
        Preference::Auto => match native() {
            Err(KeychainError::Unavailable { cause }) if cfg!(target_os = "linux") => {
                tracing::debug!(%cause, "no Secret Service answers; trying the kernel keyring");
                match kernel(choice) {
                    Ok(opened) => {
                        let _ = FELL_BACK.set(cause);
                        Ok(opened)
                    }
                    Err(KeychainError::KernelUnavailable { cause: kernel }) => {
                        Err(KeychainError::NoneAnswers {
                            secret_service: cause,
                            kernel,
                        })
                    }
                    Err(other) => Err(other),
                }
            }
            other => other,
        },
    }
}

fn native() -> Result<Opened, KeychainError> {
    let store = super::native::NativeStore::open()?;
    Ok((Arc::new(store), Kind::Native))
}

#[cfg(target_os = "linux")]
fn kernel(choice: &Choice) -> Result<Opened, KeychainError> {
    let store = super::kernel::KernelStore::open(&choice.namespace_of)?;
    Ok((Arc::new(store), Kind::Kernel))
}

#[cfg(not(target_os = "linux"))]
fn kernel(_choice: &Choice) -> Result<Opened, KeychainError> {
    Err(KeychainError::KernelUnavailable {
        cause: "the kernel keyring is a store of Linux".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(env: Option<&str>, setting: Option<&str>) -> Choice {
        Choice {
            env: env.map(str::to_owned),
            setting: Setting::Known(setting.map(str::to_owned)),
            namespace_of: PathBuf::from("/nowhere"),
        }
    }

    #[test]
    fn the_variable_wins_over_the_setting_and_auto_is_the_default() {
        assert_eq!(choice(None, None).wanted().unwrap(), Preference::Auto);
        assert_eq!(
            choice(None, Some("kernel")).wanted().unwrap(),
            Preference::Kernel
        );
        assert_eq!(
            choice(Some("Secret-Service"), Some("kernel"))
                .wanted()
                .unwrap(),
            Preference::SecretService
        );
        assert_eq!(
            choice(Some(""), Some("kernel")).wanted().unwrap(),
            Preference::Kernel
        );
        assert_eq!(
            choice(Some("auto"), Some("kernel")).wanted().unwrap(),
            Preference::Auto
        );
    }

    #[test]
    fn an_unknown_value_is_an_error_that_names_where_it_came_from() {
        let err = choice(Some("kernal"), None).wanted().unwrap_err();
        assert_eq!(
            err.to_string(),
            "SSOKEY_KEYCHAIN is 'kernal', which is not a keychain that ssokey knows"
        );
        let err = choice(None, Some("file")).wanted().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("ssokey_keychain in the [sso-session] section is 'file'")
        );
    }

    #[test]
    fn a_deferred_setting_is_looked_up_only_when_the_store_is_chosen() {
        let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&asked);
        let choice = Choice {
            env: None,
            setting: Setting::Deferred(Arc::new(move || {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Some("kernel".to_owned())
            })),
            namespace_of: PathBuf::from("/nowhere"),
        };
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert_eq!(choice.wanted().unwrap(), Preference::Kernel);
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
