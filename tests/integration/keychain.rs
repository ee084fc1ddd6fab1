//! The keychain: what happens when it is missing or holds damaged entries.

use crate::emulator::Op;
use crate::harness::{SESSION, TestEnv};

#[test]
fn without_a_keychain_login_fails_with_the_cause_and_the_fix() {
    let mut env = TestEnv::new();
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
