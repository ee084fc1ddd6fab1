//! ssokey reads the AWS config file as botocore does (the AWS CLI and every
//! Python SDK read it with `botocore.configloader.raw_config_parse`).
//!
//! Thousands of config files, generated from a fixed seed by a grammar of
//! the odd things people write (spacing and tabs around `=` and `:`, values
//! with `=`, `#` and `;` in them, nested blocks with comments and blank
//! lines, indented keys and headers, `[DEFAULT]`, CRLF and lone CR line
//! endings, no final line break, duplicate sections and keys, a byte order
//! mark), each read by botocore (tests/botocore-config.py, one Python
//! process for all of them) and by `ConfigFile::raw_sections`. A file that
//! botocore reads must read the same in ssokey; a file that botocore refuses
//! for a duplicate section or key may read in ssokey, as configparser reads
//! it when it is not strict (sections merge, a later key wins); any other
//! file that botocore refuses, ssokey refuses too. A disagreement prints the
//! smallest file that still shows it.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Map, Value};

use ssokey::config_file::{ConfigFile, RawValue};

use crate::awscli;

const FILES: usize = 5000;
const SEED: u64 = 0x0005_eed0_fb07_0c0e;

/// What botocore made of a file.
#[derive(Debug, Clone, PartialEq)]
enum Botocore {
    Read(Value),
    /// Refused for a duplicate section or key; what configparser reads
    /// when it is not strict.
    Duplicate(Value),
    /// Refused for any other reason (the exception's type).
    Refused(String),
}

/// botocore, in one Python process.
struct Python {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Python {
    fn start() -> Self {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let aws = awscli::aws();
        let python = aws.with_file_name("python");
        let mut child = Command::new(python)
            .arg(root.join("tests/botocore-config.py"))
            .env("PYTHONUTF8", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the venv's python starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Self {
            child,
            stdin,
            stdout,
        }
    }

    fn read(&mut self, text: &str) -> Botocore {
        writeln!(self.stdin, "{}", Value::String(text.to_owned())).unwrap();
        self.stdin.flush().unwrap();
        answer(&mut self.stdout)
    }

