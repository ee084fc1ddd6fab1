//! `ssokey login`: the device-authorization flow, end to end, and what both
//! flows share (the PKCE flow's own tests are in sign_ins_pkce.rs).

use std::time::{Duration, Instant};

use crate::harness::{
    Browser, LOGIN_WITHOUT_BROWSER, REGION, Run, SESSION, START_URL, TestEnv, config,
    credential_process_args, wait_until,
};
use sso_emulator::Op;

#[test]
fn first_login_through_the_browser_stores_the_token_in_the_secret_service() {
    let env = TestEnv::new();
    let run = env.login_with_device_code();
    run.success()
        .stderr_has("Open this URL in a browser")
        .stderr_has(&format!("{}/device?user_code=", env.emulator.url()))
        .stderr_has(&format!(
            "Signed in to '{SESSION}' with a device code; its token lasts until "
        ))
        .stderr_has(") and then renews by itself, until the portal ends the sign-in.");
    assert_eq!(run.stdout, "", "login prints nothing on stdout");
    let code = env.emulator.last_user_code().unwrap();
    assert!(run.stderr.contains(&code), "the user code is shown\n{run}");

    let items = env.keychain_items();
    let users: Vec<&str> = items.iter().map(|(u, _)| u.as_str()).collect();
    assert!(users.contains(&"session/ssokey-test/token"), "{users:?}");
    assert!(users.contains(&"session/ssokey-test/client"), "{users:?}");
    // The client secret and the tokens are long: what is stored is split into
    // pieces that each fit Windows' limit of 1,280 UTF-16 code units.
    assert!(
        users
            .iter()
            .any(|u| u.starts_with("session/ssokey-test/client#")),
        "{users:?}"
    );
    assert!(
        items
            .iter()
            .all(|(_, secret)| secret.encode_utf16().count() <= 1280)
    );

    assert_eq!(env.emulator.count(Op::RegisterClient), 1);
    let clients = env.emulator.clients();
    assert_eq!(clients[0].scopes, ["sso:account:access"]);
    env.assert_no_secret_leaked(&[&run.stdout, &run.stderr]);
}

#[test]
fn a_second_login_reuses_the_client_registration() {
    let env = TestEnv::new();
    env.login_with_device_code().success();
    env.run(&["login", "--force", "--device-code"]).success();
    assert_eq!(env.emulator.count(Op::RegisterClient), 1);
    assert_eq!(env.emulator.count(Op::StartDeviceAuthorization), 2);
}

#[test]
fn a_new_sign_in_never_serves_what_the_last_one_cached() {
    // The new sign-in may be another person's: the role credentials and the
    // listing that the last one cached must not outlive it.
    let env = TestEnv::new();
    env.login().success();
    let target = credential_process_args("100000000001", "Admin", &[]);
    let before = env.run(&target).success().json();
    env.run(&["list"]).success();
    let listing = env
        .home
        .join(format!(".cache/ssokey/listings/{SESSION}.json"));
    assert!(listing.exists());
    env.run(&["login", "--force"]).success();
    assert!(!listing.exists(), "the old listing is still cached");
    let fetches = env.emulator.count(Op::GetRoleCredentials);
    let after = env.run(&target).success().json();
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), fetches + 1);
    assert_ne!(after["AccessKeyId"], before["AccessKeyId"]);
    let issued = env.emulator.last_role_credentials().unwrap();
    assert_eq!(after["AccessKeyId"], issued.access_key_id);
    // Nothing of the old credentials is left in the keychain either.
    let old = before["SecretAccessKey"].as_str().unwrap();
    assert!(
        !env.keychain_items()
            .iter()
            .any(|(_, value)| value.contains(old)),
        "the old credentials are still in the keychain"
    );
}

#[test]
fn login_while_signed_in_says_so_and_does_nothing() {
    let env = TestEnv::new();
    env.login_with_device_code().success();
    let run = env.run(&["login"]);
    run.success()
        .stderr_has("Already signed in to 'ssokey-test'");
    assert_eq!(env.emulator.count(Op::StartDeviceAuthorization), 1);
    assert_eq!(env.emulator.count(Op::CreateToken), 1);
}

#[test]
fn polling_waits_while_pending_and_completes_when_approved() {
    let env = TestEnv::new();
    let args = LOGIN_WITHOUT_BROWSER;
    let child = env.spawn(args);
    // Approve only after two polls were told to wait, as a slow person would.
    wait_until(Duration::from_secs(20), "two pending polls", || {
        env.emulator.count(Op::CreateToken) >= 2
    });
    env.emulator
        .approve(&env.emulator.last_user_code().unwrap());
    let run = Run::from_child(child, args);
    run.success().stderr_has("Signed in to");
    assert!(env.emulator.count(Op::CreateToken) >= 3);
    assert!(
        env.keychain_items()
            .iter()
            .any(|(u, _)| u == "session/ssokey-test/token")
    );
}

