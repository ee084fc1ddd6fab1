//! Reading and editing the AWS shared config file (~/.aws/config).
//!
//! [`ConfigFile`] is a lossless parse: it keeps every byte of the file (comments,
//! blank lines, spacing, CRLF line endings, a missing final newline), so that
//! `to_string()` of an unedited parse gives back the input exactly and edits
//! can touch single lines.
//!
//! The meaning given to the text follows the profile parser of the AWS SDK for
//! Rust (`aws-runtime`'s `env_config`), which implements the profile-file test
//! suite shared by the AWS SDKs:
//!
//! - A line is, by its first character: blank (only spaces and tabs), a comment
//!   (`#` or `;` in the first column), a section header (`[`), a continuation
//!   (a space or a tab), or else a property (`key = value`). An indented `# ...`
//!   is therefore a continuation, not a comment.
//! - Headers: `[default]`, `[profile NAME]`, `[sso-session NAME]`,
//!   `[services NAME]`; spaces and tabs around and between the words are
//!   tolerated (`[ profile  foo ]`). Names must be made of `A-Za-z0-9` and
//!   `_-/.%@:+`. Any other header (`[foo]`, `[profile in valid]`) starts a
//!   section that the SDKs ignore; it is kept as [`SectionKind::Other`].
//! - Properties: key and value are trimmed of spaces and tabs; the key is
//!   lowercased (ASCII), so keys are case-insensitive; keys that are not
//!   valid names are ignored. Values may contain `=`.
//! - Inline comments: on a property line, `#` or `;` starts a comment only
//!   when the character before it is whitespace (`region = x # note` is `x`,
//!   `value#x` stays `value#x`). On a header line, `#` or `;` starts a comment
//!   anywhere, even inside the brackets. Continuation lines keep comment
//!   characters as text.
//! - A continuation line continues the last property's value (joined with
//!   `\n`). After `key =` with an empty value, continuation lines are
//!   sub-properties (`s3 =` then `  max_concurrent_requests = 10`) and each
//!   must be `name = value`.
//! - A section that appears several times is merged, in file order, and a
//!   later key overrides an earlier one. `[profile default]` takes priority
//!   over `[default]`: when both exist, every `[default]` section is ignored.

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Characters the SDKs count as whitespace when they trim.
const WHITESPACE: &[char] = &[' ', '\t'];
/// Characters that start a comment.
const COMMENT: &[char] = &['#', ';'];
const BYTE_ORDER_MARK: char = '\u{feff}';

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
    match std::fs::read(path) {
        Ok(bytes) => ConfigFile::from_bytes(path, &bytes).map(Some),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Io {
            path: path.to_owned(),
            source,
        }),
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
}

/// A profile, merged over its duplicate sections.
///
/// Its `Debug` shows only the keys: a config file may hold secrets.
#[derive(Clone, PartialEq, Eq)]
// Profiles are read by the credential commands (`--profile`), which build on this module.
#[allow(dead_code)]
pub struct Profile {
    name: String,
    properties: Vec<Property>,
}

