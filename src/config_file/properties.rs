//! Property tests of the config parser and its edits: arbitrary text never
//! panics, an unedited parse renders back byte for byte, and an edit of one
//! profile leaves every other byte and every other profile as it was.

use proptest::prelude::*;
use proptest::test_runner::Config;

use super::edit::is_writable;
use super::lex::{BYTE_ORDER_MARK, LineKind, SectionKind, split_lines, strip};
use super::*;

/// Cases per property. `cargo test` runs them all, so CI does too.
const CASES: u32 = 2000;

fn config() -> Config {
    Config {
        // A new profile's name is drawn from names the files also use.
        max_global_rejects: CASES * 4,
        ..Config::with_cases(CASES)
    }
}

/// Text made of the characters the parser looks at, and a few it does not.
fn soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("["),
            Just("]"),
            Just("="),
            Just("#"),
            Just(";"),
            Just(" "),
            Just("\t"),
            Just("\n"),
            Just("\r\n"),
            Just("\r"),
            Just("profile"),
            Just("default"),
            Just("sso-session"),
            Just("services"),
            Just("a"),
            Just("B"),
            Just("1"),
            Just("-"),
            Just("."),
            Just("é"),
            Just("🐱"),
            Just("\u{feff}"),
            Just("\0"),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("default".to_owned()),
        Just("a".to_owned()),
        Just("b".to_owned()),
        Just("dev-Admin".to_owned()),
        "[A-Za-z0-9_./%@:+-]{1,8}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("region".to_owned()),
        Just("ssokey_session".to_owned()),
        Just("s3".to_owned()),
        Just("Region".to_owned()),
        "[a-z][a-z0-9_]{0,8}",
    ]
}

/// A value as a person writes it: it may be empty, hold `=`, `:`, `#` and
/// `;` (which are text, even after a space), spaces, non-ASCII text, and
/// even a no-break space.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_./:=+-]{1,12}",
        "[A-Za-z0-9 #;=é]{1,12}",
        Just(String::new()),
        Just("x # a comment".to_owned()),
        Just("a#b;c".to_owned()),
        Just("caf\u{e9} \u{1f431}".to_owned()),
        Just("a\u{a0}b".to_owned()),
    ]
}

/// One section of a config file that the parser accepts: a header (any kind
/// the SDKs know, an unknown one, spacing and comments inside), then keys,
/// continued values, sub-property blocks, blank and comment lines.
fn section() -> impl Strategy<Value = Vec<String>> {
    let header = prop_oneof![
        Just("[default]".to_owned()),
        name().prop_map(|n| format!("[profile {n}]")),
        name().prop_map(|n| format!("[ profile\t{n} ]  # note")),
        name().prop_map(|n| format!("[ profile  {n} ]")),
        name().prop_map(|n| format!("[profile\t{n}]")),
        name().prop_map(|n| format!("[profile {n}] ; c")),
        name().prop_map(|n| format!("[sso-session {n}]")),
        name().prop_map(|n| format!("[services {n}]")),
        Just("[foo]".to_owned()),
        Just("[profile in valid]".to_owned()),
    ];
    let item = prop_oneof![
        3 => (key(), value()).prop_map(|(k, v)| vec![format!("{k} = {v}")]),
        1 => (key(), value()).prop_map(|(k, v)| vec![format!("{k}={v}")]),
        1 => (key(), value()).prop_map(|(k, v)| vec![format!("{k}\t=\t{v}\t")]),
        1 => key().prop_map(|k| vec![format!("{k} =")]),
        1 => (key(), "[A-Za-z0-9_./:=+-]{1,12}", "[ \t][A-Za-z0-9 #;=]{0,10}")
            .prop_map(|(k, v, c)| vec![format!("{k} = {v}"), c]),
        1 => (key(), proptest::collection::vec((prop_oneof![Just("  "), Just("\t")], key(), value()), 1..3)).prop_map(|(k, subs)| {
            std::iter::once(format!("{k} ="))
                .chain(subs.into_iter().map(|(indent, s, v)| format!("{indent}{s} = {v}")))
                .collect()
        }),
        1 => Just(vec!["in valid = 1".to_owned()]),
        1 => Just(vec![String::new()]),
        1 => Just(vec![" \t".to_owned()]),
        1 => Just(vec!["# a comment".to_owned()]),
        1 => Just(vec!["; another".to_owned()]),
        1 => Just(vec!["#[profile a]".to_owned()]),
    ];
    (header, proptest::collection::vec(item, 0..5)).prop_map(|(header, items)| {
        std::iter::once(header)
            .chain(items.into_iter().flatten())
            .collect()
    })
}

