//! End to end with the real AWS CLI (PyPI's awscli, in the .venv that
//! tests/setup-awscli creates): it signs an STS request with the credentials
//! ssokey hands out, and the emulator verifies the SigV4 signature. [`aws`]
//! installs it for the other tests that run it or its Python.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use crate::harness::{Run, TestEnv, config};
use sso_emulator::Op;

/// The `aws` executable, installed once per test run if it is not there yet.
pub fn aws() -> &'static PathBuf {
    static AWS: OnceLock<PathBuf> = OnceLock::new();
    AWS.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let out = Command::new(root.join("tests/setup-awscli"))
            .output()
            .expect("tests/setup-awscli runs");
        assert!(
            out.status.success(),
            "tests/setup-awscli could not install the AWS CLI:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

const ACCOUNT: &str = "100000000002";

fn signed_in() -> TestEnv {
    let env = TestEnv::with_config(config());
    env.login().success();
    env
}

fn get_caller_identity(env: &TestEnv) -> String {
    format!(
        "{} sts get-caller-identity --output json --region us-east-1 --endpoint-url {}",
        aws().display(),
        env.emulator.url()
    )
}

#[track_caller]
fn assert_identity(env: &TestEnv, run: &Run) {
    let json = run.json();
    assert_eq!(json["Account"], ACCOUNT, "{run}");
    assert_eq!(
        json["Arn"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/ReadOnly/ssokey")
    );
    assert_eq!(
        env.emulator.last_caller(),
        Some((ACCOUNT.to_owned(), "ReadOnly".to_owned()))
    );
}

fn sh(env: &TestEnv, script: &str) -> Run {
    env.shell("bash", script)
}

#[test]
fn the_aws_cli_signs_with_a_credential_process_profile() {
    let env = signed_in();
    env.write_config(&format!(
        "[profile e2e]\ncredential_process = {} credential-process --account {ACCOUNT} --role ReadOnly\nregion = us-east-1\n",
        env!("CARGO_BIN_EXE_ssokey")
    ));
    let run = sh(
        &env,
        &format!("{} --profile e2e", get_caller_identity(&env)),
    );
    run.success();
    assert_identity(&env, &run);
    assert_eq!(env.emulator.count(Op::GetCallerIdentity), 1);
}

#[test]
fn the_aws_cli_signs_after_eval_of_env_in_bash() {
    let env = signed_in();
    let script = format!(
        "eval \"$(\"$SSOKEY\" env --shell bash --account {ACCOUNT} --role ReadOnly)\" && {}",
        get_caller_identity(&env)
    );
    let run = sh(&env, &script);
    run.success();
    assert_identity(&env, &run);
}

/// `ssokey exec` for the ReadOnly target, running the CLI's
/// get-caller-identity with `cli_flags`, in an environment with `vars` added.
fn exec_get_caller_identity(env: &TestEnv, cli_flags: &[&str], vars: &[(&str, &str)]) -> Run {
    let aws = aws().display().to_string();
    let url = env.emulator.url();
    let mut args = vec![
        "exec",
        "--account",
        ACCOUNT,
        "--role",
        "ReadOnly",
        "--",
        &aws,
        "sts",
        "get-caller-identity",
        "--output",
        "json",
        "--endpoint-url",
        &url,
    ];
    args.extend(cli_flags);
    let mut command = env.command(&args);
    command.envs(vars.iter().copied());
    Run::from(&command.output().unwrap(), &args)
}

#[test]
fn the_aws_cli_signs_under_exec() {
    let env = signed_in();
    let run = exec_get_caller_identity(&env, &["--region", "us-east-1"], &[]);
    run.success();
    assert_identity(&env, &run);
}

#[test]
fn the_aws_cli_under_exec_with_aws_profile_set_keeps_the_profiles_region() {
    // exec takes AWS_PROFILE out of the command's environment; the CLI still
    // finds the profile's region (no --region below) and signs with the
    // credentials of the target asked for, not the profile's.
    let env = signed_in();
    env.write_config(
        "[profile other]\nssokey_session = ssokey-test\nssokey_account_id = 100000000001\nssokey_role_name = Admin\nregion = us-east-1\n",
    );
    let run = exec_get_caller_identity(&env, &[], &[("AWS_PROFILE", "other")]);
    run.success();
    assert_identity(&env, &run);
}

#[test]
fn the_emulator_refuses_a_tampered_secret() {
    let env = signed_in();
    let script = format!(
        "eval \"$(\"$SSOKEY\" env --shell bash --account {ACCOUNT} --role ReadOnly)\" && AWS_SECRET_ACCESS_KEY=x$AWS_SECRET_ACCESS_KEY {}",
        get_caller_identity(&env)
    );
    let run = sh(&env, &script);
    assert_ne!(run.code, Some(0), "{run}");
    assert!(run.stderr.contains("SignatureDoesNotMatch"), "{run}");
}

/// `ssokey exec --server` for the ReadOnly target, running `sh -c script`
/// with `$AWS_GCI` the CLI's get-caller-identity against the emulator.
fn exec_server_sh(env: &TestEnv, extra: &[&str], script: &str) -> Run {
    let mut command = env.exec_server(ACCOUNT, extra, script);
    command.env("AWS_GCI", get_caller_identity(env));
    Run::from(&command.output().unwrap(), &["exec", "--server"])
}

#[test]
fn the_aws_cli_signs_with_credentials_from_exec_server() {
    let env = signed_in();
    // --debug shows botocore's container provider calling the server.
    let run = exec_server_sh(
        &env,
        &[],
        "if [ -n \"${AWS_ACCESS_KEY_ID+set}${AWS_SECRET_ACCESS_KEY+set}${AWS_SESSION_TOKEN+set}\" ]; then exit 99; fi; \
         $AWS_GCI --debug",
    );
    run.success();
    assert_identity(&env, &run);
    assert!(
        run.stderr
            .contains("\"GET /role-credentials HTTP/1.1\" 200"),
        "the container provider did not call the server\n{run}"
    );
    assert_eq!(env.emulator.count(Op::GetCallerIdentity), 1);
}

#[test]
fn the_aws_cli_under_exec_server_keeps_working_past_the_credentials_expiry() {
    // Credentials that last 30 s, served while they have 5 s left: a command
    // that calls STS every 10 s for 70 s outlives two sets at least.
    let env = TestEnv::with_config(sso_emulator::Config {
        role_credentials_ttl: std::time::Duration::from_secs(30),
        ..config()
    });
    env.login().success();
    let run = exec_server_sh(
        &env,
        &["--margin", "5s"],
        "for i in 1 2 3 4 5 6 7 8; do \
           $AWS_GCI > /dev/null || exit $i; \
           if [ $i != 8 ]; then sleep 10; fi; \
         done",
    );
    run.success();
    assert_eq!(env.emulator.count(Op::GetCallerIdentity), 8, "{run}");
    let fetched = env.emulator.count(Op::GetRoleCredentials);
    assert!(
        fetched >= 3,
        "the first set and two new ones at least: {fetched}"
    );
    assert_eq!(
        env.emulator.last_caller(),
        Some((ACCOUNT.to_owned(), "ReadOnly".to_owned()))
    );
}
