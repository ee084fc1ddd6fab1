//! The one writer of stderr, where everything meant for people goes: notes,
//! warnings, errors with their hints, and the sign-in prompt. It also owns
//! colour: whether a stream gets it, and the few styles ssokey uses.

use std::fmt::Display;
use std::io::{IsTerminal as _, Write as _};
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

/// `text` in bold when stderr gets colour.
pub fn emphasis(text: &str) -> String {
    if stderr_color() {
        bold(text)
    } else {
        text.to_owned()
    }
}

/// A line for people: progress, a result, a prompt.
pub fn say(message: impl Display) {
    line(&message.to_string());
}

/// `ssokey: note: ...`: something the user may want to know.
pub fn note(message: impl Display) {
    line(&format!("ssokey: note: {message}"));
}

/// `ssokey: warning: ...`: something went wrong, and the command goes on.
pub fn warning(message: impl Display) {
    line(&format!("ssokey: warning: {message}"));
}

/// `ssokey: error: ...` and a `hint:` line: the command failed.
pub fn error(message: &str, hint: Option<&str>) {
    let (error_label, hint_label) = if stderr_color() {
        (bold_red("error:"), bold("hint:"))
    } else {
        ("error:".to_owned(), "hint:".to_owned())
    };
    line(&format!("ssokey: {error_label} {message}"));
    if let Some(hint) = hint {
        line(&format!("{hint_label} {hint}"));
    }
}

/// Writes one line to stderr; a stderr that is gone loses it, as it must.
fn line(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
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
}
