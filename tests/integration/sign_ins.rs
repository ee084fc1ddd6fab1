//! Cached role credentials last no longer than the sign-in that fetched them:
//! after a logout or a new sign-in, neither tier serves them, whatever the
//! keychain did meanwhile.

use std::time::Duration;

use crate::harness::{Run, SESSION, TestEnv, config, credential_process_args, wait_until};
use sso_emulator::{Fault, Op};

const ACCOUNT: &str = "100000000001";
const LIMIT: Duration = Duration::from_secs(30);

fn signed_in() -> TestEnv {
    let env = TestEnv::with_config(config());
    env.login().success();
    env
}

fn credential_process(env: &TestEnv) -> Run {
    env.run(&credential_process_args(ACCOUNT, "Admin", &[]))
}

fn exec(env: &TestEnv) -> Run {
    let mut args = vec!["exec", "--account", ACCOUNT, "--role", "Admin"];
    args.extend(["--", "true"]);
    env.run(&args)
}

/// The role credentials that the kernel holds for this environment.
fn fast_tier_credentials(env: &TestEnv) -> Vec<String> {
    env.fast_tier_keys()
        .into_iter()
        .filter(|key| key.contains("/role/"))
        .collect()
}

/// Starts `credential-process` and waits until its GetRoleCredentials call
/// has reached the emulator, which answers it `latency` later.
fn fetch_in_flight(env: &TestEnv, latency: Duration) -> std::process::Child {
    env.emulator.update_config(|c| c.latency = latency);
    let child = env.spawn(&credential_process_args(ACCOUNT, "Admin", &[]));
    wait_until(LIMIT, "the GetRoleCredentials call", || {
        env.emulator.count(Op::GetRoleCredentials) == 1
    });
    // Later calls are answered at once; the one in flight still waits.
    env.emulator.update_config(|c| c.latency = Duration::ZERO);
    child
}

#[test]
fn credentials_fetched_while_the_keyring_restarts_are_not_served_after_logout() {
    let mut env = signed_in();
    let child = fetch_in_flight(&env, Duration::from_secs(2));
    env.stop_keyring();
    Run::from_child(child, &["credential-process"])
        .success()
        .stderr_has("ssokey: warning: could not cache the credentials");
    env.restart_keyring();
    env.run(&["logout"])
        .success()
        .stderr_has(&format!("Signed out of '{SESSION}'"));
    assert_eq!(fast_tier_credentials(&env), Vec::<String>::new());
    credential_process(&env)
        .failure(3)
        .stderr_has("not signed in");
    exec(&env).failure(3).stderr_has("not signed in");
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 1);
}

#[test]
fn a_new_sign_in_never_gets_the_last_sign_ins_cached_credentials() {
    let env = signed_in();
    let first = credential_process(&env);
    first.success();
    assert_eq!(fast_tier_credentials(&env).len(), 1);
    // The keychain no longer knows the entry (another program deleted it):
    // only the kernel holds the credentials now.
    env.clear_item(&format!("session/{SESSION}/role/{ACCOUNT}/Admin"));
    env.run(&["login", "--force"]).success();
    assert_eq!(fast_tier_credentials(&env), Vec::<String>::new());
    let second = credential_process(&env);
    assert_ne!(second.success().stdout, first.stdout);
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 2);
}

#[test]
fn a_logout_during_a_fetch_leaves_nothing_to_serve() {
    let env = signed_in();
    // The portal's logout fails (ssokey is offline, say), so the token in
    // flight still serves the portal: only the local logout happens.
    env.emulator.fault_next(Op::Logout, &Fault::Status(400), 1);
    let child = fetch_in_flight(&env, Duration::from_secs(3));
    env.run(&["logout"])
        .success()
        .stderr_has("ssokey: warning: could not end the portal session");
    // The run that fetched hands its credentials out (it asked before the
    // logout), but caches them in neither tier.
    Run::from_child(child, &["credential-process"]).success();
    assert_eq!(fast_tier_credentials(&env), Vec::<String>::new());
    let users: Vec<String> = env
        .keychain_items()
        .into_iter()
        .map(|(user, _)| user)
        .collect();
    assert!(
        !users.iter().any(|user| user.contains("/role/")),
        "{users:?}"
    );
    credential_process(&env)
        .failure(3)
        .stderr_has("not signed in");
    exec(&env).failure(3).stderr_has("not signed in");
}
