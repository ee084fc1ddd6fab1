//! Load (issue #8): many parallel runs make one portal call per target and one
//! refresh between them, login and logout racing never corrupt the keychain,
//! and a long run of cache hits is right every time.

use std::time::{Duration, Instant};

use crate::harness::{Run, SESSION, TestEnv, config, credential_process_args};
use sso_emulator::Op;

fn signed_in(config: sso_emulator::Config) -> TestEnv {
    let env = TestEnv::with_config(config);
    env.login().success();
    env
}

/// What `credential-process` prints for credentials the emulator issued.
fn expected_json(issued: &sso_emulator::IssuedRoleCredentials) -> serde_json::Value {
    let expiration = std::time::UNIX_EPOCH + Duration::from_millis(issued.expiration);
    serde_json::json!({
        "Version": 1,
        "AccessKeyId": issued.access_key_id,
        "SecretAccessKey": issued.secret_access_key,
        "SessionToken": issued.session_token,
        "Expiration": humantime::format_rfc3339_seconds(expiration).to_string(),
    })
}

#[test]
fn a_hundred_parallel_runs_for_five_targets_make_five_calls() {
    let env = signed_in(sso_emulator::Config {
        accounts: sso_emulator::accounts(5, &["Admin"]),
        ..config()
    });
    let accounts: Vec<String> = (1..=5).map(|i| format!("1000000000{i:02}")).collect();
    let started = Instant::now();
    let children: Vec<_> = (0..100)
        .map(|i| {
            let account = &accounts[i % 5];
            (
                account.clone(),
                env.spawn(&credential_process_args(account, "Admin", &[])),
            )
        })
        .collect();
    let runs: Vec<(String, Run)> = children
        .into_iter()
        .map(|(account, child)| (account, Run::from_child(child, &["credential-process"])))
        .collect();
    let took = started.elapsed();
    let issued = env.emulator.issued_role_credentials();
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 5);
    assert_eq!(issued.len(), 5);
    for (account, run) in &runs {
        run.success();
        let mine = issued
            .iter()
            .find(|c| &c.account_id == account && c.role_name == "Admin")
            .unwrap_or_else(|| panic!("no credentials issued for {account}"));
        assert_eq!(run.json(), expected_json(mine), "{account}");
    }
    eprintln!(
        "load: 100 parallel credential-process runs for 5 targets: {} GetRoleCredentials calls \
         (at most {} at once), {took:.2?}",
        env.emulator.count(Op::GetRoleCredentials),
        env.emulator.max_concurrent(Op::GetRoleCredentials)
    );
}

#[test]
fn twenty_parallel_runs_with_an_expired_token_make_one_refresh() {
    let env = signed_in(sso_emulator::Config {
        access_token_ttl: Duration::from_secs(2),
        ..config()
    });
    // The token held now has expired for real; the refreshed one lasts.
    env.emulator
        .update_config(|config| config.access_token_ttl = Duration::from_hours(8));
    std::thread::sleep(Duration::from_secs(3));
    let logins = env.emulator.count(Op::CreateToken);
    let roles = ["Admin", "ReadOnly"];
    let started = Instant::now();
    let children: Vec<_> = (0..20)
        .map(|i| env.spawn(&credential_process_args("100000000001", roles[i % 2], &[])))
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|child| Run::from_child(child, &["credential-process"]))
        .collect();
    let took = started.elapsed();
    let issued = env.emulator.issued_role_credentials();
    for (i, run) in runs.iter().enumerate() {
        run.success();
        let mine = issued.iter().find(|c| c.role_name == roles[i % 2]).unwrap();
        assert_eq!(run.json(), expected_json(mine));
    }
    let refreshes = env.emulator.count(Op::CreateToken) - logins;
    eprintln!("load: 20 parallel runs with an expired token: {refreshes} refresh, {took:.2?}");
    assert_eq!(refreshes, 1);
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 2);
}

#[test]
fn parallel_logouts_over_many_cached_credentials_all_succeed() {
    // Each logout lists the session's items, then deletes them one by one:
    // another logout deletes some of them in between, which must count as
    // deleted, never as a keychain failure.
    let env = signed_in(sso_emulator::Config {
        accounts: sso_emulator::accounts(6, &["Admin", "ReadOnly"]),
        ..config()
    });
    let mut rounds = 0;
    for round in 0..3 {
        if round > 0 {
            env.login().success();
        }
        for i in 1..=6 {
            for role in ["Admin", "ReadOnly"] {
                env.run(&credential_process_args(
                    &format!("1000000000{i:02}"),
                    role,
                    &[],
                ))
                .success();
            }
        }
        let children: Vec<_> = (0..6).map(|_| env.spawn(&["logout"])).collect();
        for child in children {
            Run::from_child(child, &["logout"]).success();
        }
        // Nothing is left, the client registration included.
        let left: Vec<String> = env
            .keychain_items()
            .into_iter()
            .map(|(user, _)| user)
            .collect();
        assert_eq!(left, Vec::<String>::new(), "round {round}");
        rounds += 1;
    }
    eprintln!("load: {rounds} rounds of 6 parallel logouts over 12 cached credentials");
}

