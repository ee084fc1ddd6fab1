//! Reading and editing the AWS shared config file (~/.aws/config).
//!
//! [`ConfigFile`] is a lossless parse: it keeps every byte of the file (comments,
//! blank lines, spacing, CRLF line endings, a missing final newline), so that
//! `to_string()` of an unedited parse gives back the input exactly and edits
//! can touch single lines.
//!
//! The meaning given to the text follows botocore, on which the AWS CLI and
//! the Python SDKs read the file (`botocore.configloader.raw_config_parse`,
//! built on Python's `configparser.RawConfigParser`, then
//! `build_profile_map`): a file that the AWS CLI reads, ssokey reads the
//! same way, and tests/integration/botocore.rs checks it against botocore
//! itself.
//!
//! - Lines end at `\n`, `\r\n` or a lone `\r`. "Whitespace" is Python's
//!   (`str.isspace`: Unicode White_Space and U+001C..U+001F).
//! - A line is, in this order: blank (only whitespace); a comment (`#` or
//!   `;` after any indentation, even inside an indented block); a
//!   continuation, when a property is open (no header since it) and the line
//!   is indented deeper, in characters, than the last header or property
//!   line; a section header (`[`, then at least one character, then the
//!   last `]` of the line; what follows it is ignored); or else a property.
//!   So keys and headers may be indented, and an indented key line no
//!   deeper than the one above starts a new key.
//! - Properties: the key is what comes before the first `=` or `:`, and the
//!   value what comes after it, both stripped; the key is lowercased
//!   (Unicode). `#` and `;` inside a value are text: `region = x # note` is
//!   `x # note`.
//! - A continuation line, stripped, continues the open property's value
//!   (joined with `\n`); so does a blank line after the key line (as an empty
//!   line; trailing ones are dropped). Comment lines are skipped. A value
//!   whose own line was empty and that goes on (`s3 =` then indented lines)
//!   is a nested block: each non-blank line is `name = value`, split at its
//!   first `=`, both sides stripped and the name kept as written; a line
//!   without `=` is an error.
//! - Section names are the text between the brackets, unstripped. `[default]`
//!   is the profile `default`; a name that starts with `profile`,
//!   `sso-session` or `services` and splits, as a shell splits words
//!   (Python's `shlex.split`), into exactly two words names its second word
//!   (`[profile  a ]`, `[profile "a b"]`); any other section
//!   (`[ profile a ]`, `[profile a b]`, `[foo]`) is kept as
//!   `SectionKind::Other` and no lookup reads it. Several headers may name
//!   one profile (`[default]` and `[profile default]`, `[profile a]` and
//!   `[profile  a]`): the one whose first appearance comes last wins whole.
//! - `[DEFAULT]` holds keys that every other section inherits unless it
//!   sets them; it is no profile itself.
//!
//! Where the file is one that botocore refuses, ssokey refuses it too with
//! an error that names the line, except for these, which it reads as
//! configparser reads them when it is not strict: a section that appears
//! twice under the same name is merged in file order, and a key set twice
//! in a section keeps its later value. A file that starts with a byte order
//! mark is refused, as botocore refuses it.
//!
//! Where botocore and the profile parser of the AWS SDK for Rust (which
//! implements the profile-file test suite shared by the other SDKs) differ,
//! ssokey follows botocore: an indented `#` or `;` line is a comment, not a
//! continuation; `#` and `;` after a value are text, not an inline comment;
//! `:` separates a key from its value; keys and headers may be indented; a
//! blank line inside a continued value is kept; a lone `\r` ends a line;
//! `[DEFAULT]` is inherited; `[ profile a ]` is not a profile and
//! `[profile "a b"]` is; `[default]` and `[profile default]` do not merge (the
//! later wins); a nested line may have an empty name; names and keys are
//! not restricted to the SDKs' identifier characters. The editor only
//! writes values that read back the same under both.
//!
//! This file holds the errors, where the file is and how it is loaded, and
//! the types. `lex` decides what kind each line is (the one place that
//! does), `read` parses lines into sections and looks things up, and `edit`
//! changes profiles in place.

