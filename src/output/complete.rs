//! Dynamic shell completion: account ids and names, role names, session names
//! and profile names, from local files only (the listing caches, the sessions
//! ssokey remembers, the AWS config file). Never the network, never the
//! keychain, so pressing Tab can neither prompt nor wait.
//!
//! The shell scripts of `ssokey completions SHELL` call ssokey back with
//! `SSOKEY_COMPLETE=SHELL` (clap_complete's dynamic engine); the candidate
//! functions below run in that call.

use std::collections::BTreeMap;

use clap::builder::StyledStr;
use clap_complete::CompletionCandidate;

use crate::context::Context;
use crate::listing::{Assignment, Listing};
use crate::session;
use crate::store::paths;

/// The variable that turns a run of ssokey into a completion request. It is
/// ssokey's own, so that a `COMPLETE` set for another program never changes
/// what `ssokey credential-process` prints.
pub const VAR: &str = "SSOKEY_COMPLETE";

/// The registration script for `shell`: it calls `ssokey` on the PATH for
/// every completion.
pub fn registration(shell: clap_complete::Shell) -> String {
    use clap_complete::env::{Elvish, EnvCompleter, Fish, Powershell, Zsh};
    let completer: &dyn EnvCompleter = match shell {
        clap_complete::Shell::Bash => return BASH.to_owned(),
        clap_complete::Shell::Elvish => &Elvish,
        clap_complete::Shell::Fish => &Fish,
        clap_complete::Shell::PowerShell => &Powershell,
        clap_complete::Shell::Zsh => &Zsh,
        other => unreachable!("clap_complete has no dynamic completion for {other}"),
    };
    let mut out = Vec::new();
    completer
        .write_registration(VAR, "ssokey", "ssokey", "ssokey", &mut out)
        .expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("completion scripts are UTF-8")
}

