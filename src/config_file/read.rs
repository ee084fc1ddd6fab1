//! The read model: [`ConfigFile::parse`] groups the lexed lines into
//! sections (and rejects the malformed ones), and the lookups merge
//! sections the way botocore does (`sso_session`, `profile`,
//! `profile_names`, `raw_sections`).

use std::collections::BTreeMap;
use std::path::Path;

use super::lex::{
    BYTE_ORDER_MARK, LineKind, PropertyError, SectionKind, header_name, is_space, lex,
    parse_nested, section_kind, strip,
};
use super::{
    ConfigError, ConfigFile, ParseError, Profile, Property, RawValue, Section, SsoSession,
};

impl Profile {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value of `key` (case-insensitive), as botocore reads it: a value
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
        let key = key.to_lowercase();
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
        // The key of the open property when its own line had an empty value,
        // so that its continuation lines are a nested block.
        let mut block: Option<String> = None;
        // Broken nested blocks of [DEFAULT] sections (key and line): botocore
        // only sees them through the sections that inherit them.
        let mut default_blocks: Vec<(String, usize)> = Vec::new();
        for (index, line) in lex(text).into_iter().enumerate() {
            let malformed = |reason: String| ParseError::Malformed {
                line: index + 1,
                reason,
            };
            match &line.kind {
                LineKind::Blank | LineKind::Comment => {}
                LineKind::Invalid(err) => {
                    return Err(malformed(match err {
                        PropertyError::NoEquals if strip(&line.text).starts_with('[') => {
                            "expected \"]\" at the end of the section header".to_owned()
                        }
                        PropertyError::NoEquals => {
                            "expected \"key = value\" or a [section] header".to_owned()
                        }
                        PropertyError::NoName => "expected a key before \"=\"".to_owned(),
                    }));
                }
                LineKind::Header => {
                    let name = header_name(&line.text)
                        .expect("a header line has a name")
                        .to_owned();
                    file.sections.push(Section {
                        header: line,
                        kind: section_kind(&name),
                        name,
                        body: Vec::new(),
                    });
                    block = None;
                    continue;
                }
                LineKind::Property { key, value } => {
                    if file.sections.is_empty() {
                        return Err(malformed(
                            "expected a [section] header before the first \"key = value\" line"
                                .to_owned(),
                        ));
                    }
                    block = value.is_empty().then(|| key.clone());
                }
                LineKind::Continuation => {
                    if let Some(key) = &block
                        && parse_nested(strip(&line.text)).is_err()
                    {
                        let in_defaults = file
                            .sections
                            .last()
                            .is_some_and(|s| s.kind == SectionKind::Defaults);
                        if !in_defaults {
                            return Err(malformed(format!(
                                "expected \"name = value\" in the indented lines under \"{key} =\""
                            )));
                        }
                        default_blocks.push((key.clone(), index + 1));
                    }
                }
            }
            match file.sections.last_mut() {
                Some(section) => section.body.push(line),
                None => file.preamble.push(line),
            }
        }
        // A broken block in [DEFAULT] is an error when a section inherits it.
        let raw = file.raw_sections_with(false);
        for (key, line) in default_blocks {
            if raw.values().any(|section| !section.contains_key(&key)) {
                return Err(ParseError::Malformed {
                    line,
                    reason: format!(
                        "expected \"name = value\" in the indented lines under \"{key} =\""
                    ),
                });
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

    /// The file as botocore's `raw_config_parse` gives it: each section's
    /// name (the text between its brackets) and its keys and values, with
    /// the keys of `[DEFAULT]` in every section that does not set them, and
    /// without `[DEFAULT]` itself. For a file that botocore refuses because
    /// a section or a key appears twice, sections of one name are merged and
    /// a later key replaces an earlier one.
    pub fn raw_sections(&self) -> BTreeMap<String, BTreeMap<String, RawValue>> {
        self.raw_sections_with(true)
    }

    /// [`Self::raw_sections`], with or without the inherited `[DEFAULT]` keys.
    fn raw_sections_with(&self, inherit: bool) -> BTreeMap<String, BTreeMap<String, RawValue>> {
        let raw = |properties: Vec<Property>| -> BTreeMap<String, RawValue> {
            properties
                .into_iter()
                .map(|p| {
                    let value = if p.value.starts_with('\n') {
                        RawValue::Nested(p.sub_properties.into_iter().collect())
                    } else {
                        RawValue::Text(p.value)
                    };
                    (p.key, value)
                })
                .collect()
        };
        let defaults = raw(self.merged(&self.sections_where(|k| *k == SectionKind::Defaults)));
        let mut sections: BTreeMap<String, BTreeMap<String, RawValue>> = BTreeMap::new();
        for section in &self.sections {
            if section.kind == SectionKind::Defaults {
                continue;
            }
            let keys = sections.entry(section.name.clone()).or_default();
            keys.extend(raw(section.properties()));
        }
        if inherit {
            for keys in sections.values_mut() {
                for (key, value) in &defaults {
                    keys.entry(key.clone()).or_insert_with(|| value.clone());
                }
            }
        }
        sections
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

    /// The `[sso-session NAME]` section, as botocore reads it.
    pub fn sso_session(&self, name: &str) -> Option<SsoSession> {
        let sections =
            self.winning_sections(|kind| matches!(kind, SectionKind::SsoSession(n) if n == name));
        if sections.is_empty() {
            return None;
        }
        let properties = self.with_defaults(&sections);
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
                        .map(strip)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            keychain: get("ssokey_keychain"),
            auto_login: get("ssokey_auto_login"),
            profile_region: get("region"),
            ca_bundle: get("ca_bundle"),
        })
    }

    /// The profile `name`, as botocore reads it: from the sections of the
    /// last-appearing header that names it (`[default]` and
    /// `[profile default]` both name `default`), with the keys of
    /// `[DEFAULT]` that it does not set.
    pub fn profile(&self, name: &str) -> Option<Profile> {
        let sections = self.profile_sections(name);
        if sections.is_empty() {
            return None;
        }
        Some(Profile {
            name: name.to_owned(),
            properties: self.with_defaults(&sections),
        })
    }

    /// The names of the profiles, in the order of first appearance.
    pub fn profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for section in &self.sections {
            let Some(name) = profile_name(&section.kind) else {
                continue;
            };
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
        names
    }

    /// The sections botocore reads for the profile `name`.
    pub(super) fn profile_sections(&self, name: &str) -> Vec<usize> {
        self.winning_sections(|kind| profile_name(kind) == Some(name))
    }

    /// Of the sections that `wanted` selects, those with the name (the text
    /// between the brackets) whose first appearance comes last: botocore
    /// keys sections by name and lets a later one replace an earlier one
    /// whole (`[default]` then `[profile default]`).
    fn winning_sections(&self, wanted: impl Fn(&SectionKind) -> bool) -> Vec<usize> {
        let mut last: Option<&str> = None;
        let mut seen: Vec<&str> = Vec::new();
        for section in self.sections.iter().filter(|s| wanted(&s.kind)) {
            if !seen.contains(&section.name.as_str()) {
                seen.push(&section.name);
                last = Some(&section.name);
            }
        }
        let Some(last) = last else {
            return Vec::new();
        };
        self.sections_where_name(last)
    }

    fn sections_where_name(&self, name: &str) -> Vec<usize> {
        (0..self.sections.len())
            .filter(|&i| self.sections[i].name == name)
            .collect()
    }

    fn sections_where(&self, wanted: impl Fn(&SectionKind) -> bool) -> Vec<usize> {
        (0..self.sections.len())
            .filter(|&i| wanted(&self.sections[i].kind))
            .collect()
    }

    /// The properties of `sections` merged in file order, over those of the
    /// `[DEFAULT]` sections.
    fn with_defaults(&self, sections: &[usize]) -> Vec<Property> {
        let mut properties = self.merged(&self.sections_where(|k| *k == SectionKind::Defaults));
        for property in self.merged(sections) {
            match properties.iter_mut().find(|p| p.key == property.key) {
                Some(existing) => *existing = property,
                None => properties.push(property),
            }
        }
        properties
    }

    /// The properties of `sections`, merged in file order: a later key
    /// replaces an earlier one.
    fn merged(&self, sections: &[usize]) -> Vec<Property> {
        let mut merged: Vec<Property> = Vec::new();
        for &index in sections {
            for property in self.sections[index].properties() {
                match merged.iter_mut().find(|p| p.key == property.key) {
                    Some(existing) => *existing = property,
                    None => merged.push(property),
                }
            }
        }
        merged
    }
}

impl Section {
    /// The section's properties in file order, duplicates included. As in
    /// configparser, the continuation lines and the blank lines after a key
    /// line join its value with `\n` (trailing ones dropped); comment lines
    /// are skipped.
    fn properties(&self) -> Vec<Property> {
        let mut properties: Vec<Property> = Vec::new();
        for line in &self.body {
            match &line.kind {
                LineKind::Property { key, value } => {
                    properties.push(Property {
                        key: key.clone(),
                        value: value.clone(),
                        sub_properties: Vec::new(),
                    });
                }
                LineKind::Continuation | LineKind::Blank => {
                    if let Some(property) = properties.last_mut() {
                        property.value.push('\n');
                        property.value.push_str(strip(&line.text));
                    }
                }
                LineKind::Comment | LineKind::Header | LineKind::Invalid(_) => {}
            }
        }
        for property in &mut properties {
            let len = property.value.trim_end_matches(is_space).len();
            property.value.truncate(len);
            if property.value.starts_with('\n') {
                property.sub_properties = parse_nested(&property.value).unwrap_or_default();
            }
        }
        properties
    }
}

/// The profile a section of `kind` is part of, if any.
pub(super) fn profile_name(kind: &SectionKind) -> Option<&str> {
    match kind {
        SectionKind::Profile(name) => Some(name),
        SectionKind::Default => Some("default"),
        _ => None,
    }
}

/// The 1-based line that holds byte `offset`, lines ending at `\n`, `\r\n`
/// or a lone `\r`.
fn line_of_offset(bytes: &[u8], offset: usize) -> usize {
    let before = &bytes[..offset];
    let breaks = before
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && before.get(i + 1) != Some(&b'\n')))
        .count();
    breaks + 1
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
             region = eu-central-1\n\
             [sso-session bare]\n",
        );
        assert_eq!(
            file.sso_session("corp"),
            Some(SsoSession {
                name: "corp".into(),
                // botocore keeps what follows a value, comment characters too.
                start_url: Some("https://corp.awsapps.com/start # portal".into()),
                region: Some("eu-west-1".into()),
                registration_scopes: vec!["sso:account:access".into()],
                keychain: None,
                auto_login: None,
                profile_region: Some("eu-central-1".into()),
                ca_bundle: None,
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
                auto_login: None,
                profile_region: None,
                ca_bundle: None,
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
    fn of_the_headers_that_name_a_profile_the_last_one_wins_whole() {
        for (text, name) in [
            (
                "[profile default]\nname = value\n[default]\nname2 = value2\n",
                "name2",
            ),
            (
                "[default]\nname2 = value2\n[profile default]\nname = value\n",
                "name",
            ),
            (
                "[profile a]\nname2 = value2\n[profile  a]\nname = value\n[profile a]\nx = 1\n",
                "name",
            ),
        ] {
            let file = parse(text);
            let profile = file.profile(profile_names_first(&file)).unwrap();
            let keys: Vec<_> = profile.properties.iter().map(|p| p.key.as_str()).collect();
            assert_eq!(keys, [name], "{text:?}");
            assert_eq!(file.profile_names().len(), 1);
        }
    }

    fn profile_names_first(file: &ConfigFile) -> &'static str {
        if file.profile("default").is_some() {
            "default"
        } else {
            "a"
        }
    }

    #[test]
    fn default_keys_are_inherited() {
        let file = parse(
            "[DEFAULT]\nregion = a\nsso_region = r\n[profile p]\nregion = b\n[sso-session s]\n[default]\n[DEFAULT]\noutput = json\n",
        );
        assert_eq!(file.profile("p").unwrap().get("region"), Some("b"));
        assert_eq!(file.profile("p").unwrap().get("output"), Some("json"));
        assert_eq!(file.profile("default").unwrap().get("region"), Some("a"));
        assert_eq!(file.sso_session("s").unwrap().region.as_deref(), Some("r"));
        assert_eq!(file.profile_names(), ["p", "default"]);
        let raw = file.raw_sections();
        assert_eq!(
            raw.keys().collect::<Vec<_>>(),
            ["default", "profile p", "sso-session s"]
        );
        assert_eq!(raw["profile p"]["region"], RawValue::Text("b".into()));
        assert_eq!(raw["default"]["output"], RawValue::Text("json".into()));
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
    fn keys_are_case_insensitive() {
        let file = parse("[profile p]\nRegion = a\nin valid = b\n\u{c9}t\u{c9} = c\n");
        let profile = file.profile("p").unwrap();
        assert_eq!(profile.get("region"), Some("a"));
        assert_eq!(profile.get("REGION"), Some("a"));
        assert_eq!(profile.get("in valid"), Some("b"));
        assert_eq!(profile.get("\u{e9}t\u{e9}"), Some("c"));
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
            Some("\nmax_concurrent_requests = 10\n\nmax_queue_size = 1000 # c")
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
                "expected \"key = value\" or a [section] header",
            ),
            (
                "[default]\r\n\r\n  indented\r\n",
                3,
                "expected \"key = value\" or a [section] header",
            ),
            (
                "[a]\nk = v\n[profile a]\n -continued",
                4,
                "expected \"key = value\" or a [section] header",
            ),
            ("[default]\n= value\n", 2, "expected a key before \"=\""),
            ("[default]\n : value\n", 2, "expected a key before \"=\""),
            (
                "[profile foo\n",
                1,
                "expected \"]\" at the end of the section header",
            ),
            ("[]\n", 1, "expected \"]\" at the end of the section header"),
            (
                "[default]\nk = v\rnot a key",
                3,
                "expected \"key = value\" or a [section] header",
            ),
            (
                "[default]\ns3 =\n  # c\n\n  invalid\n",
                5,
                "expected \"name = value\" in the indented lines under \"s3 =\"",
            ),
            (
                "[default]\nS3 =\n  a: 10\n",
                3,
                "expected \"name = value\" in the indented lines under \"s3 =\"",
            ),
            (
                "[DEFAULT]\ns3 =\n  invalid\n[a]\n",
                3,
                "expected \"name = value\" in the indented lines under \"s3 =\"",
            ),
        ];
        for (text, line, reason) in cases {
            assert_eq!(malformed(text), (*line, (*reason).to_owned()), "{text:?}");
        }
    }

    #[test]
    fn what_botocore_reads_parses() {
        for text in [
            "[profile foo] extra\n",
            "[profile a#b]\n",
            "[default]\nkey : value",
            "[default]\nS3 =\n  = 10\n",
            "[DEFAULT]\ns3 =\n  invalid\n",
            "[DEFAULT]\ns3 =\n  invalid\n[a]\ns3 = x\n",
            "[a]\n[]=x\n",
            "[a]b]\n[c]\n",
        ] {
            let parsed = ConfigFile::parse(text);
            assert!(parsed.is_ok(), "{text:?}: {parsed:?}");
        }
        let raw = parse("[default]\nS3 =\n  = 10\n  A = 1 = 2\n  a = 3\n  A = 4\n").raw_sections();
        assert_eq!(
            raw["default"]["s3"],
            RawValue::Nested(
                [("", "10"), ("A", "4"), ("a", "3")]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect()
            )
        );
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