#[test]
fn racing_logins_and_logouts_never_corrupt_the_keychain() {
    let env = signed_in(sso_emulator::Config {
        auto_approve: true,
        ..config()
    });
    let started = Instant::now();
    let mut logins = [0usize; 2];
    let mut ends = [0usize; 2];
    for round in 0..10u64 {
        let mut children = vec![
            (true, env.spawn(&["login", "--force"])),
            (true, env.spawn(&["login", "--force"])),
        ];
        // A login stores its token about a second in (one polling interval):
        // the logouts come around then, so that writes meet deletes.
        std::thread::sleep(Duration::from_millis(900 + 40 * round));
        children.push((false, env.spawn(&["logout"])));
        std::thread::sleep(Duration::from_millis(60));
        children.push((false, env.spawn(&["logout"])));
        for (is_login, child) in children {
            let run = Run::from_child(child, &[if is_login { "login" } else { "logout" }]);
            assert!(!run.stderr.contains("panicked"), "{run}");
            if is_login {
                logins[usize::from(run.code == Some(0))] += 1;
                // A login may lose its session to a logout; it says so.
                assert!(
                    run.code == Some(0) || run.stderr.contains("ssokey: error: "),
                    "{run}"
                );
            } else {
                run.success();
            }
        }
        // Either signed in with a readable token, or cleanly signed out.
        let status = env.run(&["status", "--output", "json"]);
        let json = status.success().json();
        let state = json[0]["state"].as_str().unwrap_or_default().to_owned();
        let token_key = format!("session/{SESSION}/token");
        let token_items: Vec<String> = env
            .keychain_items()
            .into_iter()
            .map(|(user, _)| user)
            .filter(|user| user == &token_key || user.starts_with(&format!("{token_key}#")))
            .collect();
        assert!(
            state == "signed-in" || state == "signed-out",
            "round {round}: {json}\n{token_items:?}"
        );
        if state == "signed-in" {
            ends[1] += 1;
            // The pieces of one generation only: no orphan of another value.
            let generations: std::collections::BTreeSet<&str> = token_items
                .iter()
                .filter_map(|user| user.split_once('#').map(|(_, piece)| piece))
                .filter_map(|piece| piece.split_once('.').map(|(generation, _)| generation))
                .collect();
            assert!(generations.len() <= 1, "round {round}: {token_items:?}");
            env.run(&credential_process_args(
                "100000000001",
                "Admin",
                &["--refresh"],
            ))
            .success();
        } else {
            ends[0] += 1;
            assert!(token_items.is_empty(), "round {round}: {token_items:?}");
            env.run(&["list", "--refresh"])
                .failure(3)
                .stderr_has(&format!("ssokey login --session {SESSION}"));
        }
    }
    eprintln!(
        "load: 10 rounds of 2 logins and 2 logouts racing: {} logins succeeded, {} failed; \
         {} rounds ended signed in, {} signed out; {:.2?}",
        logins[1],
        logins[0],
        ends[1],
        ends[0],
        started.elapsed()
    );
    env.run(&["login", "--force"]).success();
    env.run(&credential_process_args("100000000001", "Admin", &[]))
        .success();
}

#[test]
fn two_thousand_cache_hits_are_all_right() {
    const RUNS: usize = 2000;
    let env = signed_in(config());
    let args = credential_process_args("100000000001", "Admin", &[]);
    let first = env.run(&args);
    first.success();
    let issued = env.emulator.last_role_credentials().unwrap();
    assert_eq!(first.json(), expected_json(&issued));
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for i in 0..RUNS {
        let one = Instant::now();
        let run = env.run(&args);
        slowest = slowest.max(one.elapsed());
        assert_eq!(run.code, Some(0), "run {i}\n{run}");
        assert_eq!(run.stdout, first.stdout, "run {i}");
        assert_eq!(run.stderr, "", "run {i}");
    }
    let took = started.elapsed();
    eprintln!(
        "load: {RUNS} sequential cache hits in {took:.2?} ({:.2?} each, slowest {slowest:.2?})",
        took / u32::try_from(RUNS).unwrap()
    );
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 1);
}
