//! Issue #14: a config file that the AWS CLI reads (here with a nested
//! `[services]` block that holds an indented comment) works with every
//! command, and `profiles --write` keeps it byte for byte.

use pretty_assertions::assert_eq;

use crate::harness::{REGION, START_URL, TestEnv, config};

const ACCOUNT: &str = "100000000002";

/// The user's file from the issue, with the sso-session that ssokey uses.
fn issue_config() -> String {
    format!(
        "[services local]\nsts =\n  endpoint_url = http://localhost:4566\n  # the S3 one is off for now\n\
         s3 =\n  addressing_style = path\n\n\
         [sso-session work]\nsso_start_url = {START_URL}\nsso_region = {REGION}\n"
    )
}

#[test]
fn a_nested_block_with_an_indented_comment_works_with_every_command() {
    let env = TestEnv::with_config(config());
    let original = issue_config();
    env.write_config(&original);

    env.run(&["login", "--session", "work"])
        .success()
        .stderr_has("Signed in to 'work'");

    let list = env.run(&["list", "--output", "json"]);
    let accounts = list.success().json();
    assert!(accounts.to_string().contains(ACCOUNT), "{accounts}");

    let creds = env.run(&[
        "credential-process",
        "--account",
        ACCOUNT,
        "--role",
        "ReadOnly",
    ]);
    assert_eq!(creds.success().json()["Version"], 1);

    env.run(&["profiles", "--write", "--region", "eu-west-1"])
        .success();
    let written = std::fs::read_to_string(env.config_file()).unwrap();
    assert!(
        written.starts_with(&original),
        "the file as it was, then the new profiles:\n{written}"
    );
    assert!(
        written[original.len()..].starts_with("\n[profile "),
        "{written}"
    );
    // What was written reads back, and writing again changes nothing.
    env.run(&["profiles", "--write", "--region", "eu-west-1"])
        .success();
    assert_eq!(std::fs::read_to_string(env.config_file()).unwrap(), written);
}
