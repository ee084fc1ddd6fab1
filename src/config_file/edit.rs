//! The editor: adding, changing and removing profiles in place, keeping
//! the bytes of every line it does not touch.

use super::lex::{Line, LineKind, SectionKind, indentation, is_identifier, parse_property};
use super::read::profile_name;
use super::{ConfigFile, Section};

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
        let targets = self.profile_sections(name);
        let changed = if targets.is_empty() {
            let kind = SectionKind::Profile(name.to_owned());
            self.append_section(format!("profile {name}"), kind, keys, ending);
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

    /// Appends the section `[sso-session NAME]` with `keys`, after one blank
    /// line, as [`Self::upsert_profile`] appends a profile; returns whether it
    /// did. A file that has a section of that name is left as it is (its
    /// keys are the user's), and so are a name, key or value that would not
    /// read back as themselves (debug builds panic).
    pub fn add_sso_session(&mut self, name: &str, keys: &[(&str, &str)]) -> bool {
        let writable = is_profile_name(name)
            && !name.contains(char::is_whitespace)
            && keys.iter().all(|(key, value)| is_writable(key, value));
        debug_assert!(writable, "add_sso_session: cannot write {name:?}");
        let exists = self
            .sections
            .iter()
            .any(|s| matches!(&s.kind, SectionKind::SsoSession(n) if n == name));
        if !writable || exists {
            return false;
        }
        let ending = self.line_ending();
        let open = self.ends_open();
        let kind = SectionKind::SsoSession(name.to_owned());
        self.append_section(format!("sso-session {name}"), kind, keys, ending);
        self.restore_final_ending(open, ending);
        true
    }

    /// Appends the section `[section]` of `kind` with `keys`, after one blank
    /// line unless the file is empty.
    fn append_section(
        &mut self,
        section: String,
        kind: SectionKind,
        keys: &[(&str, &str)],
        ending: &'static str,
    ) {
        if !self.is_empty() {
            // After a lone CR, an empty line ending in LF would read as
            // one CRLF line break.
            let after_cr = self.lines().last().is_some_and(|l| l.ending == "\r");
            let separator = if after_cr { "\r" } else { ending };
            self.last_lines_mut().push(Line::new("", separator));
        }
        self.sections.push(Section {
            header: Line::new(&format!("[{section}]"), ending),
            name: section,
            kind,
            body: keys
                .iter()
                .map(|(key, value)| property_line("", key, value, ending))
                .collect(),
        });
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
        let removed = |kind: &SectionKind| profile_name(kind) == Some(name);
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
        self.keep_headers_apart();
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
            // The same indentation keeps the lines around it what they were.
            let indent = indentation(&body[index].text).to_owned();
            body[index] = property_line(&indent, key, value, ending);
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
            // After it come blank and comment lines, then the next header,
            // which must not become part of its value: indent it as deep as
            // that header (no deeper than the key line above, which the
            // header did not continue).
            let indent = self
                .sections
                .get(section + 1)
                .map(|next| indentation(&next.header.text).to_owned())
                .unwrap_or_default();
            let body = &mut self.sections[section].body;
            body.insert(at, property_line(&indent, key, value, ending));
        }
        true
    }

    /// After sections were removed: a header indented deeper than the key
    /// line above it would continue that key's value, so its indentation
    /// goes (the header means the same without it).
    fn keep_headers_apart(&mut self) {
        for index in 1..self.sections.len() {
            let above = self.sections[index - 1]
                .body
                .iter()
                .rev()
                .find(|line| matches!(line.kind, LineKind::Property { .. }))
                .map(|line| indentation(&line.text).chars().count());
            let header = &self.sections[index].header;
            if above.is_some_and(|level| indentation(&header.text).chars().count() > level) {
                let text = header
                    .text
                    .trim_start_matches(super::lex::is_space)
                    .to_owned();
                self.sections[index].header = Line::new(&text, header.ending);
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.preamble.is_empty() && self.sections.is_empty()
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

/// The line `key = value` (`key =` for an empty value), after `indent`.
fn property_line(indent: &str, key: &str, value: &str, ending: &'static str) -> Line {
    let text = if value.is_empty() {
        format!("{indent}{key} =")
    } else {
        format!("{indent}{key} = {value}")
    };
    Line::new(&text, ending)
}

/// Whether `[profile NAME]` reads back as the profile `name`.
fn is_profile_name(name: &str) -> bool {
    !name.is_empty() && is_identifier(name)
}

/// Whether the line `key = value` reads back as that key and value, in
/// botocore and in the SDKs that cut an inline comment (a `#` or `;` after
/// whitespace) off a value.
pub(super) fn is_writable(key: &str, value: &str) -> bool {
    let inline_comment = value.char_indices().any(|(i, c)| {
        matches!(c, '#' | ';')
            && value[..i]
                .chars()
                .next_back()
                .is_none_or(char::is_whitespace)
    });
    !key.is_empty()
        && is_identifier(key)
        && !value.contains(['\n', '\r'])
        && !inline_comment
        && parse_property(&property_line("", key, value, "").text) == Ok((key, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn parse(text: &str) -> ConfigFile {
        ConfigFile::parse(text).unwrap()
    }

    /// A config file as people write them: comments of both kinds, odd
    /// spacing and tabs, continued values, sub-properties, sections the
    /// SDKs ignore, and a profile split over two sections with a key set
    /// twice (which botocore refuses, and ssokey merges).
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
        [profile x]\n\
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
            [profile x]\n\
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
        // botocore keeps comment characters in a value.
        assert!(file.profiles_where("region", "us-east-1").is_empty());
        assert_eq!(
            file.profiles_where("region", "us-east-1   # inline comment"),
            ["default"]
        );
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
    fn a_new_sso_session_is_appended_and_an_existing_one_left_alone() {
        let keys = [
            ("sso_start_url", "https://acme.awsapps.com/start"),
            ("sso_region", "eu-west-1"),
        ];
        let mut file = parse("");
        assert!(file.add_sso_session("acme", &keys));
        assert_eq!(
            file.to_string(),
            "[sso-session acme]\nsso_start_url = https://acme.awsapps.com/start\nsso_region = eu-west-1\n"
        );
        for text in variants(MESSY) {
            let mut file = parse(&text);
            assert!(file.add_sso_session("acme", &keys));
            let out = file.to_string();
            let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
            let added = format!(
                "[sso-session acme]{eol}sso_start_url = https://acme.awsapps.com/start{eol}sso_region = eu-west-1"
            );
            let (kept, tail) = out.split_at(text.trim_end_matches(eol).len());
            assert_eq!(kept, text.trim_end_matches(eol));
            assert_eq!(
                tail,
                format!(
                    "{eol}{eol}{added}{}",
                    &text[text.trim_end_matches(eol).len()..]
                )
            );
            let session = file.sso_session("acme").unwrap();
            assert_eq!(session.region.as_deref(), Some("eu-west-1"));
            // The same name again, or one that is there already: no change.
            assert!(!file.add_sso_session("acme", &keys));
            assert!(!file.add_sso_session("corp", &keys));
            assert_eq!(file.to_string(), out);
        }
    }
}