    /// What botocore made of each of `texts`, sent all at once (from another
    /// thread, so that neither pipe fills up).
    fn read_all(&mut self, texts: &[String]) -> Vec<Botocore> {
        std::thread::scope(|scope| {
            let stdin = &mut self.stdin;
            scope.spawn(move || {
                for text in texts {
                    writeln!(stdin, "{}", Value::String(text.clone())).unwrap();
                }
                stdin.flush().unwrap();
            });
            texts.iter().map(|_| answer(&mut self.stdout)).collect()
        })
    }
}

/// The next answer of botocore-config.py.
fn answer(stdout: &mut BufReader<ChildStdout>) -> Botocore {
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let answer: Value = serde_json::from_str(&line)
        .unwrap_or_else(|err| panic!("botocore-config.py answered {line:?}: {err}"));
    if let Some(sections) = answer.get("sections") {
        return Botocore::Read(sections.clone());
    }
    if let Some(lenient) = answer.get("lenient") {
        return Botocore::Duplicate(lenient.clone());
    }
    Botocore::Refused(answer["error"].as_str().unwrap().to_owned())
}

impl Drop for Python {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What ssokey made of a file: `raw_sections` as JSON, or its error.
fn ssokey(text: &str) -> Result<Value, String> {
    let file = ConfigFile::parse(text).map_err(|err| err.to_string())?;
    let sections = file
        .raw_sections()
        .into_iter()
        .map(|(name, keys)| {
            let keys: Map<String, Value> = keys
                .into_iter()
                .map(|(key, value)| {
                    let value = match value {
                        RawValue::Text(text) => Value::String(text),
                        RawValue::Nested(pairs) => Value::Object(
                            pairs
                                .into_iter()
                                .map(|(k, v)| (k, Value::String(v)))
                                .collect(),
                        ),
                    };
                    (key, value)
                })
                .collect();
            (name, Value::Object(keys))
        })
        .collect();
    Ok(Value::Object(sections))
}

/// Why ssokey and botocore disagree on `text`, if they do.
fn disagreement(python: &mut Python, text: &str) -> Option<String> {
    compare(python.read(text), text)
}

/// Why ssokey disagrees with what botocore made of `text`, if it does.
fn compare(botocore: Botocore, text: &str) -> Option<String> {
    match (botocore, ssokey(text)) {
        (Botocore::Read(theirs) | Botocore::Duplicate(theirs), Ok(ours)) if theirs == ours => None,
        (Botocore::Read(theirs) | Botocore::Duplicate(theirs), Ok(ours)) => {
            Some(format!("botocore reads {theirs}\nssokey reads   {ours}"))
        }
        (Botocore::Read(theirs), Err(err)) => {
            Some(format!("botocore reads {theirs}\nssokey refuses: {err}"))
        }
        (Botocore::Duplicate(_) | Botocore::Refused(_), Err(_)) => None,
        (Botocore::Refused(why), Ok(ours)) => {
            Some(format!("botocore refuses ({why})\nssokey reads   {ours}"))
        }
    }
}

/// The smallest file (dropping one line at a time) that still disagrees.
fn shrink(python: &mut Python, text: &str) -> String {
    let mut lines: Vec<String> = text
        .split_inclusive(['\n', '\r'])
        .map(str::to_owned)
        .collect();
    let mut index = 0;
    while index < lines.len() {
        let mut fewer = lines.clone();
        fewer.remove(index);
        if disagreement(python, &fewer.concat()).is_some() {
            lines = fewer;
        } else {
            index += 1;
        }
    }
    lines.concat()
}

/// SplitMix64: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const HEADERS: &[&str] = &[
    "[default]",
    "[profile a]",
    "[profile b]",
    "[profile default]",
    "[ profile a ]",
    "[profile  a]",
    "[profile\tb]",
    "[profile \"a b\"]",
    "[profilex a]",
    "[profile a b]",
    "[profile a#b]",
    "[profile a] ; note",
    "[profile b]# note",
    "[sso-session s]",
    "[sso-session  s ]",
    "[services local]",
    "[DEFAULT]",
    "[foo]",
    "[a]b]",
    "[Profile a]",
    "[ ]",
];

const BROKEN: &[&str] = &[
    "nothing",
    "= v",
    ": v",
    "[profile a",
    "[]",
    "\u{feff}[default]",
];

const KEYS: &[&str] = &[
    "region",
    "Region",
    "output",
    "sso_session",
    "sso_start_url",
    "s3",
    "sts",
    "in valid",
    "k",
    "K",
    "[a",
    "\u{c9}t\u{e9}",
    "x#y",
];

const SEPARATORS: &[&str] = &[" = ", "=", "\t=\t", ":", " : ", "  =", "= ", " =  "];

const VALUES: &[&str] = &[
    "us-east-1",
    "eu-west-1",
    "",
    "a=b",
    "x # note",
    "x ; note",
    "a;b#c",
    "http://localhost:4566/p",
    "json ",
    "caf\u{e9} \u{1f431}",
    "a\u{b}b",
    "\u{a0}x\u{a0}",
    "\u{1c}y",
    "#",
    "[x]",
    "a: b",
];

const INDENTS: &[&str] = &[" ", "  ", "\t", "    ", " \t", "\u{a0}"];

const COMMENTS: &[&str] = &["# c", "; c", "#", "#[profile a]", "# k = v"];

/// One config file from the grammar.
fn config(rng: &mut Rng) -> String {
    let mut lines: Vec<String> = Vec::new();
    for _ in 0..rng.below(3) {
        lines.push(match rng.below(3) {
            0 => String::new(),
            1 => rng.pick(COMMENTS).to_owned(),
            _ => format!("{}{}", rng.pick(INDENTS), rng.pick(COMMENTS)),
        });
    }
    for _ in 0..rng.below(5) {
        let header = rng.pick(HEADERS);
        lines.push(if rng.chance(8) {
            format!("{}{header}", rng.pick(INDENTS))
        } else {
            header.to_owned()
        });
        for _ in 0..rng.below(6) {
            item(rng, &mut lines);
        }
    }
    if rng.chance(4) {
        let at = rng.below(lines.len() + 1);
        lines.insert(at, rng.pick(BROKEN).to_owned());
    }
    let endings: &[&str] = match rng.below(10) {
        0..=4 => &["\n"],
        5..=7 => &["\r\n"],
        8 => &["\n", "\r\n"],
        _ => &["\n", "\r"],
    };
    let mut text = String::new();
    if rng.chance(2) {
        text.push('\u{feff}');
    }
    let open = rng.chance(25);
    let count = lines.len();
    for (i, line) in lines.into_iter().enumerate() {
        text.push_str(&line);
        if !(open && i + 1 == count) {
            text.push_str(rng.pick(endings));
        }
    }
    text
}

/// The lines of one item of a section body.
fn item(rng: &mut Rng, lines: &mut Vec<String>) {
    let property = |rng: &mut Rng| {
        format!(
            "{}{}{}",
            rng.pick(KEYS),
            rng.pick(SEPARATORS),
            rng.pick(VALUES)
        )
    };
    match rng.below(12) {
        0..=3 => lines.push(property(rng)),
        4 => {
            lines.push(property(rng));
            for _ in 0..=rng.below(2) {
                lines.push(format!("{}{}", rng.pick(INDENTS), rng.pick(VALUES)));
            }
        }
        5 | 6 => {
            // A nested block, with comments and blank lines in it.
            lines.push(format!("{} =", rng.pick(KEYS)));
            let indent = rng.pick(&INDENTS[..4]);
            for _ in 0..=rng.below(4) {
                lines.push(match rng.below(8) {
                    0 => format!("{indent}{}", rng.pick(COMMENTS)),
                    1 => String::new(),
                    2 => rng.pick(INDENTS).to_owned(),
                    3 if rng.chance(20) => format!("{indent}no equals"),
                    3 => format!("{indent} = v"),
                    _ => format!(
                        "{indent}{}{}{}",
                        rng.pick(KEYS),
                        rng.pick(&SEPARATORS[..3]),
                        rng.pick(VALUES)
                    ),
                });
            }
        }
        7 => lines.push(format!("{}{}", rng.pick(INDENTS), property(rng))),
        8 => lines.push(rng.pick(COMMENTS).to_owned()),
        9 => lines.push(format!("{}{}", rng.pick(INDENTS), rng.pick(COMMENTS))),
        10 => lines.push(String::new()),
        _ => lines.push(rng.pick(&["\t", "  ", "\u{c}"]).to_owned()),
    }
}

#[test]
fn ssokey_reads_every_config_as_botocore_does() {
    let started = std::time::Instant::now();
    let mut python = Python::start();
    let mut rng = Rng(SEED);
    let texts: Vec<String> = (0..FILES).map(|_| config(&mut rng)).collect();
    let (mut read, mut duplicates, mut refused) = (0, 0, 0);
    let mut failures = Vec::new();
    for (text, botocore) in texts.iter().zip(python.read_all(&texts)) {
        match botocore {
            Botocore::Read(_) => read += 1,
            Botocore::Duplicate(_) => duplicates += 1,
            Botocore::Refused(_) => refused += 1,
        }
        if compare(botocore, text).is_some() {
            failures.push(text);
        }
    }
    eprintln!(
        "{FILES} configs: botocore read {read}, refused {duplicates} for a duplicate section or key \
         and {refused} for another reason; {} disagreements ({:.1?})",
        failures.len(),
        started.elapsed()
    );
    assert!(read > FILES / 3 && duplicates > 100 && refused > 100);
    if let Some(text) = failures.first() {
        let smallest = shrink(&mut python, text);
        let why = disagreement(&mut python, &smallest).unwrap();
        panic!(
            "{} of {FILES} configs read differently; the smallest of the first:\n{smallest:?}\n{why}",
            failures.len()
        );
    }
}

#[test]
fn the_example_of_issue_14_reads_as_botocore_reads_it() {
    let mut python = Python::start();
    let text = "[services local]\nsts =\n  endpoint_url = http://localhost:4566\n  \
                # the S3 one is off for now\ns3 =\n  addressing_style = path\n";
    assert_eq!(disagreement(&mut python, text), None);
    assert!(matches!(python.read(text), Botocore::Read(_)));
}
