//! The one writer of stderr, where everything meant for people goes: notes,
//! warnings, errors with their hints, and the sign-in prompt. It also owns
//! colour: whether a stream gets it, and the few styles ssokey uses.

use std::borrow::Cow;
use std::fmt::Display;
use std::io::{IsTerminal as _, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use clap::ValueEnum;

/// `--color`: whether to colour what goes to a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// Colour on a terminal, unless NO_COLOR is set
    Auto,
    Always,
    Never,
}

/// Whether stderr gets colour; set once at start-up by [`init`].
static STDERR_COLOR: AtomicBool = AtomicBool::new(false);

/// Pure: whether a stream gets colour. `--color always` and `never` say it
/// all; `auto` means a terminal, and `NO_COLOR` unset or empty.
pub fn use_color(choice: Color, is_terminal: bool, no_color: bool) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => is_terminal && !no_color,
    }
}

/// Whether `NO_COLOR` is set to something.
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Decides, once, whether stderr gets colour; returns the decision.
pub fn init(choice: Color) -> bool {
    let color = use_color(choice, std::io::stderr().is_terminal(), no_color());
    STDERR_COLOR.store(color, Ordering::Relaxed);
    color
}

/// Whether stderr gets colour.
pub fn stderr_color() -> bool {
    STDERR_COLOR.load(Ordering::Relaxed)
}

/// `text` in bold, for a stream that gets colour.
pub fn bold(text: &str) -> String {
    format!("\x1b[1m{text}\x1b[0m")
}

/// `text` in bold red, for a stream that gets colour.
pub fn bold_red(text: &str) -> String {
    format!("\x1b[1;31m{text}\x1b[0m")
}

/// Whether `c` would act on a terminal, or hide or reorder text, instead of
/// showing as itself: the C0 and C1 controls and DEL (ESC starts the
/// sequences that retitle the terminal, clear the screen or write the
/// clipboard), the line and paragraph separators, the zero-width characters
/// and the byte order mark, and the bidirectional controls.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206f}'
                | '\u{feff}'
        )
}

/// Text from elsewhere (an account name from the portal, a service's error
/// message, a line of a file) as it may be shown: every [`is_hidden`]
/// character is written out, as `\n` or `\u{1b}`; everything else,
/// non-ASCII text included, as it is. Tables on stdout show their cells so,
/// and every line that this module writes passes through it.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_but(text, |_| false)
}

/// [`escape`], but line breaks stay: for text that is made of lines, such as
/// a message with a `hint:` line of its own, or a report.
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    escape_but(text, |c| c == '\n')
}

fn escape_but(text: &str, kept: impl Fn(char) -> bool) -> Cow<'_, str> {
    let escaped = |c: char| is_hidden(c) && !kept(c);
    if !text.contains(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escaped(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A line for people: progress, a result, a prompt.
pub fn say(message: impl Display) {
    let text = message.to_string();
    for_people(|out| {
        let _ = writeln!(out, "{}", escape_lines(&text));
    });
}

/// A question, on stderr and without a line break: the answer is typed
/// after it. In bold when stderr gets colour.
pub fn ask(question: impl Display) {
    let text = escape(&question.to_string()).into_owned();
    let text = if stderr_color() { bold(&text) } else { text };
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "{text} ");
    let _ = stderr.flush();
}

/// A line with one part in bold when stderr gets colour: the code to check
/// in the browser.
pub fn say_emphasised(before: impl Display, emphasised: impl Display, after: impl Display) {
    let part = escape(&emphasised.to_string()).into_owned();
    let part = if stderr_color() { bold(&part) } else { part };
    for_people(|out| {
        let _ = writeln!(
            out,
            "{}{part}{}",
            escape_lines(&before.to_string()),
            escape_lines(&after.to_string())
        );
    });
}

/// `ssokey: note: ...`: something the user may want to know, on one line
/// (see [`error`]).
pub fn note(message: impl Display) {
    let text = message.to_string();
    for_people(|out| {
        let _ = writeln!(out, "ssokey: note: {}", escape(&text));
    });
}

/// `ssokey: warning: ...`: something went wrong, and the command goes on;
/// one line (see [`error`]).
pub fn warning(message: impl Display) {
    let text = message.to_string();
    for_people(|out| {
        let _ = writeln!(out, "ssokey: warning: {}", escape(&text));
    });
}

/// `ssokey: error: ...` and a `hint:` line: the command failed. Each is one
/// line, escaped whole, newlines included: the message carries text from
/// elsewhere (a portal's account names and error messages, the pause file's
/// reason), and a newline in it must not start a line that passes for
/// ssokey's own `hint:`.
pub fn error(message: &str, hint: Option<&str>) {
    let (error_label, hint_label) = if stderr_color() {
        (bold_red("error:"), bold("hint:"))
    } else {
        ("error:".to_owned(), "hint:".to_owned())
    };
    line(&format!("ssokey: {error_label} "), &escape(message));
    if let Some(hint) = hint {
        line(&format!("{hint_label} "), &escape(hint));
    }
}

/// [`error`] for a usage error, whose message is clap's text of several
/// lines (the possible values, a tip): its line breaks stay. It names only
/// the user's own arguments, never text from elsewhere.
pub fn usage_error(message: &str, hint: &str) {
    let (error_label, hint_label) = if stderr_color() {
        (bold_red("error:"), bold("hint:"))
    } else {
        ("error:".to_owned(), "hint:".to_owned())
    };
    line(&format!("ssokey: {error_label} "), &escape_lines(message));
    line(&format!("{hint_label} "), &escape(hint));
}

/// The user's terminal (`/dev/tty`), opened once, when there is one.
fn terminal() -> Option<&'static std::sync::Mutex<std::fs::File>> {
    static TERMINAL: std::sync::OnceLock<Option<std::sync::Mutex<std::fs::File>>> =
        std::sync::OnceLock::new();
    TERMINAL
        .get_or_init(|| {
            #[cfg(unix)]
            {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/tty")
                    .ok()
                    .map(std::sync::Mutex::new)
            }
            #[cfg(not(unix))]
            {
                None
            }
        })
        .as_ref()
}

