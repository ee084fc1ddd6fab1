//! The kernel keychain: Linux without a Secret Service (SSH sessions, WSL2,
//! servers, containers), with no D-Bus at all, as root and as a user with
//! the kernel's default key quota.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use pretty_assertions::assert_eq;
use sso_emulator::Op;

use crate::harness::{Run, SESSION, TestEnv, config, credential_process_args, wait_within};

const ACCOUNT: &str = "100000000001";
const LIMIT: Duration = Duration::from_mins(1);

/// A user id that no other test, and no account of the machine, uses: each
/// uid has its own keyrings and its own key quota, so tests that run in
/// parallel never share one.
fn throwaway_uid() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    0x3a00_0000 + (std::process::id() & 0xffff) * 64 + NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Sign in, list, hand out credentials (one fetch for many parallel runs),
/// show the store, and sign out leaving no key behind.
fn headless_flow(env: &TestEnv) {
    assert!(env.kernel_store_keys().is_empty());
    let login = env.login();
    login.success().stderr_has("Signed in to");
    let keys = env.kernel_store_keys();
    assert!(
        keys.contains(&format!("session/{SESSION}/token"))
            && keys.contains(&format!("session/{SESSION}/client")),
        "{keys:?}"
    );
    env.run(&["list"]).success();
    let first = env.run_within(LIMIT, &credential_process_args(ACCOUNT, "Admin", &[]));
    assert_eq!(first.success().json()["Version"], 1);
    assert_eq!(first.stderr, "", "{first}");

    // Parallel runs for another role: one fetch between them.
    let args = credential_process_args(ACCOUNT, "ReadOnly", &[]);
    let children: Vec<_> = (0..6).map(|_| env.spawn(&args)).collect();
    let outputs: Vec<Run> = children
        .into_iter()
        .map(|child| Run::from(&wait_within(child, LIMIT, "credential-process"), &args))
        .collect();
    for run in &outputs {
        run.success();
        assert_eq!(run.stdout, outputs[0].stdout);
    }
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 2);

    let status = env.run(&["status", "--output", "json"]);
    let row = &status.success().json()[0];
    assert_eq!(row["keychain"], "kernel");
    assert_eq!(row["state"], "signed-in");
    let expiry = std::fs::read_to_string("/proc/sys/kernel/keys/persistent_keyring_expiry")
        .unwrap()
        .trim()
        .to_owned();
    // Nothing is wrong: status says nothing on stderr; -v says the note.
    let table = env.run(&["status"]);
    table.success();
    assert_eq!(table.stderr, "", "{table}");
    assert!(
        table.stdout.lines().nth(1).unwrap().contains(" kernel "),
        "{table}"
    );
    let verbose = env.run(&["status", "-v"]);
    verbose
        .success()
        .stderr_has("the kernel keyring keeps tokens in memory only, until the machine restarts")
        .stderr_has(&format!(
            "kernel.keys.persistent_keyring_expiry = {expiry} s"
        ));
    assert_words_spaced(&verbose.stderr);

    env.run(&["logout"]).success();
    assert_eq!(env.kernel_store_keys(), Vec::<String>::new());
    env.run_within(LIMIT, &credential_process_args(ACCOUNT, "Admin", &[]))
        .failure(3);
}

/// "3 days", never "3days".
#[track_caller]
fn assert_words_spaced(text: &str) {
    for unit in ["day", "month", "year"] {
        for (at, _) in text.match_indices(unit) {
            assert!(
                !text[..at].ends_with(|c: char| c.is_ascii_digit()),
                "no space before '{unit}': {text}"
            );
        }
    }
}

#[test]
fn headless_as_root_the_kernel_keyring_keeps_the_sign_in() {
    let env = TestEnv::headless(config(), None);
    headless_flow(&env);
    // Nothing stands in a file.
    env.login().success();
    env.run_within(LIMIT, &credential_process_args(ACCOUNT, "Admin", &[]))
        .success();
    env.assert_no_secret_leaked(&[]);
}

#[test]
fn headless_as_a_user_with_the_default_key_quota() {
    let env = TestEnv::headless(config(), Some(throwaway_uid()));
    headless_flow(&env);
    // The user's quota is the default that every user but root has.
    let usage = env.key_usage().expect("the user has used keys");
    let max_bytes: u64 = std::fs::read_to_string("/proc/sys/kernel/keys/maxbytes")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(usage.max_bytes, max_bytes);
}