/// The text of a config file that the parser accepts, with mixed line
/// endings and sometimes no final one.
fn valid_file() -> impl Strategy<Value = String> {
    let preamble = proptest::collection::vec(
        prop_oneof![
            Just(String::new()),
            Just("# top".to_owned()),
            Just("\t ".to_owned()),
            Just("#".to_owned()),
        ],
        0..3,
    );
    let sections = proptest::collection::vec(section(), 0..6);
    (preamble, sections, any::<bool>(), any::<bool>())
        .prop_flat_map(|(preamble, sections, crlf, open)| {
            let lines: Vec<String> = preamble.into_iter().chain(sections.into_iter().flatten()).collect();
            let n = lines.len();
            // Mostly one ending for the whole file, sometimes mixed.
            let endings = proptest::collection::vec(
                prop_oneof![4 => Just(if crlf { "\r\n" } else { "\n" }), 1 => Just("\n"), 1 => Just("\r\n"), 1 => Just("\r")],
                n,
            );
            (Just(lines), endings, Just(open))
        })
        .prop_map(|(lines, endings, open)| {
            let mut text = String::new();
            let n = lines.len();
            for (i, (line, ending)) in lines.iter().zip(endings).enumerate() {
                text.push_str(line);
                // A last line without a break, unless it is empty (it would vanish).
                if !(open && i + 1 == n && !line.is_empty()) {
                    text.push_str(ending);
                }
            }
            text
        })
}

/// A file that the parser accepts with one bad line put in (text that is
/// no kind of line, a broken header, a byte order mark), and the 1-based
/// number of that line.
fn file_with_a_bad_line() -> impl Strategy<Value = (String, usize)> {
    let garbage = prop_oneof![
        Just("nothing"),
        Just("= v"),
        Just("[profile a"),
        Just(": v"),
        Just("\u{feff}"),
        Just("\u{feff}[default]"),
    ];
    let ending = prop_oneof![Just("\n"), Just("\r\n"), Just("")];
    (valid_file(), garbage, ending, any::<prop::sample::Index>()).prop_map(
        |(text, garbage, ending, at)| {
            let mut lines: Vec<String> = split_lines(&text)
                .into_iter()
                .map(|(text, ending)| format!("{text}{ending}"))
                .collect();
            if let Some(last) = lines.last_mut()
                && !last.ends_with(['\n', '\r'])
            {
                last.push('\n');
            }
            let at = at.index(lines.len() + 1);
            // Only the last line may go without a line break.
            let ending = if at == lines.len() || !ending.is_empty() {
                ending
            } else {
                "\n"
            };
            lines.insert(at, format!("{garbage}{ending}"));
            (lines.concat(), at + 1)
        },
    )
}

/// Keys and values that `upsert_profile` takes.
fn writable_keys() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((key(), value()), 1..4).prop_map(|keys| {
        let mut seen = Vec::<String>::new();
        keys.into_iter()
            .filter(|(k, v)| {
                let fresh = !seen.contains(&k.to_ascii_lowercase());
                seen.push(k.to_ascii_lowercase());
                fresh && is_writable(k, v)
            })
            .collect()
    })
}

fn profile_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("default".to_owned()),
        Just("a".to_owned()),
        Just("b".to_owned()),
        Just("dev-Admin".to_owned()),
        "[A-Za-z0-9_.-]{1,6}",
    ]
}

