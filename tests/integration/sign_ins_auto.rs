//! Auto sign-in: commands that find the sign-in over sign in by themselves,
//! once for the machine however many ask, and not again for a while after
//! the user says no.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::{Browser, Run, SESSION, TestEnv, config};
use sso_emulator::AUTHORIZATION_CODE_GRANT;

/// Signed in, then the portal ended the sign-in (refresh refused too); auto
/// sign-in on.
fn ended() -> TestEnv {
    let mut env = TestEnv::new();
    env.login().success();
    env.emulator.revoke_all();
    env.emulator.expire_access_tokens();
    env.set_env("SSOKEY_AUTO_LOGIN", "1");
    env
}

/// credential-process for a role not cached yet: it needs the portal.
fn args() -> Vec<String> {
    let account = config().accounts[1].id.clone();
    [
        "credential-process",
        "--account",
        &account,
        "--role",
        "ReadOnly",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// `n` runs of `args` at once, each with its result.
fn parallel(env: &TestEnv, n: usize) -> Vec<Run> {
    let args = args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let children: Vec<_> = (0..n).map(|_| env.spawn(&args)).collect();
    children
        .into_iter()
        .map(|child| Run::from_child(child, &args))
        .collect()
}

#[test]
fn credential_process_signs_in_by_itself_and_carries_on() {
    let env = ended();
    let args = args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = env.run(&args);
    run.success()
        .stderr_has(&format!("Signing in to '{SESSION}' for credential-process"));
    let issued = env.emulator.last_role_credentials().unwrap();
    assert_eq!(run.json()["AccessKeyId"], issued.access_key_id);
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 2);
    assert_eq!(env.browser_runs().len(), 2);
}

#[test]
fn twenty_parallel_runs_share_one_sign_in_and_one_browser_tab() {
    let env = ended();
    let runs = parallel(&env, 20);
    let issued = env.emulator.issued_role_credentials();
    for run in &runs {
        run.success();
        let out = run.json();
        assert!(
            issued.iter().any(|c| c.access_key_id == out["AccessKeyId"]
                && c.secret_access_key == out["SecretAccessKey"]
                && c.account_id == config().accounts[1].id
                && c.role_name == "ReadOnly"),
            "{out}"
        );
    }
    // The login's tab and grant, and exactly one more of each.
    assert_eq!(env.browser_runs().len(), 2, "{:?}", env.browser_runs());
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 2);
    assert_eq!(env.emulator.authorizations(), 2);
}

#[test]
fn after_a_denial_runs_fail_fast_without_a_tab_until_login() {
    let env = ended().browser(Browser::Deny);
    let args = args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    env.run(&args)
        .failure(3)
        .stderr_has("could not sign in")
        .stderr_has(&format!("hint: run: ssokey login --session {SESSION}"));
    assert_eq!(env.browser_runs().len(), 2);
    // 20 more within the cool-down: no tab, exit 3, and when it resumes.
    for run in parallel(&env, 20) {
        run.failure(3)
            .stderr_has("auto sign-in is paused")
            .stderr_has("auto sign-in resumes at")
            .stderr_has(&format!(
                "sign in now with: ssokey login --session {SESSION}"
            ));
        assert_eq!(run.stdout, "");
    }
    assert_eq!(env.browser_runs().len(), 2, "{:?}", env.browser_runs());
    // An explicit login works at once, cool-down or not, and clears it.
    let env = env.browser(Browser::Approve);
    env.run(&["login", "--force"]).success();
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 2);
    env.emulator.revoke_all();
    env.emulator.expire_access_tokens();
    env.run(&args).success();
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 3);
}

#[test]
fn list_signs_in_by_itself_too() {
    let env = ended();
    env.run(&["list", "--refresh"])
        .success()
        .stderr_has(&format!("Signing in to '{SESSION}' for list"));
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 2);
}

#[test]
fn turned_off_nothing_changes_exit_3_and_no_browser() {
    let mut env = ended();
    let args = args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    env.set_env("SSOKEY_AUTO_LOGIN", "0");
    env.run(&args)
        .failure(3)
        .stderr_has(&format!("hint: run: ssokey login --session {SESSION}"));
    // Or in the session's section of the config file.
    env.set_env("SSOKEY_AUTO_LOGIN", "");
    env.write_config(&format!(
        "[sso-session {SESSION}]\nsso_start_url = {}\nsso_region = {}\nsso_registration_scopes = sso:account:access\nssokey_auto_login = false\n",
        crate::harness::START_URL,
        crate::harness::REGION
    ));
    env.run(&args).failure(3);
    assert_eq!(env.browser_runs().len(), 1, "only the login's tab");
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 1);
}

