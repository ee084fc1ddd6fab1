//! ssokey on a real terminal, driven through tmux: the sign-in spinner, and the
//! role picker of `ssokey env` and `ssokey exec`, with the screen captured and
//! checked.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::harness::{START_URL, TestEnv, config, wait_until};

/// A tmux server of its own, running bash with the test's environment.
pub struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    pub fn start(env: &TestEnv) -> Tmux {
        Tmux::start_shell(env, "bash --norc --noprofile")
    }

    /// A tmux server running `shell` (a command line).
    fn start_shell(env: &TestEnv, shell: &str) -> Tmux {
        let program = shell.split(' ').next().unwrap_or(shell);
        let socket = env.root().join(format!("tmux-{program}.sock"));
        let base = env.command(&[]);
        let bin_dir = std::path::Path::new(base.get_program()).parent().unwrap();
        let mut command = Command::new("tmux");
        command.env_clear();
        for (key, value) in base.get_envs() {
            if let Some(value) = value {
                command.env(key, value);
            }
        }
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let status = command
            .env("PATH", path)
            .env("TERM", "xterm-256color")
            .arg("-S")
            .arg(&socket)
            .args([
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "30",
                shell,
            ])
            .status()
            .unwrap_or_else(|err| panic!("tmux must be installed (.ci/run installs it): {err}"));
        assert!(status.success(), "tmux did not start");
        Tmux { socket }
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types `text` (literally) and, with `enter`, presses Enter.
    pub fn type_text(&self, text: &str, enter: bool) {
        self.tmux(&["send-keys", "-l", text]);
        if enter {
            self.tmux(&["send-keys", "Enter"]);
        }
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    #[track_caller]
    pub fn wait_for(&self, text: &str) -> String {
        let mut screen = String::new();
        wait_until(Duration::from_secs(20), text, || {
            screen = self.screen();
            screen.contains(text)
        });
        screen
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .status();
    }
}

#[test]
fn sign_in_with_the_spinner_then_pick_a_role_on_the_terminal() {
    let env = TestEnv::with_config(config());
    let term = Tmux::start(&env);
    // bash's prompt: "bash-5.2# " as root.
    term.wait_for("bash-");

    term.type_text(
        &format!("ssokey login --no-browser --start-url {START_URL} --region us-east-1"),
        true,
    );
    let code = env
        .emulator
        .wait_for_user_code(Duration::from_secs(20))
        .expect("a sign-in started");
    let screen = term.wait_for("Waiting for approval in the browser");
    assert!(
        screen.contains(&format!("shows the code {code}:")),
        "{screen}"
    );
    env.emulator.approve(&code);
    let screen = term.wait_for("Signed in to 'ssokey-test'");
    assert!(
        !screen.contains("Waiting for approval"),
        "the spinner is cleared:\n{screen}"
    );
    term.tmux(&["send-keys", "C-l"]);

    // `env` with no target: the picker on the terminal, the exports on stdout.
    term.type_text("eval \"$(ssokey env)\"", true);
    let screen = term.wait_for("Pick a role");
    for row in [
        "account-001  100000000001  Admin",
        "account-001  100000000001  ReadOnly",
        "account-002  100000000002  Admin",
        "account-002  100000000002  ReadOnly",
    ] {
        assert!(screen.contains(row), "{row} in:\n{screen}");
    }
    term.type_text("002 read", false);
    let screen = term.wait_for("002 read");
    assert!(
        !screen.contains("account-001  100000000001  Admin"),
        "typing filters:\n{screen}"
    );
    term.tmux(&["send-keys", "Enter"]);
    term.wait_for("next time: ssokey env --account 100000000002 --role ReadOnly");
    term.type_text("echo \"key=$AWS_ACCESS_KEY_ID.\"", true);
    let screen = term.wait_for(".\n");
    let issued = env.emulator.last_role_credentials().unwrap();
    assert!(
        screen.contains(&format!("key={}.", issued.access_key_id)),
        "{screen}"
    );
    assert_eq!(
        (issued.account_id.as_str(), issued.role_name.as_str()),
        ("100000000002", "ReadOnly")
    );

    // Esc cancels: an error, and nothing set.
    term.tmux(&["send-keys", "C-l"]);
    term.type_text(
        "unset AWS_ACCESS_KEY_ID; ssokey exec -- true; echo \"status=$?\"",
        true,
    );
    term.wait_for("Pick a role");
    term.tmux(&["send-keys", "Escape"]);
    // The typed command holds "status=" too: wait for the line that echo printed.
    let screen = term.wait_for("\nstatus=");
    assert!(screen.contains("\nstatus=2"), "{screen}");
    assert!(screen.contains("no role was picked"), "{screen}");
}

#[test]
fn without_a_terminal_there_is_no_picker() {
    let env = TestEnv::with_config(config());
    env.login().success();
    for command in ["env", "credential-process"] {
        env.run(&[command])
            .failure(2)
            .stderr_has("no account and role given");
    }
}

#[test]
fn tab_in_bash_puts_an_account_name_with_spaces_on_the_line_as_one_word() {
    use sso_emulator::Account;
    let env = TestEnv::with_config(sso_emulator::Config {
        accounts: vec![Account::new("100000000001", "Log Archive", &["Admin"])],
        ..config()
    });
    env.login().success();
    env.run(&["list"]).success();
    let term = Tmux::start(&env);
    term.wait_for("bash-");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/ssokey.bash");
    term.type_text(&format!("source '{}'; clear", script.display()), true);
    term.type_text("ssokey env --account Log", false);
    term.tmux(&["send-keys", "Tab"]);
    term.wait_for("ssokey env --account Log\\ Archive");
    // The shell reads it back as the one name: the lookup by name works.
    term.type_text(" --role Admin", true);
    term.wait_for("export AWS_ACCESS_KEY_ID=");
}

#[test]
fn picking_an_account_with_escape_sequences_in_its_name_leaves_the_terminal_alone() {
    use sso_emulator::Account;
    let env = TestEnv::with_config(sso_emulator::Config {
        accounts: vec![
            Account::new(
                "100000000001",
                "evil\u{1b}]2;PWNED\u{7}\u{1b}[2J\u{1b}[H\u{9b}2J",
                &["Admin"],
            ),
            Account::new("100000000002", "plain", &["Admin"]),
        ],
        ..config()
    });
    env.login().success();
    let term = Tmux::start(&env);
    term.wait_for("bash-");
    term.tmux(&["select-pane", "-T", "before"]);
    term.type_text("echo still-on-screen", true);
    term.wait_for("\nstill-on-screen");
    term.type_text("eval \"$(ssokey env)\"; echo \"status=$?\"", true);
    let screen = term.wait_for("Pick a role");
    // The picker shows the name escaped.
    assert!(screen.contains("evil\\u{1b}]2;PWNED\\u{7}"), "{screen}");
    term.type_text("evil", false);
    term.tmux(&["send-keys", "Enter"]);
    let screen = term.wait_for("\nstatus=");
    assert!(screen.contains("\nstatus=0"), "{screen}");
    assert!(
        screen.contains("evil\\u{1b}]2;PWNED\\u{7}\\u{1b}[2J\\u{1b}[H\\u{9b}2J/Admin (next time: ssokey env --account 100000000001 --role Admin)"),
        "{screen}"
    );
    assert!(
        screen.contains("\nstill-on-screen"),
        "the screen was cleared:\n{screen}"
    );
    let title = term.tmux(&["display-message", "-p", "#{pane_title}"]);
    assert_eq!(title.trim(), "before", "the pane was retitled");
}

/// Hostile account names for completion, each with the prefixes to type
/// (bare, and inside each quote) and what the shell must then read.
const COMPLETED: [(&str, &[&str]); 6] = [
    ("cs$(touch pwned)", &["cs", "\"cs", "'cs"]),
    ("bt`touch pwned`", &["bt", "\"bt", "'bt"]),
    (
        "qu'$(touch pwned)'\"$(touch pwned)\"!x",
        &["qu", "\"qu", "'qu"],
    ),
    ("qe!", &["qe", "\"qe", "'qe"]),
    ("st*", &["st", "\"st", "'st"]),
    ("Log Archive", &["Log", "\"Log", "'Log", "Log\\ A"]),
];

/// Names that are offered only by their ids: typing the start of one
/// completes nothing.
const NOT_COMPLETED: [(&str, &str); 2] = [("vt\u{b}split*", "vt"), ("nl\nsplit*", "nl")];

#[test]
fn tab_in_bash_zsh_and_fish_puts_hostile_names_on_the_line_as_one_word_and_runs_nothing() {
    use sso_emulator::Account;
    let names = COMPLETED
        .iter()
        .map(|(name, _)| *name)
        .chain(NOT_COMPLETED.iter().map(|(name, _)| *name));
    let env = TestEnv::with_config(sso_emulator::Config {
        accounts: names
            .enumerate()
            .map(|(i, name)| Account::new(&format!("1000000000{:02}", i + 1), name, &["Admin"]))
            .collect(),
        ..config()
    });
    env.login().success();
    env.run(&["list"]).success();
    let scripts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let wrap = argument_writer(&env);
    let wrap = wrap.display();
    let mut case = 0;
    let mut wrong = Vec::new();
    for (shell, setup) in [
        (
            "bash --norc --noprofile",
            format!(
                "PS1='ready$ '; PATH='{wrap}':$PATH; source '{}'",
                scripts.join("ssokey.bash").display()
            ),
        ),
        (
            "zsh -f",
            format!(
                "PS1='ready%# '; PATH='{wrap}':$PATH; autoload -U compinit && compinit -u && source '{}'",
                scripts.join("_ssokey").display()
            ),
        ),
        (
            "fish --no-config",
            format!(
                "function fish_prompt; echo -n 'ready> '; end; set -g fish_autosuggestion_enabled 0; set -gx PATH '{wrap}' $PATH; source '{}'",
                scripts.join("ssokey.fish").display()
            ),
        ),
    ] {
        let term = Tmux::start_shell(&env, shell);
        term.type_text(&setup, true);
        term.type_text("clear", true);
        term.wait_for("ready");
        let cases = COMPLETED
            .iter()
            .flat_map(|(name, typed)| typed.iter().map(move |typed| (*name, *typed, true)))
            .chain(
                NOT_COMPLETED
                    .iter()
                    .map(|(_, typed)| (*typed, *typed, false)),
            );
        let (mut completed, mut tried) = (0, 0);
        for (name, typed, completes) in cases {
            case += 1;
            tried += 1;
            let dir = env.root().join(format!("case-{case}"));
            match tab(&term, &dir, typed, name, completes) {
                Ok(true) => completed += 1,
                Ok(false) if shell.starts_with("bash") && completes => {
                    wrong.push(format!("bash: typed {typed:?} + Tab: nothing completed"));
                }
                Ok(false) => {}
                Err(err) => wrong.push(format!("{shell}: {err}")),
            }
        }
        eprintln!("{shell}: {completed} of {tried} cases completed");
    }
    assert!(
        wrong.is_empty(),
        "{} cases wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// A directory with an `ssokey` that answers completions as ssokey, and
/// otherwise writes its arguments, one a line, to ./args.
fn argument_writer(env: &TestEnv) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let wrap = env.root().join("wrap");
    std::fs::create_dir(&wrap).unwrap();
    std::fs::write(
        wrap.join("ssokey"),
        format!(
            "#!/bin/sh\n[ -n \"$SSOKEY_COMPLETE\" ] && exec '{}' \"$@\"\nprintf '%s\\n' \"$@\" > args\n",
            env!("CARGO_BIN_EXE_ssokey")
        ),
    )
    .unwrap();
    std::fs::set_permissions(wrap.join("ssokey"), std::fs::Permissions::from_mode(0o755)).unwrap();
    wrap
}

/// Types `ssokey env --account TYPED`, presses Tab and then Enter, in `dir`
/// (made here, with files that a glob would find). Whether something was
/// completed, or what went wrong: the shell read another word than `name`
/// (or than what was typed, when nothing was completed), or ran a command.
fn tab(
    term: &Tmux,
    dir: &std::path::Path,
    typed: &str,
    name: &str,
    completes: bool,
) -> Result<bool, String> {
    std::fs::create_dir(dir).unwrap();
    for file in ["st1", "st2", "nl1", "vt1"] {
        std::fs::write(dir.join(file), "").unwrap();
    }
    term.type_text(&format!("cd '{}'; clear", dir.display()), true);
    term.type_text(&format!("ssokey env --account {typed}"), false);
    term.wait_for(typed);
    term.tmux(&["send-keys", "Tab"]);
    let before = format!("--account {typed}");
    let unchanged = || {
        term.screen()
            .lines()
            .any(|line| line.trim_end().ends_with(&before))
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while completes && std::time::Instant::now() < deadline && unchanged() {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    let filled = !unchanged();
    // zsh and fish complete nothing inside a quote (which is safe): the
    // quote is then closed by hand.
    let close = match typed.chars().next() {
        Some(quote @ ('"' | '\'')) if !filled => quote.to_string(),
        _ => String::new(),
    };
    term.type_text(&format!("{close}; echo done"), true);
    let read = wait_for_file(term, &dir.join("args"));
    let expected = if filled {
        name.to_owned()
    } else {
        typed.replace(['\\', '"', '\''], "")
    };
    let want = format!("env\n--account\n{expected}\n");
    let pwned = dir.join("pwned").exists();
    if read == want && !pwned {
        return Ok(filled);
    }
    let screen = term.screen();
    // An open quote or a continuation line: start afresh.
    term.tmux(&["send-keys", "C-c"]);
    Err(format!(
        "typed {typed:?} + Tab: the shell read {read:?}, not {want:?}; a command ran: {pwned}\n{screen}"
    ))
}

/// Waits for the shell to write `path` (and say done); what it holds, or
/// what the screen shows if it never does.
fn wait_for_file(term: &Tmux, path: &std::path::Path) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        let screen = term.screen();
        if (screen.contains("\ndone") || screen.starts_with("done"))
            && let Ok(text) = std::fs::read_to_string(path)
        {
            return text;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    format!("<nothing written; the screen:\n{}>", term.screen())
}
