//! The lexer: what kind each physical line of the config file is (blank,
//! comment, header, property, continuation, invalid), and what a header
//! declares. This is the one place that decides a line's kind: the reader
//! and the editor take it from here. It follows Python's
//! `configparser.RawConfigParser`, on which botocore reads the file.

/// Characters that start a comment line.
const COMMENT: &[char] = &['#', ';'];
/// Characters that separate a key from its value (the first one wins).
const DELIMITERS: &[char] = &['=', ':'];
/// The characters Python's `str.splitlines` breaks at (besides `\n` and `\r`,
/// which end physical lines).
const PYTHON_LINE_BREAKS: &[char] = &[
    '\n', '\r', '\u{b}', '\u{c}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{85}', '\u{2028}', '\u{2029}',
];
pub(super) const BYTE_ORDER_MARK: char = '\u{feff}';

/// Whether Python counts `c` as whitespace (`str.isspace`, `str.strip`,
/// and `\s` in `re`): Unicode's White_Space, and the separators
/// U+001C..U+001F.
pub(super) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `text` without leading and trailing whitespace, as Python's `str.strip()`.
pub(super) fn strip(text: &str) -> &str {
    text.trim_matches(is_space)
}

/// The leading whitespace of a line, which sets how deep it is indented.
pub(super) fn indentation(text: &str) -> &str {
    &text[..text.len() - text.trim_start_matches(is_space).len()]
}

/// What a section header declares, as botocore's `build_profile_map` reads
/// its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SectionKind {
    /// `[default]`.
    Default,
    /// `[profile NAME]`, including `[profile default]`.
    Profile(String),
    /// `[sso-session NAME]`.
    SsoSession(String),
    /// `[services NAME]`.
    Services(String),
    /// `[DEFAULT]`: configparser's defaults, which every other section
    /// inherits.
    Defaults,
    /// Any other header, which botocore keeps but no profile lookup reads;
    /// it holds the section's name.
    Other(String),
}

/// One physical line.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Line {
    /// The text without its line ending.
    pub(super) text: String,
    /// `"\n"`, `"\r\n"`, `"\r"`, or `""` for a last line without one.
    pub(super) ending: &'static str,
    pub(super) kind: LineKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LineKind {
    /// Only whitespace.
    Blank,
    /// `#` or `;` after any indentation.
    Comment,
    Header,
    /// A `key = value` (or `key: value`) line: the key lowercased, the value
    /// stripped. Comment characters in it are text.
    Property {
        key: String,
        value: String,
    },
    /// A line indented deeper than the property above it, which continues
    /// that property's value.
    Continuation,
    /// A line that is none of the above; `parse` rejects it.
    Invalid(PropertyError),
}