/// The registration for bash, ssokey's own. clap_complete's put each
/// candidate on the command line as it came, and read them unquoted
/// (`COMPREPLY=( $(...) )`), so that an account named `prod$(cmd)` ran `cmd`
/// inside the quotes the user had opened, `/*` expanded to file names, and a
/// vertical tab split a name. This one asks ssokey for the word as the shell
/// reads it, takes the candidates one a line without expanding them, and
/// quotes each for where it goes: escaped (`printf %q`) in a bare word, and
/// inside the quote that the user opened, in its own rules, so that the word
/// means the name whatever quote it is in. ssokey offers no candidate that
/// holds a line break (see [`insertable`]).
const BASH: &str = r#"# ssokey completion for bash: source this file (ssokey completions bash).
_clap_complete_ssokey() {
    local _CLAP_COMPLETE_INDEX=${COMP_CWORD}
    local _CLAP_COMPLETE_COMP_TYPE=${COMP_TYPE}
    if compopt +o nospace 2> /dev/null; then
        local _CLAP_COMPLETE_SPACE=false
    else
        local _CLAP_COMPLETE_SPACE=true
    fi
    # The word under the cursor as the shell reads it, and the quote that it
    # leaves open, if any: readline puts a candidate after that quote.
    local _ssokey_word=${COMP_WORDS[COMP_CWORD]} _ssokey_value= _ssokey_quote= _ssokey_kept=0
    local _ssokey_i _ssokey_c
    for ((_ssokey_i = 0; _ssokey_i < ${#_ssokey_word}; _ssokey_i++)); do
        _ssokey_c=${_ssokey_word:_ssokey_i:1}
        if [[ $_ssokey_quote == "'" ]]; then
            if [[ $_ssokey_c == "'" ]]; then
                _ssokey_quote=
            else
                _ssokey_value+=$_ssokey_c
            fi
        elif [[ $_ssokey_quote == '"' ]]; then
            if [[ $_ssokey_c == '"' ]]; then
                _ssokey_quote=
            else
                if [[ $_ssokey_c == '\' && ${_ssokey_word:_ssokey_i+1:1} == [\$\`\"\\] ]]; then
                    ((++_ssokey_i))
                    _ssokey_c=${_ssokey_word:_ssokey_i:1}
                fi
                _ssokey_value+=$_ssokey_c
            fi
        elif [[ $_ssokey_c == [\"\'] ]]; then
            _ssokey_quote=$_ssokey_c
            _ssokey_kept=${#_ssokey_value}
        else
            if [[ $_ssokey_c == '\' ]]; then
                ((++_ssokey_i))
                _ssokey_c=${_ssokey_word:_ssokey_i:1}
            fi
            _ssokey_value+=$_ssokey_c
        fi
    done
    local words=("${COMP_WORDS[@]}")
    words[COMP_CWORD]=$_ssokey_value
    local _ssokey_out
    if ! _ssokey_out=$(
        _CLAP_IFS=$'\n' \
        _CLAP_COMPLETE_INDEX="$_CLAP_COMPLETE_INDEX" \
        _CLAP_COMPLETE_COMP_TYPE="$_CLAP_COMPLETE_COMP_TYPE" \
        _CLAP_COMPLETE_SPACE="$_CLAP_COMPLETE_SPACE" \
        SSOKEY_COMPLETE="bash" \
        "ssokey" -- "${words[@]}"
    ); then
        unset COMPREPLY
        return
    fi
    # One candidate a line, read as it is: no word splitting, no globbing.
    COMPREPLY=()
    local _ssokey_line _ssokey_rest _ssokey_quoted
    while IFS= read -r _ssokey_line; do
        [[ -n $_ssokey_line ]] || continue
        if [[ -z $_ssokey_quote ]]; then
            printf -v _ssokey_quoted '%q' "$_ssokey_line"
        else
            # After the open quote goes the rest of the candidate, quoted in
            # that quote's rules; `!""` keeps history expansion off a `!`.
            _ssokey_rest=${_ssokey_line:_ssokey_kept}
            _ssokey_quoted=
            for ((_ssokey_i = 0; _ssokey_i < ${#_ssokey_rest}; _ssokey_i++)); do
                _ssokey_c=${_ssokey_rest:_ssokey_i:1}
                case $_ssokey_quote$_ssokey_c in
                    "''") _ssokey_quoted+="'\''" ;;
                    '"\' | '""' | '"$' | '"`') _ssokey_quoted+="\\$_ssokey_c" ;;
                    '"!') _ssokey_quoted+='!""' ;;
                    *) _ssokey_quoted+=$_ssokey_c ;;
                esac
            done
            # Readline closes the quote after a whole candidate, unless the
            # line already ends with that quote: then it must be closed here.
            if [[ $_ssokey_quoted == *"$_ssokey_quote" ]]; then
                _ssokey_quoted+=$_ssokey_quote
            fi
        fi
        COMPREPLY+=("$_ssokey_quoted")
    done <<< "$_ssokey_out"
    if [[ $_CLAP_COMPLETE_SPACE == false ]] && [[ "${COMPREPLY-}" =~ [=/:]$ ]]; then
        compopt -o nospace
    fi
}
if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -o nospace -o bashdefault -o nosort -F _clap_complete_ssokey ssokey
else
    complete -o nospace -o bashdefault -F _clap_complete_ssokey ssokey
fi
"#;

/// Pure: whether a value may be offered: one that every shell puts on the
/// line as one word that means it. A line break would split it (the scripts
/// read one candidate a line, fish and zsh included), a control or
/// bidirectional character would act on the terminal or hide in the command
/// line, and a leading `-` would make it an option. Such a name is still
/// offered through its account id.
fn insertable(value: &str) -> bool {
    !value.is_empty() && !value.starts_with('-') && !value.contains(crate::ui::is_hidden)
}

/// A candidate with its description shown escaped, or none when the value
/// is not [`insertable`].
fn candidate(value: &str, help: Option<&str>) -> Option<CompletionCandidate> {
    insertable(value).then(|| {
        CompletionCandidate::new(value)
            .help(help.map(|help| StyledStr::from(crate::ui::escape(help).into_owned())))
    })
}

/// Account ids (described by their names) and account names: those with the
/// `--role` already typed, if any has it.
pub fn accounts() -> Vec<CompletionCandidate> {
    let typed = Typed::from_process();
    let listings = listings(local().as_ref(), typed.session.as_deref());
    let assigned = narrowed(&assignments(&listings), |a| {
        typed.role.as_ref().is_none_or(|role| &a.role_name == role)
    });
    let mut accounts: Vec<(&str, &str)> = assigned
        .iter()
        .map(|a| (a.account_id.as_str(), a.account_name.as_str()))
        .collect();
    // A name lookup caches the accounts without their roles: they are
    // accounts all the same, unless a role must narrow them.
    if typed.role.is_none() {
        accounts.extend(
            listings
                .iter()
                .filter(|listing| !listing.roles_listed)
                .flat_map(|listing| &listing.accounts)
                .map(|a| (a.account_id.as_str(), a.account_name.as_str())),
        );
    }
    account_candidates(&accounts)
}

/// Role names, described by how many accounts have them: the roles of the
/// `--account` already typed, if it is known.
pub fn roles() -> Vec<CompletionCandidate> {
    let typed = Typed::from_process();
    let all = assignments(&listings(local().as_ref(), typed.session.as_deref()));
    role_candidates(&narrowed(&all, |a| {
        typed
            .account
            .as_ref()
            .is_none_or(|account| &a.account_id == account || &a.account_name == account)
    }))
}

/// What the command line being completed already says.
#[derive(Debug, Default, PartialEq, Eq)]
struct Typed {
    session: Option<String>,
    account: Option<String>,
    role: Option<String>,
}

impl Typed {
    /// The words being completed follow `--` in this run's arguments. bash and
    /// zsh name the word under the cursor in `_CLAP_COMPLETE_INDEX`; fish cuts
    /// the line at the cursor, so there it is the last word.
    fn from_process() -> Self {
        let words: Vec<String> = std::env::args_os()
            .skip_while(|arg| arg != "--")
            .skip(1)
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        let current = std::env::var("_CLAP_COMPLETE_INDEX")
            .ok()
            .and_then(|index| index.parse().ok())
            .or_else(|| words.len().checked_sub(1));
        Self::parse(&words, current)
    }

    /// Pure: the values of `--session`, `--account` and `--role` in `words`,
    /// as `--flag value` or `--flag=value`, but the word at `current`, which
    /// is still being typed.
    fn parse(words: &[String], current: Option<usize>) -> Self {
        let mut typed = Self::default();
        let mut index = 0;
        while index < words.len() {
            let word = words[index].as_str();
            let (flag, inline) = match word.split_once('=') {
                Some((flag, value)) => (flag, Some(value.to_owned())),
                None => (word, None),
            };
            let slot = match flag {
                "--session" => &mut typed.session,
                "--account" => &mut typed.account,
                "--role" => &mut typed.role,
                _ => {
                    index += 1;
                    continue;
                }
            };
            let value = if inline.is_some() {
                (current != Some(index)).then_some(inline).flatten()
            } else {
                index += 1;
                words.get(index).filter(|_| current != Some(index)).cloned()
            };
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                *slot = Some(value);
            }
            index += 1;
        }
        typed
    }
}

/// Pure: the assignments that `keep` keeps, or all of them when it keeps none
/// (a value that a stale listing does not know narrows nothing).
fn narrowed(all: &[Assignment], keep: impl Fn(&Assignment) -> bool) -> Vec<Assignment> {
    let kept: Vec<Assignment> = all.iter().filter(|a| keep(a)).cloned().collect();
    if kept.is_empty() { all.to_vec() } else { kept }
}

/// The sessions of the AWS config file and those remembered from --start-url.
pub fn sessions() -> Vec<CompletionCandidate> {
    let Some(env) = local() else {
        return Vec::new();
    };
    let config = env.config().ok().flatten();
    session::known(config, env.sessions_quietly())
        .into_iter()
        .filter_map(|s| candidate(&s.name, Some(&s.start_url)))
        .collect()
}

/// The profiles of the AWS config file.
pub fn profiles() -> Vec<CompletionCandidate> {
    let Some(env) = local() else {
        return Vec::new();
    };
    env.config()
        .ok()
        .flatten()
        .map(|config| {
            config
                .profile_names()
                .iter()
                .filter_map(|name| candidate(name, None))
                .collect()
        })
        .unwrap_or_default()
}

fn local() -> Option<Context> {
    Context::from_process(crate::ui::Color::Never, None).ok()
}

/// Every assignment of `listings`.
fn assignments(listings: &[Listing]) -> Vec<Assignment> {
    listings
        .iter()
        .flat_map(|listing| listing.assignments.iter().cloned())
        .collect()
}

/// The session's cached listing, or every cached listing, however old:
/// offline, an old name is better than none.
fn listings(env: Option<&Context>, session: Option<&str>) -> Vec<Listing> {
    let Some(env) = env else {
        return Vec::new();
    };
    if let Some(session) = session {
        return Listing::load(&paths::listing(&env.cache_dir, session))
            .into_iter()
            .collect();
    }
    let dir = paths::listings(&env.cache_dir);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|path| Listing::load(path))
        .collect()
}

/// Pure: ids described by their account names, then the names that are unique
/// (a name shared by two accounts cannot select one). `accounts` are (id,
/// name) pairs, repeated or not.
fn account_candidates(accounts: &[(&str, &str)]) -> Vec<CompletionCandidate> {
    let mut names: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut ids: BTreeMap<&str, &str> = BTreeMap::new();
    for &(id, name) in accounts {
        ids.insert(id, name);
        let accounts = names.entry(name).or_default();
        if !accounts.contains(&id) {
            accounts.push(id);
        }
    }
    let by_name = names
        .into_iter()
        .filter(|(_, accounts)| accounts.len() == 1)
        .filter_map(|(name, accounts)| candidate(name, Some(accounts[0])));
    ids.into_iter()
        .filter_map(|(id, name)| candidate(id, Some(name)))
        .chain(by_name)
        .collect()
}

/// Pure: each role name once, described by the number of accounts it is in.
fn role_candidates(assignments: &[Assignment]) -> Vec<CompletionCandidate> {
    let mut roles: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for a in assignments {
        let accounts = roles.entry(&a.role_name).or_default();
        if !accounts.contains(&a.account_id.as_str()) {
            accounts.push(&a.account_id);
        }
    }
    roles
        .into_iter()
        .filter_map(|(role, accounts)| {
            let help = match accounts.as_slice() {
                [one] => format!("in {one}"),
                many => format!("in {} accounts", many.len()),
            };
            candidate(role, Some(&help))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::listing::tests::assignment;

    fn shown(candidates: &[CompletionCandidate]) -> Vec<String> {
        candidates
            .iter()
            .map(|c| {
                format!(
                    "{}:{}",
                    c.get_value().to_string_lossy(),
                    c.get_help().map(ToString::to_string).unwrap_or_default()
                )
            })
            .collect()
    }

    fn pairs(assignments: &[Assignment]) -> Vec<(&str, &str)> {
        assignments
            .iter()
            .map(|a| (a.account_id.as_str(), a.account_name.as_str()))
            .collect()
    }

    #[test]
    fn accounts_complete_as_ids_and_unique_names() {
        let all = [
            assignment("111122223333", "prod", "Admin"),
            assignment("111122223333", "prod", "ReadOnly"),
            assignment("444455556666", "dev", "Admin"),
            assignment("777788889999", "dev", "Admin"),
        ];
        assert_eq!(
            shown(&account_candidates(&pairs(&all))),
            [
                "111122223333:prod",
                "444455556666:dev",
                "777788889999:dev",
                "prod:111122223333"
            ]
        );
    }

    #[test]
    fn only_names_that_go_on_the_line_as_one_word_are_offered() {
        let accounts = [
            ("111122223333", "Log Archive"),
            ("444455556666", "two\nlines"),
            ("444455556667", "vertical\u{b}tab"),
            ("777788889999", "-rf"),
            ("100000000001", "title\u{1b}]0;t\u{7}"),
            ("100000000002", "bidi\u{202e}"),
            ("100000000003", "cs$(touch pwned)`id`'\"*"),
        ];
        assert_eq!(
            shown(&account_candidates(&accounts)),
            [
                "100000000001:title\\u{1b}]0;t\\u{7}",
                "100000000002:bidi\\u{202e}",
                "100000000003:cs$(touch pwned)`id`'\"*",
                "111122223333:Log Archive",
                "444455556666:two\\nlines",
                "444455556667:vertical\\u{b}tab",
                "777788889999:-rf",
                "Log Archive:111122223333",
                "cs$(touch pwned)`id`'\"*:100000000003",
            ]
        );
    }

    #[test]
    fn roles_complete_once_each() {
        let all = [
            assignment("111122223333", "prod", "Admin"),
            assignment("111122223333", "prod", "ReadOnly"),
            assignment("444455556666", "dev", "Admin"),
        ];
        assert_eq!(
            shown(&role_candidates(&all)),
            ["Admin:in 2 accounts", "ReadOnly:in 111122223333"]
        );
    }

    fn words(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn the_typed_flags_are_read_but_the_one_under_the_cursor() {
        let line = words("ssokey --session work env --account 111122223333 --role Ad");
        assert_eq!(
            Typed::parse(&line, Some(7)),
            Typed {
                session: Some("work".to_owned()),
                account: Some("111122223333".to_owned()),
                role: None,
            }
        );
        let line = words("ssokey exec --role=Admin --account=pro x");
        assert_eq!(
            Typed::parse(&line, Some(3)),
            Typed {
                role: Some("Admin".to_owned()),
                ..Typed::default()
            }
        );
        // The cursor on an earlier word: the words after it count.
        let line = words("ssokey env --account  --role ReadOnly");
        assert_eq!(
            Typed::parse(&line, Some(3)),
            Typed {
                role: Some("ReadOnly".to_owned()),
                ..Typed::default()
            }
        );
        assert_eq!(
            Typed::parse(&words("ssokey env --role"), None),
            Typed::default()
        );
    }

    #[test]
    fn roles_narrow_to_the_typed_account_and_accounts_to_the_typed_role() {
        let all = [
            assignment("111122223333", "prod", "Admin"),
            assignment("111122223333", "prod", "ReadOnly"),
            assignment("444455556666", "dev", "Admin"),
        ];
        let of_dev = narrowed(&all, |a| a.account_name == "dev");
        assert_eq!(shown(&role_candidates(&of_dev)), ["Admin:in 444455556666"]);
        let with_read_only = narrowed(&all, |a| a.role_name == "ReadOnly");
        assert_eq!(
            shown(&account_candidates(&pairs(&with_read_only))),
            ["111122223333:prod", "prod:111122223333"]
        );
        // Unknown to the listing: nothing is narrowed.
        assert_eq!(narrowed(&all, |a| a.account_id == "999999999999").len(), 3);
    }

    #[test]
    fn every_shell_has_a_registration_that_calls_ssokey_back() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::PowerShell,
            clap_complete::Shell::Elvish,
        ] {
            let script = registration(shell);
            assert!(script.contains(VAR), "{shell}: {script}");
            assert!(script.contains("ssokey"), "{shell}");
        }
    }
}
