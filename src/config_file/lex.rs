//! The lexer: what kind each physical line of the config file is (blank,
//! comment, header, property, continuation, invalid), and what a header
//! declares. This is the one place that decides a line's kind: the reader
//! and the editor take it from here.

/// Characters the SDKs count as whitespace when they trim.
pub(super) const WHITESPACE: &[char] = &[' ', '\t'];
/// Characters that start a comment.
const COMMENT: &[char] = &['#', ';'];
pub(super) const BYTE_ORDER_MARK: char = '\u{feff}';

/// What a section header declares.
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
    /// Any other header, or one with an invalid name, which the SDKs ignore;
    /// it holds the text between the brackets, trimmed.
    Other(String),
}

/// One physical line.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Line {
    /// The text without its line ending.
    pub(super) text: String,
    /// `"\n"`, `"\r\n"`, or `""` for a last line without one.
    pub(super) ending: &'static str,
    pub(super) kind: LineKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LineKind {
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

impl Line {
    pub(super) fn new(text: &str, ending: &'static str) -> Self {
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
pub(super) fn split_lines(text: &str) -> Vec<Line> {
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
pub(super) enum PropertyError {
    NoEquals,
    NoName,
}

/// Splits `key = value` into its trimmed key and value, without any inline
/// comment.
pub(super) fn parse_property(text: &str) -> Result<(&str, &str), PropertyError> {
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
pub(super) fn parse_header(text: &str) -> Result<SectionKind, String> {
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
pub(super) fn validate_sub_property(text: &str, key: &str) -> Result<(), String> {
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
}
