//! The keychain: what happens when it is missing or holds damaged entries.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use pretty_assertions::assert_eq;

use crate::harness::{Run, SESSION, TestEnv, credential_process_args, wait_until};
use sso_emulator::Op;

#[test]
fn without_a_keychain_login_fails_with_the_cause_and_the_fix() {
    let mut env = TestEnv::new();
    // Asked for by name: without it, the kernel keyring would serve.
    env.set_env("SSOKEY_KEYCHAIN", "secret-service");
    env.stop_keyring();
    let run = env.login();
    run.failure(4)
        .stderr_has("no keychain can be reached")
        .stderr_has("gnome-keyring-daemon");
    // Nothing falls back to a file, and nothing was asked of the portal.
    assert_eq!(env.emulator.count(Op::RegisterClient), 0);
    let secrets_dir = env.home.join(".config/ssokey");
    let stored: Vec<_> = std::fs::read_dir(&secrets_dir)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        stored.iter().all(|name| name == "sessions.json"),
        "{stored:?}"
    );
}

#[test]
fn a_corrupt_token_entry_is_reported_and_a_new_login_repairs_it() {
    let env = TestEnv::new();
    env.login().success();
    env.store_item(
        &format!("session/{SESSION}/token"),
        "garbage from another program",
    );
    let status = env.run(&["status", "--output", "json"]);
    assert_eq!(status.success().json()[0]["state"], "damaged");
    env.run(&["login"]).success().stderr_has("Signed in to");
    let status = env.run(&["status", "--output", "json"]);
    assert_eq!(status.success().json()[0]["state"], "signed-in");
}

#[test]
fn a_corrupt_token_entry_is_removed_by_logout() {
    let env = TestEnv::new();
    env.login().success();
    env.store_item(&format!("session/{SESSION}/token"), "ssokey1:zz");
    env.run(&["logout"]).success();
    assert!(
        !env.keychain_items()
            .iter()
            .any(|(u, _)| u.contains("/token")),
        "{:?}",
        env.keychain_items()
    );
}

#[test]
fn a_corrupt_client_registration_is_replaced_at_login() {
    let env = TestEnv::new();
    env.login().success();
    env.store_item(&format!("session/{SESSION}/client"), "{\"clientId\": 1}");
    env.run(&["login", "--force"]).success();
    assert_eq!(env.emulator.count(Op::RegisterClient), 2);
}

const ACCOUNT: &str = "100000000001";
const LIMIT: Duration = Duration::from_secs(30);

fn credential_process(env: &TestEnv, extra: &[&str]) -> Run {
    let mut args = credential_process_args(ACCOUNT, "Admin", &[]);
    args.extend(extra);
    env.run_within(LIMIT, &args)
}

/// Signed in, with the fast tier off so that every lookup reaches the
/// Secret Service, which is asked for by name: when it is gone, the kernel
/// keyring does not take its place (tests/integration/kernel.rs has that).
fn signed_in() -> TestEnv {
    let mut env = TestEnv::new();
    env.set_env("SSOKEY_FAST_TIER", "off");
    env.set_env("SSOKEY_KEYCHAIN", "secret-service");
    env.login().success();
    env
}

/// The commands that need the keychain, for a signed-in session.
const KEYCHAIN_COMMANDS: &[&[&str]] = &[
    &[
        "credential-process",
        "--account",
        ACCOUNT,
        "--role",
        "Admin",
    ],
    &["env", "--account", ACCOUNT, "--role", "Admin"],
    &[
        "exec",
        "--account",
        ACCOUNT,
        "--role",
        "Admin",
        "--",
        "true",
    ],
    &["list", "--refresh"],
    &["status"],
    &["login"],
    &["logout"],
];

#[test]
fn a_dead_bus_address_is_no_keychain() {
    let mut env = signed_in();
    let socket = env.dir.path().join("no-such-bus");
    env.set_env(
        "DBUS_SESSION_BUS_ADDRESS",
        &format!("unix:path={}", socket.display()),
    );
    for args in KEYCHAIN_COMMANDS {
        env.run_within(LIMIT, args)
            .failure(4)
            .stderr_has("ssokey: error: no keychain can be reached")
            .stderr_has("hint: the Secret Service over the D-Bus session bus was asked for");
    }
}

/// A D-Bus session bus with nothing on it: no Secret Service answers, and
/// none is started on demand (the standard session bus would start
/// gnome-keyring through D-Bus activation).
struct BareBus(std::process::Child, String);

impl BareBus {
    fn start(dir: &std::path::Path) -> BareBus {
        let config = dir.join("bare-bus.conf");
        std::fs::write(
            &config,
            format!(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" \
                 \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n\
                 <busconfig><type>session</type><listen>unix:dir={}</listen><auth>EXTERNAL</auth>\
                 <policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\
                 <allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n",
                dir.display()
            ),
        )
        .unwrap();
        let mut child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (apt-get install dbus)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("unix:"), "{line:?}");
        BareBus(child, line.trim().to_owned())
    }
}