mod edit;
mod lex;
#[cfg(test)]
mod properties;
mod read;

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::exit::{Exit, Reported};
pub use lex::shell_words;
use lex::{Line, SectionKind};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{} line {line}: {reason}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error(
        "{} starts with a byte order mark, which the AWS SDKs do not accept",
        path.display()
    )]
    ByteOrderMark { path: PathBuf },
    #[error("{} line {line}: the file is not valid UTF-8", path.display())]
    NotUtf8 {
        path: PathBuf,
        line: usize,
        #[source]
        source: std::str::Utf8Error,
    },
    #[error("cannot read {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl ConfigError {
    pub fn hint(&self) -> String {
        match self {
            Self::Malformed { path, line, .. } => format!(
                "fix line {line} of {} (or comment it out with a leading #), then run the command again",
                path.display()
            ),
            Self::ByteOrderMark { path } => format!(
                "save {} as UTF-8 without a byte order mark (BOM)",
                path.display()
            ),
            Self::NotUtf8 { path, line, .. } => format!(
                "save {} as UTF-8 (line {line} has bytes in another encoding)",
                path.display()
            ),
            Self::Io { path, source } => match source.kind() {
                io::ErrorKind::PermissionDenied => {
                    format!("make {} readable by your user", path.display())
                }
                io::ErrorKind::IsADirectory => format!(
                    "{} is a directory; point AWS_CONFIG_FILE at a file",
                    path.display()
                ),
                _ => format!("check that {} is a readable file", path.display()),
            },
        }
    }
}

impl Reported for ConfigError {
    fn hint(&self) -> Option<String> {
        Some(ConfigError::hint(self))
    }
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

/// A problem found by [`ConfigFile::parse`], before it is tied to a path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("line {line}: {reason}")]
    Malformed { line: usize, reason: String },
    #[error("the text starts with a byte order mark")]
    ByteOrderMark,
}

impl ParseError {
    /// The same problem, reported against the file it came from.
    pub fn in_file(self, path: &Path) -> ConfigError {
        let path = path.to_owned();
        match self {
            Self::Malformed { line, reason } => ConfigError::Malformed { path, line, reason },
            Self::ByteOrderMark => ConfigError::ByteOrderMark { path },
        }
    }
}

/// Where the AWS config file is: `AWS_CONFIG_FILE` when it is set and not
/// empty (a leading `~` component is replaced by `home`, as the SDKs do), else
/// `home/.aws/config`.
pub fn config_path(aws_config_file_env: Option<&OsStr>, home: &Path) -> PathBuf {
    let Some(value) = aws_config_file_env.filter(|v| !v.is_empty()) else {
        return home.join(".aws").join("config");
    };
    let path = Path::new(value);
    let mut components = path.components();
    match components.next() {
        Some(Component::Normal(first)) if first == "~" => {
            let mut expanded = home.to_owned();
            for component in components {
                expanded.push(component);
            }
            expanded
        }
        _ => path.to_owned(),
    }
}

/// Reads and parses the config file; `Ok(None)` when it does not exist.
pub fn load(path: &Path) -> Result<Option<ConfigFile>, ConfigError> {
    // Every read is logged, so that `-vv` shows how often a run reads it.
    tracing::debug!(path = %path.display(), "reading the AWS config file");
    match std::fs::read(path) {
        Ok(bytes) => ConfigFile::from_bytes(path, &bytes).map(Some),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// The AWS config file, read at most once per run, and only if asked for.
#[derive(Debug)]
pub struct Lazy {
    path: PathBuf,
    file: std::sync::OnceLock<Option<ConfigFile>>,
}

impl Lazy {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            file: std::sync::OnceLock::new(),
        }
    }

    /// The config file, or `None` when there is none.
    pub fn get(&self) -> Result<Option<&ConfigFile>, ConfigError> {
        if let Some(file) = self.file.get() {
            return Ok(file.as_ref());
        }
        let file = load(&self.path)?;
        Ok(self.file.get_or_init(|| file).as_ref())
    }
}

/// An `[sso-session NAME]` section, merged over its duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSession {
    pub name: String,
    /// `sso_start_url`; `None` when missing or empty.
    pub start_url: Option<String>,
    /// `sso_region`; `None` when missing or empty.
    pub region: Option<String>,
    /// `sso_registration_scopes`, split at commas and trimmed, without empty
    /// items.
    pub registration_scopes: Vec<String>,
    /// `ssokey_keychain`: the store that keeps this session's tokens
    /// (`auto`, `secret-service` or `kernel`); `None` when missing or empty.
    pub keychain: Option<String>,
    /// `ssokey_auto_login`: whether commands may start a sign-in themselves
    /// (see [`crate::sign_in::auto`]); `None` when missing or empty.
    pub auto_login: Option<String>,
    /// `region`: the region of the profiles that use the session (what
    /// `ssokey profiles` writes in them); `None` when missing or empty.
    pub profile_region: Option<String>,
    /// `ca_bundle`: a PEM file of CA certificates to trust besides the
    /// system's (see [`crate::aws::http`]); `None` when missing or empty.
    pub ca_bundle: Option<String>,
}

