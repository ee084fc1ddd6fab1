//! `ssokey status`: every known session, in a table or as JSON.

use crate::harness::{REGION, START_URL, TestEnv};

#[test]
fn status_lists_every_session_with_its_state() {
    let env = TestEnv::new();
    env.write_config(
        "[sso-session other]\nsso_start_url = https://other.awsapps.com/start\nsso_region = eu-west-1\n",
    );
    env.login().success();
    let json = env.run(&["status", "--output", "json"]).success().json();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["session"], "other");
    assert_eq!(rows[0]["signedIn"], false);
    assert_eq!(rows[0]["state"], "signed-out");
    assert_eq!(rows[0]["expiresAt"], serde_json::Value::Null);
    assert_eq!(rows[1]["session"], "ssokey-test");
    assert_eq!(rows[1]["startUrl"], START_URL);
    assert_eq!(rows[1]["region"], REGION);
    assert_eq!(rows[1]["signedIn"], true);
    assert_eq!(rows[1]["lastUsed"], true);
    let expires = rows[1]["expiresAt"].as_str().unwrap();
    assert!(expires.ends_with('Z') && expires.len() == 20, "{expires}");

    let table = env.run(&["status"]);
    table.success();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("SESSION"));
    assert!(
        lines[1].starts_with("other ") && lines[1].ends_with("signed out"),
        "{table}"
    );
    assert!(
        lines[2].starts_with("ssokey-test *")
            && lines[2].contains(" browser ")
            && lines[2].contains("signed in, token renews in "),
        "{table}"
    );
}

#[test]
fn status_with_nothing_known_says_how_to_start() {
    let env = TestEnv::new();
    let run = env.run(&["status"]);
    run.success().stderr_has("ssokey login --start-url");
    assert_eq!(run.stdout, "");
    assert_eq!(
        env.run(&["status", "--output", "json"]).success().stdout,
        "[]\n"
    );
}
