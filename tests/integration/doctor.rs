//! `ssokey doctor`: every check passes in a working set-up, and each broken
//! part is named with its fix.

use crate::harness::{TestEnv, config};

/// The verdict of each check, in order, from `doctor --output json`.
fn verdicts(json: &serde_json::Value) -> Vec<(String, String)> {
    json.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["check"].as_str().unwrap().to_owned(),
                c["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// ssokey's directory first on the PATH, as an installed ssokey would be.
fn with_ssokey_on_path(env: &mut TestEnv) {
    let dir = std::path::Path::new(env!("CARGO_BIN_EXE_ssokey"))
        .parent()
        .unwrap()
        .display()
        .to_string();
    let path = format!("{dir}:{}", std::env::var("PATH").unwrap_or_default());
    env.set_env("PATH", &path);
    env.set_env("DISPLAY", ":0");
}

#[test]
fn a_working_setup_passes_every_check() {
    let mut env = TestEnv::with_config(config());
    with_ssokey_on_path(&mut env);
    env.login().success();
    env.run(&["profiles", "--write"]).success();
    let run = env.run(&["doctor", "--output", "json"]);
    run.success();
    assert_eq!(
        verdicts(&run.json()),
        pairs(&[
            ("config", "ok"),
            ("d-bus", "ok"),
            ("keychain", "ok"),
            ("browser", "ok"),
            ("clock", "ok"),
            ("path", "ok"),
            ("proxy", "ok"),
            ("ca-bundle", "ok"),
            ("network", "ok"),
        ]),
        "{run}"
    );
    let path = &run.json()[5]["detail"];
    assert!(
        path.as_str()
            .unwrap()
            .ends_with("and the one 4 profile(s) run"),
        "{path}"
    );
    // The probe leaves nothing behind.
    assert!(
        env.keychain_items()
            .iter()
            .all(|(user, _)| !user.contains("doctor")),
        "{:?}",
        env.keychain_items()
    );
    let table = env.run(&["doctor"]);
    table.success();
    assert!(table.stdout.starts_with("ok    config    "), "{table}");
}

#[test]
fn each_broken_part_is_named_with_its_fix() {
    let mut env = TestEnv::with_config(sso_emulator::Config {
        clock_offset_secs: 600,
        ..config()
    });
    env.login().success();
    env.write_config("[profile broken\nregion = x\n");
    env.set_env("BROWSER", "no-such-browser-program");
    env.set_env("SSOKEY_KEYCHAIN", "secret-service");
    env.stop_keyring();
    // A proxy that does not answer (https only: the emulator is reached
    // over plain http, so the clock and the network are still checked).
    env.set_env("HTTPS_PROXY", "http://corp:pr0xy-s3cret@127.0.0.1:1");
    let run = env.run(&["doctor", "--output", "json"]);
    assert_eq!(run.code, Some(1), "{run}");
    let json = run.json();
    assert_eq!(
        verdicts(&json),
        pairs(&[
            ("config", "fail"),
            ("d-bus", "fail"),
            ("keychain", "fail"),
            ("browser", "fail"),
            ("clock", "fail"),
            ("path", "warn"),
            ("proxy", "fail"),
            ("ca-bundle", "ok"),
            ("network", "ok"),
        ]),
        "{run}"
    );
    // Every check that is not ok says its fix; an ok one says none.
    for check in json.as_array().unwrap() {
        assert_eq!(
            check["fix"].is_string(),
            check["verdict"] != "ok",
            "{check}"
        );
    }
    assert_eq!(
        json[6]["detail"].as_str().unwrap(),
        "HTTPS_PROXY=http://corp:***@127.0.0.1:1 does not answer: Connection refused (os error 111)",
    );
    assert!(!run.stdout.contains("pr0xy-s3cret") && !run.stderr.contains("pr0xy-s3cret"));
    let clock = json[4]["detail"].as_str().unwrap();
    assert!(
        clock.ends_with("behind the portal of 'ssokey-test'"),
        "{clock}"
    );
    let skew: i64 = clock.split('s').next().unwrap().parse().unwrap();
    assert!((599..=601).contains(&skew), "{clock}");
}

/// A bus address where nothing answers (left from an old session) is not
/// "ok d-bus"; the bus library's words stay for -v.
#[test]
fn a_dead_bus_address_is_not_ok() {
    let mut env = TestEnv::with_config(config());
    let dead = env.root().join("no-such-bus");
    env.set_env(
        "DBUS_SESSION_BUS_ADDRESS",
        &format!("unix:path={}", dead.display()),
    );
    let run = env.run(&["doctor", "--output", "json"]);
    let json = run.json();
    let dbus = json
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "d-bus")
        .unwrap();
    assert_ne!(dbus["verdict"], "ok", "{run}");
    assert_eq!(
        dbus["detail"].as_str().unwrap(),
        format!(
            "nothing answers at the session bus address unix:path={}; the kernel keyring keeps the tokens",
            dead.display()
        ),
        "{run}"
    );
    assert!(
        dbus["fix"]
            .as_str()
            .unwrap()
            .contains("unset DBUS_SESSION_BUS_ADDRESS")
    );
    let table = env.run(&["doctor"]);
    assert!(!table.stdout.contains("zbus"), "{table}");
    env.run(&["doctor", "-v"])
        .stderr_has("the D-Bus session bus does not answer");
}