impl Line {
    /// The line as it reads where no property is open: right after a header,
    /// or indented no deeper than the property above it.
    pub(super) fn new(text: &str, ending: &'static str) -> Self {
        let value = strip(text);
        let kind = if value.is_empty() {
            LineKind::Blank
        } else if value.starts_with(COMMENT) {
            LineKind::Comment
        } else if header_name(value).is_some() {
            LineKind::Header
        } else {
            match parse_property(value) {
                Ok((key, value)) => LineKind::Property {
                    key: key.to_lowercase(),
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

/// Splits text into lines at `\n`, `\r\n` and a lone `\r`, as Python reads
/// a text file, keeping each ending.
pub(super) fn split_lines(text: &str) -> Vec<(&str, &'static str)> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(['\n', '\r']) {
        let (line, ending) = if rest[at..].starts_with("\r\n") {
            (&rest[..at], "\r\n")
        } else if rest[at..].starts_with('\r') {
            (&rest[..at], "\r")
        } else {
            (&rest[..at], "\n")
        };
        lines.push((line, ending));
        rest = &rest[at + ending.len()..];
    }
    if !rest.is_empty() {
        lines.push((rest, ""));
    }
    lines
}

/// The lines of `text` and their kinds. A line is a continuation when a
/// property is open (no header since it) and the line is indented deeper
/// (in characters) than the last header or property line; blank and
/// comment lines change nothing.
pub(super) fn lex(text: &str) -> Vec<Line> {
    let mut in_section = false;
    let mut open = false;
    let mut level = 0;
    split_lines(text)
        .into_iter()
        .map(|(text, ending)| {
            let mut line = Line::new(text, ending);
            if matches!(line.kind, LineKind::Blank | LineKind::Comment) {
                return line;
            }
            let indent = indentation(text).chars().count();
            if in_section && open && indent > level {
                line.kind = LineKind::Continuation;
                return line;
            }
            level = indent;
            match line.kind {
                LineKind::Header => {
                    in_section = true;
                    open = false;
                }
                LineKind::Property { .. } => open = in_section,
                _ => {}
            }
            line
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PropertyError {
    NoEquals,
    NoName,
}

/// Splits `key = value` (or `key: value`) at its first `=` or `:` into its
/// key and its value, both stripped.
pub(super) fn parse_property(text: &str) -> Result<(&str, &str), PropertyError> {
    let text = strip(text);
    let at = text.find(DELIMITERS).ok_or(PropertyError::NoEquals)?;
    let key = text[..at].trim_end_matches(is_space);
    if key.is_empty() {
        return Err(PropertyError::NoName);
    }
    Ok((key, strip(&text[at + 1..])))
}

/// The name of the section a header line opens: what stands between its
/// first `[` and its last `]`, unstripped; `None` when it is no header.
pub(super) fn header_name(text: &str) -> Option<&str> {
    let inner = strip(text).strip_prefix('[')?;
    let end = inner.rfind(']')?;
    (end > 0).then(|| &inner[..end])
}

/// What a section of that name declares, as botocore's `build_profile_map`
/// sees it: a name that starts with `profile`, `sso-session` or `services`
/// and splits (as a shell would) into two words names its second word.
pub(super) fn section_kind(name: &str) -> SectionKind {
    let second_word = || match shell_words(name).as_deref() {
        Some([_, second]) => Some(second.clone()),
        _ => None,
    };
    let kind = if name.starts_with("profile") {
        second_word().map(SectionKind::Profile)
    } else if name.starts_with("sso-session") {
        second_word().map(SectionKind::SsoSession)
    } else if name.starts_with("services") {
        second_word().map(SectionKind::Services)
    } else if name == "default" {
        Some(SectionKind::Default)
    } else if name == "DEFAULT" {
        Some(SectionKind::Defaults)
    } else {
        None
    };
    kind.unwrap_or_else(|| SectionKind::Other(name.to_owned()))
}

/// Python's `shlex.split`: words split at spaces, tabs and line breaks, with
/// quotes and backslash escapes; `None` for an unclosed quote or a trailing
/// backslash.
pub fn shell_words(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => words.extend(word.take()),
            '\\' => word.get_or_insert_default().push(chars.next()?),
            '\'' => {
                let word = word.get_or_insert_default();
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                let word = word.get_or_insert_default();
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => {
                            let escaped = chars.next()?;
                            if escaped != '"' && escaped != '\\' {
                                word.push('\\');
                            }
                            word.push(escaped);
                        }
                        c => word.push(c),
                    }
                }
            }
            c => word.get_or_insert_default().push(c),
        }
    }
    words.extend(word);
    Some(words)
}

/// The `name = value` pairs of a nested block (a value that starts with a
/// line break), as botocore's `_parse_nested` reads them: each non-blank
/// line split at its first `=`, both sides stripped, a later name replacing
/// an earlier one. `Err` holds the first line without `=`.
pub(super) fn parse_nested(value: &str) -> Result<Vec<(String, String)>, &str> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for line in value.split(PYTHON_LINE_BREAKS).map(strip) {
        if line.is_empty() {
            continue;
        }
        let (name, value) = line.split_once('=').ok_or(line)?;
        let (name, value) = (strip(name).to_owned(), strip(value).to_owned());
        match pairs.iter_mut().find(|(n, _)| *n == name) {
            Some(pair) => pair.1 = value,
            None => pairs.push((name, value)),
        }
    }
    Ok(pairs)
}

/// Whether the SDKs accept `name` as a profile, section or key name.
pub(super) fn is_identifier(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config_file::ConfigFile;
    use pretty_assertions::assert_eq;

    fn parse(text: &str) -> ConfigFile {
        ConfigFile::parse(text).unwrap()
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
        "[default]\nname = caf\u{e9} \u{1f431}\nodd = a\r  b\nlast = \r",
        "[services local]\nsts =\n  endpoint_url = http://localhost:4566\n  # off\ns3 =\n  addressing_style = path\n",
        "  [default]\n  region = x\n    more\n  output: json\n\x0c\n[DEFAULT]\nk = v\r",
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
             [profile default]\n[profile a]# comment\n[profile b] ; comment\n[ ]\n\
             [profile \"c d\"]\n[profilex e]\n[DEFAULT]\n[profile a#b]\n[a]b]\n[profile 'x]\n\
             [profile  f ]\n  [sso-session g]\n",
        );
        assert_eq!(
            kinds(&file),
            [
                SectionKind::Default,
                SectionKind::Other(" profile  foo ".into()),
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
                SectionKind::Other(" ".into()),
                SectionKind::Profile("c d".into()),
                SectionKind::Profile("e".into()),
                SectionKind::Defaults,
                SectionKind::Profile("a#b".into()),
                SectionKind::Other("a]b".into()),
                SectionKind::Other("profile 'x".into()),
                SectionKind::Profile("f".into()),
                SectionKind::SsoSession("g".into()),
            ]
        );
    }

    #[test]
    fn shell_words_split_as_python_shlex_does() {
        let cases: &[(&str, Option<&[&str]>)] = &[
            ("profile a", Some(&["profile", "a"])),
            (" profile\t a \n", Some(&["profile", "a"])),
            ("profile \"a b\"", Some(&["profile", "a b"])),
            ("profile 'a \\b'", Some(&["profile", "a \\b"])),
            ("profile \"a\\\"b\\c\"", Some(&["profile", "a\"b\\c"])),
            ("profile a\\ b", Some(&["profile", "a b"])),
            ("profile ''", Some(&["profile", ""])),
            ("profile x\"y z\"", Some(&["profile", "xy z"])),
            ("profile 'a", None),
            ("profile a\\", None),
        ];
        for (text, words) in cases {
            let expected = words.map(|w| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
            assert_eq!(shell_words(text), expected, "{text:?}");
        }
    }

    #[test]
    fn indentation_decides_what_continues() {
        let kinds =
            |text: &str| -> Vec<LineKind> { lex(text).into_iter().map(|l| l.kind).collect() };
        let property = |key: &str, value: &str| LineKind::Property {
            key: key.into(),
            value: value.into(),
        };
        assert_eq!(
            kinds("  [a]\n  k = 1\n   more\n  # c\n\n  K: 2\n [b]\n\tx\n"),
            [
                LineKind::Header,
                property("k", "1"),
                LineKind::Continuation,
                LineKind::Comment,
                LineKind::Blank,
                property("k", "2"),
                LineKind::Header,
                LineKind::Invalid(PropertyError::NoEquals),
            ]
        );
        assert_eq!(
            kinds("[a]\n  [b]\n  x = 1\n[c]\n\u{c}\n\t; c\n"),
            [
                LineKind::Header,
                LineKind::Header,
                property("x", "1"),
                LineKind::Header,
                LineKind::Blank,
                LineKind::Comment,
            ]
        );
    }

    #[test]
    fn comment_characters_in_values_are_text() {
        let file = parse(
            "[profile p]\na = v # c\nb = v ; c\nc = v#c\nd = v;c\ne = v\t#c\nf = # only\ng = h=i\nh: i = j\nI:J\n",
        );
        let p = file.profile("p").unwrap();
        let values: Vec<_> = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
            .iter()
            .map(|k| p.get(k).unwrap())
            .collect();
        assert_eq!(
            values,
            [
                "v # c", "v ; c", "v#c", "v;c", "v\t#c", "# only", "h=i", "i = j", "J"
            ]
        );
    }
}
