//! Faults of the portal and of the process (issue #8): every operation failing
//! for a while and for good, an emulator that goes down, stalls or sends broken
//! answers, and ssokey killed by a signal. Each must end in a clear error or a
//! success, never a hang, a panic or half-written state, and the next run works.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::{
    Browser, Run, TestEnv, config, credential_process_args, signal, wait_until, wait_within,
};
use sso_emulator::{Emulator, Fault, Op};

const ACCOUNT: &str = "100000000001";
/// A fetch of the ReadOnly role's credentials, for the fault cases.
const READ_ONLY: &[&str] = &[
    "credential-process",
    "--account",
    ACCOUNT,
    "--role",
    "ReadOnly",
];
/// The statuses a portal answers when it is overloaded or failing.
const STATUSES: [u16; 3] = [500, 503, 429];
/// Injected failures that a retried call survives.
const TRANSIENT: usize = 2;
/// More failures than any retry loop of ssokey tries.
const PERMANENT: usize = 1000;

/// How a test makes ssokey call one operation of the portal.
struct Case {
    op: Op,
    /// Lifetime of access tokens: under 30 s, every command must refresh first.
    access_token_ttl: Duration,
    /// Done before the command, e.g. making the portal forget the registration.
    prepare: fn(&TestEnv),
    args: &'static [&'static str],
    /// Calls of `op` that the command makes against a working portal.
    calls: usize,
}

fn cases() -> Vec<Case> {
    let hours = Duration::from_hours(8);
    let nothing: fn(&TestEnv) = |_| {};
    vec![
        Case {
            op: Op::RegisterClient,
            access_token_ttl: hours,
            prepare: |env| env.emulator.invalidate_clients(),
            args: &["login", "--force", "--device-code"],
            calls: 1,
        },
        Case {
            op: Op::StartDeviceAuthorization,
            access_token_ttl: hours,
            prepare: nothing,
            args: &["login", "--force", "--device-code"],
            calls: 1,
        },
        // The device-code grant: polling.
        Case {
            op: Op::CreateToken,
            access_token_ttl: hours,
            prepare: nothing,
            args: &["login", "--force", "--device-code"],
            calls: 1,
        },
        // The refresh-token grant: a token with under 30 s left is never used.
        Case {
            op: Op::CreateToken,
            access_token_ttl: Duration::from_secs(20),
            prepare: nothing,
            args: READ_ONLY,
            calls: 1,
        },
        Case {
            op: Op::ListAccounts,
            access_token_ttl: hours,
            prepare: nothing,
            args: &["list", "--refresh"],
            calls: 1,
        },
        Case {
            op: Op::ListAccountRoles,
            access_token_ttl: hours,
            prepare: nothing,
            args: &["list", "--refresh"],
            calls: 2,
        },
        Case {
            op: Op::GetRoleCredentials,
            access_token_ttl: hours,
            prepare: nothing,
            args: READ_ONLY,
            calls: 1,
        },
        Case {
            op: Op::Logout,
            access_token_ttl: hours,
            prepare: nothing,
            args: &["logout"],
            calls: 1,
        },
    ]
}

fn cached_target() -> Vec<&'static str> {
    credential_process_args(ACCOUNT, "Admin", &[])
}

/// Signed in (device codes approve themselves, so polling is deterministic),
/// with the listing and the credentials of `cached_target` in their caches.
/// Returns the credentials that the cache holds, as `credential-process` printed them.
fn signed_in_with_caches(access_token_ttl: Duration) -> (TestEnv, String) {
    let env = TestEnv::with_config(sso_emulator::Config {
        auto_approve: true,
        access_token_ttl,
        ..config()
    });
    env.login().success();
    env.run(&["list"]).success();
    let cached = env.run(&cached_target());
    cached.success();
    let stdout = cached.stdout.clone();
    (env, stdout)
}

/// Every file under ssokey's config and cache dirs and the AWS config dir, with
/// its contents; lock files, which hold only their holder's pid, are left out.
fn files(env: &TestEnv) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for dir in [".config", ".cache", ".aws"] {
        walk(&env.home.join(dir), &mut out);
    }
    out
}

