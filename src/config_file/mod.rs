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

/// The AWS config file, read at most once per command, and only if asked for.
pub struct Lazy {
    path: PathBuf,
    file: std::cell::OnceCell<Option<ConfigFile>>,
}

impl Lazy {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            file: std::cell::OnceCell::new(),
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
        let properties = self.merged(|kind| reads_profile(kind, name, prefixed_default))?;
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

/// Editing. Every edit keeps the bytes of the lines it does not touch, and the
/// way the file ends (with or without a final line break).
impl ConfigFile {
    /// The names of the profiles (in file order, each once) whose `key` has
    /// the value `value`, as the SDKs read it, e.g.
    /// `("ssokey_session", "work")`.
    pub fn profiles_where(&self, key: &str, value: &str) -> Vec<String> {
        self.profile_names()
            .into_iter()
            .filter(|name| {
                self.profile(name)
                    .is_some_and(|profile| profile.get(key) == Some(value))
            })
            .collect()
    }

    /// Sets `keys` in the profile `name`, in place; returns whether the text
    /// changed (setting a key to the value it has is no change).
    ///
    /// The profile is the sections the SDKs read for it (for `default`: the
    /// `[profile default]` sections when there are any, else the `[default]`
    /// ones). A key it has keeps its position: its last occurrence, the one
    /// the SDKs read, is rewritten as `key = value` (dropping the indented
    /// lines that continued the old value) and earlier ones are left alone. A
    /// missing key is added after the profile's last key line, before the
    /// blank and comment lines that end its section. A missing profile is
    /// appended as a new `[profile NAME]` section, after one blank line.
    /// New and rewritten lines use the file's line ending: CRLF when its
    /// first line ends with one, else LF.
    ///
    /// `name` must be a valid profile name and each key a valid key, and
    /// values must be single-line text that reads back as itself (no leading
    /// or trailing whitespace, no ` #` or ` ;`). Anything else is refused:
    /// debug builds panic, release builds change nothing and return `false`.
    pub fn upsert_profile(&mut self, name: &str, keys: &[(&str, &str)]) -> bool {
        let writable =
            is_profile_name(name) && keys.iter().all(|(key, value)| is_writable(key, value));
        debug_assert!(
            writable,
            "upsert_profile: cannot write profile {name:?} with keys {:?}: a name, key or value \
             would not read back as itself",
            keys.iter().map(|(key, _)| key).collect::<Vec<_>>()
        );
        if !writable {
            return false;
        }
        let ending = self.line_ending();
        let open = self.ends_open();
        let prefixed_default = self.has_prefixed_default();
        let targets: Vec<usize> = (0..self.sections.len())
            .filter(|&i| reads_profile(&self.sections[i].kind, name, prefixed_default))
            .collect();
        let changed = if targets.is_empty() {
            if !self.is_empty() {
                self.last_lines_mut().push(Line::new("", ending));
            }
            self.sections.push(Section {
                header: Line::new(&format!("[profile {name}]"), ending),
                kind: SectionKind::Profile(name.to_owned()),
                body: keys
                    .iter()
                    .map(|(key, value)| property_line(key, value, ending))
                    .collect(),
            });
            true
        } else {
            let mut changed = false;
            for (key, value) in keys {
                changed |= self.set_key(&targets, key, value, ending);
            }
            changed
        };
        if changed {
            self.restore_final_ending(open, ending);
        }
        changed
    }

    /// Removes every section of the profile `name` (for `default`, both the
    /// `[default]` and the `[profile default]` ones): headers, key lines,
    /// indented lines and blank lines, but not the comment lines of their
    /// bodies, which may describe the next section. When that empties the
    /// end of the file, the blank line that separated the removed section
    /// from the content above it goes too, so that removing a profile that
    /// [`Self::upsert_profile`] appended gives back the file as it was.
    /// Returns whether anything was removed.
    pub fn remove_profile(&mut self, name: &str) -> bool {
        let removed = |kind: &SectionKind| reads_profile(kind, name, false);
        if !self.sections.iter().any(|s| removed(&s.kind)) {
            return false;
        }
        let open = self.ends_open();
        let tail_removed = self.sections.last().is_some_and(|s| {
            removed(&s.kind) && s.body.last().is_none_or(|l| l.kind != LineKind::Comment)
        });
        for section in std::mem::take(&mut self.sections) {
            if removed(&section.kind) {
                let comments = section
                    .body
                    .into_iter()
                    .filter(|l| l.kind == LineKind::Comment);
                self.last_lines_mut().extend(comments);
            } else {
                self.sections.push(section);
            }
        }
        let lines = self.last_lines_mut();
        if tail_removed && lines.last().is_some_and(|l| l.kind == LineKind::Blank) {
            lines.pop();
        }
        if open
            && let Some(last) = self.lines_mut().last()
            && !last.text.is_empty()
        {
            last.ending = "";
        }
        true
    }