#[test]
fn slow_down_adds_five_seconds_to_the_interval() {
    let env = TestEnv::new().browser(Browser::Approve);
    env.emulator.slow_down_next(1);
    let started = Instant::now();
    env.login_with_device_code().success();
    let elapsed = started.elapsed();
    // Poll 1 at 1 s gets slow_down; poll 2 comes 1 + 5 s later and gets the token.
    assert_eq!(env.emulator.count(Op::CreateToken), 2);
    assert!(
        elapsed >= Duration::from_secs(7),
        "polled again after {elapsed:?}"
    );
}

/// Nobody approves the sign-in, whose code lasts `lifetime`.
fn code_lasting(lifetime: Duration) -> TestEnv {
    TestEnv::with_config(sso_emulator::Config {
        device_code_ttl: lifetime,
        ..config()
    })
    .browser(Browser::Missing)
}

#[test]
fn a_portal_that_only_says_slow_down_ends_when_the_code_expires() {
    // Every poll is throttled: each one waits 5 s longer than the last, and
    // polling ends with the code's lifetime.
    let env = code_lasting(Duration::from_secs(12));
    env.emulator.fail_next(Op::CreateToken, 429, 1000);
    let started = Instant::now();
    let run = env.run(LOGIN_WITHOUT_BROWSER);
    let took = started.elapsed();
    run.failure(1).stderr_has("expired before it was approved");
    // Polls at about 1 s and 1 + 6 s; the next would come 11 s later, past
    // the lifetime, so the last one comes at the end of it, at 12 s.
    assert_eq!(env.emulator.count(Op::CreateToken), 3, "{run}");
    assert!(
        took >= Duration::from_secs(12) && took < Duration::from_secs(20),
        "{took:?}"
    );
    assert!(
        !env.keychain_items()
            .iter()
            .any(|(user, _)| user.ends_with("/token")),
        "a token was stored"
    );
}

#[test]
fn a_denied_sign_in_fails_and_stores_no_token() {
    let env = TestEnv::new().browser(Browser::Deny);
    env.login().failure(1).stderr_has("denied");
    assert!(
        !env.keychain_items()
            .iter()
            .any(|(u, _)| u.contains("/token"))
    );
}

#[test]
fn an_expired_device_code_fails_clearly() {
    let env = code_lasting(Duration::from_secs(2));
    let run = env.run(LOGIN_WITHOUT_BROWSER);
    run.failure(1).stderr_has("expired before it was approved");
}

