//! `ssokey console`: role credentials from the cache traded for a sign-in
//! token at the emulator's federation endpoint, and the login URL opened in
//! the browser, or printed with --print and nowhere else.

use std::time::Duration;

use crate::harness::{Browser, Run, START_URL, TestEnv, config};
use sso_emulator::Op;

const ACCOUNT: &str = "100000000001";

fn signed_in(config: sso_emulator::Config) -> TestEnv {
    let mut env = TestEnv::with_config(config);
    env.login().success();
    let url = env.emulator.url();
    env.set_env("AWS_ENDPOINT_URL_SIGNIN", &url);
    env
}

fn console(env: &TestEnv, extra: &[&str]) -> Run {
    let mut args = vec!["console", "--account", ACCOUNT, "--role", "Admin"];
    args.extend(extra);
    env.run(&args)
}

/// The value of `name` in the query of `url`, decoded.
fn query_value(url: &str, name: &str) -> String {
    let query = url.split_once('?').expect("a query").1;
    let raw = query
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} is not in {url}"));
    decode(raw)
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Asserts that `url` is a login URL for the emulator whose sign-in token it
/// issued, unused, for the Admin role; returns the token.
#[track_caller]
fn assert_login_url(env: &TestEnv, url: &str, destination: &str) -> String {
    assert!(
        url.starts_with(&format!("{}/federation?Action=login&", env.emulator.url())),
        "{url}"
    );
    assert_eq!(query_value(url, "Issuer"), START_URL);
    assert_eq!(query_value(url, "Destination"), destination);
    let token = query_value(url, "SigninToken");
    let issued = env.emulator.signin_tokens();
    assert_eq!(issued.len(), 1, "one sign-in token");
    assert_eq!(issued[0].token, token);
    assert_eq!(issued[0].account_id, ACCOUNT);
    assert_eq!(issued[0].role_name, "Admin");
    assert_eq!(issued[0].session_duration, None, "no SessionDuration sent");
    assert!(!issued[0].used);
    token
}

#[test]
fn console_print_gives_a_login_url_for_the_role_and_the_console_takes_it() {
    let env = signed_in(config());
    let run = console(
        &env,
        &["--service", "ec2", "--region", "eu-west-1", "--print"],
    );
    run.success();
    let destination = "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1";
    let url = run.stdout.strip_suffix('\n').expect("one line");
    assert!(!url.contains('\n'));
    let token = assert_login_url(&env, url, destination);
    assert!(!run.stderr.contains(&token), "{run}");
    // The credentials came from the portal once; a second run uses the cache.
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 1);

    // The browser's request: the emulator takes the token and redirects.
    let out = std::process::Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{redirect_url}",
            url,
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("302 {destination}")
    );
    let logins = env.emulator.console_logins();
    assert_eq!(logins.len(), 1);
    assert_eq!(
        (logins[0].account_id.as_str(), logins[0].role_name.as_str()),
        (ACCOUNT, "Admin")
    );
    assert_eq!(logins[0].issuer, START_URL);

    console(&env, &["--print"]).success();
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 1);
    assert_eq!(env.emulator.count(Op::GetSigninToken), 2);
}

#[test]
fn console_opens_the_browser_with_the_url_and_prints_nothing() {
    let env = signed_in(config());
    let outside = tempfile::tempdir().unwrap();
    let got = outside.path().join("url");
    let script = outside.path().join("browser");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n{}printf '%s' \"$url\" > '{}'\n",
            crate::harness::FOLLOW_PAGE,
            got.display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut command = env.command(&["console", "--account", ACCOUNT, "--role", "Admin", "-vv"]);
    command.env("BROWSER", &script);
    let run = Run::from(&command.output().unwrap(), &["console"]);
    run.success();
    assert_eq!(run.stdout, "", "nothing on stdout without --print");
    crate::harness::wait_until(Duration::from_secs(10), "the browser", || got.exists());
    let url = std::fs::read_to_string(&got).unwrap();
    let token = assert_login_url(
        &env,
        &url,
        "https://us-east-1.console.aws.amazon.com/console/home?region=us-east-1",
    );
    assert!(!run.stderr.contains(&token), "the token was logged\n{run}");
    assert!(!run.stderr.contains("SigninToken="), "{run}");
    env.assert_no_secret_leaked(&[&run.stdout, &run.stderr]);
}

