//! Company networks, with real parts: every call ssokey makes (sign-in,
//! listing, role credentials, the console's sign-in token) goes through a
//! forwarding proxy from Debian (tinyproxy, which logs each `CONNECT`), and
//! `NO_PROXY` bypasses it. The emulator sits behind TLS terminators (socat,
//! one per service, so that the proxy's log says which service a tunnel was
//! for), and the stand-in browser reaches it directly.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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
    fn start(dir: &Path) -> Tinyproxy {
        let port = free_port();
        let log = dir.join("tinyproxy.log");
        let conf = dir.join("tinyproxy.conf");
        std::fs::write(
            &conf,
            format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogFile \"{}\"\nLogLevel Connect\n\
                 MaxClients 50\nAllow 127.0.0.1\nBasicAuth {PROXY_USER} {PROXY_PASSWORD}\n",
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
    let proxy = Tinyproxy::start(&dir);
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
    assert_eq!(tunnels, [portal], "role credentials");

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
}
