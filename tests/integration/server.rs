//! The credential server, `ssokey serve` and `ssokey exec --server`: the
//! container credentials protocol on 127.0.0.1, its refusals, its one fetch
//! for many requests, and the command it serves.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::harness::{Run, TestEnv, config, signal, wait_until, wait_within};
use sso_emulator::Op;

const ACCOUNT: &str = "100000000002";
const PATH: &str = "/role-credentials";

fn signed_in(config: sso_emulator::Config) -> TestEnv {
    let env = TestEnv::with_config(config);
    env.login().success();
    env
}

/// A running `ssokey serve`, stopped (SIGTERM, then SIGKILL) on drop.
pub struct Serving {
    child: Option<Child>,
    pub port: u16,
    pub token: String,
}

impl Serving {
    pub fn start(env: &TestEnv, extra: &[&str]) -> Serving {
        let mut args = vec![
            "serve",
            "--account",
            ACCOUNT,
            "--role",
            "ReadOnly",
            "--shell",
            "bash",
        ];
        args.extend(extra);
        let mut child = env.spawn(&args);
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut value = |name: &str| {
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            let prefix = format!("export {name}='");
            line.trim_end()
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix('\''))
                .unwrap_or_else(|| panic!("not the {name} line: {line:?}"))
                .to_owned()
        };
        let url = value("AWS_CONTAINER_CREDENTIALS_FULL_URI");
        let token = value("AWS_CONTAINER_AUTHORIZATION_TOKEN");
        let port = url
            .strip_prefix("http://127.0.0.1:")
            .and_then(|rest| rest.strip_suffix(PATH))
            .unwrap_or_else(|| panic!("not a loopback URL: {url}"))
            .parse()
            .unwrap();
        Serving {
            child: Some(child),
            port,
            token,
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    fn get(&self, auth: Option<&str>) -> (u16, String) {
        request(
            self.port,
            "GET",
            PATH,
            &format!("127.0.0.1:{}", self.port),
            auth,
        )
    }

    /// Stops the server with SIGTERM, as a person or a supervisor would.
    pub fn stop(mut self) -> Run {
        let child = self.child.take().unwrap();
        signal(&child, "TERM");
        let output = wait_within(child, Duration::from_secs(10), "ssokey serve");
        Run::from(&output, &["serve"])
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One HTTP/1.1 request: the status and the body.
fn request(port: u16, method: &str, path: &str, host: &str, auth: Option<&str>) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let auth = auth.map_or_else(String::new, |token| format!("Authorization: {token}\r\n"));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

#[test]
fn serve_prints_two_variables_and_answers_with_the_issued_credentials() {
    let env = signed_in(config());
    let server = Serving::start(&env, &[]);
    assert_ne!(server.port, 0);
    assert_eq!(server.token.len(), 43, "32 bytes in base64url");
    let (status, body) = server.get(Some(&server.token));
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let issued = env.emulator.last_role_credentials().unwrap();
    assert_eq!(issued.role_name, "ReadOnly");
    let expiration = std::time::UNIX_EPOCH + Duration::from_millis(issued.expiration);
    assert_eq!(
        json,
        serde_json::json!({
            "AccessKeyId": issued.access_key_id,
            "SecretAccessKey": issued.secret_access_key,
            "Token": issued.session_token,
            "Expiration": humantime::format_rfc3339_seconds(expiration).to_string(),
            "AccountId": ACCOUNT,
        })
    );
    let run = server.stop();
    assert_eq!(run.code, Some(0), "SIGTERM stops it cleanly\n{run}");
    assert!(
        run.stderr
            .contains("Serving credentials for ssokey-test/100000000002/ReadOnly"),
        "{run}"
    );
}

#[test]
fn serve_refuses_every_request_but_a_get_with_its_token_on_its_path() {
    let env = signed_in(config());
    let server = Serving::start(&env, &[]);
    let secret = env
        .emulator
        .last_role_credentials()
        .unwrap()
        .secret_access_key;
    let own = format!("127.0.0.1:{}", server.port);
    let rebound = format!("rebound.example:{}", server.port);
    let token = Some(server.token.as_str());
    let wrong = format!("{}x", &server.token[1..]);
    for (method, path, host, auth, expected) in [
        ("GET", PATH, own.as_str(), None, 401),
        ("GET", PATH, own.as_str(), Some(wrong.as_str()), 403),
        ("GET", PATH, own.as_str(), Some(""), 403),
        ("GET", "/", own.as_str(), token, 404),
        ("GET", "/role-credentials/x", own.as_str(), token, 404),
        ("POST", PATH, own.as_str(), token, 405),
        ("PUT", PATH, own.as_str(), token, 405),
        ("DELETE", PATH, own.as_str(), token, 405),
        ("GET", PATH, rebound.as_str(), token, 403),
        ("GET", PATH, "127.0.0.1", token, 403),
    ] {
        let (status, body) = request(server.port, method, path, host, auth);
        assert_eq!(
            status, expected,
            "{method} {path} Host: {host} auth: {auth:?}: {body}"
        );
        assert!(!body.contains(&secret), "credentials in a refusal: {body}");
        assert!(!body.contains("AccessKeyId"), "{body}");
    }
    let (status, _) = request(
        server.port,
        "GET",
        PATH,
        &format!("localhost:{}", server.port),
        token,
    );
    assert_eq!(status, 200);
}

#[test]
fn serve_listens_on_the_loopback_address_only_and_on_the_port_asked_for() {
    let env = signed_in(config());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Serving::start(&env, &["--port", &port.to_string()]);
    assert_eq!(server.port, port);
    // The kernel's table of listening sockets: 127.0.0.1 only.
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let suffix = format!(":{port:04X}");
    let listening: Vec<&str> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields[3] == "0A" && fields[1].ends_with(&suffix)).then_some(fields[1])
        })
        .collect();
    assert_eq!(listening, [format!("0100007F{suffix}")]);
    let v6 = std::fs::read_to_string("/proc/net/tcp6").unwrap_or_default();
    assert!(
        !v6.lines()
            .filter_map(|line| line.split_whitespace().nth(1))
            .any(|local| local.ends_with(&suffix)),
        "{v6}"
    );
}