#[test]
fn the_code_lifetime_bounds_polling_even_when_the_portal_never_says_expired() {
    let env = TestEnv::with_config(sso_emulator::Config {
        device_code_ttl: Duration::from_secs(3),
        device_code_never_expires: true,
        ..config()
    });
    let started = Instant::now();
    let run = env.run(LOGIN_WITHOUT_BROWSER);
    run.failure(1).stderr_has("expired before it was approved");
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn a_missing_browser_is_a_warning_and_the_code_still_works() {
    let env = TestEnv::new().browser(Browser::Missing);
    let args = [
        "login",
        "--start-url",
        START_URL,
        "--region",
        REGION,
        "--device-code",
    ];
    let child = env.spawn(&args);
    let code = env
        .emulator
        .wait_for_user_code(Duration::from_secs(20))
        .unwrap();
    env.emulator.approve(&code);
    let run = Run::from_child(child, &args);
    run.success().stderr_has("could not open a browser");
}

#[test]
fn an_expired_access_token_is_renewed_silently_and_the_new_refresh_token_kept() {
    // Tokens that live 4 minutes are due for renewal (5 minutes before expiry) at once.
    let env = TestEnv::with_config(sso_emulator::Config {
        access_token_ttl: Duration::from_mins(4),
        rotate_refresh_tokens: true,
        ..config()
    });
    env.login_with_device_code().success();
    for round in 1..=2 {
        // Each renewal rotates the refresh token: the second works only if the
        // first stored the new one.
        let run = env.run(&["login"]);
        run.success().stderr_has("Renewed the sign-in");
        assert_eq!(
            env.emulator.count(Op::StartDeviceAuthorization),
            1,
            "round {round}"
        );
        assert_eq!(
            env.emulator.count(Op::CreateToken),
            1 + round,
            "round {round}"
        );
    }
}

#[test]
fn when_the_portal_session_ends_the_user_is_asked_to_sign_in_again() {
    // Access tokens last 2 s and the sign-in 6 s: refreshes work until the
    // session ends, and then the portal refuses them (InvalidGrantException).
    let env = TestEnv::with_config(sso_emulator::Config {
        access_token_ttl: Duration::from_secs(2),
        session_ttl: Duration::from_secs(6),
        ..config()
    });
    env.login().success();
    let target = credential_process_args("100000000001", "Admin", &["--refresh"]);
    std::thread::sleep(Duration::from_secs(3));
    env.run(&target).success();
    let refreshes = env.emulator.count(Op::CreateToken);
    assert!(refreshes >= 2, "the expired access token was renewed");
    std::thread::sleep(Duration::from_secs(4));
    env.run(&target)
        .failure(3)
        .stderr_has(&format!("the sign-in to '{SESSION}' has expired"))
        .stderr_has(&format!("hint: run: ssokey login --session {SESSION}"));
    assert!(
        env.emulator.count(Op::CreateToken) > refreshes,
        "a refresh was tried"
    );
    env.login().success();
    env.run(&target).success();
}

#[test]
fn a_revoked_sign_in_falls_back_to_the_browser() {
    let env = TestEnv::with_config(sso_emulator::Config {
        access_token_ttl: Duration::from_mins(4),
        ..config()
    });
    env.login().success();
    env.emulator.revoke_all();
    env.run(&["login"]).success().stderr_has("Signed in to");
    assert_eq!(
        env.emulator.grants(sso_emulator::AUTHORIZATION_CODE_GRANT),
        2
    );
}

#[test]
fn a_forgotten_registration_is_replaced() {
    let env = TestEnv::new();
    env.login_with_device_code().success();
    env.emulator.invalidate_clients();
    env.run(&["login", "--force", "--device-code"]).success();
    assert_eq!(env.emulator.count(Op::RegisterClient), 2);
}

#[test]
fn login_with_an_sso_session_from_the_config_file() {
    let env = TestEnv::new();
    env.write_config(&format!(
        "# my config\n[profile dev]\nregion = eu-west-1\n\n[sso-session work]\nsso_start_url = {START_URL}\nsso_region = {REGION}\nsso_registration_scopes = sso:account:access\n"
    ));
    env.run(&["login", "--session", "work"])
        .success()
        .stderr_has("Signed in to 'work'");
    // The only sso-session is the default; the next login finds it with no flag.
    env.run(&["login"])
        .success()
        .stderr_has("Already signed in to 'work'");
}

#[test]
fn a_mistyped_registration_scope_is_refused_with_the_setting_to_fix() {
    let env = TestEnv::new();
    env.write_config(&format!(
        "[sso-session work]\nsso_start_url = {START_URL}\nsso_region = {REGION}\nsso_registration_scopes = sso:account:acess\n"
    ));
    let run = env.run(&["login", "--session", "work"]);
    run.failure(1)
        .stderr_has("ssokey: error: could not register ssokey with the portal: the portal refused the scopes that ssokey registered with (RegisterClient failed: InvalidScopeException: Invalid scope requested: sso:account:acess)")
        .stderr_has("hint: check sso_registration_scopes in the [sso-session] section of your AWS config file");
    assert_eq!(env.emulator.count(Op::StartDeviceAuthorization), 0);
    assert!(
        env.keychain_items().is_empty(),
        "{:?}",
        env.keychain_items()
    );
}

#[test]
fn a_session_from_start_url_is_remembered_for_later_commands() {
    let env = TestEnv::new();
    env.login().success();
    let status = env.run(&["status", "--output", "json"]);
    let json = status.success().json();
    assert_eq!(json[0]["session"], SESSION);
    assert_eq!(json[0]["startUrl"], START_URL);
    assert_eq!(json[0]["region"], REGION);
    let remembered =
        std::fs::read_to_string(env.home.join(".config/ssokey/sessions.json")).unwrap();
    assert!(remembered.contains(START_URL));
}

#[test]
fn a_malformed_config_file_is_reported_with_its_line() {
    let env = TestEnv::new();
    env.write_config(
        "[sso-session work]\nsso_start_url = https://x.awsapps.com/start\nthis line is wrong\n",
    );
    env.run(&["login", "--session", "work"])
        .failure(1)
        .stderr_has("line 3");
    assert_eq!(env.emulator.count(Op::RegisterClient), 0);
}

#[test]
fn a_start_url_whose_session_name_the_config_gives_another_url_is_refused() {
    // The name that --start-url gives (ssokey-test) is a session of the config
    // file with another URL: signing in under it would mix the two.
    let env = TestEnv::new();
    env.write_config(&format!(
        "[sso-session {SESSION}]\nsso_start_url = https://other.awsapps.com/start\nsso_region = {REGION}\n"
    ));
    env.login()
        .failure(2)
        .stderr_has(&format!(
            "the session '{SESSION}' in {} has the start URL https://other.awsapps.com/start, not {START_URL}",
            env.config_file().display()
        ))
        .stderr_has("hint: pick another name with --session, or drop --start-url");
    assert_eq!(env.emulator.count(Op::RegisterClient), 0);
    // A damaged config file never blocks a sign-in given in full.
    env.write_config("[sso-session broken\n");
    env.login().success();
}

#[test]
fn bad_start_urls_and_regions_are_refused_before_any_call() {
    let env = TestEnv::new();
    env.run(&[
        "login",
        "--start-url",
        "http://acme.awsapps.com/start",
        "--region",
        REGION,
    ])
    .failure(2)
    .stderr_has("https");
    env.run(&["login", "--start-url", START_URL, "--region", "moon-1"])
        .failure(2)
        .stderr_has("region");
    env.run(&["login"])
        .failure(2)
        .stderr_has("ssokey login --start-url");
    assert_eq!(env.emulator.count(Op::RegisterClient), 0);
}

#[test]
fn a_failing_portal_is_retried() {
    let env = TestEnv::new();
    env.emulator.fail_next(Op::RegisterClient, 500, 2);
    env.emulator.fail_next(Op::StartDeviceAuthorization, 503, 1);
    env.emulator.fail_next(Op::CreateToken, 429, 1);
    env.login().success();
    assert_eq!(env.emulator.count(Op::RegisterClient), 3);
}

#[test]
fn a_newer_portal_host_needs_no_region_and_one_portal_typed_two_ways_is_one_session() {
    let env = TestEnv::new();
    let url = "https://ssoins-7223a8e3a2b1c4d5.portal.eu-west-1.app.aws/#/";
    let normal = "https://ssoins-7223a8e3a2b1c4d5.portal.eu-west-1.app.aws";
    env.run(&["login", "--start-url", url])
        .success()
        .stderr_has(&format!(
            "Signing in to 'ssoins-7223a8e3a2b1c4d5' ({normal}, eu-west-1) in the browser."
        ));
    assert_eq!(env.emulator.last_start_url().as_deref(), Some(normal));
    let status = env.run(&["status", "--output", "json"]);
    let status = status.success().json();
    assert_eq!(status[0]["region"], "eu-west-1", "{status}");
    assert_eq!(status[0]["startUrl"], normal, "{status}");

    // The same portal as the browser's address bar shows it: the same
    // session, still signed in, and no second session remembered.
    env.run(&["login", "--start-url", &format!("{normal}/#/?tab=accounts")])
        .success()
        .stderr_has("Already signed in to 'ssoins-7223a8e3a2b1c4d5'");
    let status = env.run(&["status", "--output", "json"]);
    assert_eq!(status.success().json().as_array().unwrap().len(), 1);

    // A region that the host contradicts is a usage error, before any call.
    env.run(&["login", "--start-url", url, "--region", "us-east-1"])
        .failure(2)
        .stderr_has("is a portal in eu-west-1, not in us-east-1")
        .stderr_has("hint: drop --region (or sso_region), or set it to eu-west-1");
    assert_eq!(
        env.emulator.grants(sso_emulator::AUTHORIZATION_CODE_GRANT),
        1
    );
}

#[test]
fn a_sign_in_the_portal_rejects_is_signed_out_for_status_and_login() {
    let env = TestEnv::new();
    env.login().success();
    // The portal forgot the sign-in (restarted, revoked, or signed out on
    // its side) while the access token still looks fresh for an hour.
    env.emulator.revoke_all();
    let account = config().accounts[0].id.clone();
    env.run(&["env", "--account", &account, "--role", "Admin"])
        .failure(3)
        .stderr_has(&format!("hint: run: ssokey login --session {SESSION}"));
    let json = env.run(&["status", "--output", "json"]).success().json();
    assert_eq!(json[0]["state"], "signed-out", "{json}");
    assert_eq!(json[0]["signedIn"], false, "{json}");
    let table = env.run(&["status"]);
    assert!(
        table
            .success()
            .stdout
            .lines()
            .nth(1)
            .unwrap()
            .ends_with("signed out"),
        "{table}"
    );
    let login = env.run(&["login"]);
    login
        .success()
        .stderr_has(&format!("Signed in to '{SESSION}'"));
    assert!(!login.stderr.contains("Already signed in"), "{login}");
    assert_eq!(
        env.emulator.grants(sso_emulator::AUTHORIZATION_CODE_GRANT),
        2
    );
    env.run(&["env", "--account", &account, "--role", "Admin"])
        .success();
}