#[test]
fn with_nobody_to_reach_nothing_changes() {
    // No browser, no display, and no terminal (setsid: no controlling
    // terminal): exit 3 at once.
    let mut env = ended();
    env.set_env("BROWSER", "");
    let args = args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let base = env.command(&args);
    let mut command = Command::new("setsid");
    command
        .arg(base.get_program())
        .args(base.get_args())
        .env_clear()
        .stdin(Stdio::null());
    for (key, value) in base.get_envs() {
        if let Some(value) = value {
            command.env(key, value);
        }
    }
    let output = command.output().unwrap();
    let run = Run::from(&output, &args);
    run.failure(3)
        .stderr_has(&format!("hint: run: ssokey login --session {SESSION}"));
    assert_eq!(env.browser_runs().len(), 1);
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 1);
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_an_auto_sign_in_starts_the_cool_down() {
    // The browser opens and nobody answers; the user presses Ctrl-C.
    let env = ended().browser(Browser::Record);
    let args = args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let child = env.spawn_with_default_signals(&args);
    crate::harness::wait_until(
        std::time::Duration::from_secs(30),
        "the browser to open",
        || env.browser_runs().len() == 2,
    );
    crate::harness::signal(&child, "INT");
    let run = Run::from_child(child, &args);
    run.failure(3)
        .stderr_has("could not sign in")
        .stderr_has("the sign-in was cancelled");
    assert_eq!(run.stdout, "");
    // The next run does not open another tab.
    env.run(&args)
        .failure(3)
        .stderr_has("auto sign-in is paused: the last one was cancelled");
    assert_eq!(env.browser_runs().len(), 2);
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 1);
}

#[test]
fn in_a_ci_job_nothing_changes_whatever_browser_there_is() {
    let mut env = ended();
    env.set_env("CI", "true");
    let args = args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    env.run(&args)
        .failure(3)
        .stderr_has(&format!("hint: run: ssokey login --session {SESSION}"));
    assert_eq!(env.browser_runs().len(), 1, "only the login's tab");
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 1);
}

/// A sign-in that fails after its browser tab opened (here the portal
/// answers 500 to every code exchange) pauses auto sign-in as a refusal
/// does: ten parallel runs open one tab, not one each.
#[test]
fn a_sign_in_that_fails_after_its_tab_opened_pauses_auto_sign_in() {
    let mut env = TestEnv::new();
    env.write_config(&format!(
        "[sso-session {SESSION}]\nsso_start_url = {}\nsso_region = {}\n",
        crate::harness::START_URL,
        crate::harness::REGION
    ));
    env.set_env("SSOKEY_AUTO_LOGIN", "1");
    env.emulator
        .fail_next(sso_emulator::Op::CreateToken, 500, 10_000);
    for run in parallel(&env, 10) {
        run.failure(3);
        assert_eq!(run.stdout, "");
    }
    assert_eq!(env.browser_runs().len(), 1, "{:?}", env.browser_runs());
    env.run(&args().iter().map(String::as_str).collect::<Vec<_>>())
        .failure(3)
        .stderr_has("auto sign-in is paused: the last one was unsuccessful");
    assert_eq!(env.browser_runs().len(), 1);
}

/// One resolution per run, auto sign-in included: the run that finds the
/// sign-in over, signs in and fetches reads the config file and the
/// remembered sessions once each, opens the keychain once and starts one
/// network client (`-vv` logs each).
#[test]
fn an_auto_sign_in_reuses_what_the_run_resolved() {
    let env = ended();
    let mut args = vec!["-vv".to_owned()];
    args.extend(self::args());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = env.run(&args);
    run.success()
        .stderr_has(&format!("Signing in to '{SESSION}' for credential-process"));
    for (what, times) in [
        ("reading the AWS config file", 1),
        ("reading the remembered sessions", 1),
        ("opening the keychain", 1),
        ("starting the network client", 1),
    ] {
        assert_eq!(run.stderr.matches(what).count(), times, "{what}\n{run}");
    }
}

#[test]
fn after_logout_runs_do_not_sign_in_by_themselves_until_login() {
    let mut env = TestEnv::new();
    env.login().success();
    env.run(&["logout"]).success();
    env.set_env("SSOKEY_AUTO_LOGIN", "1");
    let env = env.browser(Browser::Record);
    let args = args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // Before the fix this run opened a tab and waited for the sign-in.
    let first = env.run_within(Duration::from_secs(20), &args);
    for run in std::iter::once(first).chain(parallel(&env, 3)) {
        run.failure(3)
            .stderr_has("you signed out with ssokey logout")
            .stderr_has(&format!(
                "hint: auto sign-in stays off until you sign in again: ssokey login --session {SESSION}"
            ));
        assert_eq!(run.stdout, "");
    }
    // Only the first login's tab: the browser was never called again.
    assert_eq!(env.browser_runs().len(), 1, "{:?}", env.browser_runs());
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 1);
    // `login` turns auto sign-in back on: an ended sign-in renews itself.
    let env = env.browser(Browser::Approve);
    env.run(&["login"]).success();
    env.emulator.revoke_all();
    env.emulator.expire_access_tokens();
    env.run(&args)
        .success()
        .stderr_has(&format!("Signing in to '{SESSION}' for credential-process"));
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 3);
}
