//! `-v` logging and `--color`: the log tells what happened, on stderr only,
//! and shows no secret even at the most verbose; colour only when asked for.

use crate::harness::{TestEnv, config};

const TARGET: [&str; 4] = ["--account", "100000000001", "--role", "Admin"];

fn with(command: &'static str, flags: &[&'static str]) -> Vec<&'static str> {
    let mut args = flags.to_vec();
    args.push(command);
    args.extend(TARGET);
    args
}

#[test]
fn verbose_logs_each_step_on_stderr_without_secrets() {
    let env = TestEnv::with_config(config());
    let login = env.run(&[
        "-vvv",
        "login",
        "--start-url",
        crate::harness::START_URL,
        "--region",
        crate::harness::REGION,
    ]);
    login.success();
    login
        .stderr_has("RegisterClient")
        .stderr_has("keychain write");

    let miss = env.run(&with("credential-process", &["-vv"]));
    miss.success()
        .stderr_has("fetching credentials")
        .stderr_has("GetRoleCredentials");
    let hit = env.run(&with("credential-process", &["-vv"]));
    hit.success().stderr_has("cached credentials are fresh");
    assert_eq!(
        hit.stdout, miss.stdout,
        "a hit prints what the miss fetched"
    );

    // Without -v or RUST_LOG, nothing but the data.
    let quiet = env.run(&with("credential-process", &[]));
    assert_eq!(quiet.stderr, "", "{quiet}");

    // RUST_LOG=trace asks the SDK for whole requests, bearer tokens
    // included; ssokey caps other crates and scrubs every line.
    let mut env = env;
    env.set_env("RUST_LOG", "trace");
    let mut refresh = with("credential-process", &[]);
    refresh.push("--refresh");
    let traced = env.run(&refresh);
    traced.success().stderr_has("GetRoleCredentials");
    let listed = env.run(&["list", "--refresh"]);
    listed.success();
    env.assert_no_secret_leaked(&[
        &login.stderr,
        &miss.stderr,
        &hit.stderr,
        &traced.stderr,
        &listed.stderr,
        &listed.stdout,
    ]);
}

#[test]
fn colour_only_when_asked_for_or_on_a_terminal() {
    let mut env = TestEnv::with_config(config());
    env.login().success();
    env.run(&["logout"]).success();
    // Signed out: an error with a hint.
    let plain = env.run(&with("credential-process", &[]));
    plain.failure(3);
    assert!(plain.stderr.starts_with("ssokey: error: "), "{plain}");
    assert!(!plain.stderr.contains('\x1b'), "{plain}");

    let coloured = env.run(&with("credential-process", &["--color", "always"]));
    assert_eq!(coloured.code, Some(3), "{coloured}");
    assert!(
        coloured
            .stderr
            .starts_with("ssokey: \x1b[1;31merror:\x1b[0m "),
        "{coloured}"
    );
    assert!(
        coloured.stderr.contains("\x1b[1mhint:\x1b[0m "),
        "{coloured}"
    );

    // NO_COLOR does not overrule an explicit --color always, and auto off a
    // terminal is plain.
    env.set_env("NO_COLOR", "1");
    let flagged = env.run(&with("credential-process", &["--color", "always"]));
    assert!(flagged.stderr.contains('\x1b'), "{flagged}");
    let auto = env.run(&with("credential-process", &["--color", "auto"]));
    assert!(!auto.stderr.contains('\x1b'), "{auto}");
    assert_eq!(env.run(&["--color", "sometimes", "status"]).code, Some(2));
}