fn walk(dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_none_or(|ext| ext != "lock") {
            out.insert(
                path.display().to_string(),
                std::fs::read(&path).unwrap_or_default(),
            );
        }
    }
}

/// The state a failed command must leave exactly as it found it.
#[derive(Debug, PartialEq)]
struct State {
    keychain: Vec<(String, String)>,
    files: BTreeMap<String, Vec<u8>>,
}

fn state(env: &TestEnv) -> State {
    State {
        keychain: env.keychain_items(),
        files: files(env),
    }
}

/// The cache still serves what it held, and the session still works for a call
/// to the portal.
#[track_caller]
fn still_usable(env: &TestEnv, cached: &str, what: &str) {
    let before = env.emulator.count(Op::GetRoleCredentials);
    let hit = env.run(&cached_target());
    hit.success();
    assert_eq!(hit.stdout, cached, "{what}: the cached credentials changed");
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), before);
    env.run(&credential_process_args(
        ACCOUNT,
        "ReadOnly",
        &["--refresh"],
    ))
    .success();
}

fn retried(op: Op) {
    for case in cases().into_iter().filter(|case| case.op == op) {
        for status in STATUSES {
            let what = format!("{op:?} {status} for `ssokey {}`", case.args.join(" "));
            let (env, cached) = signed_in_with_caches(case.access_token_ttl);
            (case.prepare)(&env);
            let before = env.emulator.count(op);
            env.emulator.fail_next(op, status, TRANSIENT);
            let started = Instant::now();
            let run = env.run(case.args);
            assert_eq!(run.code, Some(0), "{what}: not retried\n{run}");
            assert_eq!(
                env.emulator.count(op) - before,
                case.calls + TRANSIENT,
                "{what}"
            );
            eprintln!(
                "faults: {what}: survived {TRANSIENT} failures in {:.2?}",
                started.elapsed()
            );
            if case.args[0] == "login" {
                // A new sign-in, which may be another person's: it starts
                // without what the last one cached, and fetches anew.
                let before = env.emulator.count(Op::GetRoleCredentials);
                let fetched = env.run(&cached_target());
                fetched.success();
                assert_ne!(
                    fetched.stdout, cached,
                    "{what}: the old credentials were served"
                );
                assert_eq!(
                    env.emulator.count(Op::GetRoleCredentials),
                    before + 1,
                    "{what}"
                );
                continue;
            }
            if op == Op::Logout {
                // Signed out, and the cache emptied with it: a new login works.
                assert!(
                    !env.keychain_items()
                        .iter()
                        .any(|(user, _)| user.contains("/token") || user.contains("/role/")),
                    "{what}: {:?}",
                    env.keychain_items()
                );
                env.login().success();
                env.run(&cached_target()).success();
                continue;
            }
            still_usable(&env, &cached, &what);
        }
    }
}

fn permanent(op: Op) {
    for case in cases().into_iter().filter(|case| case.op == op) {
        for status in STATUSES {
            let what = format!("{op:?} {status} for `ssokey {}`", case.args.join(" "));
            if op == Op::CreateToken && case.args[0] == "login" && status == 429 {
                // While polling, the OIDC service's throttle is slow_down,
                // which says "poll less often", not "fail": polling then
                // ends with the code's lifetime, as
                // login::a_portal_that_only_says_slow_down_ends_when_the_code_expires
                // shows.
                continue;
            }
            let (env, cached) = signed_in_with_caches(case.access_token_ttl);
            (case.prepare)(&env);
            let before = state(&env);
            let calls_before = env.emulator.count(op);
            env.emulator.fail_next(op, status, PERMANENT);
            let started = Instant::now();
            let run = env.run(case.args);
            let took = started.elapsed();
            let calls = env.emulator.count(op) - calls_before;
            env.emulator.clear_faults();
            eprintln!("faults: {what}: gave up after {calls} calls in {took:.2?}");
            assert!(!run.stderr.contains("panicked"), "{what}\n{run}");
            if op == Op::Logout {
                // Documented: logout deletes the tokens all the same, and warns.
                run.success()
                    .stderr_has("warning: could not end the portal session");
                assert!(run.stderr.contains("Logout failed"), "{what}\n{run}");
                assert!(
                    !env.keychain_items()
                        .iter()
                        .any(|(user, _)| user.contains("/token") || user.contains("/role/")),
                    "{what}: {:?}",
                    env.keychain_items()
                );
                env.login().success();
                env.run(&cached_target()).success();
                continue;
            }
            run.failure(1);
            assert!(
                run.stderr.contains(&format!("{} failed", op.name())),
                "{what}: the error does not name the operation\n{run}"
            );
            if status == 429 {
                run.stderr_has("hint: the portal is throttling requests");
            }
            assert_eq!(state(&env), before, "{what}: the failure changed state");
            still_usable(&env, &cached, &what);
            env.run(case.args).success();
        }
    }
}

