//! Output for people and machines: shell export lines, the credential_process
//! JSON, tables, times and durations.

use std::fmt::Write as _;
use std::time::{Duration, UNIX_EPOCH};

use clap::ValueEnum;

use crate::credentials::RoleCredentials;

/// The widest a table's cell is shown, in characters: wider than any name
/// that AWS allows, narrow enough that one row stays one line.
pub const MAX_CELL_WIDTH: usize = 100;

/// `cell` cut to `max` characters, its last one an ellipsis, when it is longer.
pub fn fit(cell: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match cell.char_indices().nth(max.saturating_sub(1)) {
        Some((at, _)) if cell.chars().count() > max => format!("{}…", &cell[..at]).into(),
        _ => cell.into(),
    }
}

/// Aligns rows under their headers, two spaces between columns, no trailing
/// blanks; each cell is shown escaped ([`crate::ui::escape`]), so that one
/// row is one line and no cell acts on the terminal, and at most
/// [`MAX_CELL_WIDTH`] wide, so that one long cell cannot widen every row.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| crate::ui::escape(cell).into_owned())
                .map(|cell| fit(&cell, MAX_CELL_WIDTH).into_owned())
                .collect()
        })
        .collect();
    let rows = rows.as_slice();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', width - cell.chars().count()));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The table with its header line in bold, for a terminal that shows colour.
pub fn bold_first_line(table: &str) -> String {
    match table.split_once('\n') {
        Some((header, rest)) => format!("{}\n{rest}", crate::ui::bold(header)),
        None => table.to_owned(),
    }
}

/// RFC 3339 in UTC with a `Z`, to the second. A time past the year 9999,
/// which RFC 3339 cannot write (and humantime would panic on), is written as
/// the last second it can.
pub fn rfc3339(epoch_seconds: u64) -> String {
    let seconds = epoch_seconds.min(crate::credentials::MAX_EXPIRATION);
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(seconds)).to_string()
}

/// "7h 59m" for people: minutes at most, never seconds above a minute.
pub fn duration(seconds: u64) -> String {
    if seconds < 60 {
        return format!("{seconds}s");
    }
    crate::clock::spell(Duration::from_secs(seconds / 60 * 60))
}

/// "in 7h 59m" or "5m ago", relative to `now`.
pub fn relative(epoch_seconds: u64, now: u64) -> String {
    if epoch_seconds >= now {
        format!("in {}", duration(epoch_seconds - now))
    } else {
        format!("{} ago", duration(now - epoch_seconds))
    }
}

/// The shells that `ssokey env` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    #[value(alias = "pwsh")]
    Powershell,
    Cmd,
}

