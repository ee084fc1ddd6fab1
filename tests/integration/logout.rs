//! `ssokey logout`: the portal session ends and the tokens leave the keychain.

use crate::harness::{REGION, TestEnv};
use sso_emulator::Op;

#[test]
fn logout_ends_the_portal_session_and_deletes_the_tokens() {
    let env = TestEnv::new();
    env.login().success();
    let token_items = |env: &TestEnv| {
        env.keychain_items()
            .into_iter()
            .filter(|(u, _)| u.contains("/token"))
            .count()
    };
    assert!(token_items(&env) >= 1);
    let run = env.run(&["logout"]);
    run.success().stderr_has("Signed out of 'ssokey-test'");
    assert_eq!(run.stdout, "");
    assert_eq!(env.emulator.count(Op::Logout), 1);
    assert_eq!(token_items(&env), 0, "{:?}", env.keychain_items());
    let status = env.run(&["status", "--output", "json"]);
    assert_eq!(status.success().json()[0]["signedIn"], false);
    // Signed out, so login asks the browser again.
    env.run(&["login"]).success().stderr_has("Signed in to");
    assert_eq!(
        env.emulator.grants(sso_emulator::AUTHORIZATION_CODE_GRANT),
        2
    );
}

#[test]
fn logout_deletes_locally_and_warns_when_the_portal_is_unreachable() {
    let mut env = TestEnv::new();
    env.login().success();
    // A port that nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    env.set_env("AWS_ENDPOINT_URL_SSO", &url);
    env.set_env("AWS_ENDPOINT_URL_SSO_OIDC", &url);
    let run = env.run(&["logout"]);
    run.success()
        .stderr_has("warning: could not end the portal session");
    assert!(
        !env.keychain_items()
            .iter()
            .any(|(u, _)| u.contains("/token"))
    );
}

#[test]
fn logout_all_signs_out_of_every_session() {
    let env = TestEnv::new();
    env.write_config(&format!(
        "[sso-session one]\nsso_start_url = https://one.awsapps.com/start\nsso_region = {REGION}\n\n[sso-session two]\nsso_start_url = https://two.awsapps.com/start\nsso_region = {REGION}\n"
    ));
    env.run(&["login", "--session", "one"]).success();
    env.run(&["login", "--session", "two"]).success();
    env.run(&["logout", "--all"]).success();
    assert_eq!(env.emulator.count(Op::Logout), 2);
    assert!(
        !env.keychain_items()
            .iter()
            .any(|(u, _)| u.contains("/token"))
    );
}

#[test]
fn logout_when_signed_out_is_harmless() {
    let env = TestEnv::new();
    env.login().success();
    env.run(&["logout"]).success();
    env.run(&["logout"]).success().stderr_has("Not signed in");
    assert_eq!(env.emulator.count(Op::Logout), 1);
}
