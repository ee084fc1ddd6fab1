//! A portal that stalls or floods: listings that page without end, and names
//! of a megabyte. Each ends in a clear error or a small answer.

use std::time::Duration;

use crate::harness::TestEnv;
use sso_emulator::{Account, Op};

fn signed_in(config: sso_emulator::Config) -> TestEnv {
    let env = TestEnv::with_config(config);
    env.login().success();
    env
}

/// Listings whose every page hands out a next token: the listing stops at
/// its page budget, a small multiple of what two accounts need, with an
/// error that says so, and nothing is cached.
#[test]
fn endless_pages_end_in_a_clear_error() {
    let env = signed_in(sso_emulator::Config {
        accounts: sso_emulator::accounts(2, &["Admin"]),
        endless_pages: true,
        ..crate::harness::config()
    });
    let run = env.run_within(Duration::from_mins(2), &["list", "--refresh"]);
    run.failure(1).stderr_has("pages");
    let pages = env.emulator.count(Op::ListAccounts) + env.emulator.count(Op::ListAccountRoles);
    eprintln!("flood: an endless listing stopped after {pages} pages\n{run}");
    assert!(pages < 200, "{pages} pages for 2 accounts");
    assert!(
        !env.home
            .join(".cache/ssokey")
            .read_dir()
            .is_ok_and(|mut d| {
                d.any(|e| e.unwrap().file_name().to_string_lossy().contains("listing"))
            })
    );
}

/// An account name and an e-mail address of a megabyte each: cut to what AWS
/// allows, with a warning, and the table stays as narrow as real names make
/// it.
#[test]
fn huge_names_are_cut_and_tables_stay_narrow() {
    let huge = "x".repeat(1 << 20);
    let mut hostile = Account::new("100000000001", &huge, &["Admin"]);
    hostile.email = format!("{huge}@example.com");
    let env = signed_in(sso_emulator::Config {
        accounts: vec![hostile, Account::new("100000000002", "prod", &["Admin"])],
        ..crate::harness::config()
    });
    let run = env.run(&["list", "--refresh"]);
    run.success().stderr_has("longer than AWS allows");
    eprintln!("flood: list printed {} bytes", run.stdout.len());
    assert!(run.stdout.len() < 1000, "{} bytes", run.stdout.len());
    assert_eq!(run.stdout.lines().count(), 3);

    let run = env.run(&["list", "--output", "json"]);
    run.success();
    let json = run.json();
    let name = json[1]["accountName"].as_str().unwrap();
    assert_eq!(name, "x".repeat(50));
    assert_eq!(json[1]["emailAddress"].as_str().unwrap(), "x".repeat(64));
}