#[test]
fn doctor_says_what_the_kernel_keyring_means() {
    let mut env = TestEnv::headless(config(), None);
    // No BROWSER, no display: a server.
    env.set_env("BROWSER", "");
    let run = env.run(&["doctor", "--output", "json"]);
    let json = run.json();
    let check = |name: &str| {
        json.as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == name)
            .unwrap_or_else(|| panic!("no {name} check\n{run}"))
            .clone()
    };
    assert_eq!(check("d-bus")["verdict"], "ok", "{run}");
    // login falls back to the device code by itself: nothing to warn of.
    let browser = check("browser");
    assert_eq!(browser["verdict"], "ok", "{run}");
    assert!(
        browser["detail"]
            .as_str()
            .unwrap()
            .ends_with("ssokey login shows a device code to approve on any device"),
        "{run}"
    );
    assert!(!run.stdout.contains("--no-browser"), "{run}");
    let keychain = check("keychain");
    assert_eq!(keychain["verdict"], "ok", "{run}");
    let detail = keychain["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(
            "the kernel keyring (the user's persistent keyring), since no Secret Service answers"
        ),
        "{detail}"
    );
    assert!(detail.contains("until the machine restarts"), "{detail}");
    assert!(detail.contains("; key quota: "), "{detail}");
    assert_words_spaced(detail);
    // The bus library's words are for -v.
    assert!(!run.stdout.contains("zbus"), "{run}");
    let table = env.run(&["doctor"]);
    assert!(!table.stdout.contains("zbus"), "{table}");
    assert_words_spaced(&table.stdout);
    env.run(&["doctor", "-v"])
        .stderr_has("no Secret Service answers cause=");
}

/// 30 roles in one account.
fn thirty_roles() -> sso_emulator::Config {
    let names: Vec<String> = (1..=30).map(|i| format!("Role{i:02}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    sso_emulator::Config {
        accounts: sso_emulator::accounts(1, &names),
        ..config()
    }
}

/// Fills the user's key quota with other keys (in the user keyring, as other
/// programs would) until no more than `bytes_left` bytes are free; keys stay
/// free, so that ssokey's process keyring can be made.
fn fill_quota(env: &TestEnv, bytes_left: u64) {
    let mut index = 0;
    loop {
        let usage = env.key_usage().unwrap();
        let free = usage.max_bytes - usage.bytes;
        if free <= bytes_left {
            break;
        }
        // A key costs its payload and its description.
        let payload = (free - bytes_left).clamp(1, 2000);
        let script = format!(
            "head -c {payload} /dev/zero | tr '\\0' x | keyctl padd user filler-{index} @u >/dev/null"
        );
        env.keyctl_shell(&script);
        index += 1;
        assert!(index < 100, "the quota does not fill: {usage:?}");
    }
}

#[test]
fn under_quota_pressure_the_cache_gives_way_and_a_sign_in_that_does_not_fit_fails_clearly() {
    let env = TestEnv::headless(thirty_roles(), Some(throwaway_uid()));
    let before = env.key_usage().map_or((0, 0), |u| (u.keys, u.bytes));
    env.login().success();
    let signed_in = env.key_usage().unwrap();
    eprintln!(
        "a sign-in takes {} keys and {} bytes ({:?})",
        signed_in.keys - before.0,
        signed_in.bytes - before.1,
        env.kernel_store_keys()
    );
    let role = |i: usize| format!("Role{i:02}");
    // 30 cached roles with the quota free: every run hands out credentials,
    // and the quota holds what fits.
    for i in 1..=30 {
        env.run_within(LIMIT, &credential_process_args(ACCOUNT, &role(i), &[]))
            .success();
    }
    let cached = env.key_usage().unwrap();
    let in_store = env
        .kernel_store_keys()
        .iter()
        .filter(|k| k.contains("/role/"))
        .count();
    for i in 1..=30 {
        env.run_within(LIMIT, &credential_process_args(ACCOUNT, &role(i), &[]))
            .success();
    }
    let fetched_again = env.emulator.count(Op::GetRoleCredentials) - 30;
    eprintln!(
        "30 roles: {} served from the cache, {in_store} in the kernel keychain; {}",
        30 - fetched_again,
        cached.describe()
    );
    assert!(cached.bytes <= cached.max_bytes * 3 / 4, "{cached:?}");

    // The quota nearly full of other programs' keys: every run still hands
    // out credentials, caching nothing that does not fit.
    let keys_before = env.kernel_store_keys();
    fill_quota(&env, 600);
    let calls = env.emulator.count(Op::GetRoleCredentials);
    for i in 1..=30 {
        let run = env.run_within(
            LIMIT,
            &credential_process_args(ACCOUNT, &role(i), &["--refresh"]),
        );
        run.success();
        assert_eq!(run.stderr, "", "{run}");
    }
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), calls + 30);
    let session_keys = |keys: Vec<String>| -> Vec<String> {
        keys.into_iter().filter(|k| !k.contains("/role/")).collect()
    };
    assert_eq!(
        session_keys(env.kernel_store_keys()),
        session_keys(keys_before.clone())
    );

    // A new sign-in does not fit: the error names the sysctl, and nothing
    // is half-written; the old sign-in still serves.
    fill_quota(&env, 600);
    let run = env.run(&["login", "--force"]);
    run.failure(4)
        .stderr_has("ssokey: error: could not store the token")
        .stderr_has("the kernel's key quota for your user is full")
        .stderr_has("hint: raise the kernel's key quota (as root): sysctl -w kernel.keys.maxkeys=");
    assert!(run.stderr.contains("kernel.keys.maxbytes="), "{run}");
    assert_eq!(
        session_keys(env.kernel_store_keys()),
        session_keys(keys_before)
    );
    let status = env.run(&["status", "--output", "json"]);
    assert_eq!(status.success().json()[0]["state"], "signed-in");
    env.run_within(LIMIT, &credential_process_args(ACCOUNT, &role(1), &[]))
        .success();
}