impl Drop for BareBus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_bus_without_a_secret_service_is_no_keychain() {
    let mut env = signed_in();
    let bus = BareBus::start(env.dir.path());
    env.set_env("DBUS_SESSION_BUS_ADDRESS", &bus.1);
    for args in KEYCHAIN_COMMANDS {
        env.run_within(LIMIT, args)
            .failure(4)
            .stderr_has("ssokey: error: no keychain can be reached");
    }
}

#[test]
fn a_locked_keychain_fails_clearly_and_never_hangs() {
    let env = signed_in();
    credential_process(&env, &[]).success();
    env.lock_keyring();
    for args in KEYCHAIN_COMMANDS {
        env.run_within(LIMIT, args)
            .failure(4)
            .stderr_has("ssokey: error: the keychain is locked")
            .stderr_has("hint: unlock your keychain");
    }
}

#[test]
fn the_bus_going_away_during_a_fetch_still_hands_out_the_credentials() {
    let mut env = signed_in();
    env.emulator
        .update_config(|c| c.latency = Duration::from_secs(3));
    let child = env.spawn(&credential_process_args(ACCOUNT, "Admin", &[]));
    wait_until(LIMIT, "the GetRoleCredentials call", || {
        env.emulator.count(Op::GetRoleCredentials) == 1
    });
    env.stop_keyring();
    let run = Run::from_child(child, &["credential-process"]);
    run.success()
        .stderr_has("ssokey: warning: could not cache the credentials (no keychain can be reached");
    let issued = env.emulator.last_role_credentials().unwrap();
    assert_eq!(
        run.json()["SecretAccessKey"],
        issued.secret_access_key.as_str()
    );
    // And the next run says that the keychain is gone.
    credential_process(&env, &[])
        .failure(4)
        .stderr_has("no keychain can be reached");
}

#[test]
fn a_token_deleted_by_another_program_means_signed_out() {
    let env = signed_in();
    env.clear_item(&format!("session/{SESSION}/token"));
    credential_process(&env, &[])
        .failure(3)
        .stderr_has(&format!(
            "ssokey: error: not signed in to the session '{SESSION}'"
        ))
        .stderr_has(&format!("hint: run: ssokey login --session {SESSION}"));
    let status = env.run(&["status", "--output", "json"]);
    assert_eq!(status.success().json()[0]["state"], "signed-out");
    env.run(&["login"]).success();
    credential_process(&env, &[]).success();
}

/// The value of `key` as ssokey wrote it: a head entry
/// `ssokey1:GENERATION:COUNT:` with the first piece, and pieces
/// `KEY#GENERATION.INDEX` with the rest. Returns the generation and the value.
fn head(env: &TestEnv, key: &str) -> (String, String) {
    let items = env.keychain_items();
    let item = |user: &str| {
        items.iter().find(|(u, _)| u == user).map_or_else(
            || panic!("no {user} in the keychain"),
            |(_, value)| value.clone(),
        )
    };
    let head = item(key);
    let mut parts = head.splitn(4, ':');
    assert_eq!(parts.next(), Some("ssokey1"));
    let generation = parts.next().unwrap().to_owned();
    let count: usize = parts.next().unwrap().parse().unwrap();
    let mut value = parts.next().unwrap().to_owned();
    for index in 1..count {
        value.push_str(&item(&format!("{key}#{generation}.{index}")));
    }
    (generation, value)
}

/// A damaged entry: what it is, the head's value, and the pieces beside it
/// (the suffix of each piece's name, and its value).
type Damaged = (&'static str, String, Vec<(String, String)>);

/// What another program, or another version of ssokey, may leave in an entry.
fn damaged_entries(json: &str) -> Vec<Damaged> {
    let (first, rest) = json.split_at(json.len() / 2);
    vec![
        ("text of another program", "garbage".to_owned(), vec![]),
        ("the JSON alone, with no head", json.to_owned(), vec![]),
        (
            "a newer format",
            format!("ssokey2:00000000000000ab:1:{json}"),
            vec![],
        ),
        (
            "a head with no generation",
            format!("ssokey1:zz:1:{json}"),
            vec![],
        ),
        (
            "a head cut short",
            "ssokey1:00000000000000ab".to_owned(),
            vec![],
        ),
        (
            "a piece deleted",
            format!("ssokey1:00000000000000ab:2:{first}"),
            vec![],
        ),
        (
            "a piece of another generation",
            format!("ssokey1:00000000000000ab:2:{first}"),
            vec![("#00000000000000cd.1".to_owned(), rest.to_owned())],
        ),
        (
            "JSON of another shape",
            "ssokey1:00000000000000ab:1:{\"accessKeyId\": 1}".to_owned(),
            vec![],
        ),
    ]
}

#[test]
fn a_damaged_role_credential_entry_is_a_miss_that_fetches_again() {
    let env = signed_in();
    let key = format!("session/{SESSION}/role/{ACCOUNT}/Admin");
    credential_process(&env, &[]).success();
    let (_, json) = head(&env, &key);
    let mut calls = 1;
    // Deleted by another program.
    env.clear_item(&key);
    credential_process(&env, &[]).success();
    calls += 1;
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), calls);
    for (what, value, pieces) in damaged_entries(&json) {
        env.store_item(&key, &value);
        for (suffix, piece) in &pieces {
            env.store_item(&format!("{key}{suffix}"), piece);
        }
        let run = credential_process(&env, &[]);
        run.success();
        assert_eq!(run.stderr, "", "{what}");
        calls += 1;
        assert_eq!(env.emulator.count(Op::GetRoleCredentials), calls, "{what}");
        // The entry is whole again: the next run is a hit.
        credential_process(&env, &[]).success();
        assert_eq!(env.emulator.count(Op::GetRoleCredentials), calls, "{what}");
        let (_, now) = head(&env, &key);
        assert!(now.contains("\"accessKeyId\":\"ASIA"), "{what}");
    }
}

