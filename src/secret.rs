//! The redacting wrapper that every token, client secret and credential lives in.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A secret string. `Debug` prints `<redacted>`, there is no `Display`, and the
/// only way to read the value is [`Secret::expose`], which is easy to grep for.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`; while logging is on, log lines never show it.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        crate::logging::remember_secret(&value);
        Self(value)
    }

    /// `bytes` bytes from the operating system's CSPRNG, as unpadded
    /// base64url: a state, a PKCE verifier, a server's bearer token.
    pub fn random_url_safe(bytes: usize) -> Result<Self, getrandom::Error> {
        use base64::Engine as _;
        let mut buffer = vec![0; bytes];
        getrandom::fill(&mut buffer)?;
        Ok(Self::new(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&buffer),
        ))
    }

    /// The secret value itself. Every call site is a place where a secret leaves
    /// the wrapper: keep them few and never pass the result to a log or an error.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(<redacted>)");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn random_values_are_url_safe_and_differ() {
        let a = Secret::random_url_safe(32).unwrap();
        let b = Secret::random_url_safe(32).unwrap();
        assert_eq!(a.expose().len(), 43);
        assert!(
            a.expose()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a, b);
    }

    #[test]
    fn serializes_as_a_plain_string() {
        let secret = Secret::new("abc");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"abc\"");
        let back: Secret = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(back, secret);
    }
}