#[allow(dead_code)]
impl Profile {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value of `key` (case-insensitive), as the SDKs see it: a value
    /// continued on indented lines has them joined with `\n`, and a key with
    /// sub-properties has the value `"\nname = value..."`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.property(key).map(|p| p.value.as_str())
    }

    /// The sub-properties under `key =` (name and value, in file order).
    pub fn sub_properties(&self, key: &str) -> Vec<(&str, &str)> {
        self.property(key)
            .map(|p| {
                p.sub_properties
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.as_str()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn property(&self, key: &str) -> Option<&Property> {
        let key = key.to_ascii_lowercase();
        self.properties.iter().find(|p| p.key == key)
    }
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
    kind: SectionKind,
    body: Vec<Line>,
}

/// What a section header declares.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SectionKind {
    /// `[default]`.
    Default,
    /// `[profile NAME]`, including `[profile default]`.
    Profile(String),
    /// `[sso-session NAME]`.
    SsoSession(String),
    /// `[services NAME]`.
    Services(String),
    /// Any other header, or one with an invalid name, which the SDKs ignore;
    /// it holds the text between the brackets, trimmed.
    Other(String),
}

/// One physical line.
#[derive(Clone, PartialEq, Eq)]
struct Line {
    /// The text without its line ending.
    text: String,
    /// `"\n"`, `"\r\n"`, or `""` for a last line without one.
    ending: &'static str,
    kind: LineKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum LineKind {
    Blank,
    Comment,
    Header,
    /// A `key = value` line: the key lowercased, the value trimmed and
    /// without its inline comment.
    Property {
        key: String,
        value: String,
    },
    /// An indented line that continues the previous property.
    Continuation,
    /// A line that is none of the above; `parse` rejects it.
    Invalid(PropertyError),
}

impl ConfigFile {
    /// Parses the text of a config file.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        if text.starts_with(BYTE_ORDER_MARK) {
            return Err(ParseError::ByteOrderMark);
        }
        let mut file = Self::default();
        // Whether the current section has a property, and whether that
        // property's value was empty (so that indented lines are
        // sub-properties).
        let mut property: Option<(String, bool)> = None;
        for (index, line) in split_lines(text).into_iter().enumerate() {
            let malformed = |reason: String| ParseError::Malformed {
                line: index + 1,
                reason,
            };
            match &line.kind {
                LineKind::Blank | LineKind::Comment => {}
                LineKind::Invalid(err) => {
                    return Err(malformed(match err {
                        PropertyError::NoEquals => {
                            "expected \"key = value\" or a [section] header".to_owned()
                        }
                        PropertyError::NoName => "expected a key before \"=\"".to_owned(),
                    }));
                }
                LineKind::Header => {
                    let kind = parse_header(&line.text).map_err(malformed)?;
                    file.sections.push(Section {
                        header: line,
                        kind,
                        body: Vec::new(),
                    });
                    property = None;
                    continue;
                }
                LineKind::Property { key, value } => {
                    if file.sections.is_empty() {
                        return Err(malformed(
                            "expected a [section] header before the first \"key = value\" line"
                                .to_owned(),
                        ));
                    }
                    property = Some((key.clone(), value.is_empty()));
                }
                LineKind::Continuation => {
                    if file.sections.is_empty() {
                        return Err(malformed(
                            "indented line before the first [section] header".to_owned(),
                        ));
                    }
                    match &property {
                        None => {
                            return Err(malformed(
                                "indented line with no \"key = value\" line above it to continue"
                                    .to_owned(),
                            ));
                        }
                        Some((key, true)) => {
                            validate_sub_property(&line.text, key).map_err(malformed)?;
                        }
                        Some((_, false)) => {}
                    }
                }
            }
            match file.sections.last_mut() {
                Some(section) => section.body.push(line),
                None => file.preamble.push(line),
            }
        }
        Ok(file)
    }

    /// Parses the bytes of the config file at `path` (which is only used in
    /// error messages).
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Self, ConfigError> {
        let text = std::str::from_utf8(bytes).map_err(|source| ConfigError::NotUtf8 {
            path: path.to_owned(),
            line: line_of_offset(bytes, source.valid_up_to()),
            source,
        })?;
        Self::parse(text).map_err(|err| err.in_file(path))
    }

    /// Every `[sso-session]`, in the order of first appearance.
    pub fn sso_sessions(&self) -> Vec<SsoSession> {
        let mut names: Vec<&str> = Vec::new();
        for section in &self.sections {
            if let SectionKind::SsoSession(name) = &section.kind
                && !names.contains(&name.as_str())
            {
                names.push(name);
            }
        }
        names
            .into_iter()
            .filter_map(|name| self.sso_session(name))
            .collect()
    }

    /// The `[sso-session NAME]` section, merged over its duplicates.
    pub fn sso_session(&self, name: &str) -> Option<SsoSession> {
        let properties =
            self.merged(|kind| matches!(kind, SectionKind::SsoSession(n) if n == name))?;
        let get = |key: &str| {
            properties
                .iter()
                .find(|p| p.key == key && !p.value.is_empty())
                .map(|p| p.value.clone())
        };
        Some(SsoSession {
            name: name.to_owned(),
            start_url: get("sso_start_url"),
            region: get("sso_region"),
            registration_scopes: get("sso_registration_scopes")
                .map(|scopes| {
                    scopes
                        .split(',')
                        .map(|s| s.trim_matches(WHITESPACE))
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// The profile `name`, merged over its duplicate sections. The profile
    /// `default` comes from `[profile default]` when the file has one, and
    /// from `[default]` otherwise.
    #[allow(dead_code)]
    pub fn profile(&self, name: &str) -> Option<Profile> {
        let prefixed_default = self.has_prefixed_default();
        let properties = self.merged(|kind| match kind {
            SectionKind::Profile(n) => n == name,
            SectionKind::Default => name == "default" && !prefixed_default,
            _ => false,
        })?;
        Some(Profile {
            name: name.to_owned(),
            properties,
        })
    }

    /// The names of the profiles, in the order of first appearance.
    #[allow(dead_code)]
    pub fn profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for section in &self.sections {
            let name = match &section.kind {
                SectionKind::Default => "default",
                SectionKind::Profile(name) => name,
                _ => continue,
            };
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
        names
    }

    #[allow(dead_code)]
    fn has_prefixed_default(&self) -> bool {
        self.sections
            .iter()
            .any(|s| matches!(&s.kind, SectionKind::Profile(n) if n == "default"))
    }

    /// The properties of the sections that `wanted` selects, merged in file
    /// order; `None` when it selects no section.
    fn merged(&self, wanted: impl Fn(&SectionKind) -> bool) -> Option<Vec<Property>> {
        let mut found = false;
        let mut merged: Vec<Property> = Vec::new();
        for section in self.sections.iter().filter(|s| wanted(&s.kind)) {
            found = true;
            for property in section.properties() {
                if !is_identifier(&property.key) {
                    continue;
                }
                match merged.iter_mut().find(|p| p.key == property.key) {
                    Some(existing) => *existing = property,
                    None => merged.push(property),
                }
            }
        }
        found.then_some(merged)
    }
}

impl fmt::Display for ConfigFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines = self.preamble.iter().chain(
            self.sections
                .iter()
                .flat_map(|s| std::iter::once(&s.header).chain(&s.body)),
        );
        for line in lines {
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

impl Section {
    /// The section's properties in file order, duplicates included.
    fn properties(&self) -> Vec<Property> {
        let mut properties: Vec<Property> = Vec::new();
        // Whether the last property's own line had an empty value, making its
        // continuation lines sub-properties.
        let mut block = false;
        for line in &self.body {
            match &line.kind {
                LineKind::Property { key, value } => {
                    block = value.is_empty();
                    properties.push(Property {
                        key: key.clone(),
                        value: value.clone(),
                        sub_properties: Vec::new(),
                    });
                }
                LineKind::Continuation => {
                    let Some(property) = properties.last_mut() else {
                        continue;
                    };
                    let text = line.text.trim_matches(WHITESPACE);
                    if block && let Some((name, value)) = text.split_once('=') {
                        property.sub_properties.push((
                            name.trim_matches(WHITESPACE).to_owned(),
                            value.trim_matches(WHITESPACE).to_owned(),
                        ));
                    }
                    property.value.push('\n');
                    property.value.push_str(text);
                }
                LineKind::Blank | LineKind::Comment | LineKind::Header | LineKind::Invalid(_) => {}
            }
        }
        properties
    }
}

impl Line {
    fn new(text: &str, ending: &'static str) -> Self {
        let kind = if text.trim_matches(WHITESPACE).is_empty() {
            LineKind::Blank
        } else if text.starts_with(COMMENT) {
            LineKind::Comment
        } else if text.starts_with('[') {
            LineKind::Header
        } else if text.starts_with(WHITESPACE) {
            LineKind::Continuation
        } else {
            match parse_property(text) {
                Ok((key, value)) => LineKind::Property {
                    key: key.to_ascii_lowercase(),
                    value: value.to_owned(),
                },
                Err(err) => LineKind::Invalid(err),
            }
        };
        Self {
            text: text.to_owned(),
            ending,
            kind,
        }
    }
}

/// Splits text into lines at `\n` and `\r\n`, as `str::lines` does, keeping
/// each ending.
fn split_lines(text: &str) -> Vec<Line> {
    text.split_inclusive('\n')
        .map(|raw| {
            if let Some(text) = raw.strip_suffix("\r\n") {
                Line::new(text, "\r\n")
            } else if let Some(text) = raw.strip_suffix('\n') {
                Line::new(text, "\n")
            } else {
                Line::new(raw, "")
            }
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PropertyError {
    NoEquals,
    NoName,
}

/// Splits `key = value` into its trimmed key and value, without any inline
/// comment.
fn parse_property(text: &str) -> Result<(&str, &str), PropertyError> {
    let text = strip_comment(text, true);
    let (key, value) = text.split_once('=').ok_or(PropertyError::NoEquals)?;
    let key = key.trim_matches(WHITESPACE);
    if key.is_empty() {
        return Err(PropertyError::NoName);
    }
    Ok((key, value.trim_matches(WHITESPACE)))
}

/// Trims the line and cuts it at the first comment character, which must
/// follow whitespace when `needs_whitespace` is set.
fn strip_comment(line: &str, needs_whitespace: bool) -> &str {
    let line = line.trim_matches(WHITESPACE);
    let mut after_whitespace = false;
    for (index, c) in line.char_indices() {
        if COMMENT.contains(&c) && (after_whitespace || !needs_whitespace) {
            return line[..index].trim_matches(WHITESPACE);
        }
        after_whitespace = c.is_whitespace();
    }
    line
}

/// Reads a header line into the kind of section it declares, or says why it
/// is not one.
fn parse_header(text: &str) -> Result<SectionKind, String> {
    let line = strip_comment(text, false);
    let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) else {
        return Err(if text.trim_matches(WHITESPACE).ends_with(']') {
            "\"#\" or \";\" inside a section header starts a comment".to_owned()
        } else {
            "expected \"]\" at the end of the section header".to_owned()
        });
    };
    let inner = inner.trim_matches(WHITESPACE);
    let Some((prefix, name)) = inner.split_once(WHITESPACE) else {
        return Ok(if inner == "default" {
            SectionKind::Default
        } else {
            SectionKind::Other(inner.to_owned())
        });
    };
    let name = name.trim();
    if !is_identifier(name) {
        return Ok(SectionKind::Other(inner.to_owned()));
    }
    Ok(match prefix.trim() {
        "profile" => SectionKind::Profile(name.to_owned()),
        "sso-session" => SectionKind::SsoSession(name.to_owned()),
        "services" => SectionKind::Services(name.to_owned()),
        _ => SectionKind::Other(inner.to_owned()),
    })
}

/// Checks an indented line under `key =`: blank, or `name = value`.
fn validate_sub_property(text: &str, key: &str) -> Result<(), String> {
    match parse_property(text) {
        Ok(_) => Ok(()),
        Err(PropertyError::NoEquals) => Err(format!(
            "expected \"name = value\" in the indented lines under \"{key} =\""
        )),
        Err(PropertyError::NoName) => Err(format!(
            "expected a name before \"=\" in the indented lines under \"{key} =\""
        )),
    }
}

/// Whether the SDKs accept `name` as a profile, section or key name.
fn is_identifier(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

/// The 1-based line that holds byte `offset`.
fn line_of_offset(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset].split(|&b| b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn parse(text: &str) -> ConfigFile {
        ConfigFile::parse(text).unwrap()
    }

    fn malformed(text: &str) -> (usize, String) {
        match ConfigFile::parse(text) {
            Err(ParseError::Malformed { line, reason }) => (line, reason),
            other => panic!("expected a malformed-line error, got {other:?}"),
        }
    }

    fn kinds(file: &ConfigFile) -> Vec<SectionKind> {
        file.sections.iter().map(|s| s.kind.clone()).collect()
    }

    const TRICKY: &[&str] = &[
        "",
        "\n",
        "\r\n",
        "# only a comment",
        "# only comments\n; and more\n\n",
        "[default]",
        "[default]\nregion = us-east-1",
        "[default]\r\nregion = us-east-1\r\n",
        "[default]\r\nregion = us-east-1\n[profile a]\r\nx=1",
        "\t \n# lead\n[profile  foo ]  # c\nname\t=\tvalue\t; c\n\n \t\n",
        "[profile foo]\ns3 =\n  max_concurrent_requests = 10\n\n\tmax_queue_size = 1000\r\nregion=x",
        "[profile foo]\nname = value\n -continued # not a comment\n  # also continued\n",
        "[sso-session s]\nsso_registration_scopes = a, b ,,c\n[services x]\ns3 =\n endpoint_url = http://localhost\n",
        "[foo]\nx = 1\n[profile in valid]\ny = 2\n[Profile bar]\n",
        "[default]\nname = caf\u{e9} \u{1f431}\nodd = a\rb\nlast = \r",
        "[default]\n\n\n",
    ];

    #[test]
    fn round_trips_byte_for_byte() {
        for text in TRICKY {
            assert_eq!(&parse(text).to_string(), text);
        }
    }

    #[test]
    fn lines_keep_their_endings() {
        let file = parse("# c\r\n[default]\nk = v\r\nlast = 1");
        assert_eq!(file.preamble[0].ending, "\r\n");
        let section = &file.sections[0];
        assert_eq!(section.header.ending, "\n");
        let endings: Vec<_> = section.body.iter().map(|l| l.ending).collect();
        assert_eq!(endings, ["\r\n", ""]);
        assert_eq!(section.body[1].text, "last = 1");
    }

    #[test]
    fn headers() {
        let file = parse(
            "[default]\n[ profile  foo ]\n[profile\tbar]\n[sso-session my-sso]\n\
             [services local]\n[foo]\n[profilefoo]\n[profile in valid]\n[Profile x]\n\
             [profile default]\n[profile a]# comment\n[profile b] ; comment\n[]\n",
        );
        assert_eq!(
            kinds(&file),
            [
                SectionKind::Default,
                SectionKind::Profile("foo".into()),
                SectionKind::Profile("bar".into()),
                SectionKind::SsoSession("my-sso".into()),
                SectionKind::Services("local".into()),
                SectionKind::Other("foo".into()),
                SectionKind::Other("profilefoo".into()),
                SectionKind::Other("profile in valid".into()),
                SectionKind::Other("Profile x".into()),
                SectionKind::Profile("default".into()),
                SectionKind::Profile("a".into()),
                SectionKind::Profile("b".into()),
                SectionKind::Other(String::new()),
            ]
        );
    }

    #[test]
    fn sso_session_lookup() {
        let file = parse(
            "[profile dev]\nsso_session = corp\n\n\
             [sso-session corp]\n\
             sso_start_url = https://corp.awsapps.com/start # portal\n\
             sso_region = eu-west-1\n\
             sso_registration_scopes = sso:account:access\n\
             [sso-session bare]\n",
        );
        assert_eq!(
            file.sso_session("corp"),
            Some(SsoSession {
                name: "corp".into(),
                start_url: Some("https://corp.awsapps.com/start".into()),
                region: Some("eu-west-1".into()),
                registration_scopes: vec!["sso:account:access".into()],
            })
        );
        assert_eq!(
            file.sso_session("bare"),
            Some(SsoSession {
                name: "bare".into(),
                start_url: None,
                region: None,
                registration_scopes: Vec::new(),
            })
        );
        assert_eq!(file.sso_session("dev"), None);
        assert_eq!(file.sso_session("missing"), None);
        let names: Vec<_> = file.sso_sessions().into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["corp", "bare"]);
    }

    #[test]
    fn scopes_are_split_and_trimmed() {
        let file = parse(
            "[sso-session a]\nsso_registration_scopes = sso:account:access ,\tcodewhisperer:completions,, \n\
             [sso-session b]\nsso_registration_scopes =\n[sso-session c]\nSSO_Region = us-east-1\nsso_start_url =\n",
        );
        let a = file.sso_session("a").unwrap();
        assert_eq!(
            a.registration_scopes,
            ["sso:account:access", "codewhisperer:completions"]
        );
        assert_eq!(
            file.sso_session("b").unwrap().registration_scopes,
            Vec::<String>::new()
        );
        let c = file.sso_session("c").unwrap();
        assert_eq!(c.region.as_deref(), Some("us-east-1"));
        assert_eq!(c.start_url, None);
    }

    #[test]
    fn duplicate_sections_merge_and_later_keys_win() {
        let file = parse(
            "[sso-session s]\nsso_region = us-east-1\nsso_start_url = https://a\n\
             [profile p]\nregion = a\n\
             [sso-session s]\nsso_region = eu-west-1\n\
             [profile p]\nregion = b\nregion = c\noutput = json\n",
        );
        let session = file.sso_session("s").unwrap();
        assert_eq!(session.region.as_deref(), Some("eu-west-1"));
        assert_eq!(session.start_url.as_deref(), Some("https://a"));
        assert_eq!(file.sso_sessions().len(), 1);
        let profile = file.profile("p").unwrap();
        assert_eq!(profile.get("region"), Some("c"));
        assert_eq!(profile.get("output"), Some("json"));
        assert_eq!(file.profile_names(), ["p"]);
    }

    #[test]
    fn default_profile() {
        let file = parse("[default]\nregion = us-east-1\n[profile dev]\nregion = eu-west-1\n");
        let default = file.profile("default").unwrap();
        assert_eq!(default.name(), "default");
        assert_eq!(default.get("region"), Some("us-east-1"));
        assert_eq!(
            file.profile("dev").unwrap().get("region"),
            Some("eu-west-1")
        );
        assert_eq!(file.profile_names(), ["default", "dev"]);
        assert!(file.profile("nope").is_none());
    }

    #[test]
    fn prefixed_default_replaces_plain_default() {
        for text in [
            "[profile default]\nname = value\n[default]\nname2 = value2\n",
            "[default]\nname2 = value2\n[profile default]\nname = value\n",
        ] {
            let profile = parse(text).profile("default").unwrap();
            assert_eq!(profile.get("name"), Some("value"));
            assert_eq!(profile.get("name2"), None);
            assert_eq!(parse(text).profile_names(), ["default"]);
        }
    }

    #[test]
    fn sections_that_are_not_profiles() {
        let file = parse(
            "[foo]\nregion = a\n[profile in valid]\nregion = b\n[sso-session x]\n[services x]\n",
        );
        assert!(file.profile("foo").is_none());
        assert!(file.profile("in valid").is_none());
        assert!(file.profile("x").is_none());
        assert!(file.profile_names().is_empty());
    }

    #[test]
    fn keys_are_case_insensitive_and_invalid_keys_ignored() {
        let file = parse("[profile p]\nRegion = a\nin valid = b\n");
        let profile = file.profile("p").unwrap();
        assert_eq!(profile.get("region"), Some("a"));
        assert_eq!(profile.get("REGION"), Some("a"));
        assert_eq!(profile.get("in valid"), None);
    }

    #[test]
    fn inline_comments_need_whitespace_before_them() {
        let file = parse(
            "[profile p]\na = v # c\nb = v ; c\nc = v#c\nd = v;c\ne = v\t#c\nf = # only\ng = h=i\n",
        );
        let p = file.profile("p").unwrap();
        let values: Vec<_> = ["a", "b", "c", "d", "e", "f", "g"]
            .iter()
            .map(|k| p.get(k).unwrap())
            .collect();
        assert_eq!(values, ["v", "v", "v#c", "v;c", "v", "", "h=i"]);
    }

    #[test]
    fn continuations_and_sub_properties() {
        let file = parse(
            "[profile p]\n\
             s3 =\n  max_concurrent_requests = 10\n\n\tmax_queue_size = 1000 # c\n\
             region = us-east-1\n\
             note = first\n  second ; kept\n",
        );
        let p = file.profile("p").unwrap();
        assert_eq!(
            p.sub_properties("s3"),
            [
                ("max_concurrent_requests", "10"),
                ("max_queue_size", "1000 # c")
            ]
        );
        assert_eq!(
            p.get("s3"),
            Some("\nmax_concurrent_requests = 10\nmax_queue_size = 1000 # c")
        );
        assert_eq!(p.get("region"), Some("us-east-1"));
        assert_eq!(p.get("note"), Some("first\nsecond ; kept"));
        assert!(p.sub_properties("note").is_empty());
        assert!(p.sub_properties("missing").is_empty());
    }

    #[test]
    fn malformed_lines_report_their_line_number() {
        let text = "# comment\n\n[default]\nregion = us-east-1\n\n; another\nnot a key value\n";
        assert_eq!(
            malformed(text),
            (
                7,
                "expected \"key = value\" or a [section] header".to_owned()
            )
        );
        let err = ConfigFile::parse(text)
            .unwrap_err()
            .in_file(Path::new("~/.aws/config"));
        assert_eq!(
            err.to_string(),
            "~/.aws/config line 7: expected \"key = value\" or a [section] header"
        );
        assert_eq!(
            err.hint(),
            "fix line 7 of ~/.aws/config (or comment it out with a leading #), then run the command again"
        );
    }

    #[test]
    fn malformed_lines() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "region = x\n[default]",
                1,
                "expected a [section] header before the first \"key = value\" line",
            ),
            (
                "# c\n  indented\n",
                2,
                "indented line before the first [section] header",
            ),
            (
                "[default]\r\n\r\n  indented\r\n",
                3,
                "indented line with no \"key = value\" line above it to continue",
            ),
            (
                "[a]\nk = v\n[profile a]\n -continued",
                4,
                "indented line with no \"key = value\" line above it to continue",
            ),
            ("[default]\n= value\n", 2, "expected a key before \"=\""),
            (
                "[profile foo\n",
                1,
                "expected \"]\" at the end of the section header",
            ),
            (
                "[profile foo] extra\n",
                1,
                "expected \"]\" at the end of the section header",
            ),
            (
                "[profile a#b]\n",
                1,
                "\"#\" or \";\" inside a section header starts a comment",
            ),
            (
                "[default]\ns3 =\n  invalid\n",
                3,
                "expected \"name = value\" in the indented lines under \"s3 =\"",
            ),
            (
                "[default]\nS3 =\n  = 10\n",
                3,
                "expected a name before \"=\" in the indented lines under \"s3 =\"",
            ),
            (
                "[default]\nkey : value",
                2,
                "expected \"key = value\" or a [section] header",
            ),
        ];
        for (text, line, reason) in cases {
            assert_eq!(malformed(text), (*line, (*reason).to_owned()), "{text:?}");
        }
    }

    #[test]
    fn byte_order_mark_is_rejected() {
        assert_eq!(
            ConfigFile::parse("\u{feff}[default]\n"),
            Err(ParseError::ByteOrderMark)
        );
        let err = ConfigFile::from_bytes(Path::new("/c"), b"\xef\xbb\xbf[default]\n").unwrap_err();
        assert!(matches!(err, ConfigError::ByteOrderMark { .. }), "{err:?}");
        assert_eq!(
            err.hint(),
            "save /c as UTF-8 without a byte order mark (BOM)"
        );
    }

    #[test]
    fn not_utf8_reports_the_line() {
        let err = ConfigFile::from_bytes(
            Path::new("/home/me/.aws/config"),
            b"[default]\nregion = us-east-1\nname = caf\xe9\n",
        )
        .unwrap_err();
        assert!(
            matches!(err, ConfigError::NotUtf8 { line: 3, .. }),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "/home/me/.aws/config line 3: the file is not valid UTF-8"
        );
        assert!(std::error::Error::source(&err).is_some());
        let ok =
            ConfigFile::from_bytes(Path::new("/c"), "[default]\nname = caf\u{e9}\n".as_bytes());
        assert_eq!(
            ok.unwrap().profile("default").unwrap().get("name"),
            Some("caf\u{e9}")
        );
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