    /// Sets `key` in the sections `targets` of one profile; returns whether
    /// that changed anything.
    fn set_key(&mut self, targets: &[usize], key: &str, value: &str, ending: &'static str) -> bool {
        let wanted = key.to_ascii_lowercase();
        let is_wanted =
            |line: &Line| matches!(&line.kind, LineKind::Property { key, .. } if *key == wanted);
        let is_property = |line: &Line| matches!(line.kind, LineKind::Property { .. });
        let last = targets.iter().rev().find_map(|&section| {
            let index = self.sections[section].body.iter().rposition(is_wanted)?;
            Some((section, index))
        });
        if let Some((section, index)) = last {
            let body = &mut self.sections[section].body;
            let continued = body[index + 1..]
                .iter()
                .take_while(|line| !is_property(line))
                .any(|line| line.kind == LineKind::Continuation);
            let same =
                matches!(&body[index].kind, LineKind::Property { value: old, .. } if old == value);
            if same && !continued {
                return false;
            }
            body[index] = property_line(key, value, ending);
            // The indented lines that continued the old value would continue
            // the new one.
            let mut next = index + 1;
            while next < body.len() && !is_property(&body[next]) {
                if body[next].kind == LineKind::Continuation {
                    body.remove(next);
                } else {
                    next += 1;
                }
            }
        } else {
            let has_key = |section: &usize| self.sections[*section].body.iter().any(is_property);
            let section = targets
                .iter()
                .copied()
                .rev()
                .find(has_key)
                .or(targets.last().copied())
                .expect("a profile has a section");
            let body = &mut self.sections[section].body;
            let at = body
                .iter()
                .rposition(|line| {
                    matches!(
                        line.kind,
                        LineKind::Property { .. } | LineKind::Continuation
                    )
                })
                .map_or(0, |index| index + 1);
            body.insert(at, property_line(key, value, ending));
        }
        true
    }

    fn is_empty(&self) -> bool {
        self.preamble.is_empty() && self.sections.is_empty()
    }

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

    /// The lines that end the file: the last section's body, or the preamble
    /// when there is no section.
    fn last_lines_mut(&mut self) -> &mut Vec<Line> {
        match self.sections.last_mut() {
            Some(section) => &mut section.body,
            None => &mut self.preamble,
        }
    }

    /// The file's line ending: CRLF when its first line ends with one, else LF.
    fn line_ending(&self) -> &'static str {
        match self.lines().map(|l| l.ending).find(|e| !e.is_empty()) {
            Some("\r\n") => "\r\n",
            _ => "\n",
        }
    }

    /// Whether the file ends without a line break (an empty file does not).
    fn ends_open(&self) -> bool {
        self.lines().last().is_some_and(|l| l.ending.is_empty())
    }