#[test]
fn a_hundred_parallel_requests_get_the_same_credentials_from_one_fetch() {
    let env = signed_in(config());
    let server = Serving::start(&env, &[]);
    let answers: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..100)
            .map(|_| scope.spawn(|| server.get(Some(&server.token))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        answers
            .iter()
            .all(|(status, body)| *status == 200 && *body == answers[0].1)
    );
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 1);
}

#[test]
fn serve_keeps_the_token_and_credentials_out_of_argv_files_and_logs() {
    let env = signed_in(config());
    let server = Serving::start(&env, &["-vvv"]);
    let pid = server.child.as_ref().unwrap().id();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(!String::from_utf8_lossy(&cmdline).contains(&server.token));
    for auth in [Some(server.token.as_str()), Some("wrong"), None] {
        server.get(auth);
    }
    let token = server.token.clone();
    let run = server.stop();
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        run.stderr.contains("a request"),
        "-vvv logs the requests\n{run}"
    );
    assert!(!run.stderr.contains(&token), "the token was logged\n{run}");
    let mut files = Vec::new();
    crate::harness::collect_files(env.root(), &mut files);
    for file in files {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()).into_owned();
        assert!(
            !text.contains(&token),
            "the token stands in {}",
            file.display()
        );
    }
    env.assert_no_secret_leaked(&[&run.stderr]);
}

/// `ssokey exec --server` for the ReadOnly target, running `sh -c script`.
fn exec_server(env: &TestEnv, extra: &[&str], script: &str) -> std::process::Command {
    env.exec_server(ACCOUNT, extra, script)
}

#[test]
fn exec_server_gives_the_command_the_server_and_no_keys() {
    let env = signed_in(config());
    let mut command = exec_server(&env, &[], "env; exit 7");
    command.env("AWS_ACCESS_KEY_ID", "AKIAFROMTHESHELL0000");
    command.env("AWS_SESSION_TOKEN", "from-the-shell");
    command.env(
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "/v2/credentials/x",
    );
    let run = Run::from(&command.output().unwrap(), &["exec", "--server"]);
    assert_eq!(run.code, Some(7), "the command's exit status\n{run}");
    let vars: Vec<(&str, &str)> = run
        .stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .collect();
    let var = |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ] {
        assert_eq!(var(name), None, "{name} is set\n{run}");
    }
    let url = var("AWS_CONTAINER_CREDENTIALS_FULL_URI").expect("the server's URL");
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with(PATH),
        "{url}"
    );
    assert_eq!(
        var("AWS_CONTAINER_AUTHORIZATION_TOKEN").map(str::len),
        Some(43)
    );
    assert_eq!(
        var("SSOKEY_EXEC_TARGET"),
        Some("ssokey-test/100000000002/ReadOnly")
    );
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 1);
}