#[test]
fn a_damaged_token_entry_asks_for_a_new_sign_in() {
    let env = signed_in();
    let key = format!("session/{SESSION}/token");
    let (_, json) = head(&env, &key);
    for (what, value, pieces) in damaged_entries(&json) {
        env.store_item(&key, &value);
        for (suffix, piece) in &pieces {
            env.store_item(&format!("{key}{suffix}"), piece);
        }
        let run = credential_process(&env, &["--refresh"]);
        run.failure(3)
            .stderr_has(&format!(
                "ssokey: error: the keychain entry '{key}' is corrupt: "
            ))
            .stderr_has(&format!("hint: run: ssokey login --session {SESSION}"));
        assert!(
            !run.stderr.contains(&json),
            "{what}: the value is shown\n{run}"
        );
        let status = env.run(&["status", "--output", "json"]);
        assert_eq!(status.success().json()[0]["state"], "damaged", "{what}");
        // The hint's command repairs it.
        env.run(&["login"]).success();
        credential_process(&env, &["--refresh"]).success();
    }
}

#[test]
fn a_newer_format_names_itself_in_the_error() {
    let env = signed_in();
    let key = format!("session/{SESSION}/token");
    let (_, json) = head(&env, &key);
    env.store_item(&key, &format!("ssokey2:00000000000000ab:1:{json}"));
    credential_process(&env, &["--refresh"])
        .failure(3)
        .stderr_has("is corrupt: it was written by another version of ssokey (format ssokey2; this one reads ssokey1)");
}

#[test]
fn a_token_split_into_pieces_reads_back_until_a_piece_is_deleted() {
    let env = signed_in();
    let key = format!("session/{SESSION}/token");
    let (_, json) = head(&env, &key);
    let (first, rest) = json.split_at(json.len() / 2);
    // Written as ssokey writes a long value: the piece, then the head.
    let piece = format!("{key}#00000000000000ef.1");
    env.store_item(&piece, rest);
    env.store_item(&key, &format!("ssokey1:00000000000000ef:2:{first}"));
    credential_process(&env, &["--refresh"]).success();
    env.clear_item(&piece);
    credential_process(&env, &["--refresh"])
        .failure(3)
        .stderr_has("is corrupt: a piece of the value is missing");
}

#[test]
fn a_locked_keychain_stops_login_before_any_browser_or_device_code() {
    let env = TestEnv::new().browser(crate::harness::Browser::Record);
    env.lock_keyring();
    for extra in [&[][..], &["--device-code"][..], &["-v"][..]] {
        let mut args = vec!["login", "--start-url", crate::harness::START_URL];
        args.extend_from_slice(&["--region", crate::harness::REGION]);
        args.extend_from_slice(extra);
        let run = env.run_within(LIMIT, &args);
        run.failure(4)
            .stderr_has("ssokey: error: the keychain is locked")
            .stderr_has("hint: unlock your keychain");
        assert_eq!(run.stdout, "");
        let plain = !extra.contains(&"-v");
        let error_line = run
            .stderr
            .lines()
            .find(|line| line.starts_with("ssokey: error:"))
            .unwrap();
        for jargon in ["SS error", "SS API", "zbus", "D-Bus error"] {
            assert!(!error_line.contains(jargon), "{run}");
            if plain {
                assert!(!run.stderr.contains(jargon), "{run}");
            }
        }
        // The store's own words are kept for -v.
        assert_eq!(
            run.stderr.contains("the keychain refused access cause="),
            !plain,
            "{run}"
        );
        assert!(!run.stderr.contains("user code"), "{run}");
        assert!(!run.stderr.contains("Open this URL"), "{run}");
    }
    assert!(env.browser_runs().is_empty(), "{:?}", env.browser_runs());
    assert_eq!(env.emulator.count(Op::RegisterClient), 0);
    assert_eq!(env.emulator.count(Op::StartDeviceAuthorization), 0);
    assert_eq!(env.emulator.authorizations(), 0);
}
