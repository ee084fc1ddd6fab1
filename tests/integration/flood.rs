//! A portal that stalls or floods: listings that page without end. Each ends
//! in a clear error or a small answer.

use std::time::Duration;

use crate::harness::TestEnv;
use sso_emulator::Op;

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