#[test]
fn register_client_is_retried() {
    retried(Op::RegisterClient);
}

#[test]
fn start_device_authorization_is_retried() {
    retried(Op::StartDeviceAuthorization);
}

#[test]
fn create_token_is_retried() {
    retried(Op::CreateToken);
}

#[test]
fn list_accounts_is_retried() {
    retried(Op::ListAccounts);
}

#[test]
fn list_account_roles_is_retried() {
    retried(Op::ListAccountRoles);
}

#[test]
fn get_role_credentials_is_retried() {
    retried(Op::GetRoleCredentials);
}

#[test]
fn logout_is_retried() {
    retried(Op::Logout);
}

#[test]
fn register_client_failing_for_good_changes_nothing() {
    permanent(Op::RegisterClient);
}

#[test]
fn start_device_authorization_failing_for_good_changes_nothing() {
    permanent(Op::StartDeviceAuthorization);
}

#[test]
fn create_token_failing_for_good_changes_nothing() {
    permanent(Op::CreateToken);
}

#[test]
fn list_accounts_failing_for_good_changes_nothing() {
    permanent(Op::ListAccounts);
}

#[test]
fn list_account_roles_failing_for_good_changes_nothing() {
    permanent(Op::ListAccountRoles);
}

#[test]
fn get_role_credentials_failing_for_good_changes_nothing() {
    permanent(Op::GetRoleCredentials);
}

#[test]
fn logout_failing_for_good_still_deletes_the_tokens() {
    permanent(Op::Logout);
}

/// Broken 200 answers to the calls whose answers ssokey stores or prints.
#[test]
fn broken_answers_fail_clearly_and_store_nothing() {
    let all = [
        Fault::MalformedJson,
        Fault::EmptyBody,
        Fault::HugeBody(50 * 1024 * 1024),
    ];
    // The SDK reads an empty body, or a JSON object without `accountList` or
    // `roleList`, as a listing with nothing in it, which ssokey cannot tell from
    // a user without assignments: only JSON that cannot be parsed is broken.
    let unparsable = [Fault::MalformedJson];
    let uncached = credential_process_args(ACCOUNT, "ReadOnly", &[]);
    let (env, cached) = signed_in_with_caches(Duration::from_hours(8));
    for (op, args, faults) in [
        (Op::GetRoleCredentials, &uncached[..], &all[..]),
        (
            Op::CreateToken,
            &["login", "--force", "--device-code"][..],
            &all[..],
        ),
        (
            Op::StartDeviceAuthorization,
            &["login", "--force", "--device-code"][..],
            &all[..],
        ),
        (
            Op::ListAccounts,
            &["list", "--refresh"][..],
            &unparsable[..],
        ),
        (
            Op::ListAccountRoles,
            &["list", "--refresh"][..],
            &unparsable[..],
        ),
    ] {
        for fault in faults {
            let what = format!("{op:?} answering {fault:?} to `ssokey {}`", args.join(" "));
            let before = state(&env);
            env.emulator.fault_next(op, fault, 1);
            let started = Instant::now();
            let run = env.run(args);
            eprintln!("faults: {what}: failed in {:.2?}", started.elapsed());
            env.emulator.clear_faults();
            assert!(!run.stderr.contains("panicked"), "{what}\n{run}");
            run.failure(1)
                .stderr_has(&format!("{} failed: the service sent an answer", op.name()));
            assert_eq!(state(&env), before, "{what}: the failure changed state");
        }
    }
    still_usable(&env, &cached, "after broken answers");
}