/// Every line of the file with the section it stands in (`None`: the preamble).
fn lines_with_kind(
    file: &ConfigFile,
) -> Vec<(Option<SectionKind>, String, &'static str, LineKind)> {
    let mut out: Vec<_> = file
        .preamble
        .iter()
        .map(|l| (None, l.text.clone(), l.ending, l.kind.clone()))
        .collect();
    for section in &file.sections {
        for line in std::iter::once(&section.header).chain(&section.body) {
            out.push((
                Some(section.kind.clone()),
                line.text.clone(),
                line.ending,
                line.kind.clone(),
            ));
        }
    }
    out
}

/// The profiles other than `name`, as the SDKs read them.
fn other_profiles(file: &ConfigFile, name: &str) -> Vec<(String, Option<Profile>)> {
    file.profile_names()
        .into_iter()
        .filter(|n| n != name)
        .map(|n| {
            let profile = file.profile(&n);
            (n, profile)
        })
        .collect()
}

/// Whether the section of `kind` is one that an edit of the profile `name` may touch.
fn is_target(kind: Option<&SectionKind>, name: &str) -> bool {
    match kind {
        Some(SectionKind::Profile(n)) => n == name,
        Some(SectionKind::Default) => name == "default",
        _ => false,
    }
}

/// The lines outside the profile `name`, text and ending.
fn untouched(file: &ConfigFile, name: &str) -> Vec<(String, &'static str)> {
    lines_with_kind(file)
        .into_iter()
        .filter(|(kind, ..)| !is_target(kind.as_ref(), name))
        .map(|(_, text, ending, _)| (text, ending))
        .collect()
}