#[test]
fn exec_server_ends_as_its_command_does_and_passes_sigterm_on() {
    use std::os::unix::process::ExitStatusExt as _;
    let env = signed_in(config());
    // Killed by a signal: so is ssokey.
    let status = exec_server(&env, &[], "kill -TERM $$").status().unwrap();
    assert_eq!(status.signal(), Some(15), "{status:?}");

    // SIGTERM to ssokey reaches the command, whose exit status comes back.
    let marker = env.root().join("tmp/started");
    let script = format!(
        "trap 'exit 42' TERM; touch '{}'; while :; do sleep 0.05; done",
        marker.display()
    );
    let command = exec_server(&env, &[], &script);
    let args: Vec<&std::ffi::OsStr> = command.get_args().collect();
    let args: Vec<&str> = args.iter().map(|a| a.to_str().unwrap()).collect();
    let child = env
        .wrapped("tests/default-signals", &args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(20), "the command to start", || {
        marker.exists()
    });
    signal(&child, "TERM");
    let output = wait_within(child, Duration::from_secs(10), "ssokey exec --server");
    assert_eq!(output.status.code(), Some(42), "{output:?}");

    // Signed out: nothing runs, and the usual error says what to do.
    env.run(&["logout"]).success();
    let run = Run::from(
        &exec_server(&env, &[], "echo ran").output().unwrap(),
        &["exec"],
    );
    run.failure(3);
}

#[test]
fn the_server_signs_in_by_itself_when_the_sign_in_ends_under_it() {
    // Ten-second credentials, served while they have eight left: the server
    // needs new ones two seconds after it fetched its first.
    let mut env = signed_in(sso_emulator::Config {
        role_credentials_ttl: Duration::from_secs(10),
        ..config()
    });
    env.set_env("SSOKEY_AUTO_LOGIN", "1");
    let server = Serving::start(&env, &["--margin", "8s"]);
    let first = env.emulator.last_role_credentials().unwrap();
    // The portal ends the sign-in: no token and no refresh works any more.
    env.emulator.revoke_all();
    env.emulator.expire_access_tokens();
    wait_until(Duration::from_secs(10), "the credentials to age", || {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        u64::try_from(now.as_millis()).unwrap() + 8_000 >= first.expiration
    });
    let (status, body) = server.get(Some(&server.token));
    assert_eq!(status, 200, "{body}");
    let renewed = env.emulator.last_role_credentials().unwrap();
    assert_ne!(renewed.access_key_id, first.access_key_id);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["AccessKeyId"], renewed.access_key_id);
    assert_eq!(
        env.emulator.grants(sso_emulator::AUTHORIZATION_CODE_GRANT),
        2,
        "the login's sign-in and the server's own"
    );
    let run = server.stop();
    run.stderr_has("Signing in to 'ssokey-test' for serve");
}