#[test]
fn credentials_that_have_already_expired_are_refused() {
    let (env, cached) = signed_in_with_caches(Duration::from_hours(8));
    env.emulator
        .update_config(|config| config.role_credentials_already_expired = true);
    let before = state(&env);
    let uncached = credential_process_args(ACCOUNT, "ReadOnly", &[]);
    env.run(&uncached)
        .failure(1)
        .stderr_has("GetRoleCredentials failed")
        .stderr_has("expired");
    env.run(&["env", "--account", ACCOUNT, "--role", "ReadOnly"])
        .failure(1);
    assert_eq!(state(&env), before, "expired credentials were cached");
    env.emulator
        .update_config(|config| config.role_credentials_already_expired = false);
    still_usable(&env, &cached, "after expired credentials");
}

/// A call that gets no answer at all times out, is tried again, and succeeds.
#[test]
fn a_stalled_call_times_out_and_is_retried() {
    let (env, _) = signed_in_with_caches(Duration::from_hours(8));
    env.emulator.fault_next(
        Op::GetRoleCredentials,
        &Fault::Stall(Duration::from_mins(5)),
        1,
    );
    let started = Instant::now();
    env.run(&credential_process_args(ACCOUNT, "ReadOnly", &[]))
        .success();
    let took = started.elapsed();
    eprintln!("faults: one stalled GetRoleCredentials: succeeded after {took:.2?}");
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 2 + 1);
    assert!(took < Duration::from_mins(1), "took {took:?}");
}

/// A portal that never answers: ssokey gives up with a clear error, in bounded time.
#[test]
fn a_portal_that_never_answers_is_given_up_on() {
    let (env, cached) = signed_in_with_caches(Duration::from_hours(8));
    env.emulator.fault_next(
        Op::GetRoleCredentials,
        &Fault::Stall(Duration::from_hours(1)),
        PERMANENT,
    );
    let before = state(&env);
    let started = Instant::now();
    let run = env.run(&credential_process_args(ACCOUNT, "ReadOnly", &[]));
    let took = started.elapsed();
    eprintln!(
        "faults: GetRoleCredentials never answering: gave up after {} calls in {took:.2?}",
        env.emulator.count(Op::GetRoleCredentials) - 1
    );
    run.failure(1)
        .stderr_has("GetRoleCredentials failed: could not reach the service");
    assert!(took < Duration::from_mins(2), "took {took:?}");
    env.emulator.clear_faults();
    assert_eq!(state(&env), before);
    let hit = env.run(&cached_target());
    assert_eq!(hit.success().stdout, cached);
}

/// Waits until a login has started its device authorization and polled once.
fn wait_for_polling(env: &TestEnv) {
    env.emulator
        .wait_for_user_code(Duration::from_secs(30))
        .expect("a device authorization");
    wait_until(Duration::from_secs(30), "a poll", || {
        env.emulator.count(Op::CreateToken) >= 1
    });
}

/// The portal goes down while ssokey polls for the approval.
#[test]
fn the_portal_going_down_mid_login_fails_clearly_and_stores_no_token() {
    let mut env = TestEnv::new().browser(Browser::Missing);
    let mut login = env.spawn(crate::harness::LOGIN_WITHOUT_BROWSER);
    wait_for_polling(&env);
    let items = env.keychain_items();
    env.emulator.stop();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = login.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_mins(2),
            "login still polls a portal that is down"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let run = Run::from(&login.wait_with_output().unwrap(), &["login"]);
    eprintln!(
        "faults: portal down mid-login: gave up {:.2?} after the portal went down",
        started.elapsed()
    );
    assert!(!status.success());
    run.failure(1)
        .stderr_has("CreateToken failed: could not reach the service");
    assert_eq!(env.keychain_items(), items, "nothing is stored half-way");
    assert!(
        !items.iter().any(|(user, _)| user.ends_with("/token")),
        "{items:?}"
    );
    // The portal is back (on another port): the next login works.
    env.emulator = Emulator::start(config());
    let env = env.browser(Browser::Approve);
    env.login().success();
    env.run(&cached_target()).success();
}

