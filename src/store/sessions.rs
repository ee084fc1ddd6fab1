//! The sessions that ssokey remembers between runs (`sessions.json` in its
//! config dir): those given with `--start-url`, and the one used last. No
//! secret is in it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{files, paths};

/// The non-secret metadata that ssokey keeps between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    #[serde(default)]
    pub sessions: BTreeMap<String, Remembered>,
    /// The AWS portal that each start URL on a company's own domain
    /// redirected to when it was looked up (at `login`), by the start URL's
    /// normal form: later runs make no request.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resolved: BTreeMap<String, Resolved>,
}

/// Where a start URL on a company's own domain leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolved {
    /// The AWS portal's start URL, in its normal form.
    pub portal_url: String,
    /// The region of the portal: from its host, or as given at the lookup.
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Remembered {
    pub start_url: String,
    pub region: String,
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl State {
    /// Reads the state: a missing file is an empty state, and so is a
    /// damaged one (it holds no secret and is rebuilt by the next login),
    /// with what is wrong with it, for a warning.
    pub fn load(config_dir: &Path) -> (Self, Option<String>) {
        let path = paths::sessions(config_dir);
        match read(&path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(state) => (state, None),
                Err(err) => (
                    Self::default(),
                    Some(format!(
                        "ignoring {} ({err}); it is rebuilt at the next login",
                        path.display()
                    )),
                ),
            },
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => (Self::default(), None),
            Err(err) => (
                Self::default(),
                Some(format!("ignoring {} ({err})", path.display())),
            ),
        }
    }

    pub fn save(&self, config_dir: &Path) -> std::io::Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        text.push('\n');
        files::write_private(&paths::sessions(config_dir), text.as_bytes())
    }
}

/// Reads the file; every read of it is logged at debug level, so that `-vv`
/// shows how often a run reads it.
fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    tracing::debug!(path = %path.display(), "reading the remembered sessions");
    files::read_trusted(path)
}