static ON_TERMINAL: AtomicBool = AtomicBool::new(false);

/// Whether the user's terminal can be written to even when stderr goes
/// elsewhere.
pub fn terminal_reachable() -> bool {
    terminal().is_some()
}

/// From now on, lines for people (not errors) go to the user's terminal
/// when there is one: an SDK that runs `credential_process` keeps its
/// stderr, and the user must see a sign-in's code and progress.
pub fn speak_on_terminal() {
    ON_TERMINAL.store(true, Ordering::Relaxed);
}

/// Where a line for people goes: the terminal after [`speak_on_terminal`],
/// else stderr.
fn for_people(write: impl FnOnce(&mut dyn Write)) {
    if ON_TERMINAL.load(Ordering::Relaxed)
        && let Some(terminal) = terminal()
    {
        let mut terminal = terminal
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        write(&mut *terminal);
        return;
    }
    write(&mut std::io::stderr().lock());
}

/// Writes ssokey's own `label` (its styling included), then `text`,
/// escaped by the caller, on stderr; a stderr that is gone loses it, as it
/// must.
fn line(label: &str, text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{label}{text}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_the_flag_then_the_terminal_and_no_color() {
        assert!(use_color(Color::Always, false, true));
        assert!(!use_color(Color::Never, true, false));
        assert!(use_color(Color::Auto, true, false));
        assert!(!use_color(Color::Auto, true, true));
        assert!(!use_color(Color::Auto, false, false));
    }

    #[test]
    fn hidden_characters_are_written_out() {
        assert_eq!(
            escape("\u{1b}]0;title\u{7}\u{1b}[2J\u{1b}]52;c;cHduZWQ=\u{7}"),
            "\\u{1b}]0;title\\u{7}\\u{1b}[2J\\u{1b}]52;c;cHduZWQ=\\u{7}"
        );
        assert_eq!(escape("a\nb\tc\rd"), "a\\nb\\tc\\rd");
        assert_eq!(escape_lines("a\nb\tc"), "a\nb\\tc");
        // C1 controls (CSI is U+009B), DEL, the separators, the zero-width
        // characters, the byte order mark and the bidirectional controls.
        for c in [
            '\u{7f}', '\u{80}', '\u{9b}', '\u{9f}', '\u{2028}', '\u{2029}', '\u{200b}', '\u{200c}',
            '\u{200d}', '\u{200e}', '\u{200f}', '\u{2060}', '\u{feff}', '\u{061c}', '\u{202a}',
            '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}',
            '\u{2069}',
        ] {
            let text = format!("a{c}b");
            assert_eq!(escape(&text), format!("a{}b", c.escape_default()), "{c:?}");
        }
        for plain in ["plain", "caf\u{e9} \u{65e5}\u{672c} \u{1f600}", "a\\u{1b}b"] {
            assert!(matches!(escape(plain), Cow::Borrowed(_)), "{plain}");
        }
    }
}