#[cfg(unix)]
/// Ctrl-C while login polls: nothing half-written, and the next login works.
#[cfg(unix)]
#[test]
fn ctrl_c_during_login_leaves_nothing_behind() {
    use std::os::unix::process::ExitStatusExt;
    let env = TestEnv::new().browser(Browser::Missing);
    let login = env.spawn_with_default_signals(crate::harness::LOGIN_WITHOUT_BROWSER);
    wait_for_polling(&env);
    signal(&login, "INT");
    let output = wait_within(login, Duration::from_secs(30), "login after Ctrl-C");
    assert_eq!(output.status.signal(), Some(2), "{output:?}");
    assert!(output.stdout.is_empty());
    let users: Vec<String> = env.keychain_items().into_iter().map(|(u, _)| u).collect();
    assert!(
        !users.iter().any(|user| user.ends_with("/token")),
        "{users:?}"
    );
    assert_no_temp_files(&env);
    let env = env.browser(Browser::Approve);
    let started = Instant::now();
    env.login().success();
    env.run(&cached_target()).success();
    eprintln!("faults: login after Ctrl-C took {:.2?}", started.elapsed());
}

/// SIGTERM while a refresh is in flight (its session lock held): no stale lock,
/// the stored token untouched, and the next run refreshes and succeeds.
#[cfg(unix)]
#[test]
fn sigterm_during_a_refresh_leaves_no_stale_lock() {
    use std::os::unix::process::ExitStatusExt;
    let (env, cached) = signed_in_with_caches(Duration::from_secs(20));
    let before = state(&env);
    let refreshes = env.emulator.count(Op::CreateToken);
    env.emulator
        .fault_next(Op::CreateToken, &Fault::Stall(Duration::from_hours(1)), 1);
    let child = env.spawn_with_default_signals(&credential_process_args(ACCOUNT, "ReadOnly", &[]));
    wait_until(Duration::from_secs(30), "the refresh", || {
        env.emulator.count(Op::CreateToken) > refreshes
    });
    std::thread::sleep(Duration::from_millis(100));
    signal(&child, "TERM");
    let output = wait_within(child, Duration::from_secs(30), "a refresh after SIGTERM");
    assert_eq!(output.status.signal(), Some(15), "{output:?}");
    assert!(output.stdout.is_empty());
    assert_eq!(state(&env), before, "the killed refresh changed state");
    assert_no_temp_files(&env);
    let started = Instant::now();
    env.run(&credential_process_args(ACCOUNT, "ReadOnly", &[]))
        .success();
    let took = started.elapsed();
    eprintln!("faults: the run after SIGTERM took {took:.2?}");
    assert!(
        took < Duration::from_secs(15),
        "a stale lock? took {took:?}"
    );
    assert_eq!(env.emulator.count(Op::CreateToken), refreshes + 2);
    assert_eq!(env.run(&cached_target()).success().stdout, cached);
}

#[track_caller]
fn assert_no_temp_files(env: &TestEnv) {
    let temps: Vec<String> = files(env)
        .into_keys()
        .filter(|path| Path::new(path).extension().is_some_and(|ext| ext == "tmp"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
}

/// The portal refuses (403) a role that is assigned: the error says that it
/// refused it, not that the role is missing with itself as the close match.
#[test]
fn a_refused_role_that_is_assigned_is_not_called_missing() {
    let env = TestEnv::new();
    env.login().success();
    env.emulator
        .fault_next(Op::GetRoleCredentials, &Fault::Status(403), 1);
    let run = env.run(READ_ONLY);
    run.failure(1)
        .stderr_has("the portal refused the role 'ReadOnly' in the account 100000000001")
        .stderr_has("ForbiddenException")
        .stderr_has("hint: a new or changed assignment can take a few minutes");
    assert!(!run.stderr.contains("did you mean"), "{run}");
    assert!(!run.stderr.contains("no role"), "{run}");
    env.run(READ_ONLY).success();
}
