//! Company networks, with real parts: every call ssokey makes (sign-in,
//! listing, role credentials, the console's sign-in token) goes through a
//! forwarding proxy from Debian (tinyproxy, which logs each `CONNECT`), and
//! `NO_PROXY` bypasses it, and so does the lookup of a start URL on a
//! company's own domain; behind a TLS-inspecting proxy (mitmproxy, from
//! PyPI, with its own CA) nothing works until that CA is trusted through
//! `AWS_CA_BUNDLE` or `ca_bundle`, and then the daily flow does. The
//! emulator sits behind TLS terminators (socat, one per service, so that the
//! proxy's log says which service a tunnel was for), and the stand-in
//! browser reaches it directly.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use crate::harness::{TestEnv, config, wait_until};
use crate::tls::{Terminator, make_certificates};

const ACCOUNT: &str = "100000000001";
/// The proxy's user name and password, which ssokey must send and never show.
const PROXY_USER: &str = "corp";
const PROXY_PASSWORD: &str = "pr0xy-s3cret";

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// tinyproxy in the foreground on a free loopback port, asking for a user
/// name and password and logging each connection; killed on drop.
struct Tinyproxy {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Tinyproxy {
    /// `upstream`: the port of a proxy on loopback that tinyproxy hands the
    /// made-up `.example.test` hosts to (mitmproxy, which answers them).
    fn start(dir: &Path, upstream: Option<u16>) -> Tinyproxy {
        let port = free_port();
        let upstream = upstream.map_or_else(String::new, |port| {
            format!("Upstream http 127.0.0.1:{port} \".example.test\"\n")
        });
        let log = dir.join("tinyproxy.log");
        let conf = dir.join("tinyproxy.conf");
        std::fs::write(
            &conf,
            format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogFile \"{}\"\nLogLevel Connect\n\
                 MaxClients 50\nAllow 127.0.0.1\nBasicAuth {PROXY_USER} {PROXY_PASSWORD}\n{upstream}",
                log.display()
            ),
        )
        .unwrap();
        let child = Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| {
                panic!("tinyproxy must be installed (.ci/run installs it): {err}")
            });
        let proxy = Tinyproxy { child, port, log };
        wait_until(Duration::from_secs(10), "tinyproxy to listen", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        proxy
    }

