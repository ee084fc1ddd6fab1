//! The documented exit codes: 0 ok, 1 error, 2 usage, 3 not signed in, 4 no keychain,
//! and for exec 126 (cannot run) and 127 (not found).

use crate::harness::{TestEnv, config};
use sso_emulator::Op;

#[test]
fn the_exit_code_contract() {
    let mut env = TestEnv::with_config(config());
    let target = ["--account", "100000000001", "--role", "Admin"];
    let with = |command: &'static str| {
        let mut args = vec![command];
        args.extend(target);
        args
    };
    // 2: the command line is wrong.
    assert_eq!(env.run(&["--no-such-flag"]).code, Some(2));
    assert_eq!(env.run(&["env", "--shell", "tcsh"]).code, Some(2));
    env.run(&["credential-process"]).failure(2);
    // 3: not signed in.
    env.run(&[
        "login",
        "--start-url",
        crate::harness::START_URL,
        "--region",
        "us-east-1",
    ])
    .success();
    env.run(&["logout"]).success();
    env.run(&with("credential-process")).failure(3);
    // 0: signed in.
    env.login().success();
    env.run(&with("credential-process")).success();
    // 1: the portal fails for good.
    env.emulator.fail_next(Op::GetRoleCredentials, 500, 1000);
    let mut refresh = with("credential-process");
    refresh.push("--refresh");
    env.run(&refresh).failure(1);
    // 4: no keychain (the Secret Service asked for by name is gone).
    env.set_env("SSOKEY_KEYCHAIN", "secret-service");
    env.stop_keyring();
    env.run(&refresh).failure(4);
    env.run(&["status"]).failure(4);
}

#[test]
fn exec_without_the_separator_says_to_put_the_command_after_it() {
    let env = TestEnv::new();
    for args in [
        &[
            "exec",
            "--account",
            "111122223333",
            "--role",
            "Admin",
            "aws",
            "s3",
            "ls",
        ][..],
        &["exec", "--profile", "dev"][..],
    ] {
        env.run(args).failure(2).stderr_has(
            "hint: put the command to run after --, e.g.: ssokey exec --profile NAME -- aws sts get-caller-identity",
        );
    }
}