impl Shell {
    /// The shell to speak when none is named: PowerShell under PowerShell or on
    /// Windows, fish under fish, POSIX syntax (bash, zsh, sh) otherwise.
    pub fn detect(parent_process: Option<&str>, windows: bool) -> Shell {
        let parent = parent_process
            .map(|p| {
                let base = p.rsplit(['/', '\\']).next().unwrap_or(p);
                base.trim_end_matches(".exe")
                    .trim_start_matches('-')
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        match parent.as_str() {
            "pwsh" | "powershell" => Shell::Powershell,
            "fish" => Shell::Fish,
            "cmd" => Shell::Cmd,
            "zsh" => Shell::Zsh,
            _ if windows => Shell::Powershell,
            _ => Shell::Bash,
        }
    }
}

/// The variables that `ssokey env` sets, as the AWS SDKs and CLI read them.
pub const CREDENTIAL_VARIABLES: [&str; 4] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
];

/// The four variables and their values.
pub fn credential_variables(credentials: &RoleCredentials) -> [(&'static str, String); 4] {
    [
        (CREDENTIAL_VARIABLES[0], credentials.access_key_id.clone()),
        (
            CREDENTIAL_VARIABLES[1],
            credentials.secret_access_key.expose().to_owned(),
        ),
        (
            CREDENTIAL_VARIABLES[2],
            credentials.session_token.expose().to_owned(),
        ),
        (CREDENTIAL_VARIABLES[3], rfc3339(credentials.expiration)),
    ]
}

/// The variables that name a profile. `exec` takes them out of the command's
/// environment: an SDK may prefer a named profile to the credentials given
/// (the JavaScript SDK v3 does, when `AWS_PROFILE` is set).
pub const PROFILE_VARIABLES: [&str; 2] = ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"];

/// Pure: the region variables that `exec` sets, so that the command keeps
/// the region of the profile that was in effect (the flag's, else
/// `AWS_PROFILE`'s) now that no profile is named. A region already in the
/// environment wins, as it does in the SDKs; botocore reads only
/// `AWS_DEFAULT_REGION`, the other SDKs `AWS_REGION`.
pub fn region_variables(
    profile_region: Option<&str>,
    region_set: bool,
) -> Vec<(&'static str, String)> {
    match profile_region.filter(|region| !region.is_empty()) {
        Some(region) if !region_set => vec![
            ("AWS_REGION", region.to_owned()),
            ("AWS_DEFAULT_REGION", region.to_owned()),
        ],
        _ => Vec::new(),
    }
}

/// The lines that set the credentials in `shell`, every value quoted for it.
pub fn exports(shell: Shell, credentials: &RoleCredentials) -> String {
    credential_variables(credentials)
        .iter()
        .map(|(name, value)| set_line(shell, name, value))
        .collect()
}

/// The lines that set these variables in `shell`, every value quoted for it.
pub fn assignments(shell: Shell, variables: &[(&str, &str)]) -> String {
    variables
        .iter()
        .map(|(name, value)| set_line(shell, name, value))
        .collect()
}

/// The lines that clear the credential variables in `shell`.
pub fn unsets(shell: Shell) -> String {
    CREDENTIAL_VARIABLES
        .iter()
        .map(|name| match shell {
            Shell::Bash | Shell::Zsh => format!("unset {name}\n"),
            Shell::Fish => format!("set -e {name}\n"),
            Shell::Powershell => {
                format!("Remove-Item Env:{name} -ErrorAction SilentlyContinue\n")
            }
            Shell::Cmd => format!("set \"{name}=\"\n"),
        })
        .collect()
}

fn set_line(shell: Shell, name: &str, value: &str) -> String {
    match shell {
        Shell::Bash | Shell::Zsh => format!("export {name}={}\n", posix_quote(value)),
        Shell::Fish => format!("set -gx {name} {}\n", fish_quote(value)),
        Shell::Powershell => format!("$Env:{name} = {}\n", powershell_quote(value)),
        Shell::Cmd => format!("set \"{name}={}\"\n", cmd_escape(value)),
    }
}

/// Single quotes keep everything literal in POSIX shells; a quote is closed,
/// escaped and reopened.
pub fn posix_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// In fish single quotes only `\\` and `\'` are special.
pub fn fish_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// PowerShell single-quoted strings double a quote; PowerShell also takes the
/// typographic single quotes as quotes, so those are doubled too.
pub fn powershell_quote(value: &str) -> String {
    let mut out = String::from("'");
    for ch in value.chars() {
        if matches!(ch, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(ch);
        }
        out.push(ch);
    }
    out.push('\'');
    out
}

/// cmd has no quoting that stops `%` expansion, so `set "NAME=value"` is safe
/// only for values without `%`, `"`, `!` or line breaks; ssokey prints only
/// credentials checked to hold none (see `RoleCredentials::is_well_formed`),
/// and this escapes the rest for `set "..."` all the same.
pub fn cmd_escape(value: &str) -> String {
    value
        .chars()
        .filter(|c| !matches!(c, '"' | '\r' | '\n'))
        .map(|c| match c {
            '%' => "%%".to_owned(),
            '^' => "^^".to_owned(),
            '!' => "^!".to_owned(),
            other => other.to_string(),
        })
        .collect()
}

/// `value` as pretty JSON, one newline at the end, for `--output json`:
/// what a JSON parser reads back is `value`, and what a terminal shows holds
/// nothing that acts on it. serde_json escapes the C0 controls; this also
/// writes every other [`crate::ui::is_hidden`] character (DEL, the C1
/// controls such as CSI, the bidirectional and zero-width characters, the
/// line separators) as `\uXXXX`. They stand only inside strings, where the
/// escape means the same character, and all are in the Basic Multilingual
/// Plane, so four hex digits hold each.
pub fn json(value: &impl serde::Serialize) -> serde_json::Result<String> {
    let mut out = escape_json(&serde_json::to_string_pretty(value)?);
    out.push('\n');
    Ok(out)
}

/// `value` as JSON on one line, escaped as [`json`] escapes it: for the
/// answers of the credential server, which may carry a portal's message.
pub fn json_line(value: &serde_json::Value) -> String {
    escape_json(&value.to_string())
}

fn escape_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        // The C0 controls stand raw only as the layout's line breaks.
        let escaped = c == '\u{7f}' || (crate::ui::is_hidden(c) && !c.is_ascii_control());
        if escaped {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// The JSON that the AWS CLI and SDKs read from a `credential_process`.
pub fn credential_process_json(credentials: &RoleCredentials) -> String {
    let value = serde_json::json!({
        "Version": 1,
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key.expose(),
        "SessionToken": credentials.session_token.expose(),
        "Expiration": rfc3339(credentials.expiration),
    });
    let mut text = json_line(&value);
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    use crate::secret::Secret;

    fn credentials() -> RoleCredentials {
        RoleCredentials {
            access_key_id: "ASIAEXAMPLE123456789".to_owned(),
            secret_access_key: Secret::new("wJalr/K7MDENG+bPxRfiCY="),
            session_token: Secret::new("IQoJb3JpZ2lu/+="),
            expiration: 1_764_000_000,
        }
    }

    #[test]
    fn exports_for_every_shell() {
        let c = credentials();
        assert_eq!(
            exports(Shell::Bash, &c),
            "export AWS_ACCESS_KEY_ID='ASIAEXAMPLE123456789'\n\
             export AWS_SECRET_ACCESS_KEY='wJalr/K7MDENG+bPxRfiCY='\n\
             export AWS_SESSION_TOKEN='IQoJb3JpZ2lu/+='\n\
             export AWS_CREDENTIAL_EXPIRATION='2025-11-24T16:00:00Z'\n"
        );
        assert_eq!(exports(Shell::Zsh, &c), exports(Shell::Bash, &c));
        assert_eq!(
            exports(Shell::Fish, &c),
            "set -gx AWS_ACCESS_KEY_ID 'ASIAEXAMPLE123456789'\n\
             set -gx AWS_SECRET_ACCESS_KEY 'wJalr/K7MDENG+bPxRfiCY='\n\
             set -gx AWS_SESSION_TOKEN 'IQoJb3JpZ2lu/+='\n\
             set -gx AWS_CREDENTIAL_EXPIRATION '2025-11-24T16:00:00Z'\n"
        );
        assert_eq!(
            exports(Shell::Powershell, &c),
            "$Env:AWS_ACCESS_KEY_ID = 'ASIAEXAMPLE123456789'\n\
             $Env:AWS_SECRET_ACCESS_KEY = 'wJalr/K7MDENG+bPxRfiCY='\n\
             $Env:AWS_SESSION_TOKEN = 'IQoJb3JpZ2lu/+='\n\
             $Env:AWS_CREDENTIAL_EXPIRATION = '2025-11-24T16:00:00Z'\n"
        );
        assert_eq!(
            exports(Shell::Cmd, &c),
            "set \"AWS_ACCESS_KEY_ID=ASIAEXAMPLE123456789\"\n\
             set \"AWS_SECRET_ACCESS_KEY=wJalr/K7MDENG+bPxRfiCY=\"\n\
             set \"AWS_SESSION_TOKEN=IQoJb3JpZ2lu/+=\"\n\
             set \"AWS_CREDENTIAL_EXPIRATION=2025-11-24T16:00:00Z\"\n"
        );
    }

    #[test]
    fn exec_keeps_the_profiles_region_unless_one_is_set() {
        assert_eq!(
            region_variables(Some("eu-west-1"), false),
            [
                ("AWS_REGION", "eu-west-1".to_owned()),
                ("AWS_DEFAULT_REGION", "eu-west-1".to_owned())
            ]
        );
        assert_eq!(region_variables(Some("eu-west-1"), true), []);
        assert_eq!(region_variables(None, false), []);
        assert_eq!(region_variables(Some(""), false), []);
    }

    #[test]
    fn unsets_for_every_shell() {
        assert!(unsets(Shell::Bash).starts_with("unset AWS_ACCESS_KEY_ID\n"));
        assert!(unsets(Shell::Fish).starts_with("set -e AWS_ACCESS_KEY_ID\n"));
        assert!(
            unsets(Shell::Powershell)
                .starts_with("Remove-Item Env:AWS_ACCESS_KEY_ID -ErrorAction SilentlyContinue\n")
        );
        assert!(unsets(Shell::Cmd).starts_with("set \"AWS_ACCESS_KEY_ID=\"\n"));
        assert_eq!(unsets(Shell::Zsh).lines().count(), 4);
    }

    #[test]
    fn hostile_values_stay_literal() {
        let hostile = "it's $(rm -rf ~) `id` \\ \"q\" \n next ‘x’";
        assert_eq!(
            posix_quote(hostile),
            "'it'\\''s $(rm -rf ~) `id` \\ \"q\" \n next ‘x’'"
        );
        assert_eq!(
            fish_quote(hostile),
            "'it\\'s $(rm -rf ~) `id` \\\\ \"q\" \n next ‘x’'"
        );
        assert_eq!(
            powershell_quote(hostile),
            "'it''s $(rm -rf ~) `id` \\ \"q\" \n next ‘‘x’’'"
        );
        assert_eq!(cmd_escape("a%PATH%^&|!\"b"), "a%%PATH%%^^&|^!b");
    }

    #[test]
    fn the_default_shell_follows_the_parent_process() {
        assert_eq!(Shell::detect(Some("bash"), false), Shell::Bash);
        assert_eq!(Shell::detect(Some("-zsh"), false), Shell::Zsh);
        assert_eq!(Shell::detect(Some("/usr/bin/fish"), false), Shell::Fish);
        assert_eq!(Shell::detect(Some("pwsh"), false), Shell::Powershell);
        assert_eq!(
            Shell::detect(Some("C:\\Windows\\powershell.exe"), true),
            Shell::Powershell
        );
        assert_eq!(Shell::detect(Some("cmd.exe"), true), Shell::Cmd);
        assert_eq!(Shell::detect(None, true), Shell::Powershell);
        assert_eq!(Shell::detect(Some("sshd"), false), Shell::Bash);
    }

    /// DEL, the C1 controls, the bidirectional and zero-width characters are
    /// written as `\uXXXX`; the value reads back the same.
    #[test]
    fn json_escapes_what_acts_on_a_terminal_and_reads_back_the_same() {
        let hostile = "a\u{7f}b\u{80}\u{9b}31m\u{9f}\u{202a}\u{202e}\u{2066}\u{2069}\u{200e}\u{200f}\u{61c}\u{2028}\u{feff}\n\u{1b}caf\u{e9}";
        let value = serde_json::json!([{ "accountName": hostile }]);
        let text = json(&value).unwrap();
        assert!(text.ends_with("}\n]\n") || text.ends_with("]\n"), "{text}");
        let raw: Vec<char> = text
            .chars()
            .filter(|&c| crate::ui::is_hidden(c) && c != '\n')
            .collect();
        assert!(raw.is_empty(), "{raw:?} in {text}");
        for escaped in [
            "\\u007f", "\\u0080", "\\u009b", "\\u009f", "\\u202a", "\\u202e", "\\u2066", "\\u2069",
            "\\u200e", "\\u200f", "\\u061c", "\\u2028", "\\ufeff", "\\n", "\\u001b",
        ] {
            assert!(text.contains(escaped), "no {escaped} in {text}");
        }
        assert!(text.contains("caf\u{e9}"), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn credential_process_json_is_what_the_sdks_read() {
        let json: serde_json::Value =
            serde_json::from_str(&credential_process_json(&credentials())).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "Version": 1,
                "AccessKeyId": "ASIAEXAMPLE123456789",
                "SecretAccessKey": "wJalr/K7MDENG+bPxRfiCY=",
                "SessionToken": "IQoJb3JpZ2lu/+=",
                "Expiration": "2025-11-24T16:00:00Z",
            })
        );
    }

    #[test]
    fn tables_align_and_trim() {
        let rows = vec![
            vec!["acme".to_owned(), "us-east-1".to_owned(), "ok".to_owned()],
            vec![
                "a-longer-name".to_owned(),
                "eu-west-1".to_owned(),
                String::new(),
            ],
        ];
        assert_eq!(
            table(&["SESSION", "REGION", "STATUS"], &rows),
            "SESSION        REGION     STATUS\n\
             acme           us-east-1  ok\n\
             a-longer-name  eu-west-1\n"
        );
    }

    #[test]
    fn tables_show_control_characters_escaped() {
        let rows = vec![vec![
            "line\nbreak".to_owned(),
            "\u{1b}]0;title\u{7}".to_owned(),
            "caf\u{e9} \u{202e}txt".to_owned(),
        ]];
        assert_eq!(
            table(&["A", "B", "C"], &rows),
            format!(
                "{:<13}{:<21}C\n{}\n",
                "A", "B", "line\\nbreak  \\u{1b}]0;title\\u{7}  caf\u{e9} \\u{202e}txt"
            )
        );
    }

    #[test]
    fn long_cells_are_cut_with_an_ellipsis() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abcd", 4), "abcd");
        assert_eq!(fit("ééééé", 3), "éé…");
        let long = "x".repeat(1 << 20);
        let table = table(&["A", "B"], &[vec![long, "b".to_owned()]]);
        assert_eq!(
            table,
            format!(
                "A{}  B
{}…  b
",
                " ".repeat(99),
                "x".repeat(99)
            )
        );
    }

    #[test]
    fn times_and_durations() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_764_000_000), "2025-11-24T16:00:00Z");
        assert_eq!(rfc3339(u64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(duration(28_799), "7h 59m");
        assert_eq!(duration(42), "42s");
        assert_eq!(relative(1000, 400), "in 10m");
        assert_eq!(relative(400, 1000), "10m ago");
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        const CASES: u32 = 5000;

        /// Reads a POSIX shell word made of single-quoted strings and `\'`,
        /// as sh does; `None` for anything else (an unquoted character that
        /// the shell would interpret).
        fn posix_unquote(word: &str) -> Option<String> {
            let mut out = String::new();
            let mut chars = word.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\'' => loop {
                        match chars.next()? {
                            '\'' => break,
                            c => out.push(c),
                        }
                    },
                    '\\' => out.push(chars.next().filter(|&c| c == '\'')?),
                    _ => return None,
                }
            }
            Some(out)
        }

        /// Reads one fish single-quoted string, where only `\\` and `\'` are escapes.
        fn fish_unquote(word: &str) -> Option<String> {
            let inner = word.strip_prefix('\'')?.strip_suffix('\'')?;
            let mut out = String::new();
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some(c @ ('\\' | '\'')) => out.push(c),
                        Some(c) => {
                            out.push('\\');
                            out.push(c);
                        }
                        None => return None,
                    },
                    '\'' => return None,
                    c => out.push(c),
                }
            }
            Some(out)
        }

        /// Reads one PowerShell single-quoted string: a doubled quote (any of
        /// the four single quotes PowerShell knows) is one quote.
        fn powershell_unquote(word: &str) -> Option<String> {
            let is_quote =
                |c: char| matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}');
            let inner = word.strip_prefix('\'')?.strip_suffix('\'')?;
            let mut out = String::new();
            let mut chars = inner.chars().peekable();
            while let Some(c) = chars.next() {
                if is_quote(c) {
                    // A lone quote would end the string.
                    chars.next_if(|&n| is_quote(n))?;
                }
                out.push(c);
            }
            Some(out)
        }

        fn hostile() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                "['\"`$()\\;|&<> \n\r%!^a-z\u{2018}\u{2019}\u{201A}\u{201B}]{0,30}",
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(CASES))]

            /// Whatever a value holds, the quoted word reads back as exactly
            /// that value in each shell's quoting rules, with nothing left
            /// for the shell to interpret.
            #[test]
            fn quoting_reads_back_as_the_value(value in hostile()) {
                prop_assert_eq!(posix_unquote(&posix_quote(&value)), Some(value.clone()));
                prop_assert_eq!(fish_unquote(&fish_quote(&value)), Some(value.clone()));
                prop_assert_eq!(powershell_unquote(&powershell_quote(&value)), Some(value.clone()));
                // cmd: inside set "...", nothing that expands or ends the string.
                let cmd = cmd_escape(&value);
                prop_assert!(!cmd.contains(['"', '\r', '\n']));
                let bare = cmd.replace("%%", "").replace("^^", "").replace("^!", "");
                prop_assert!(!bare.contains(['%', '!']));
            }
        }
    }
}
