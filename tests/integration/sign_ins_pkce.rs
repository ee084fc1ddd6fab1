//! The PKCE sign-in (authorization code with a loopback redirect), end to
//! end: the default where a browser can open; its callback listener refuses
//! what it does not expect, with nothing stored; the device code over SSH.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::Child;
use std::time::Duration;

use crate::harness::{Browser, REGION, Run, SESSION, START_URL, TestEnv, config, wait_until};
use sso_emulator::{AUTHORIZATION_CODE_GRANT, DEVICE_CODE_GRANT, Op};

const LOGIN: &[&str] = &["login", "--start-url", START_URL, "--region", REGION];

/// One raw HTTP/1.1 request; the whole answer.
fn http(port: u16, request: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

fn get(port: u16, target: &str, host: &str) -> String {
    http(
        port,
        &format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    )
}

/// The authorize URL the login handed the (recording) browser.
fn authorize_url(env: &TestEnv) -> String {
    wait_until(Duration::from_secs(30), "the browser to be started", || {
        !env.browser_runs().is_empty()
    });
    env.browser_runs().remove(0)
}

fn query_param(url: &str, name: &str) -> String {
    let query = url.split_once('?').unwrap().1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map_or_else(
            || panic!("no {name} in {url}"),
            |(_, value)| value.into_owned(),
        )
}

/// What the portal's page redirects the browser to: the callback URL with
/// the code and state.
fn follow_authorize(env: &TestEnv, url: &str) -> String {
    let port = env.emulator.addr().port();
    let target = url.strip_prefix(&env.emulator.url()).unwrap();
    let answer = get(port, target, &format!("127.0.0.1:{port}"));
    assert!(answer.starts_with("HTTP/1.1 302"), "{answer}");
    answer
        .lines()
        .find_map(|line| line.strip_prefix("location: "))
        .unwrap()
        .trim()
        .to_owned()
}

fn stored_token(env: &TestEnv) -> bool {
    env.keychain_items()
        .iter()
        .any(|(user, _)| user == &format!("session/{SESSION}/token"))
}

fn finish(child: Child) -> Run {
    Run::from_child(child, LOGIN)
}

#[test]
fn pkce_is_the_default_where_a_browser_opens_and_credentials_follow() {
    let env = TestEnv::new();
    let run = env.login();
    run.success()
        .stderr_has("in the browser")
        .stderr_has(&format!(
            "Signed in to '{SESSION}' with the browser (authorization code with PKCE)"
        ));
    assert_eq!(run.stdout, "");
    // One authorization, no device code.
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 1);
    assert_eq!(env.emulator.authorizations(), 1);
    assert_eq!(env.emulator.grants(DEVICE_CODE_GRANT), 0);
    assert_eq!(env.emulator.count(Op::StartDeviceAuthorization), 0);
    // Registered as the AWS CLI registers, and the browser got the page.
    let client = &env.emulator.clients()[0];
    assert_eq!(client.grant_types, ["authorization_code", "refresh_token"]);
    assert_eq!(client.redirect_uris, ["http://127.0.0.1/oauth/callback"]);
    let runs = env.browser_runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let url = &runs[0];
    assert!(
        url.starts_with(&format!("{}/authorize?", env.emulator.url())),
        "{url}"
    );
    assert_eq!(query_param(url, "code_challenge_method"), "S256");
    assert_eq!(query_param(url, "response_type"), "code");
    assert_eq!(query_param(url, "scopes"), "sso:account:access");
    assert_eq!(query_param(url, "code_challenge").len(), 43);
    let redirect = query_param(url, "redirect_uri");
    assert!(redirect.starts_with("http://127.0.0.1:"), "{redirect}");
    assert!(redirect.ends_with("/oauth/callback"), "{redirect}");
    // Credentials work, and status says how the sign-in was made.
    let account = &config().accounts[0].id;
    env.run(&[
        "credential-process",
        "--account",
        account,
        "--role",
        "Admin",
    ])
    .success();
    let status = env.run(&["status", "--output", "json"]).json();
    assert_eq!(status[0]["signInFlow"], "pkce", "{status}");
    env.assert_no_secret_leaked(&[&run.stdout, &run.stderr]);
    // -v says which flow signs in.
    env.run(&["login", "--force", "-v"])
        .success()
        .stderr_has("signing in")
        .stderr_has("flow=pkce");
    env.run(&["login", "--force", "--device-code", "-v"])
        .success()
        .stderr_has("flow=device-code");
}