/// `kill -9` of ssokey under `exec --server`: the command gets SIGTERM at
/// once (Linux's parent-death signal), so it never sends its next request,
/// token included, to another user who binds the freed port.
#[test]
fn the_command_ends_with_ssokey_killed_and_asks_no_one_else() {
    let env = signed_in(config());
    let tmp = env.root().join("tmp");
    let script = format!(
        "cd '{}'; echo $$ > pid; trap 'echo TERM > got-term; exit 0' TERM; \
         echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\" > uri; \
         while :; do \
           printf 'Authorization: %s\\n' \"$AWS_CONTAINER_AUTHORIZATION_TOKEN\" | \
             curl -s -m 1 -o /dev/null -H @- \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\"; \
           sleep 0.1; \
         done",
        tmp.display()
    );
    let command = exec_server(&env, &[], &script);
    let args: Vec<&std::ffi::OsStr> = command.get_args().collect();
    let args: Vec<&str> = args.iter().map(|a| a.to_str().unwrap()).collect();
    let mut ssokey = env
        .wrapped("tests/default-signals", &args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(20), "the command to start", || {
        std::fs::read_to_string(tmp.join("uri")).is_ok_and(|uri| uri.ends_with('\n'))
    });
    let uri = std::fs::read_to_string(tmp.join("uri")).unwrap();
    let port: u16 = uri
        .trim()
        .strip_prefix("http://127.0.0.1:")
        .and_then(|rest| rest.strip_suffix(PATH))
        .unwrap()
        .parse()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    ssokey.kill().unwrap();
    ssokey.wait().unwrap();

    // Another user takes the port and waits 3 s for a request.
    let attacker = format!(
        "import socket\n\
         s = socket.socket()\n\
         s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
         s.bind(('127.0.0.1', {port}))\n\
         s.listen()\n\
         print('bound', flush=True)\n\
         s.settimeout(3)\n\
         try:\n    c, _ = s.accept(); c.settimeout(1); print('asked', c.recv(100)[:40])\n\
         except OSError:\n    print('nobody')\n"
    );
    let mut listener = TestEnv::as_user(65534, &format!("exec python3 -c \"{attacker}\""))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let output = wait_within_output(&mut listener);
    let got_term = tmp.join("got-term").exists();
    // An orphan that outlived the test's ssokey must not outlive the test.
    if !got_term && let Ok(pid) = std::fs::read_to_string(tmp.join("pid")) {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", pid.trim()])
            .status();
    }
    assert!(
        output.starts_with("bound"),
        "the port was not freed: {output}"
    );
    assert!(got_term, "the command got no SIGTERM when ssokey died");
    assert!(
        output.contains("nobody"),
        "the command asked another user: {output}"
    );
}

/// Waits (at most 10 s) for `child`, and returns its stdout.
fn wait_within_output(child: &mut Child) -> String {
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "still running: {out}");
        std::thread::sleep(Duration::from_millis(20));
    }
    out
}

/// The background example of `ssokey serve --help`, run as written in bash
/// (the profile swapped for this test's role): it must return to the shell
/// with the variables set, and the server it leaves must answer and stop.
#[test]
fn the_background_example_in_serve_help_returns_and_serves() {
    let env = signed_in(config());
    let help = env.run(&["serve", "--help"]);
    let example = help
        .success()
        .stdout
        .lines()
        .find(|line| line.trim_start().starts_with("eval "))
        .unwrap_or_else(|| panic!("no eval example:\n{help}"))
        .split("   #")
        .next()
        .unwrap()
        .trim()
        .replace("$(ssokey serve", "$(\"$SSOKEY\" serve")
        .replace(
            "--profile prod-admin",
            &format!("--account {ACCOUNT} --role ReadOnly"),
        );
    let script = format!(
        "{example}\n\
         curl -fsS -H \"Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN\" \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\"\n"
    );
    let out = env.root().join("example.out");
    let err = env.root().join("example.err");
    let base = env.command(&[]);
    let mut timeout = std::process::Command::new("timeout");
    timeout.env_clear();
    for (key, value) in base.get_envs() {
        if let Some(value) = value {
            timeout.env(key, value);
        }
    }
    // Files, not pipes: a server left running must not hold up the test.
    let status = timeout
        .env("SSOKEY", base.get_program())
        .args(["20", "bash", "-c", &script])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .status()
        .unwrap();
    let stdout = std::fs::read_to_string(&out).unwrap();
    let stderr = std::fs::read_to_string(&err).unwrap();
    let pid = stderr
        .split("kill ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_owned);
    if let Some(pid) = &pid {
        let _ = std::process::Command::new("kill").arg(pid).status();
    }
    assert!(
        status.success(),
        "{status}: the example did not return\n{script}\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let issued = env.emulator.last_role_credentials().unwrap();
    assert_eq!(json["AccessKeyId"], issued.access_key_id);
    let pid = pid.unwrap_or_else(|| panic!("no 'kill PID' on stderr:\n{stderr}"));
    wait_until(Duration::from_secs(10), "the server to stop", || {
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
    });
}