#[test]
fn console_renews_credentials_that_are_due_before_trading_them() {
    // Ten-minute credentials, cached by a run that accepts five minutes left,
    // are too old for the console's fifteen-minute margin.
    let env = signed_in(sso_emulator::Config {
        role_credentials_ttl: Duration::from_mins(10),
        ..config()
    });
    env.run(&[
        "credential-process",
        "--account",
        ACCOUNT,
        "--role",
        "Admin",
        "--margin",
        "5m",
    ])
    .success();
    let cached = env.emulator.last_role_credentials().unwrap();
    console(&env, &["--print"]).success();
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 2);
    let renewed = env.emulator.last_role_credentials().unwrap();
    assert_ne!(renewed.access_key_id, cached.access_key_id);
    assert_eq!(
        env.emulator.signin_tokens()[0].access_key_id,
        renewed.access_key_id
    );
}

#[test]
fn console_failures_print_nothing_and_say_what_to_do() {
    let env = signed_in(config());
    console(&env, &["--service", "EC2/../iam", "--print"])
        .failure(2)
        .stderr_has("not a console service name");
    console(&env, &["--destination", "http://evil.example", "--print"]).failure(2);

    // Credentials the sign-in service no longer takes.
    env.run(&[
        "credential-process",
        "--account",
        ACCOUNT,
        "--role",
        "Admin",
    ])
    .success();
    env.emulator.expire_role_credentials();
    let run = console(&env, &["--print"]);
    run.failure(1)
        .stderr_has("refused the credentials (HTTP 403)");
    assert!(!run.stderr.contains("Session="), "{run}");

    // No browser to open.
    let env = signed_in(config()).browser(Browser::Missing);
    console(&env, &[])
        .failure(1)
        .stderr_has("could not open a browser");
    assert_eq!(env.emulator.signin_tokens().len(), 1);
}

/// Where no browser can open (no BROWSER, no display), `console` says so and
/// how to go on, as a sign-in decides it, before it fetches anything: no
/// machine's browser is started (the harness's stand-ins check).
#[test]
fn console_with_no_browser_to_open_says_print_and_starts_nothing() {
    let mut env = signed_in(config());
    env.set_env("BROWSER", "");
    let run = console(&env, &[]);
    run.failure(1)
        .stderr_has("no browser can open here")
        .stderr_has("--print");
    assert_eq!(run.stdout, "");
    assert_eq!(env.emulator.signin_tokens().len(), 0);
    assert!(env.decoy_runs().is_empty(), "{:?}", env.decoy_runs());
    // --print needs no browser.
    console(&env, &["--print"]).success();
}

/// A region names the sign-in host that gets the role credentials: a value
/// that is no region's name (from a profile, or AWS_REGION) is refused
/// before any request, so that nothing reaches the host it would name.
#[test]
fn a_region_that_is_no_regions_name_sends_nothing_anywhere() {
    let mut env = signed_in(config());
    env.set_env("AWS_ENDPOINT_URL_SIGNIN", "");
    let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let hostile = format!("127.0.0.1:{}/x?y=", trap.local_addr().unwrap().port());
    env.write_config(&format!(
        "[profile evil]\nssokey_session = {}\nssokey_account_id = {ACCOUNT}\nssokey_role_name = Admin\nregion = {hostile}\n",
        crate::harness::SESSION
    ));
    env.run(&["console", "--profile", "evil", "--print"])
        .failure(2)
        .stderr_has("is not an AWS region name");
    env.set_env("AWS_REGION", &hostile);
    let run = console(&env, &["--print"]);
    run.failure(2).stderr_has("is not an AWS region name");
    assert_eq!(run.stdout, "");
    assert!(
        matches!(trap.accept(), Err(err) if err.kind() == std::io::ErrorKind::WouldBlock),
        "something connected to the host the region named"
    );
    assert_eq!(env.emulator.signin_tokens().len(), 0);
}
