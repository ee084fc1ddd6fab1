//! Browsers: ssokey starts the one that BROWSER names, else the system's
//! opener, and hands it a private page (0600, in the user's runtime dir)
//! that sends it on, never the address: a sign-in's `state`, a device
//! code's verification address and the console's sign-in token stay off
//! every command line, where any local user could read them. The harness's
//! stand-ins for the machine's browsers fail any test that starts one.

use std::time::Duration;

use crate::harness::{FOLLOW_PAGE, Run, START_URL, TestEnv, config};

/// A browser script that takes `delay` to start (so that a spy has time),
/// then tries to read the page as another user, then approves as the
/// harness's browser does, as a browser does: with no address on a command
/// line (curl reads it from stdin).
fn slow_browser(env: &TestEnv, delay: &str) -> String {
    let root = env.root().display().to_string();
    let path = env.root().join("slow-browser");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\necho \"$1\" >> '{root}/slow-args'\n\
             setpriv --reuid=65534 --regid=65534 --clear-groups cat \"${{1#file://}}\" >/dev/null 2>&1 \
             && echo readable >> '{root}/attacker' || echo refused >> '{root}/attacker'\n\
             sleep {delay}\n{FOLLOW_PAGE}echo \"$url\" >> '{root}/slow-runs'\n\
             (printf 'url = \"%s\"\\n' \"$url\" | curl -fsSL -o /dev/null -K -) >/dev/null 2>&1 &\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path.display().to_string()
}

/// Another user (uid 65534) reading every command line on the machine, as
/// often as it can, until stopped.
struct Spy {
    child: std::process::Child,
    out: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Spy {
    fn start() -> Spy {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let out = dir.path().join("spy.txt");
        let script = format!(
            "while :; do for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < \"$f\" 2>/dev/null; echo; done >> '{}'; done",
            out.display()
        );
        let child = TestEnv::as_user(65534, &script).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        Spy {
            child,
            out,
            _dir: dir,
        }
    }

    /// Stops it; what it read.
    fn seen(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(&self.out).unwrap()
    }
}

impl Drop for Spy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_browser_gets_a_private_page_and_never_the_address() {
    let env = TestEnv::new();
    env.login().success();
    let given = env.browser_args();
    let followed = env.browser_runs();
    assert_eq!(given.len(), 1, "{given:?}");
    assert!(given[0].starts_with("file://"), "{given:?}");
    assert!(!given[0].contains("state="), "{given:?}");
    // The page sent the browser to the sign-in page, state and all.
    assert!(followed[0].contains("state="), "{followed:?}");
    // Gone once the sign-in is over.
    assert!(!std::path::Path::new(given[0].trim_start_matches("file://")).exists());
    // In ssokey's directory of the runtime dir, which is the user's alone.
    assert!(
        given[0].contains(&format!("{}/run/ssokey/page-", env.root().display())),
        "{given:?}"
    );
}

#[test]
fn another_user_reads_neither_a_sign_in_nor_a_console_address() {
    let mut env = TestEnv::new();
    let browser = slow_browser(&env, "2");
    env.set_env("BROWSER", &browser);
    let spy = Spy::start();
    env.login().success();
    // Signed in already: the device-code sign-in is forced.
    env.run(&["login", "--device-code", "--force"]).success();
    env.set_env("AWS_ENDPOINT_URL_SIGNIN", &env.emulator.url());
    let console = env.run(&[
        "console",
        "--account",
        &config().accounts[0].id,
        "--role",
        "Admin",
    ]);
    console.success();
    let seen = spy.seen();
    assert!(seen.contains("slow-browser"), "the spy saw the browser run");
    // What this test's browser was sent to: the sign-in page (its state and
    // challenge), the device page (its user code), the console (its token).
    // Other tests, running meanwhile, put addresses of their own on command
    // lines: only this test's values count.
    let followed = std::fs::read_to_string(env.root().join("slow-runs")).unwrap();
    let mut secrets: Vec<String> = followed
        .split(['?', '&', '\n'])
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| ["state", "code_challenge", "user_code"].contains(name))
        .map(|(_, value)| value.to_owned())
        .collect();
    secrets.extend(env.emulator.signin_tokens().into_iter().map(|t| t.token));
    assert_eq!(secrets.len(), 4, "{followed}");
    for secret in &secrets {
        assert!(
            !seen.contains(secret.as_str()),
            "another user read {secret}"
        );
    }
    let attacker = std::fs::read_to_string(env.root().join("attacker")).unwrap();
    assert!(!attacker.contains("readable"), "{attacker}");
    assert_eq!(attacker.lines().count(), 3, "{attacker}");
}

#[test]
fn browser_is_the_only_browser_and_takes_percent_s() {
    let mut env = TestEnv::new();
    // A BROWSER whose first entry fails: the second is tried, nothing else.
    let record = env.root().join("record-browser").display().to_string();
    env.set_env(
        "BROWSER",
        &format!(
            "{}/no-such-browser:{record} --new-tab=%s --flag",
            env.root().display()
        ),
    );
    let args = [
        "login",
        "--start-url",
        START_URL,
        "--region",
        crate::harness::REGION,
        "--device-code",
    ];
    let child = env.spawn(&args);
    let code = env
        .emulator
        .wait_for_user_code(Duration::from_secs(20))
        .unwrap();
    env.emulator.approve(&code);
    Run::from_child(child, &args).success();
    let given = env.browser_args();
    assert_eq!(given.len(), 1, "{given:?}");
    assert!(given[0].starts_with("--new-tab=file://"), "{given:?}");
    // Only BROWSER's entries, which all fail: an error, no fallback.
    env.set_env("BROWSER", "/no/such/browser:false");
    env.set_env("AWS_ENDPOINT_URL_SIGNIN", &env.emulator.url());
    env.run(&[
        "console",
        "--account",
        &config().accounts[0].id,
        "--role",
        "Admin",
    ])
    .failure(1)
    .stderr_has("could not open a browser");
    assert!(env.decoy_runs().is_empty(), "{:?}", env.decoy_runs());
}
