//! The read model: [`ConfigFile::parse`] groups the lexed lines into
//! sections (and rejects the malformed ones), and the lookups merge
//! sections the way the SDKs do (`sso_session`, `profile`, `profile_names`).

use std::path::Path;

use super::lex::{
    BYTE_ORDER_MARK, LineKind, PropertyError, SectionKind, WHITESPACE, is_identifier, parse_header,
    split_lines, validate_sub_property,
};
use super::{ConfigError, ConfigFile, ParseError, Profile, Property, Section, SsoSession};

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
            keychain: get("ssokey_keychain"),
        })
    }

    /// The profile `name`, merged over its duplicate sections. The profile
    /// `default` comes from `[profile default]` when the file has one, and
    /// from `[default]` otherwise.
    pub fn profile(&self, name: &str) -> Option<Profile> {
        let prefixed_default = self.has_prefixed_default();
        let properties = self.merged(|kind| reads_profile(kind, name, prefixed_default))?;
        Some(Profile {
            name: name.to_owned(),
            properties,
        })
    }

    /// The names of the profiles, in the order of first appearance.
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

    pub(super) fn has_prefixed_default(&self) -> bool {
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

/// Whether the SDKs read a section `kind` for the profile `name`: `[profile
/// NAME]`, and for `default` also `[default]` unless the file has a
/// `[profile default]` (`prefixed_default`).
pub(super) fn reads_profile(kind: &SectionKind, name: &str, prefixed_default: bool) -> bool {
    match kind {
        SectionKind::Profile(n) => n == name,
        SectionKind::Default => name == "default" && !prefixed_default,
        _ => false,
    }
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
                keychain: None,
            })
        );
        assert_eq!(
            file.sso_session("bare"),
            Some(SsoSession {
                name: "bare".into(),
                start_url: None,
                region: None,
                registration_scopes: Vec::new(),
                keychain: None,
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
}
