//! `ssokey list`: every account and role, paginated, throttled, cached.

use std::time::Duration;

use pretty_assertions::assert_eq;

use crate::harness::{Run, TestEnv, config, credential_process_args};
use sso_emulator::{Account, Op};

fn signed_in(config: sso_emulator::Config) -> TestEnv {
    let env = TestEnv::with_config(config);
    env.login().success();
    env
}

/// Five accounts, one without roles, one with five roles; pages of two.
fn paginated() -> sso_emulator::Config {
    sso_emulator::Config {
        accounts: vec![
            Account::new("100000000005", "zeta", &["Admin"]),
            Account::new(
                "100000000001",
                "alpha",
                &["ReadOnly", "Admin", "Billing", "Ops", "Dev"],
            ),
            Account::new("100000000003", "empty", &[]),
            Account::new("100000000002", "Beta Prod", &["Admin"]),
            Account::new("100000000004", "beta-dev", &["Dev"]),
        ],
        page_size: 2,
        ..config()
    }
}

fn pairs(run: &Run) -> Vec<(String, String)> {
    run.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["accountName"].as_str().unwrap().to_owned(),
                o["roleName"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_listing_is_complete_across_pages_and_sorted() {
    let env = signed_in(paginated());
    let run = env.run(&["list", "--output", "json"]);
    run.success();
    let expected: Vec<(String, String)> = [
        ("Beta Prod", "Admin"),
        ("alpha", "Admin"),
        ("alpha", "Billing"),
        ("alpha", "Dev"),
        ("alpha", "Ops"),
        ("alpha", "ReadOnly"),
        ("beta-dev", "Dev"),
        ("zeta", "Admin"),
    ]
    .iter()
    .map(|(a, r)| ((*a).to_owned(), (*r).to_owned()))
    .collect();
    assert_eq!(pairs(&run), expected);
    // 5 accounts in pages of 2; 3 pages of alpha's 5 roles, 1 page for each other account.
    assert_eq!(env.emulator.count(Op::ListAccounts), 3);
    assert_eq!(env.emulator.count(Op::ListAccountRoles), 3 + 4);
}

#[test]
fn the_json_is_exactly_the_documented_shape() {
    let env = signed_in(sso_emulator::Config {
        accounts: vec![Account::new("100000000002", "prod", &["Admin"])],
        ..config()
    });
    let run = env.run(&["list", "--output", "json"]);
    assert_eq!(
        run.success().stdout,
        "[\n  {\n    \"accountId\": \"100000000002\",\n    \"accountName\": \"prod\",\n    \"emailAddress\": \"prod@example.com\",\n    \"roleName\": \"Admin\"\n  }\n]\n"
    );
}

#[test]
fn the_table_aligns_and_the_pattern_filters() {
    let env = signed_in(paginated());
    let run = env.run(&["list", "BETA"]);
    assert_eq!(
        run.success().stdout,
        "ACCOUNT ID    ACCOUNT NAME  ROLE\n\
         100000000002  Beta Prod     Admin\n\
         100000000004  beta-dev      Dev\n"
    );
    let by_role = env.run(&["list", "--output", "json", "readonly"]);
    assert_eq!(
        pairs(&by_role),
        [("alpha".to_owned(), "ReadOnly".to_owned())]
    );
    let by_id = env.run(&["list", "--output", "json", "000000005"]);
    assert_eq!(pairs(&by_id), [("zeta".to_owned(), "Admin".to_owned())]);
}

#[test]
fn a_user_with_no_assignments_gets_an_empty_listing() {
    let env = signed_in(sso_emulator::Config {
        accounts: Vec::new(),
        ..config()
    });
    assert_eq!(
        env.run(&["list", "--output", "json"]).success().stdout,
        "[]\n"
    );
    let table = env.run(&["list"]);
    table.success().stderr_has("No roles are assigned to you.");
    assert_eq!(table.stdout, "");
}

#[test]
fn the_listing_survives_a_429_storm() {
    let env = signed_in(sso_emulator::Config {
        accounts: sso_emulator::accounts(12, &["Admin", "ReadOnly"]),
        ..config()
    });
    env.emulator.fail_next(Op::ListAccountRoles, 429, 15);
    env.emulator.fail_next(Op::ListAccounts, 503, 2);
    let run = env.run(&["list", "--output", "json"]);
    run.success();
    assert_eq!(pairs(&run).len(), 24);
    assert_eq!(env.emulator.count(Op::ListAccountRoles), 12 + 15);
}

#[test]
fn a_permanent_failure_prints_nothing_partial() {
    let env = signed_in(sso_emulator::Config {
        accounts: sso_emulator::accounts(3, &["Admin"]),
        ..config()
    });
    env.emulator.fail_next(Op::ListAccountRoles, 400, 1);
    env.run(&["list", "--output", "json"])
        .failure(1)
        .stderr_has("could not list the accounts and roles");
}

#[test]
fn a_revoked_sign_in_asks_for_a_login() {
    let env = signed_in(config());
    env.emulator.revoke_all();
    env.run(&["list"])
        .failure(3)
        .stderr_has("run: ssokey login --session ssokey-test");
}

#[test]
fn an_access_token_refused_early_is_renewed_once() {
    let env = signed_in(config());
    env.emulator.expire_access_tokens();
    let before = env.emulator.count(Op::CreateToken);
    let run = env.run(&["list", "--refresh", "--output", "json"]);
    run.success();
    assert_eq!(env.emulator.count(Op::CreateToken), before + 1, "{run}");
    assert!(!run.json().as_array().unwrap().is_empty(), "{run}");
}

#[test]
fn an_expired_token_is_refreshed_silently() {
    let env = signed_in(sso_emulator::Config {
        access_token_ttl: Duration::from_mins(4),
        ..config()
    });
    let before = env.emulator.count(Op::CreateToken);
    env.run(&["list"]).success();
    assert_eq!(env.emulator.count(Op::CreateToken), before + 1);
}

#[test]
fn a_name_lookup_caches_the_accounts_for_the_next_until_they_are_a_day_old() {
    let env = signed_in(paginated());
    let by_name = |role: &str| {
        env.run(&credential_process_args("alpha", role, &[]))
            .success();
    };
    by_name("Ops");
    let calls = env.emulator.count(Op::ListAccounts);
    assert!(calls > 0);
    // A hit and a miss by name: the accounts come from the cache.
    by_name("Ops");
    by_name("Admin");
    assert_eq!(env.emulator.count(Op::ListAccounts), calls);
    // The accounts alone do not serve `list`, which lists the roles too.
    assert_eq!(pairs(&env.run(&["list", "--output", "json"])).len(), 8);
    assert!(env.emulator.count(Op::ListAccounts) > calls);
    // A day later a name may belong to another account: it is looked up again.
    let path = env.home.join(".cache/ssokey/listings/ssokey-test.json");
    let mut cached: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    cached["fetchedAt"] = serde_json::json!(cached["fetchedAt"].as_u64().unwrap() - 86_400);
    std::fs::write(&path, cached.to_string()).unwrap();
    let calls = env.emulator.count(Op::ListAccounts);
    by_name("Ops");
    assert!(env.emulator.count(Op::ListAccounts) > calls);
}

#[test]
fn the_cache_serves_later_listings_and_name_lookups_until_refresh_or_logout() {
    let env = signed_in(paginated());
    env.run(&["list"]).success();
    let calls = env.emulator.count(Op::ListAccounts);
    let cached = env.run(&["list", "--output", "json"]);
    assert_eq!(pairs(&cached).len(), 8);
    assert_eq!(
        env.emulator.count(Op::ListAccounts),
        calls,
        "served from the cache"
    );
    let path = env.home.join(".cache/ssokey/listings/ssokey-test.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("Beta Prod"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // A name lookup needs no ListAccounts either.
    env.run(&credential_process_args("beta-dev", "Dev", &[]))
        .success();
    assert_eq!(env.emulator.count(Op::ListAccounts), calls);
    env.run(&["list", "--refresh"]).success();
    assert!(env.emulator.count(Op::ListAccounts) > calls);
    env.run(&["logout"]).success();
    assert!(!path.exists(), "logout removes the listing cache");
    env.assert_no_secret_leaked(&[]);
}