    /// After an edit: every line but the last ends with a line break, and the
    /// last one ends as the file did before (`open`: without a line break),
    /// unless it is empty (it would vanish).
    fn restore_final_ending(&mut self, open: bool, ending: &'static str) {
        let mut lines: Vec<&mut Line> = self.lines_mut().collect();
        let Some((last, rest)) = lines.split_last_mut() else {
            return;
        };
        for line in rest {
            if line.ending.is_empty() {
                line.ending = ending;
            }
        }
        if open && !last.text.is_empty() {
            last.ending = "";
        } else if last.ending.is_empty() {
            last.ending = ending;
        }
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

/// Whether the SDKs read a section `kind` for the profile `name`: `[profile
/// NAME]`, and for `default` also `[default]` unless the file has a
/// `[profile default]` (`prefixed_default`).
fn reads_profile(kind: &SectionKind, name: &str, prefixed_default: bool) -> bool {
    match kind {
        SectionKind::Profile(n) => n == name,
        SectionKind::Default => name == "default" && !prefixed_default,
        _ => false,
    }
}

/// The line `key = value` (`key =` for an empty value).
fn property_line(key: &str, value: &str, ending: &'static str) -> Line {
    let text = if value.is_empty() {
        format!("{key} =")
    } else {
        format!("{key} = {value}")
    };
    Line::new(&text, ending)
}

/// Whether `[profile NAME]` reads back as the profile `name`.
fn is_profile_name(name: &str) -> bool {
    !name.is_empty() && is_identifier(name)
}

/// Whether the line `key = value` reads back as that key and value.
fn is_writable(key: &str, value: &str) -> bool {
    !key.is_empty()
        && is_identifier(key)
        && !value.contains(['\n', '\r'])
        && parse_property(&property_line(key, value, "").text) == Ok((key, value))
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
mod properties;

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

    /// A config file as people write them: comments of both kinds, odd
    /// spacing and tabs, continued values, sub-properties, sections the
    /// SDKs ignore, and a profile split over two sections.
    const MESSY: &str = "# ~/.aws/config, edited by hand over the years\n\
        ; a semicolon comment\n\
        \t\n\
        [default]\n\
        region=us-east-1   # inline comment\n\
        output\t=\tjson\n\
        cli_pager =\n\
        \n\
        [profile x]\n\
        sso_session = corp\n\
        sso_account_id = 111122223333\n\
        sso_role_name = Admin ; trailing comment\n\
        note = first\n  second line of the note\n\
        # a comment inside x\n\
        \n\
        [sso-session corp]\n\
        sso_start_url = https://corp.awsapps.com/start\n\
        sso_region = eu-west-1\n\
        \n\
        [services z]\n\
        s3 =\n  endpoint_url = http://localhost:9000\n\taddressing_style = path\n\
        \n\
        [ profile  x ]\n\
        region = eu-central-1\n\
        Region = eu-west-3\n\
        \n\
        [profile y]   # odd spacing\n\
        Output = text\n\
        [foo]\n\
        ignored = yes\n \t\n\
        ; the last comment\n";

    /// `text` (LF, ending with a line break) with CRLF line endings when
    /// `crlf`, and without its final line break when `open`.
    fn variant(text: &str, crlf: bool, open: bool) -> String {
        let text = if crlf {
            text.replace('\n', "\r\n")
        } else {
            text.to_owned()
        };
        let eol = if crlf { "\r\n" } else { "\n" };
        match (open, text.strip_suffix(eol)) {
            (true, Some(stripped)) => stripped.to_owned(),
            _ => text,
        }
    }

    fn variants(text: &str) -> Vec<String> {
        [(false, false), (false, true), (true, false), (true, true)]
            .into_iter()
            .map(|(crlf, open)| variant(text, crlf, open))
            .collect()
    }

    fn upserted(text: &str, name: &str, keys: &[(&str, &str)]) -> (bool, String) {
        let mut file = parse(text);
        let changed = file.upsert_profile(name, keys);
        (changed, file.to_string())
    }

    fn removed(text: &str, name: &str) -> (bool, String) {
        let mut file = parse(text);
        let changed = file.remove_profile(name);
        (changed, file.to_string())
    }

    #[test]
    fn a_new_profile_is_appended_and_removed_without_a_trace() {
        let keys = [("sso_session", "work"), ("region", "eu-west-1")];
        for crlf in [false, true] {
            for open in [false, true] {
                let original = variant(MESSY, crlf, open);
                let eol = if crlf { "\r\n" } else { "\n" };
                let mut file = parse(&original);
                assert!(file.upsert_profile("fresh", &keys));
                let added = format!(
                    "{}{eol}[profile fresh]{eol}sso_session = work{eol}region = eu-west-1{}",
                    if open { eol } else { "" },
                    if open { "" } else { eol },
                );
                assert_eq!(file.to_string(), format!("{original}{added}"));
                let profile = file.profile("fresh").unwrap();
                assert_eq!(profile.get("sso_session"), Some("work"));
                assert_eq!(profile.get("region"), Some("eu-west-1"));
                assert!(!file.upsert_profile("fresh", &keys));
                assert!(file.remove_profile("fresh"));
                assert_eq!(file.to_string(), original);
                assert!(!file.remove_profile("fresh"));
            }
        }
    }

    #[test]
    fn new_profile_placement() {
        let cases = [
            ("", "[profile p]\nk = v\n"),
            ("\n", "\n\n[profile p]\nk = v\n"),
            ("# c", "# c\n\n[profile p]\nk = v"),
            ("# c\r\n", "# c\r\n\r\n[profile p]\r\nk = v\r\n"),
            ("[a]", "[a]\n\n[profile p]\nk = v"),
            ("[a]\n\n", "[a]\n\n\n[profile p]\nk = v\n"),
            (
                "[a]\r\nx = 1\n",
                "[a]\r\nx = 1\n\r\n[profile p]\r\nk = v\r\n",
            ),
            (
                "[default]\nk = w\n[profile q]\n",
                "[default]\nk = w\n[profile q]\n\n[profile p]\nk = v\n",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                upserted(text, "p", &[("k", "v")]),
                (true, expected.to_owned()),
                "{text:?}"
            );
            assert_eq!(removed(expected, "p"), (true, text.to_owned()), "{text:?}");
        }
        assert_eq!(upserted("", "p", &[]), (true, "[profile p]\n".to_owned()));
        assert_eq!(
            upserted("", "p", &[("k", "")]),
            (true, "[profile p]\nk =\n".to_owned())
        );
    }

    #[test]
    fn upsert_changes_only_the_lines_of_the_profile() {
        let keys = [
            ("sso_role_name", "ReadOnly"),
            ("region", "us-west-2"),
            ("ssokey_session", "work"),
            ("note", "plain"),
            ("sso_account_id", "111122223333"),
        ];
        let expected = "# ~/.aws/config, edited by hand over the years\n\
            ; a semicolon comment\n\
            \t\n\
            [default]\n\
            region=us-east-1   # inline comment\n\
            output\t=\tjson\n\
            cli_pager =\n\
            \n\
            [profile x]\n\
            sso_session = corp\n\
            sso_account_id = 111122223333\n\
            sso_role_name = ReadOnly\n\
            note = plain\n\
            # a comment inside x\n\
            \n\
            [sso-session corp]\n\
            sso_start_url = https://corp.awsapps.com/start\n\
            sso_region = eu-west-1\n\
            \n\
            [services z]\n\
            s3 =\n  endpoint_url = http://localhost:9000\n\taddressing_style = path\n\
            \n\
            [ profile  x ]\n\
            region = eu-central-1\n\
            region = us-west-2\n\
            ssokey_session = work\n\
            \n\
            [profile y]   # odd spacing\n\
            Output = text\n\
            [foo]\n\
            ignored = yes\n \t\n\
            ; the last comment\n";
        for (crlf, open) in [(false, false), (false, true), (true, false), (true, true)] {
            let original = variant(MESSY, crlf, open);
            let mut file = parse(&original);
            assert!(file.upsert_profile("x", &keys));
            assert_eq!(file.to_string(), variant(expected, crlf, open));
            // Idempotent.
            assert!(!file.upsert_profile("x", &keys));
            assert_eq!(file.to_string(), variant(expected, crlf, open));
            let x = file.profile("x").unwrap();
            for (key, value) in keys {
                assert_eq!(x.get(key), Some(value), "{key}");
            }
            assert_eq!(file.profiles_where("ssokey_session", "work"), ["x"]);
        }
    }

    #[test]
    fn setting_the_value_a_key_has_changes_nothing() {
        for text in variants(MESSY) {
            for (name, key, value) in [
                ("x", "sso_account_id", "111122223333"),
                ("x", "sso_role_name", "Admin"),
                ("x", "REGION", "eu-west-3"),
                ("default", "output", "json"),
                ("default", "cli_pager", ""),
                ("y", "output", "text"),
            ] {
                assert_eq!(
                    upserted(&text, name, &[(key, value)]),
                    (false, text.clone())
                );
            }
        }
    }

    #[test]
    fn upsert_edits_the_last_occurrence_and_drops_its_continuation() {
        let cases = [
            (
                "[profile p]\nk = a\nk = b # c\n[profile p]\nk = c\n\n",
                "[profile p]\nk = a\nk = b # c\n[profile p]\nk = v\n\n",
            ),
            (
                "[profile p]\nk = a\n  more\n\n  and more\n# c\nn = 1\n",
                "[profile p]\nk = v\n\n# c\nn = 1\n",
            ),
            (
                "[profile p]\nk =\n  a = 1\n\tb = 2\n",
                "[profile p]\nk = v\n",
            ),
            ("[profile p]\nk = a\n  b", "[profile p]\nk = v"),
            ("[profile p]\nk = a\n\n  b", "[profile p]\nk = v\n\n"),
            (
                "[profile p]\r\nK=a\r\nn = 1",
                "[profile p]\r\nk = v\r\nn = 1",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                upserted(text, "p", &[("k", "v")]),
                (true, expected.to_owned()),
                "{text:?}"
            );
        }
        // An empty value that had sub-properties is no longer the same value.
        assert_eq!(
            upserted("[profile p]\ns3 =\n  a = 1\n", "p", &[("s3", "")]),
            (true, "[profile p]\ns3 =\n".to_owned())
        );
    }

    #[test]
    fn missing_keys_follow_the_last_key_line() {
        let cases = [
            (
                "[profile p]\na = 1\n\n# about q\n[profile q]\n",
                "[profile p]\na = 1\nk = v\nn = 1\n\n# about q\n[profile q]\n",
            ),
            (
                "[profile p]\ns3 =\n  a = 1\n\n  b = 2\n\n; c\n",
                "[profile p]\ns3 =\n  a = 1\n\n  b = 2\nk = v\nn = 1\n\n; c\n",
            ),
            ("[profile p]\n# c\n", "[profile p]\nk = v\nn = 1\n# c\n"),
            ("[profile p]", "[profile p]\nk = v\nn = 1"),
            ("[profile p]\na = 1", "[profile p]\na = 1\nk = v\nn = 1"),
            (
                "[profile p]\na = 1\n[profile q]\n[profile p]\n# c\n",
                "[profile p]\na = 1\nk = v\nn = 1\n[profile q]\n[profile p]\n# c\n",
            ),
            (
                "[profile p]\n[profile p]\r\n\r\n",
                "[profile p]\n[profile p]\r\nk = v\nn = 1\n\r\n",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                upserted(text, "p", &[("k", "v"), ("n", "1")]),
                (true, expected.to_owned()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn upsert_of_default_edits_the_sections_the_sdk_reads() {
        assert_eq!(
            upserted("[default]\nregion = a\n", "default", &[("region", "b")]),
            (true, "[default]\nregion = b\n".to_owned())
        );
        assert_eq!(
            upserted(
                "[default]\nregion = a\n[profile default]\noutput = json\n",
                "default",
                &[("region", "b")]
            ),
            (
                true,
                "[default]\nregion = a\n[profile default]\noutput = json\nregion = b\n".to_owned()
            )
        );
        assert_eq!(
            upserted("[profile q]\n", "default", &[("region", "b")]),
            (
                true,
                "[profile q]\n\n[profile default]\nregion = b\n".to_owned()
            )
        );
    }

    #[test]
    fn remove_keeps_comments_and_the_rest() {
        let expected = "# ~/.aws/config, edited by hand over the years\n\
            ; a semicolon comment\n\
            \t\n\
            [default]\n\
            region=us-east-1   # inline comment\n\
            output\t=\tjson\n\
            cli_pager =\n\
            \n\
            # a comment inside x\n\
            [sso-session corp]\n\
            sso_start_url = https://corp.awsapps.com/start\n\
            sso_region = eu-west-1\n\
            \n\
            [services z]\n\
            s3 =\n  endpoint_url = http://localhost:9000\n\taddressing_style = path\n\
            \n\
            [profile y]   # odd spacing\n\
            Output = text\n\
            [foo]\n\
            ignored = yes\n \t\n\
            ; the last comment\n";
        for (crlf, open) in [(false, false), (false, true), (true, false), (true, true)] {
            let original = variant(MESSY, crlf, open);
            let mut file = parse(&original);
            assert!(file.remove_profile("x"));
            assert_eq!(file.to_string(), variant(expected, crlf, open));
            assert!(file.profile("x").is_none());
            assert!(!file.remove_profile("x"));
            assert!(!file.remove_profile("corp"));
            assert!(!file.remove_profile("foo"));
            assert_eq!(file.to_string(), variant(expected, crlf, open));
        }
        let cases = [
            ("[profile y]\nk = 1\n", ""),
            ("[profile y]\nk = 1", ""),
            ("\n[profile y]\nk = 1\n", ""),
            ("# c\n[profile y]\nk = 1\n", "# c\n"),
            ("[a]\nk = 1\n\n[profile y]\nk = 2", "[a]\nk = 1"),
            ("[a]\n\n\n[profile y]\n", "[a]\n\n"),
            ("[a]\n\n[profile y]\n# c", "[a]\n\n# c"),
            ("[profile y]\n\n# about a\n[a]\n", "# about a\n[a]\n"),
            // An open file whose new last line is empty keeps its line break.
            ("[a]\n\n\n[profile y]\nk = 1", "[a]\n\n"),
            ("[a]\n\n[profile y]\nk = 1\n\n[b]\n", "[a]\n\n[b]\n"),
            (
                "[profile y]\n[profile y]\n\n[b]\n[profile y]\nk =\n  a = 1\n",
                "[b]\n",
            ),
            (
                "[default]\na = 1\n\n[profile q]\n\n[profile default]\nb = 2\n",
                "[profile q]\n",
            ),
        ];
        for (text, expected) in cases {
            let name = if text.contains("default") {
                "default"
            } else {
                "y"
            };
            assert_eq!(removed(text, name), (true, expected.to_owned()), "{text:?}");
        }
    }

    #[test]
    fn profiles_where_reads_merged_values() {
        let file = parse(MESSY);
        assert_eq!(file.profiles_where("sso_session", "corp"), ["x"]);
        assert_eq!(file.profiles_where("region", "eu-west-3"), ["x"]);
        assert!(file.profiles_where("region", "eu-central-1").is_empty());
        assert_eq!(file.profiles_where("OUTPUT", "text"), ["y"]);
        assert_eq!(file.profiles_where("region", "us-east-1"), ["default"]);
        assert!(file.profiles_where("ignored", "yes").is_empty());
        let file = parse("[profile b]\ns = w\n[profile a]\ns = w\n[profile b]\nt = 1\n");
        assert_eq!(file.profiles_where("s", "w"), ["b", "a"]);
    }

    #[test]
    fn only_values_that_read_back_are_writable() {
        for (key, value) in [
            ("region", "us-east-1"),
            ("region", ""),
            ("sso_start_url", "https://x.awsapps.com/start#/?a=b"),
            ("k", "a;b"),
            ("K-2", "caf\u{e9}"),
        ] {
            assert!(is_writable(key, value), "{key:?} {value:?}");
        }
        for (key, value) in [
            ("region", "a\nb"),
            ("region", "a\r"),
            ("region", " a"),
            ("region", "a\t"),
            ("region", "a # b"),
            ("region", "a ;b"),
            ("region", "#a"),
            ("in valid", "x"),
            ("", "x"),
            ("k=", "x"),
            ("[k]", "x"),
        ] {
            assert!(!is_writable(key, value), "{key:?} {value:?}");
        }
        assert!(is_profile_name("work-Admin@123456789012"));
        for name in ["", "a b", "a]", "a#b", "\u{e9}"] {
            assert!(!is_profile_name(name), "{name:?}");
        }
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "cannot write profile \"p\"")]
    fn upsert_refuses_a_value_with_a_line_break() {
        parse("").upsert_profile("p", &[("region", "x\n[profile evil]")]);
    }

    #[test]
    fn debug_does_not_show_values() {
        let file = parse("[default]\naws_secret_access_key = hunter2\n");
        assert!(!format!("{file:?}").contains("hunter2"));
        assert!(!format!("{:?}", file.profile("default").unwrap()).contains("hunter2"));
    }
}