#[test]
fn the_callback_refuses_other_hosts_paths_methods_and_states_and_waits_on() {
    let env = TestEnv::new().browser(Browser::Record);
    let child = env.spawn(LOGIN);
    let url = authorize_url(&env);
    let callback = follow_authorize(&env, &url);
    let redirect_uri = query_param(&url, "redirect_uri");
    let port: u16 = redirect_uri
        .strip_prefix("http://127.0.0.1:")
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let target = callback
        .strip_prefix(&format!("http://127.0.0.1:{port}"))
        .unwrap();
    let code = query_param(&callback, "code");
    let own = format!("127.0.0.1:{port}");

    // A page on a rebound DNS name: refused before anything else.
    let answer = get(port, target, &format!("evil.example:{port}"));
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    // A wrong state, with the real code: refused, the code unused.
    let answer = get(
        port,
        &format!("/oauth/callback?code={code}&state=forged"),
        &own,
    );
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let answer = get(port, &format!("/oauth/callback?code={code}"), &own);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    // Another path, another method.
    let answer = get(port, "/", &own);
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    let answer = http(
        port,
        &format!(
            "POST {target} HTTP/1.1\r\nHost: {own}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
    assert!(!stored_token(&env), "a refused request stored a token");
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 0);

    // Not reachable on another address of the machine.
    assert!(TcpStream::connect(("127.0.0.2", port)).is_err());
    if let Some(ip) = outward_address() {
        assert!(TcpStream::connect((ip, port)).is_err(), "reachable on {ip}");
    }

    // The real answer still ends the wait: the sign-in succeeds.
    let answer = get(port, target, &own);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("You can close this tab"), "{answer}");
    finish(child).success();
    assert!(stored_token(&env));
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 1);
}

/// This machine's address on its default route, if it has one.
fn outward_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn a_denied_sign_in_stores_nothing() {
    let env = TestEnv::new().browser(Browser::Deny);
    env.login()
        .failure(1)
        .stderr_has("refused in the browser: access_denied");
    assert!(!stored_token(&env));
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 0);
}

#[test]
fn the_right_state_without_a_code_fails_and_stores_nothing() {
    let env = TestEnv::with_config(sso_emulator::Config {
        authorize: sso_emulator::Authorize::NoCode,
        ..config()
    });
    env.login().failure(1).stderr_has("held no code");
    assert!(!stored_token(&env));
}

#[test]
fn a_hostile_pages_state_does_not_end_the_wait_and_its_code_is_not_redeemed() {
    // The page redirects with a code and a state of its own: ssokey ignores
    // it and waits on; the user cancels.
    let env = TestEnv::with_config(sso_emulator::Config {
        authorize: sso_emulator::Authorize::WrongState,
        ..config()
    });
    let child = env.spawn(LOGIN);
    wait_until(Duration::from_secs(30), "the page to be loaded", || {
        env.emulator.authorizations() == 1
    });
    std::thread::sleep(Duration::from_millis(500));
    let mut child = child;
    assert!(child.try_wait().unwrap().is_none(), "the wait ended");
    child.kill().unwrap();
    let _ = child.wait();
    assert!(!stored_token(&env));
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 0);
}

#[test]
fn a_forgotten_registration_is_replaced_before_the_browser_opens() {
    let env = TestEnv::new();
    env.login().success();
    env.emulator.invalidate_clients();
    env.run(&["login", "--force"]).success();
    assert_eq!(env.emulator.count(Op::RegisterClient), 2);
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 2);
}

#[test]
fn over_ssh_without_browser_the_device_code_is_used() {
    let mut env = TestEnv::with_config(sso_emulator::Config {
        auto_approve: true,
        ..config()
    });
    env.set_env("BROWSER", "");
    env.set_env("SSH_CONNECTION", "192.0.2.7 50000 192.0.2.8 22");
    env.run(LOGIN)
        .success()
        .stderr_has("with a device code")
        .stderr_has("Open this URL in a browser");
    assert_eq!(env.emulator.grants(DEVICE_CODE_GRANT), 1);
    assert_eq!(env.emulator.grants(AUTHORIZATION_CODE_GRANT), 0);
    let status = env.run(&["status", "--output", "json"]).json();
    assert_eq!(status[0]["signInFlow"], "device-code", "{status}");
}