/// A profile, merged over its duplicate sections.
///
/// Its `Debug` shows only the keys: a config file may hold secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct Profile {
    name: String,
    properties: Vec<Property>,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field(
                "keys",
                &self.properties.iter().map(|p| &p.key).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// A key's value, and its sub-properties when the value is a block of them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Property {
    key: String,
    value: String,
    sub_properties: Vec<(String, String)>,
}

/// A value as botocore's `raw_config_parse` gives it: text, or the
/// `name = value` pairs of a nested block (a value whose first line is
/// empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawValue {
    Text(String),
    Nested(std::collections::BTreeMap<String, String>),
}

/// The AWS config file, parsed without losing a byte.
///
/// Its `Debug` shows only the section headers: a config file may hold secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConfigFile {
    /// Blank and comment lines before the first section.
    preamble: Vec<Line>,
    sections: Vec<Section>,
}

/// A section: its header line and the lines up to the next header.
#[derive(Clone, PartialEq, Eq)]
struct Section {
    header: Line,
    /// The text between the brackets, unstripped: botocore's key for it.
    name: String,
    kind: SectionKind,
    body: Vec<Line>,
}

impl ConfigFile {
    /// Every line, in file order.
    fn lines(&self) -> impl Iterator<Item = &Line> {
        self.preamble.iter().chain(
            self.sections
                .iter()
                .flat_map(|s| std::iter::once(&s.header).chain(&s.body)),
        )
    }

    fn lines_mut(&mut self) -> impl Iterator<Item = &mut Line> {
        self.preamble.iter_mut().chain(
            self.sections
                .iter_mut()
                .flat_map(|s| std::iter::once(&mut s.header).chain(&mut s.body)),
        )
    }
}

impl fmt::Display for ConfigFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in self.lines() {
            f.write_str(&line.text)?;
            f.write_str(line.ending)?;
        }
        Ok(())
    }
}

impl fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigFile")
            .field(
                "sections",
                &self.sections.iter().map(|s| &s.kind).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn parse(text: &str) -> ConfigFile {
        ConfigFile::parse(text).unwrap()
    }

    #[test]
    fn config_path_defaults_to_home() {
        let home = Path::new("/home/me");
        assert_eq!(config_path(None, home), Path::new("/home/me/.aws/config"));
        assert_eq!(
            config_path(Some(OsStr::new("")), home),
            Path::new("/home/me/.aws/config")
        );
    }

    #[test]
    fn config_path_from_aws_config_file() {
        let home = Path::new("/home/me");
        let cases = [
            ("/etc/aws/config", "/etc/aws/config"),
            ("~/custom/config", "/home/me/custom/config"),
            ("~", "/home/me"),
            ("relative/config", "relative/config"),
            ("~other/config", "~other/config"),
            ("/x/~/config", "/x/~/config"),
        ];
        for (value, expected) in cases {
            assert_eq!(
                config_path(Some(OsStr::new(value)), home),
                Path::new(expected),
                "{value}"
            );
        }
    }

    #[test]
    fn load_reads_parses_and_tolerates_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        assert!(load(&path).unwrap().is_none());

        std::fs::write(&path, "").unwrap();
        assert_eq!(load(&path).unwrap().unwrap().to_string(), "");

        std::fs::write(&path, "[sso-session s]\nsso_region = us-east-1").unwrap();
        let file = load(&path).unwrap().unwrap();
        assert_eq!(
            file.sso_session("s").unwrap().region.as_deref(),
            Some("us-east-1")
        );

        std::fs::write(&path, "[default]\n\nbroken\n").unwrap();
        let err = load(&path).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Malformed { line: 3, path: p, .. } if *p == path),
            "{err:?}"
        );

        let err = load(dir.path()).unwrap_err();
        assert!(matches!(err, ConfigError::Io { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!("cannot read {}", dir.path().display())
        );
    }

    #[test]
    fn debug_does_not_show_values() {
        let file = parse("[default]\naws_secret_access_key = hunter2\n");
        assert!(!format!("{file:?}").contains("hunter2"));
        assert!(!format!("{:?}", file.profile("default").unwrap()).contains("hunter2"));
    }
}