/// `after` is `before` but for what an edit may do at the end of the file:
/// one blank separator line more or less, and the final line's break.
fn same_but_for_the_end(
    before: &[(String, &'static str)],
    after: &[(String, &'static str)],
) -> bool {
    let end_open = |lines: &[(String, &'static str)]| {
        let mut lines = lines.to_vec();
        if let Some(last) = lines.last_mut() {
            last.1 = "";
        }
        lines
    };
    let without_blank = |lines: &[(String, &'static str)]| match lines.split_last() {
        Some(((text, _), rest)) if strip(text).is_empty() => rest.to_vec(),
        _ => lines.to_vec(),
    };
    end_open(before) == end_open(after)
        || end_open(&without_blank(before)) == end_open(after)
        || end_open(before) == end_open(&without_blank(after))
}

/// How many lines `bytes` has at most, counting every `\n` and `\r`.
fn lines(bytes: &[u8]) -> usize {
    bytes.split(|&b| b == b'\n' || b == b'\r').count()
}

proptest! {
    #![proptest_config(config())]

    /// Any text at all: an error or a parse, never a panic, and a parse
    /// renders back as the text.
    #[test]
    fn any_text_parses_or_fails_cleanly(text in prop_oneof![any::<String>(), soup()]) {
        if let Ok(file) = ConfigFile::parse(&text) {
            prop_assert_eq!(file.to_string(), text);
        }
    }

    /// Any bytes: not UTF-8 is `NotUtf8` with a line inside the file, never a panic.
    #[test]
    fn any_bytes_read_or_fail_cleanly(bytes in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        soup().prop_map(String::into_bytes),
        (soup(), any::<u8>(), soup()).prop_map(|(a, b, c)| [a.as_bytes(), &[b | 0x80], c.as_bytes()].concat()),
    ]) {
        let path = Path::new("/config");
        match ConfigFile::from_bytes(path, &bytes) {
            Ok(file) => prop_assert_eq!(file.to_string().into_bytes(), bytes),
            Err(ConfigError::NotUtf8 { line, .. }) => {
                prop_assert!(std::str::from_utf8(&bytes).is_err());
                prop_assert!(line >= 1 && line <= lines(&bytes));
            }
            Err(ConfigError::Malformed { line, .. }) => {
                prop_assert!(line >= 1 && line <= lines(&bytes));
            }
            Err(ConfigError::ByteOrderMark { .. }) => prop_assert!(bytes.starts_with(BYTE_ORDER_MARK.to_string().as_bytes())),
            Err(ConfigError::Io { .. }) => prop_assert!(false, "no I/O happens here"),
        }
    }

    /// A bad line is reported, with its number: the lines above it parse.
    #[test]
    fn a_bad_line_is_reported_at_its_line((text, line) in file_with_a_bad_line()) {
        match ConfigFile::parse(&text) {
            Err(ParseError::ByteOrderMark) => {
                prop_assert_eq!(line, 1);
                prop_assert!(text.starts_with(BYTE_ORDER_MARK));
            }
            Err(ParseError::Malformed { line: reported, .. }) => prop_assert_eq!(reported, line, "{:?}", text),
            Ok(_) => prop_assert!(false, "{:?} parsed", text),
        }
    }

    /// A file of the kinds people write parses, and renders back byte for byte.
    #[test]
    fn parse_then_render_is_lossless(text in valid_file()) {
        let file = ConfigFile::parse(&text);
        prop_assert!(file.is_ok(), "{:?} did not parse: {:?}", text, file);
        prop_assert_eq!(file.unwrap().to_string(), text);
    }

    /// Upsert sets exactly the keys given in one profile: the result parses,
    /// reads back with those values, and every line and profile outside it
    /// is as it was.
    #[test]
    fn upsert_changes_only_its_profile(text in valid_file(), name in profile_name(), keys in writable_keys()) {
        let before = ConfigFile::parse(&text).unwrap();
        let mut after = before.clone();
        let keys: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let changed = after.upsert_profile(&name, &keys);
        let rendered = after.to_string();
        prop_assert_eq!(changed, rendered != text);
        let reparsed = ConfigFile::parse(&rendered);
        prop_assert!(reparsed.is_ok(), "{:?} does not parse: {:?}", rendered, reparsed);
        let reparsed = reparsed.unwrap();
        prop_assert_eq!(&reparsed.to_string(), &rendered);
        // The lines an edit makes are the lines a parse of them makes.
        prop_assert_eq!(&reparsed, &after);
        let profile = reparsed.profile(&name);
        prop_assert!(profile.is_some());
        let profile = profile.unwrap();
        for (key, value) in &keys {
            prop_assert_eq!(profile.get(key), Some(*value), "key {}", key);
        }
        prop_assert_eq!(other_profiles(&before, &name), other_profiles(&reparsed, &name));
        prop_assert_eq!(before.sso_sessions(), reparsed.sso_sessions());
        let (old, new) = (untouched(&before, &name), untouched(&reparsed, &name));
        prop_assert!(same_but_for_the_end(&old, &new), "{:?}\n{:?}", text, rendered);
        // Doing it again changes nothing.
        prop_assert!(!after.upsert_profile(&name, &keys));
        prop_assert_eq!(&after.to_string(), &rendered);
        // Removing the profile afterwards gives what removing it from the
        // original gives, up to the final line break (which an open file
        // keeps when its last line became empty).
        let without = |mut file: ConfigFile| {
            file.remove_profile(&name);
            let text = file.to_string();
            let text = text.strip_suffix('\n').unwrap_or(&text);
            text.strip_suffix('\r').unwrap_or(text).to_owned()
        };
        prop_assert_eq!(without(after), without(before), "{:?}\n{:?}", text, rendered);
    }

    /// Remove takes out one profile: the result parses, lacks it, keeps every
    /// other profile, and keeps every line outside it (the comment lines of
    /// its body too, which may describe the next section).
    #[test]
    fn remove_changes_only_its_profile(text in valid_file(), name in profile_name()) {
        let before = ConfigFile::parse(&text).unwrap();
        let mut after = before.clone();
        let had = before.profile(&name).is_some();
        prop_assert_eq!(after.remove_profile(&name), had);
        let rendered = after.to_string();
        let reparsed = ConfigFile::parse(&rendered);
        prop_assert!(reparsed.is_ok(), "{:?} does not parse: {:?}", rendered, reparsed);
        let reparsed = reparsed.unwrap();
        prop_assert!(reparsed.profile(&name).is_none());
        prop_assert_eq!(other_profiles(&before, &name), other_profiles(&reparsed, &name));
        let kept: Vec<(String, &'static str)> = lines_with_kind(&before)
            .into_iter()
            .filter(|(kind, _, _, line)| !is_target(kind.as_ref(), &name) || *line == LineKind::Comment)
            .map(|(_, text, ending, _)| (text, ending))
            .collect();
        let now: Vec<(String, &'static str)> = lines_with_kind(&reparsed)
            .into_iter()
            .map(|(_, text, ending, _)| (text, ending))
            .collect();
        prop_assert!(same_but_for_the_end(&kept, &now), "{:?}\n{:?}", text, rendered);
        if !had {
            prop_assert_eq!(rendered, text);
        }
    }

    /// A profile that upsert added, remove takes away again without a trace.
    #[test]
    fn upsert_of_a_new_profile_then_remove_gives_back_the_file(
        text in valid_file(),
        name in profile_name(),
        keys in writable_keys(),
    ) {
        let original = ConfigFile::parse(&text).unwrap();
        prop_assume!(original.profile(&name).is_none() && !keys.is_empty());
        let mut file = original.clone();
        let keys: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        prop_assert!(file.upsert_profile(&name, &keys));
        prop_assert!(file.remove_profile(&name));
        prop_assert_eq!(file.to_string(), text);
    }
}

/// A shape of file, and how to tell that a text has it.
type Shape = (&'static str, fn(&str) -> bool);

#[test]
fn the_generator_of_files_covers_the_interesting_shapes() {
    // A property over generated files proves little if the generator never
    // makes the shapes that matter; check that it does, in one fixed run.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let shapes: &[Shape] = &[
        ("CRLF", |t| t.contains("\r\n")),
        ("mixed line endings", |t| {
            t.contains("\r\n") && t.replace("\r\n", "").contains('\n')
        }),
        ("open end", |t| !t.is_empty() && !t.ends_with('\n')),
        ("sub-properties", |t| {
            t.contains(" =\n  ") || t.contains(" =\r\n  ")
        }),
        ("continuations", |t| t.contains("\n\t") || t.contains("\n ")),
        ("[default]", |t| t.contains("[default]")),
        ("[profile default]", |t| t.contains("[profile default]")),
        ("[ profile  NAME ]", |t| t.contains("[ profile  ")),
        ("[profile\tNAME]", |t| t.contains("[profile\t")),
        ("a header comment", |t| {
            t.contains("] ;") || t.contains("]  #")
        }),
        ("[sso-session NAME]", |t| t.contains("[sso-session ")),
        ("[services NAME]", |t| t.contains("[services ")),
        ("[foo]", |t| t.contains("[foo]")),
        ("[profile in valid]", |t| t.contains("[profile in valid]")),
        ("a comment that looks like a header", |t| {
            t.contains("#[profile a]")
        }),
        ("an empty value", |t| {
            t.contains(" =\n") || t.contains(" =\r\n")
        }),
        ("tab-separated keys", |t| t.contains("\t=\t")),
        ("an invalid key", |t| t.contains("in valid = 1")),
        ("a tab-indented sub-property", |t| {
            t.contains(" =\n\t") || t.contains(" =\r\n\t")
        }),
        ("non-ASCII values", |t| !t.is_ascii()),
        ("a lone CR line ending", |t| {
            t.replace("\r\n", "").contains('\r')
        }),
        ("a profile the edits name", |t| {
            ["default", "a", "b", "dev-Admin"]
                .iter()
                .any(|n| ConfigFile::parse(t).is_ok_and(|f| f.profile(n).is_some()))
        }),
    ];
    let files: Vec<String> = (0..500)
        .map(|_| valid_file().new_tree(&mut runner).unwrap().current())
        .collect();
    for (what, has) in shapes {
        let count = files.iter().filter(|t| has(t)).count();
        assert!(count >= 25, "only {count} of 500 files have {what}");
    }
    let mut bom = 0;
    for _ in 0..500 {
        let (text, _) = file_with_a_bad_line()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        bom += usize::from(text.starts_with(BYTE_ORDER_MARK));
    }
    assert!(
        bom >= 10,
        "only {bom} of 500 bad files start with a byte order mark"
    );
}