    /// The tunnels asked for so far, as `host:port`, in order.
    fn connects(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| {
                let rest = line.split_once("): CONNECT ")?.1;
                Some(rest.split_whitespace().next()?.to_owned())
            })
            .collect()
    }

    /// The proxy URL, with its user name and password.
    fn url(&self) -> String {
        format!(
            "http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{}",
            self.port
        )
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The emulator behind three TLS terminators (the OIDC service, the portal,
/// the sign-in service's federation endpoint), with the CA that signed them
/// in `dir/ca.pem`; the stand-in browser trusts that CA and uses no proxy
/// (its `.curlrc`), as a person's browser would reach the portal.
struct Tls {
    oidc: Terminator,
    portal: Terminator,
    signin: Terminator,
}

impl Tls {
    fn start(env: &mut TestEnv, dir: &Path) -> Tls {
        make_certificates(dir);
        let backend = env.emulator.addr();
        let tls = Tls {
            oidc: Terminator::start(dir, backend),
            portal: Terminator::start(dir, backend),
            signin: Terminator::start(dir, backend),
        };
        for (var, port) in [
            ("AWS_ENDPOINT_URL_SSO_OIDC", tls.oidc.port),
            ("AWS_ENDPOINT_URL_SSO", tls.portal.port),
            ("AWS_ENDPOINT_URL_SIGNIN", tls.signin.port),
        ] {
            env.set_env(var, &format!("https://127.0.0.1:{port}"));
        }
        std::fs::write(
            env.home.join(".curlrc"),
            format!(
                "noproxy = \"*\"\ncacert = \"{}\"\n",
                dir.join("ca.pem").display()
            ),
        )
        .unwrap();
        tls
    }
}

/// `doctor`'s verdict and detail of the check `name` (the first of that name).
fn doctor_check(env: &TestEnv, name: &str) -> (String, String) {
    let run = env.run(&["doctor", "--output", "json"]);
    let json = run.json();
    let check = json
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name} check\n{run}"));
    (
        check["verdict"].as_str().unwrap().to_owned(),
        check["detail"].as_str().unwrap().to_owned(),
    )
}

/// Runs `args`, which must succeed, and the tunnels it asked the proxy for.
fn tunnels_of(env: &TestEnv, proxy: &Tinyproxy, args: &[&str]) -> Vec<String> {
    let before = proxy.connects().len();
    let run = env.run(args);
    run.success();
    assert!(
        !run.stderr.contains(PROXY_PASSWORD) && !run.stdout.contains(PROXY_PASSWORD),
        "{run}"
    );
    proxy.connects()[before..].to_vec()
}

#[test]
fn every_call_goes_through_the_proxy_and_no_proxy_bypasses_it() {
    let mut env = TestEnv::with_config(config());
    let dir = env.root().join("net");
    std::fs::create_dir(&dir).unwrap();
    let tls = Tls::start(&mut env, &dir);
    env.set_env("SSL_CERT_FILE", &dir.join("ca.pem").display().to_string());
    // The company's domain, a made-up host that mitmproxy answers behind
    // tinyproxy, redirects to the portal.
    let hosts = serde_json::json!({
        "sso.example.test": {"status": 302, "location": PORTAL},
    });
    let mitm = Mitmproxy::start(&dir, &dir.join("ca.pem"), Some(&hosts));
    env.set_env("AWS_CA_BUNDLE", &mitm.ca().display().to_string());
    let proxy = Tinyproxy::start(&dir, Some(mitm.port));
    env.set_env("HTTPS_PROXY", &proxy.url());
    let oidc = format!("127.0.0.1:{}", tls.oidc.port);
    let portal = format!("127.0.0.1:{}", tls.portal.port);
    let signin = format!("127.0.0.1:{}", tls.signin.port);

    let login = [
        "login",
        "--start-url",
        crate::harness::START_URL,
        "--region",
        crate::harness::REGION,
        "-vv",
    ];
    let tunnels = tunnels_of(&env, &proxy, &login);
    assert!(tunnels.contains(&oidc), "sign-in: {tunnels:?}");
    assert!(tunnels.iter().all(|t| *t == oidc), "sign-in: {tunnels:?}");

    let tunnels = tunnels_of(&env, &proxy, &["list", "-vv"]);
    assert!(tunnels.contains(&portal), "listing: {tunnels:?}");

    let credentials = [
        "credential-process",
        "--account",
        ACCOUNT,
        "--role",
        "Admin",
        "--refresh",
    ];
    let tunnels = tunnels_of(&env, &proxy, &credentials);
    assert_eq!(tunnels, std::slice::from_ref(&portal), "role credentials");

    let console = [
        "console",
        "--account",
        ACCOUNT,
        "--role",
        "Admin",
        "--print",
    ];
    let tunnels = tunnels_of(&env, &proxy, &console);
    assert_eq!(tunnels, [signin], "console");

    // doctor shows the proxy, its password masked, and reaches both
    // services through it.
    let before = proxy.connects().len();
    let (verdict, detail) = doctor_check(&env, "proxy");
    assert_eq!(verdict, "ok");
    assert_eq!(
        detail,
        format!(
            "HTTPS_PROXY=http://{PROXY_USER}:***@127.0.0.1:{}",
            proxy.port
        )
    );
    let (verdict, detail) = doctor_check(&env, "network");
    assert_eq!(verdict, "ok", "{detail}");
    assert_eq!(
        detail,
        format!("'ssokey-test' reaches https://{oidc} and https://{portal}")
    );
    let tunnels = proxy.connects()[before..].to_vec();
    assert!(
        tunnels.contains(&oidc) && tunnels.contains(&portal),
        "doctor: {tunnels:?}"
    );

    // NO_PROXY, then no_proxy: straight to the services, the proxy unused.
    let calls = env.emulator.count(sso_emulator::Op::GetRoleCredentials);
    env.set_env("NO_PROXY", "localhost,127.0.0.1");
    assert_eq!(tunnels_of(&env, &proxy, &credentials), Vec::<String>::new());
    env.unset_env("NO_PROXY");
    env.set_env("no_proxy", "127.0.0.0/8");
    assert_eq!(tunnels_of(&env, &proxy, &console), Vec::<String>::new());
    assert_eq!(
        env.emulator.count(sso_emulator::Op::GetRoleCredentials),
        calls + 1
    );

    // The lookup of a start URL on a custom domain goes through the proxy
    // too (NO_PROXY still sends the sign-in itself straight to loopback).
    let vanity = ["login", "--start-url", "https://sso.example.test"];
    assert_eq!(tunnels_of(&env, &proxy, &vanity), ["sso.example.test:443"]);
    assert_eq!(mitm.requests_to("sso.example.test"), 1, "{}", mitm.log());
}

/// The `mitmdump` executable, installed once per test run if it is not
/// there yet (tests/setup-mitmproxy, which .ci/run calls).
fn mitmdump() -> &'static PathBuf {
    static MITMDUMP: OnceLock<PathBuf> = OnceLock::new();
    MITMDUMP.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let out = Command::new(root.join("tests/setup-mitmproxy"))
            .output()
            .expect("tests/setup-mitmproxy runs");
        assert!(
            out.status.success(),
            "tests/setup-mitmproxy could not install mitmproxy:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

/// mitmproxy (`mitmdump`) on a free loopback port, inspecting TLS with a CA
/// of its own (made in `confdir` at its first start) and trusting the
/// services' CA upstream; every request it sees is written to its log.
/// Killed on drop.
struct Mitmproxy {
    child: Child,
    port: u16,
    confdir: PathBuf,
    log: PathBuf,
}

impl Mitmproxy {
    /// `hosts`: the made-up hosts it answers itself (tests/mitm-hosts.py).
    fn start(dir: &Path, upstream_ca: &Path, hosts: Option<&serde_json::Value>) -> Mitmproxy {
        let port = free_port();
        let confdir = dir.join("mitmproxy");
        let log = dir.join("mitmproxy.log");
        let mut command = Command::new(mitmdump());
        command
            .args(["--listen-host", "127.0.0.1", "--listen-port"])
            .arg(port.to_string())
            .arg("--set")
            .arg(format!("confdir={}", confdir.display()))
            .arg("--set")
            .arg(format!(
                "ssl_verify_upstream_trusted_ca={}",
                upstream_ca.display()
            ))
            // Upstream only when a request comes: the test's made-up hosts
            // are answered by the addon, never looked up.
            .args(["--set", "connection_strategy=lazy"])
            .args(["--set", "flow_detail=1"])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null());
        if let Some(hosts) = hosts {
            let addon = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mitm-hosts.py");
            command
                .arg("-s")
                .arg(addon)
                .env("SSOKEY_TEST_HOSTS", hosts.to_string());
        }
        let child = command.spawn().unwrap();
        let proxy = Mitmproxy {
            child,
            port,
            confdir,
            log,
        };
        wait_until(Duration::from_mins(1), "mitmproxy to listen", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() && proxy.ca().is_file()
        });
        proxy
    }

    /// Its CA certificate, which a company hands its people.
    fn ca(&self) -> PathBuf {
        self.confdir.join("mitmproxy-ca-cert.pem")
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What it logged: one line per request it inspected.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The requests it saw for `host`.
    fn requests_to(&self, host: &str) -> usize {
        self.log()
            .lines()
            .filter(|line| line.contains(&format!(" https://{host}/")))
            .count()
    }
}

impl Drop for Mitmproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `args`, a `credential-process` that must succeed with the
/// credentials the emulator issued last.
fn fresh_credentials(env: &TestEnv, args: &[&str]) {
    let run = env.run(args);
    run.success();
    assert_eq!(
        run.json()["AccessKeyId"],
        env.emulator
            .last_role_credentials()
            .unwrap()
            .access_key_id
            .as_str(),
        "{run}"
    );
}

/// The daily flow, each command of which must succeed: a listing, role
/// credentials fetched anew, the console's sign-in URL.
fn daily_flow(env: &TestEnv, session: &[&str]) {
    let mut list = vec!["list"];
    list.extend(session);
    env.run(&list).success();
    let mut credentials = vec![
        "credential-process",
        "--account",
        ACCOUNT,
        "--role",
        "Admin",
        "--refresh",
    ];
    credentials.extend(session);
    fresh_credentials(env, &credentials);
    let mut console = vec![
        "console",
        "--account",
        ACCOUNT,
        "--role",
        "Admin",
        "--print",
    ];
    console.extend(session);
    let run = env.run(&console);
    run.success();
    assert!(run.stdout.contains("SigninToken="), "{run}");
}

#[test]
fn an_inspecting_proxy_works_once_its_ca_is_trusted_by_aws_ca_bundle_or_ca_bundle() {
    let mut env = TestEnv::with_config(config());
    let dir = env.root().join("net");
    std::fs::create_dir(&dir).unwrap();
    let _tls = Tls::start(&mut env, &dir);
    let mitm = Mitmproxy::start(&dir, &dir.join("ca.pem"), None);
    env.set_env("HTTPS_PROXY", &mitm.url());
    let ca = mitm.ca().display().to_string();

    // Its CA not trusted: the sign-in fails before anything is stored.
    env.login()
        .failure(1)
        .stderr_has("invalid peer certificate")
        .stderr_has("AWS_CA_BUNDLE");
    assert!(
        env.keychain_items().is_empty(),
        "{:?}",
        env.keychain_items()
    );

    // AWS_CA_BUNDLE: sign-in and the daily flow, each call seen by the proxy.
    env.set_env("AWS_CA_BUNDLE", &ca);
    env.login().success();
    daily_flow(&env, &[]);
    let log = mitm.log();
    for path in [
        "/client/register",
        "/token",
        "/assignment/accounts",
        "/federation/credentials",
        "/federation?Action=getSigninTok",
    ] {
        assert!(log.contains(path), "{path} not inspected:\n{log}");
    }

    // doctor names the bundle and reaches both services through the proxy;
    // without the bundle, it says they cannot be reached, and why.
    let (verdict, detail) = doctor_check(&env, "ca-bundle");
    assert_eq!(
        (verdict.as_str(), detail),
        (
            "ok",
            format!("{ca} (AWS_CA_BUNDLE), and the system's certificate store")
        )
    );
    assert_eq!(doctor_check(&env, "network").0, "ok");
    env.unset_env("AWS_CA_BUNDLE");
    let (verdict, detail) = doctor_check(&env, "network");
    assert_eq!(verdict, "fail");
    assert!(detail.contains("invalid peer certificate"), "{detail}");

    // ca_bundle of the default profile instead.
    env.write_config(&format!("[default]\nca_bundle = {ca}\n"));
    daily_flow(&env, &[]);

    // ca_bundle of the profile that --profile names: the run's profile, as
    // in botocore, for the portal's call and for the console's.
    env.write_config(&format!(
        "[profile work]\nssokey_session = ssokey-test\nssokey_account_id = {ACCOUNT}\n\
         ssokey_role_name = Admin\nregion = us-east-1\nca_bundle = {ca}\n"
    ));
    fresh_credentials(
        &env,
        &["credential-process", "--profile", "work", "--refresh"],
    );
    let run = env.run(&["console", "--profile", "work", "--print"]);
    run.success();
    assert!(run.stdout.contains("SigninToken="), "{run}");

    // ca_bundle of an [sso-session] section: its sign-in and daily flow.
    env.write_config(&format!(
        "[sso-session corp]\nsso_start_url = https://corp-test.awsapps.com/start\n\
         sso_region = us-east-1\nca_bundle = {ca}\n"
    ));
    env.run(&["login", "--session", "corp"]).success();
    daily_flow(&env, &["--session", "corp"]);

    // Without it again: refused, and a bundle that is not one stops the run.
    env.write_config("[sso-session corp]\nsso_start_url = https://corp-test.awsapps.com/start\nsso_region = us-east-1\n");
    env.run(&["list", "--session", "corp", "--refresh"])
        .failure(1)
        .stderr_has("invalid peer certificate");
    env.set_env("AWS_CA_BUNDLE", &dir.join("leaf.key").display().to_string());
    env.run(&["list", "--session", "corp", "--refresh"])
        .failure(2)
        .stderr_has("holds no certificate")
        .stderr_has("hint: point AWS_CA_BUNDLE");
}

/// The AWS portal that the made-up company domain redirects to: its host
/// names the region, eu-central-1, which no command line gives.
const PORTAL: &str = "https://ssoins-7223abcd12345678.portal.eu-central-1.app.aws";

#[test]
fn a_vanity_domain_is_looked_up_once_through_the_proxy_and_must_end_on_an_aws_portal() {
    let mut env = TestEnv::with_config(config());
    let dir = env.root().join("net");
    std::fs::create_dir(&dir).unwrap();
    let _tls = Tls::start(&mut env, &dir);
    let hosts = serde_json::json!({
        "sso.example.test": {"status": 302, "location": format!("{PORTAL}/start?from=vanity")},
        "nohead.example.test": {"status": 302, "head": 405, "location": PORTAL},
        "away.example.test": {"status": 302, "location": "https://login.example.net/idp"},
        "twice.example.test": {"status": 301, "location": "https://sso.example.test/"},
        "plain.example.test": {"status": 302, "location": PORTAL.replace("https:", "http:")},
        "here.example.test": {"status": 200},
    });
    let mitm = Mitmproxy::start(&dir, &dir.join("ca.pem"), Some(&hosts));
    env.set_env("HTTPS_PROXY", &mitm.url());
    env.set_env("AWS_CA_BUNDLE", &mitm.ca().display().to_string());

    // One HEAD through the proxy; the session keeps the typed URL's name and
    // takes the region from the portal's host.
    let login = |url: &str| env.run(&["login", "--start-url", url]);
    login("https://sso.example.test")
        .success()
        .stderr_has(&format!(
            "leads to the AWS access portal {PORTAL} (eu-central-1)"
        ));
    assert_eq!(mitm.requests_to("sso.example.test"), 1, "{}", mitm.log());
    let status = env.run(&["status", "--output", "json"]).success().json();
    let row = &status.as_array().unwrap()[0];
    assert_eq!(row["session"], "sso.example.test", "{status}");
    assert_eq!(row["region"], "eu-central-1", "{status}");
    // The portal's URL is what the sign-in service is given.
    assert_eq!(env.emulator.last_start_url().as_deref(), Some(PORTAL));
    let sessions = std::fs::read_to_string(env.home.join(".config/ssokey/sessions.json")).unwrap();
    assert!(
        sessions.contains("\"https://sso.example.test\""),
        "{sessions}"
    );

    // Later runs make no request to the company's domain.
    login("https://sso.example.test").success();
    daily_flow(&env, &["--session", "sso.example.test"]);
    assert_eq!(mitm.requests_to("sso.example.test"), 1, "{}", mitm.log());

    // A server that refuses HEAD is asked with GET.
    login("https://nohead.example.test").success();
    let log = mitm.log();
    assert!(log.contains("HEAD https://nohead.example.test/"), "{log}");
    assert!(log.contains("GET https://nohead.example.test/"), "{log}");

    // With --region too, the URL is looked up, as the AWS CLI does: the
    // region given does not make a company's page a portal.
    env.run(&[
        "login",
        "--start-url",
        "https://here.example.test",
        "--region",
        "us-east-1",
    ])
    .failure(2)
    .stderr_has("it ends at https://here.example.test, which is not a host of AWS");
    assert_eq!(mitm.requests_to("here.example.test"), 1, "{}", mitm.log());
    // And a portal that the lookup finds keeps its host's region.
    env.run(&[
        "login",
        "--start-url",
        "https://sso.example.test",
        "--region",
        "us-east-1",
    ])
    .failure(2)
    .stderr_has("eu-central-1");

    // Refused, each naming where it ended, before any sign-in.
    let registered = env.emulator.count(sso_emulator::Op::RegisterClient);
    for (url, says) in [
        (
            "https://away.example.test",
            "it ends at https://login.example.net/idp, which is not a host of AWS",
        ),
        // One redirect only: the second host is never asked.
        (
            "https://twice.example.test",
            "it ends at https://sso.example.test, which is not a host of AWS",
        ),
        ("https://plain.example.test", "which is not https"),
        (
            "https://here.example.test",
            "it ends at https://here.example.test, which is not a host of AWS",
        ),
    ] {
        let run = login(url);
        run.failure(2)
            .stderr_has(says)
            .stderr_has("hint: use the URL of your AWS access portal");
        assert!(run.stdout.is_empty(), "{run}");
    }
    assert_eq!(mitm.requests_to("sso.example.test"), 1, "{}", mitm.log());
    assert_eq!(mitm.requests_to("login.example.net"), 0, "{}", mitm.log());
    assert_eq!(
        env.emulator.count(sso_emulator::Op::RegisterClient),
        registered
    );
}

#[test]
fn http_proxy_carries_plain_http_and_all_proxy_stands_in_for_https_proxy() {
    let mut env = TestEnv::with_config(config());
    let dir = env.root().join("net");
    std::fs::create_dir(&dir).unwrap();
    let proxy = Tinyproxy::start(&dir, None);
    let requests = || {
        std::fs::read_to_string(&proxy.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| Some(line.split_once("): ")?.1.to_owned()))
            .filter(|request| !request.starts_with("CONNECT") && request.contains(" http://"))
            .collect::<Vec<_>>()
    };

    // The emulator over plain http on loopback: HTTP_PROXY carries it, with
    // the proxy's password, which never shows.
    env.set_env("HTTP_PROXY", &proxy.url());
    let run = env.login();
    run.success();
    assert!(!run.stderr.contains(PROXY_PASSWORD), "{run}");
    let emulator = env.emulator.url();
    let seen = requests();
    assert!(
        seen.iter()
            .any(|r| r.starts_with(&format!("POST {emulator}/token "))),
        "{seen:?}"
    );

    // Over https, with HTTPS_PROXY unset: ALL_PROXY.
    env.unset_env("HTTP_PROXY");
    let tls = Tls::start(&mut env, &dir);
    env.set_env("SSL_CERT_FILE", &dir.join("ca.pem").display().to_string());
    env.set_env("all_proxy", &proxy.url());
    let credentials = [
        "credential-process",
        "--account",
        ACCOUNT,
        "--role",
        "Admin",
        "--refresh",
    ];
    assert_eq!(
        tunnels_of(&env, &proxy, &credentials),
        [format!("127.0.0.1:{}", tls.portal.port)]
    );
}

/// The first run on a terminal: a start URL on the company's domain is
/// looked up (through the proxy) instead of asking for the region.
#[test]
fn the_first_run_looks_up_a_vanity_domain_instead_of_asking_the_region() {
    let mut env = TestEnv::with_config(config());
    let dir = env.root().join("net");
    std::fs::create_dir(&dir).unwrap();
    let _tls = Tls::start(&mut env, &dir);
    let hosts = serde_json::json!({
        "sso.example.test": {"status": 302, "location": PORTAL},
    });
    let mitm = Mitmproxy::start(&dir, &dir.join("ca.pem"), Some(&hosts));
    env.set_env("HTTPS_PROXY", &mitm.url());
    env.set_env("AWS_CA_BUNDLE", &mitm.ca().display().to_string());
    let term = crate::terminal::Tmux::start(&env);
    term.wait_for("bash-");
    let out = env.root().join("out");
    term.type_text(
        &format!("ssokey login > '{}'; echo \"status=$?\"", out.display()),
        true,
    );
    term.wait_for("Start URL:");
    term.type_text("https://sso.example.test", true);
    let screen = term.wait_for("Write it? [Y/n]");
    assert!(!screen.contains("Region:"), "{screen}");
    assert!(screen.contains("+sso_region = eu-central-1"), "{screen}");
    term.type_text("n", true);
    let mut screen = String::new();
    wait_until(Duration::from_secs(20), "the login to end", || {
        screen = term.screen();
        screen.lines().any(|line| line.starts_with("status="))
    });
    assert!(screen.lines().any(|line| line == "status=0"), "{screen}");
    assert_eq!(env.emulator.last_start_url().as_deref(), Some(PORTAL));
    assert_eq!(mitm.requests_to("sso.example.test"), 1, "{}", mitm.log());
}

/// The STS hosts that the proxy answers for the test below.
const STS_HOSTS: [&str; 6] = [
    "sts.us-east-1.amazonaws.com",
    "sts.eu-west-1.amazonaws.com",
    "sts.ap-east-1.amazonaws.com",
    "sts-fips.us-east-1.amazonaws.com",
    "sts.us-east-1.api.aws",
    "sts.amazonaws.com",
];

/// A role chain's STS calls go to the endpoint botocore picks for them: the
/// region of the profile, else `AWS_REGION`, else the session's; FIPS and
/// dual-stack; the global endpoint for `sts_regional_endpoints = legacy` in
/// botocore's legacy regions. The calls go through the inspecting proxy,
/// which answers each STS host itself (403), so that nothing leaves the
/// machine and its log says which host was asked.
#[test]
fn a_role_chains_sts_calls_go_to_the_endpoint_botocore_picks() {
    const DEPLOY: &str = "arn:aws:iam::222233334444:role/Deploy";
    let mut env = TestEnv::with_config(config());
    let dir = env.root().join("net");
    std::fs::create_dir(&dir).unwrap();
    let hosts = STS_HOSTS;
    let answers: serde_json::Map<String, serde_json::Value> = hosts
        .iter()
        .map(|host| ((*host).to_owned(), serde_json::json!({"status": 403})))
        .collect();
    let mitm = Mitmproxy::start(
        &dir,
        Path::new("/etc/ssl/certs/ca-certificates.crt"),
        Some(&serde_json::Value::Object(answers)),
    );
    env.login().success();
    // The Identity Center role's credentials, cached: the runs below need
    // no portal, only STS.
    env.run(&[
        "credential-process",
        "--account",
        ACCOUNT,
        "--role",
        "Admin",
    ])
    .success();
    env.write_config(&format!(
        "[profile base]\nssokey_session = ssokey-test\nssokey_account_id = {ACCOUNT}\n\
         ssokey_role_name = Admin\n\n\
         [profile deploy]\nrole_arn = {DEPLOY}\nsource_profile = base\n\
         role_session_name = jane\nregion = eu-west-1\n\n\
         [profile deploy-legacy]\nrole_arn = {DEPLOY}\nsource_profile = base\n\
         role_session_name = jane\nregion = eu-west-1\nsts_regional_endpoints = legacy\n"
    ));
    env.set_env("HTTPS_PROXY", &mitm.url());
    env.set_env("AWS_CA_BUNDLE", &mitm.ca().display().to_string());
    // The SDK's defaults, not the emulator, for every service.
    env.set_env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
    let flags = [
        "credential-process",
        "--account",
        ACCOUNT,
        "--role",
        "Admin",
        "--assume-role",
        DEPLOY,
        "--role-session-name",
        "jane",
    ];
    let profile = |name: &'static str| vec!["credential-process", "--profile", name];
    let cases: [StsCase; 8] = [
        (&[], flags.to_vec(), "sts.us-east-1.amazonaws.com"),
        (
            &[("AWS_REGION", "ap-east-1")],
            flags.to_vec(),
            "sts.ap-east-1.amazonaws.com",
        ),
        (
            &[("AWS_REGION", "ap-east-1")],
            profile("deploy"),
            "sts.eu-west-1.amazonaws.com",
        ),
        (
            &[("AWS_USE_FIPS_ENDPOINT", "true")],
            flags.to_vec(),
            "sts-fips.us-east-1.amazonaws.com",
        ),
        (
            &[("AWS_USE_DUALSTACK_ENDPOINT", "true")],
            flags.to_vec(),
            "sts.us-east-1.api.aws",
        ),
        (
            &[("AWS_STS_REGIONAL_ENDPOINTS", "legacy")],
            flags.to_vec(),
            "sts.amazonaws.com",
        ),
        (
            &[
                ("AWS_STS_REGIONAL_ENDPOINTS", "legacy"),
                ("AWS_REGION", "ap-east-1"),
            ],
            flags.to_vec(),
            "sts.ap-east-1.amazonaws.com",
        ),
        (&[], profile("deploy-legacy"), "sts.amazonaws.com"),
    ];
    for (vars, args, host) in cases {
        for (key, value) in vars {
            env.set_env(key, value);
        }
        assert_eq!(
            hosts_asked(&env, &mitm, &hosts, &args),
            [host],
            "{vars:?} {args:?}\n{}",
            mitm.log()
        );
        for (key, _) in vars {
            env.unset_env(key);
        }
    }
}

/// An environment to set, a command line, and the STS host it must ask.
type StsCase<'a> = (&'a [(&'a str, &'a str)], Vec<&'a str>, &'a str);

/// Runs `args`, which STS's 403 must fail with nothing on stdout, and which
/// of `hosts` it asked through `mitm`.
fn hosts_asked<'a>(
    env: &TestEnv,
    mitm: &Mitmproxy,
    hosts: &[&'a str],
    args: &[&str],
) -> Vec<&'a str> {
    let asked: Vec<usize> = hosts.iter().map(|h| mitm.requests_to(h)).collect();
    let run = env.run(args);
    run.failure(1);
    assert_eq!(run.stdout, "", "{run}");
    hosts
        .iter()
        .zip(asked)
        .filter(|(host, before)| mitm.requests_to(host) > *before)
        .map(|(host, _)| *host)
        .collect()
}
