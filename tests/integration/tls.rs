//! The real HTTPS path: the emulator behind a TLS terminator (socat, with a
//! certificate from a throwaway CA that openssl makes), reached through the
//! SDK's default HTTPS client. A CA that the machine does not trust is
//! refused; one named by SSL_CERT_FILE, as a company's proxy CA would be, is
//! used.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::harness::{TestEnv, config, wait_until};

const TARGET: [&str; 5] = [
    "credential-process",
    "--account",
    "100000000001",
    "--role",
    "Admin",
];

/// Runs `openssl` with `args` (split at spaces) in `dir`; it must succeed.
fn openssl(dir: &Path, args: &str) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args.split_whitespace())
        .output()
        .unwrap_or_else(|err| panic!("openssl must be installed (.ci/run installs it): {err}"));
    assert!(out.status.success(), "openssl {args}: {out:?}");
}

/// A CA (ca.pem) and a certificate for 127.0.0.1 that it signed (leaf.pem,
/// leaf.key), in `dir`.
pub fn make_certificates(dir: &Path) {
    openssl(
        dir,
        "req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ssokey-test-CA \
         -keyout ca.key -out ca.pem -addext basicConstraints=critical,CA:TRUE \
         -addext keyUsage=critical,keyCertSign",
    );
    openssl(
        dir,
        "req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout leaf.key -out leaf.csr",
    );
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
         -extfile leaf.ext -out leaf.pem",
    );
}

/// socat terminating TLS on a free loopback port and passing the plain
/// stream to the emulator; killed on drop.
pub struct Terminator {
    child: Child,
    pub port: u16,
}

impl Terminator {
    pub fn start(dir: &Path, backend: std::net::SocketAddr) -> Terminator {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("socat")
            .current_dir(dir)
            .arg(format!(
                "OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,cert=leaf.pem,key=leaf.key,verify=0"
            ))
            .arg(format!("TCP:{backend}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("socat must be installed (.ci/run installs it): {err}"));
        wait_until(Duration::from_secs(10), "socat to listen", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Terminator { child, port }
    }
}

impl Drop for Terminator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn https_with_a_trusted_ca_works_and_an_untrusted_one_is_refused() {
    let mut env = TestEnv::with_config(config());
    let dir = env.root().join("tls");
    std::fs::create_dir(&dir).unwrap();
    make_certificates(&dir);
    let tls = Terminator::start(&dir, env.emulator.addr());
    let endpoint = format!("https://127.0.0.1:{}", tls.port);
    for var in ["AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL_SSO_OIDC"] {
        env.set_env(var, &endpoint);
    }

    // Not trusted: the sign-in fails before anything is sent or stored.
    let refused = env.login();
    refused
        .failure(1)
        .stderr_has("invalid peer certificate")
        .stderr_has("hint: the service's TLS certificate is not trusted")
        .stderr_has("SSL_CERT_FILE");
    assert!(
        env.keychain_items().is_empty(),
        "{:?}",
        env.keychain_items()
    );

    // The CA named by SSL_CERT_FILE: sign-in, then credentials, over TLS.
    env.set_env("SSL_CERT_FILE", &dir.join("ca.pem").display().to_string());
    env.login().success();
    let run = env.run(&TARGET);
    run.success();
    assert_eq!(
        run.json()["AccessKeyId"],
        env.emulator
            .last_role_credentials()
            .unwrap()
            .access_key_id
            .as_str()
    );
}

/// A host that is not loopback (TEST-NET-1, which nothing answers): no
/// request may ever be sent to it, since every refusal below comes first.
const PLAIN_HTTP: &str = "http://192.0.2.2:8080";

/// Plain http to a host that is not loopback (a LocalStack habit) is refused
/// before any request, for the OIDC service, the portal and the console's
/// sign-in endpoint: the sign-in's secrets, the role credentials and the
/// console's session key would cross the network in clear text. Each run
/// fails at once, with the variable to fix, and no hint to try again the
/// same way.
#[test]
fn plain_http_to_a_host_that_is_not_loopback_is_refused_before_any_request() {
    let mut env = TestEnv::new();
    env.login().success();
    // Cached credentials for the console, from the emulator.
    env.run(&TARGET).success();
    let calls = env.emulator.count(sso_emulator::Op::GetRoleCredentials);

    // The console, its credentials cached: the sign-in endpoint alone.
    env.set_env("AWS_ENDPOINT_URL_SIGNIN", PLAIN_HTTP);
    let console = [
        "console",
        "--account",
        "100000000001",
        "--role",
        "Admin",
        "--print",
    ];
    let mut runs = vec![("console", env.run_within(Duration::from_secs(5), &console))];

    // Every endpoint: the sign-in, a fetch, and the console that needs one.
    for name in [
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SSO",
        "AWS_ENDPOINT_URL_SSO_OIDC",
    ] {
        env.set_env(name, PLAIN_HTTP);
    }
    let login = [
        "login",
        "--start-url",
        crate::harness::START_URL,
        "--region",
        "us-east-1",
        "--force",
    ];
    runs.push(("login", env.run_within(Duration::from_secs(5), &login)));
    let mut refresh = TARGET.to_vec();
    refresh.push("--refresh");
    runs.push((
        "credential-process",
        env.run_within(Duration::from_secs(5), &refresh),
    ));
    let mut fresh_console = console.to_vec();
    fresh_console.push("--refresh");
    runs.push((
        "console --refresh",
        env.run_within(Duration::from_secs(5), &fresh_console),
    ));
    for (what, run) in &runs {
        run.failure(2);
        assert!(
            run.stderr.contains("http://192.0.2.2:8080")
                && run
                    .stderr
                    .contains("plain http to a host that is not loopback"),
            "{what}\n{run}"
        );
        assert!(run.stderr.contains("hint: use https"), "{what}\n{run}");
        assert!(!run.stderr.contains("--refresh"), "{what}\n{run}");
    }
    assert_eq!(
        env.emulator.count(sso_emulator::Op::GetRoleCredentials),
        calls
    );
}