#[test]
fn without_keyctl_and_without_a_secret_service_the_error_names_both_choices() {
    let mut env = TestEnv::headless(config(), None);
    let run = Run::from(
        &env.wrapped("tests/no-keyctl", crate::harness::LOGIN_WITHOUT_BROWSER)
            .output()
            .unwrap(),
        &["login"],
    );
    run.failure(4)
        .stderr_has("ssokey: error: no keychain can be reached: no Secret Service answers (")
        .stderr_has(
            "and the kernel refuses the keyctl system call (ENOSYS: a seccomp profile forbids it)",
        )
        .stderr_has("hint: start a Secret Service")
        .stderr_has("or allow keyctl so that ssokey can use the kernel keyring");
    assert_eq!(env.emulator.count(Op::RegisterClient), 0);
    // Asked for by name, the kernel keyring says the same of itself.
    env.set_env("SSOKEY_KEYCHAIN", "kernel");
    let login = crate::harness::LOGIN_WITHOUT_BROWSER;
    let run = Run::from(
        &env.wrapped("tests/no-keyctl", login).output().unwrap(),
        login,
    );
    run.failure(4)
        .stderr_has("ssokey: error: the kernel keyring cannot be used: the kernel refuses the keyctl system call")
        .stderr_has("hint: allow keyctl, or use a Secret Service");
    // The Secret Service asked for by name, there is none.
    env.set_env("SSOKEY_KEYCHAIN", "secret-service");
    env.run(login)
        .failure(4)
        .stderr_has("ssokey: error: no keychain can be reached");
    env.set_env("SSOKEY_KEYCHAIN", "file");
    env.run(login)
        .failure(2)
        .stderr_has("SSOKEY_KEYCHAIN is 'file', which is not a keychain that ssokey knows");
    assert_eq!(env.emulator.count(Op::RegisterClient), 0);
}

#[test]
fn a_sign_in_kept_by_the_secret_service_is_not_seen_without_d_bus() {
    let mut env = TestEnv::new();
    env.login().success();
    let run = env.run_within(LIMIT, &credential_process_args(ACCOUNT, "Admin", &[]));
    run.success();
    env.stop_keyring();
    let run = env.run_within(LIMIT, &credential_process_args(ACCOUNT, "ReadOnly", &[]));
    // The bus library's own words are for -v, not for the hint.
    let hint = run
        .stderr
        .lines()
        .find(|l| l.starts_with("hint:"))
        .unwrap_or("");
    assert!(
        !hint.contains("zbus") && !hint.contains("Failed to connect"),
        "{run}"
    );
    run.failure(3)
        .stderr_has(&format!(
            "ssokey: error: not signed in to the session '{SESSION}'"
        ))
        .stderr_has("hint: no Secret Service answers here, so ssokey keeps sessions")
        .stderr_has(&format!(
            "so ssokey keeps sessions in the kernel keyring, where '{SESSION}' is not signed in"
        ))
        .stderr_has(&format!("ssokey login --session {SESSION}"));
    let status = env.run(&["status", "--output", "json"]);
    let row = &status.success().json()[0];
    assert_eq!(row["keychain"], "kernel");
    assert_eq!(row["state"], "signed-out");
}

#[test]
fn the_session_setting_chooses_the_store_and_the_variable_overrides_it() {
    let mut env = TestEnv::new();
    env.write_config(&format!(
        "[sso-session {SESSION}]\nsso_start_url = {}\nsso_region = {}\nssokey_keychain = kernel\n",
        crate::harness::START_URL,
        crate::harness::REGION
    ));
    env.run(&["login", "--session", SESSION]).success();
    assert!(
        env.keychain_items().is_empty(),
        "{:?}",
        env.keychain_items()
    );
    assert!(
        env.kernel_store_keys()
            .contains(&format!("session/{SESSION}/token"))
    );
    let status = env.run(&["status", "--output", "json"]);
    assert_eq!(status.success().json()[0]["keychain"], "kernel");
    env.set_env("SSOKEY_KEYCHAIN", "secret-service");
    let status = env.run(&["status", "--output", "json"]);
    let row = &status.success().json()[0];
    assert_eq!(row["keychain"], "secret-service");
    assert_eq!(row["state"], "signed-out");
    env.set_env("SSOKEY_KEYCHAIN", "auto");
    env.run(&["logout", "--session", SESSION]).success();
    env.set_env("SSOKEY_KEYCHAIN", "kernel");
    env.run(&["logout", "--session", SESSION]).success();
    assert!(env.kernel_store_keys().is_empty());
}
