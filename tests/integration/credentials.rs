//! `ssokey credential-process`, `env` and `exec`: role credentials out, the
//! keychain cache, and what happens under parallel use.

use std::time::Duration;

use crate::harness::{Run, SESSION, TestEnv, config, credential_process_args};
use sso_emulator::Op;

const ACCOUNT: &str = "100000000001";

fn signed_in(config: sso_emulator::Config) -> TestEnv {
    let env = TestEnv::with_config(config);
    env.login().success();
    env
}

fn target() -> [&'static str; 4] {
    ["--account", ACCOUNT, "--role", "Admin"]
}

fn credential_process(env: &TestEnv, extra: &[&str]) -> Run {
    let mut args = vec!["credential-process"];
    args.extend(target());
    args.extend(extra);
    env.run(&args)
}

#[test]
fn credential_process_prints_the_json_the_sdks_read() {
    let env = signed_in(config());
    let run = credential_process(&env, &[]);
    run.success();
    let issued = env.emulator.last_role_credentials().unwrap();
    assert_eq!(issued.account_id, ACCOUNT);
    assert_eq!(issued.role_name, "Admin");
    let json = run.json();
    let object = json.as_object().unwrap();
    assert_eq!(object.len(), 5, "{json}");
    assert_eq!(json["Version"], 1);
    assert_eq!(json["AccessKeyId"], issued.access_key_id.as_str());
    assert_eq!(json["SecretAccessKey"], issued.secret_access_key.as_str());
    assert_eq!(json["SessionToken"], issued.session_token.as_str());
    let expiration = std::time::UNIX_EPOCH + Duration::from_millis(issued.expiration);
    assert_eq!(
        json["Expiration"],
        humantime::format_rfc3339_seconds(expiration).to_string()
    );
    assert!(json["Expiration"].as_str().unwrap().ends_with('Z'));
    assert_eq!(run.stderr, "", "a cache miss is silent on stderr too");
}

#[test]
fn cached_credentials_are_reused_until_the_margin_and_refresh_forces_new_ones() {
    let env = signed_in(config());
    let first = credential_process(&env, &[]);
    let second = credential_process(&env, &[]);
    assert_eq!(first.success().stdout, second.success().stdout);
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 1);
    credential_process(&env, &["--refresh"]).success();
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 2);
    // With an hour left, a margin of 61 minutes makes the cached ones too old.
    credential_process(&env, &["--margin", "61m"]).success();
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 3);
}

#[test]
fn credentials_with_less_than_15_minutes_left_are_replaced() {
    let env = signed_in(sso_emulator::Config {
        role_credentials_ttl: Duration::from_mins(10),
        ..config()
    });
    credential_process(&env, &[]).success();
    credential_process(&env, &[]).success();
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 2);
    credential_process(&env, &["--margin", "5m"]).success();
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 2);
}

#[test]
fn fifty_parallel_runs_make_one_call() {
    let env = signed_in(config());
    let mut args = vec!["credential-process"];
    args.extend(target());
    let children: Vec<_> = (0..50).map(|_| env.spawn(&args)).collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|child| Run::from_child(child, &args))
        .collect();
    for run in &runs {
        run.success();
        assert_eq!(
            run.stdout, runs[0].stdout,
            "every run hands out the same credentials"
        );
    }
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 1);
}

#[test]
fn an_expired_token_is_refreshed_silently_once_for_parallel_runs() {
    let env = signed_in(sso_emulator::Config {
        access_token_ttl: Duration::from_mins(4),
        ..config()
    });
    let before = env.emulator.count(Op::CreateToken);
    let roles = ["Admin", "ReadOnly"];
    let children: Vec<_> = (0..10)
        .map(|i| env.spawn(&credential_process_args(ACCOUNT, roles[i % 2], &[])))
        .collect();
    for child in children {
        Run::from_child(child, &["credential-process"]).success();
    }
    assert_eq!(env.emulator.count(Op::CreateToken), before + 1);
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 2);
}

#[test]
fn a_revoked_sign_in_asks_for_a_login() {
    let env = signed_in(config());
    env.emulator.revoke_all();
    credential_process(&env, &[])
        .failure(3)
        .stderr_has("hint: run: ssokey login --session ssokey-test");
}

#[test]
fn an_access_token_refused_early_is_renewed_with_the_refresh_token() {
    let env = signed_in(config());
    credential_process(&env, &[]).success();
    let before = env.emulator.count(Op::CreateToken);
    // The portal stops taking the access token long before its expiry;
    // the refresh token still works.
    env.emulator.expire_access_tokens();
    let run = credential_process(&env, &["--refresh"]);
    run.success();
    assert_eq!(env.emulator.count(Op::CreateToken), before + 1, "{run}");
    assert_eq!(
        env.emulator.count(Op::GetRoleCredentials),
        3,
        "refused, then served"
    );
    assert_eq!(
        run.json()["AccessKeyId"],
        env.emulator
            .last_role_credentials()
            .unwrap()
            .access_key_id
            .as_str()
    );
}

#[test]
fn signed_out_asks_for_a_login() {
    let env = signed_in(config());
    env.run(&["logout"]).success();
    credential_process(&env, &[])
        .failure(3)
        .stderr_has("not signed in")
        .stderr_has("ssokey login --session ssokey-test");
}

#[test]
fn unknown_roles_and_accounts_list_the_close_matches() {
    let env = signed_in(config());
    env.run(&credential_process_args(ACCOUNT, "readonly", &[]))
        .failure(2)
        .stderr_has("no role 'readonly'")
        .stderr_has("did you mean ReadOnly?");
    env.run(&credential_process_args("100000000009", "Admin", &[]))
        .failure(2)
        .stderr_has("no account named '100000000009'")
        .stderr_has("100000000001 (account-001)");
    env.run(&credential_process_args("12345", "Admin", &[]))
        .failure(2)
        .stderr_has("12 digits");
}

#[test]
fn an_account_can_be_named() {
    let env = signed_in(config());
    env.run(&credential_process_args("account-002", "Admin", &[]))
        .success();
    assert_eq!(
        env.emulator.last_role_credentials().unwrap().account_id,
        "100000000002"
    );
    // With the listing cached, a hit by name asks the portal nothing.
    env.run(&["list"]).success();
    let listings = env.emulator.count(Op::ListAccounts);
    let hit = env.run(&[
        "-vv",
        "credential-process",
        "--account",
        "account-002",
        "--role",
        "Admin",
    ]);
    hit.success().stderr_has("cached credentials are fresh");
    assert_eq!(env.emulator.count(Op::ListAccounts), listings, "{hit}");
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 1, "{hit}");
    env.run(&credential_process_args("acount-002", "Admin", &[]))
        .failure(2)
        .stderr_has("did you mean account-002");
}

#[test]
fn profiles_and_aws_profile_name_the_target() {
    let mut env = signed_in(config());
    env.write_config(&format!(
        "[profile dev]\nssokey_session = {SESSION}\nssokey_account_id = 100000000002\nssokey_role_name = ReadOnly\nregion = eu-west-1\n\n[profile plain]\nregion = eu-west-1\n"
    ));
    env.run(&["credential-process", "--profile", "dev"])
        .success();
    let issued = env.emulator.last_role_credentials().unwrap();
    assert_eq!(
        (issued.account_id.as_str(), issued.role_name.as_str()),
        ("100000000002", "ReadOnly")
    );
    env.set_env("AWS_PROFILE", "dev");
    env.run(&["credential-process"]).success();
    assert_eq!(
        env.emulator.count(Op::GetRoleCredentials),
        1,
        "the second run was a cache hit"
    );
    env.set_env("AWS_PROFILE", "plain");
    env.run(&["credential-process"])
        .failure(2)
        .stderr_has("names no account and role");
    env.set_env("AWS_PROFILE", "");
    env.run(&["credential-process"])
        .failure(2)
        .stderr_has("--profile");
}

#[test]
fn a_profile_written_by_aws_configure_sso_works_as_a_target() {
    let env = signed_in(config());
    env.write_config(&format!(
        "[profile cli]\nsso_session = {SESSION}\nsso_account_id = 100000000002\nsso_role_name = Admin\nregion = us-east-1\n\n[sso-session {SESSION}]\nsso_start_url = {}\nsso_region = {}\n",
        crate::harness::START_URL,
        crate::harness::REGION
    ));
    env.run(&["credential-process", "--profile", "cli"])
        .success();
    let issued = env.emulator.last_role_credentials().unwrap();
    assert_eq!(
        (issued.account_id.as_str(), issued.role_name.as_str()),
        ("100000000002", "Admin")
    );
}

#[test]
fn a_damaged_cache_entry_is_a_miss() {
    let mut env = signed_in(config());
    // The kernel keyring would serve the intact copy: look at the keychain alone.
    env.set_env("SSOKEY_FAST_TIER", "off");
    credential_process(&env, &[]).success();
    env.store_item(
        &format!("session/{SESSION}/role/{ACCOUNT}/Admin"),
        "{\"not\": \"ours\"}",
    );
    credential_process(&env, &[]).success();
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 2);
    credential_process(&env, &[]).success();
    assert_eq!(
        env.emulator.count(Op::GetRoleCredentials),
        2,
        "the fill repaired it"
    );
}

#[test]
fn logout_deletes_the_cached_credentials() {
    let env = signed_in(config());
    credential_process(&env, &[]).success();
    assert!(
        env.keychain_items()
            .iter()
            .any(|(u, _)| u.contains("/role/"))
    );
    env.run(&["logout"]).success();
    assert!(
        !env.keychain_items()
            .iter()
            .any(|(u, _)| u.contains("/role/")),
        "{:?}",
        env.keychain_items()
    );
}

#[test]
fn a_failing_portal_is_retried_and_never_half_prints() {
    let env = signed_in(config());
    env.emulator.fail_next(Op::GetRoleCredentials, 429, 2);
    credential_process(&env, &[]).success();
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 3);
    env.emulator.fail_next(Op::GetRoleCredentials, 500, 100);
    credential_process(&env, &["--refresh"])
        .failure(1)
        .stderr_has("GetRoleCredentials failed");
}

#[test]
fn exec_runs_the_command_with_the_credentials_and_passes_its_status() {
    let env = signed_in(config());
    let mut args = vec!["exec"];
    args.extend(target());
    args.extend([
        "--",
        "sh",
        "-c",
        "printf '%s\\n' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" \"$AWS_SESSION_TOKEN\" \"$AWS_CREDENTIAL_EXPIRATION\"; printf '[%s]' \"$@\"; exit 7",
        "sh",
        "a b",
        "c'd",
        "\"e\"",
        "$(id)",
    ]);
    let run = env.run(&args);
    assert_eq!(run.code, Some(7), "{run}");
    let issued = env.emulator.last_role_credentials().unwrap();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], issued.access_key_id);
    assert_eq!(lines[1], issued.secret_access_key);
    assert_eq!(lines[2], issued.session_token);
    assert!(lines[3].ends_with('Z'));
    assert_eq!(lines[4], "[a b][c'd][\"e\"][$(id)]");
}

#[test]
fn exec_names_no_profile_and_keeps_the_profiles_region() {
    // With AWS_PROFILE set, the JavaScript SDK v3 uses the profile and not
    // the credentials in the environment: exec takes the profile variables
    // out, and keeps the region that the profile gave.
    let env = signed_in(config());
    env.write_config(&format!(
        "[profile dev]\nssokey_session = {SESSION}\nssokey_account_id = 100000000002\nssokey_role_name = ReadOnly\nregion = eu-west-1\n"
    ));
    let show = "printf '%s|%s|%s|%s|%s\\n' \"${AWS_PROFILE-none}\" \"${AWS_DEFAULT_PROFILE-none}\" \"${AWS_REGION-none}\" \"${AWS_DEFAULT_REGION-none}\" \"$AWS_ACCESS_KEY_ID\"";
    let exec = |args: &[&str], vars: &[(&str, &str)]| {
        // --refresh: the key printed is then the one issued last.
        let mut all = vec!["exec", "--refresh"];
        all.extend(args);
        all.extend(["--", "sh", "-c", show]);
        let mut command = env.command(&all);
        command.envs(vars.iter().copied());
        let run = Run::from(&command.output().unwrap(), &all);
        let key = env.emulator.last_role_credentials().unwrap().access_key_id;
        (run.success().stdout.clone(), key)
    };
    let (out, key) = exec(
        &["--account", ACCOUNT, "--role", "Admin"],
        &[("AWS_PROFILE", "dev"), ("AWS_DEFAULT_PROFILE", "dev")],
    );
    assert_eq!(out, format!("none|none|eu-west-1|eu-west-1|{key}\n"));
    let (out, key) = exec(&["--profile", "dev"], &[]);
    assert_eq!(out, format!("none|none|eu-west-1|eu-west-1|{key}\n"));
    // A region in the environment wins, as in the SDKs.
    let (out, key) = exec(&[], &[("AWS_PROFILE", "dev"), ("AWS_REGION", "us-west-2")]);
    assert_eq!(out, format!("none|none|us-west-2|none|{key}\n"));
    // No profile, no region added.
    let (out, key) = exec(&["--account", ACCOUNT, "--role", "Admin"], &[]);
    assert_eq!(out, format!("none|none|none|none|{key}\n"));
}

#[test]
fn env_warns_when_the_shells_profile_is_another_target() {
    let env = signed_in(config());
    env.write_config(&format!(
        "[profile dev]\nssokey_session = {SESSION}\nssokey_account_id = 100000000002\nssokey_role_name = ReadOnly\n"
    ));
    let run_env = |args: &[&str]| {
        let mut all = vec!["env", "--shell", "bash"];
        all.extend(args);
        let mut command = env.command(&all);
        command.env("AWS_PROFILE", "dev");
        Run::from(&command.output().unwrap(), &all)
    };
    let other = run_env(&["--account", ACCOUNT, "--role", "Admin"]);
    other.success().stderr_has(
        "ssokey: warning: AWS_PROFILE=dev stays set in your shell, and some SDKs (the JavaScript SDK v3) use that profile instead of these credentials; unset it, or use ssokey exec",
    );
    assert_eq!(other.stdout.lines().count(), 4, "{other}");
    assert!(
        other
            .stdout
            .lines()
            .all(|line| line.starts_with("export AWS_")),
        "{other}"
    );
    // The profile is the target itself: nothing to warn about.
    let same = run_env(&[]);
    assert_eq!(same.success().stderr, "", "{same}");
}

#[cfg(unix)]
#[test]
fn exec_passes_a_signal_death_through() {
    use std::os::unix::process::ExitStatusExt;
    let env = signed_in(config());
    let mut args = vec!["exec"];
    args.extend(target());
    args.extend(["--", "sh", "-c", "kill -TERM $$"]);
    let status = env.command(&args).status().unwrap();
    assert_eq!(status.signal(), Some(15));
}

/// As shells do: 127 for a command that cannot be found, 126 for one that
/// is found and cannot be run; with and without --server.
#[test]
fn exec_of_a_missing_or_unrunnable_command_exits_as_shells_do() {
    let env = signed_in(config());
    let not_executable = env.root().join("not-executable");
    std::fs::write(&not_executable, "echo hi\n").unwrap();
    let not_executable = not_executable.to_str().unwrap().to_owned();
    let dir = env.root().to_str().unwrap().to_owned();
    for (command, code, says, hint) in [
        (
            "no-such-command-here",
            127,
            "could not run 'no-such-command-here': no such command",
            "hint: check the command's name, or that its directory is on PATH",
        ),
        (
            "./no/such/path",
            127,
            "could not run './no/such/path': no such command",
            "hint: check the path './no/such/path'",
        ),
        (
            not_executable.as_str(),
            126,
            "Permission denied",
            "is an executable file (chmod +x)",
        ),
        (dir.as_str(), 126, "could not run", "(chmod +x)"),
    ] {
        for server in [false, true] {
            let mut args = vec!["exec"];
            args.extend(target());
            if server {
                args.push("--server");
            }
            args.extend(["--", command]);
            let run = env.run(&args);
            run.failure(code).stderr_has(says).stderr_has(hint);
            assert_eq!(run.stdout, "");
        }
    }
}

/// A profile that AWS_PROFILE names, left in the shell, is named as such.
#[test]
fn a_wrong_aws_profile_in_the_environment_says_so_and_how_to_unset_it() {
    let mut env = signed_in(config());
    env.write_config("[profile plain]\nregion = eu-west-1\n");
    for (profile, says) in [
        ("gone", "the profile 'gone' (from AWS_PROFILE) is not in "),
        (
            "plain",
            "the profile 'plain' (from AWS_PROFILE) names no account and role",
        ),
    ] {
        env.set_env("AWS_PROFILE", profile);
        for args in [&["credential-process"][..], &["env"][..]] {
            env.run(args)
                .failure(2)
                .stderr_has(says)
                .stderr_has("hint: AWS_PROFILE is set in your environment")
                .stderr_has("unset AWS_PROFILE");
        }
        // Named on the command line, it is not the environment's.
        let run = env.run(&["credential-process", "--profile", profile]);
        run.failure(2);
        assert!(!run.stderr.contains("AWS_PROFILE"), "{run}");
    }
}

#[test]
fn nested_exec_for_another_target_warns() {
    let env = signed_in(config());
    let inner = format!(
        "{} exec --account {ACCOUNT} --role ReadOnly -- true",
        env!("CARGO_BIN_EXE_ssokey")
    );
    let mut args = vec!["exec"];
    args.extend(target());
    args.extend(["--", "sh", "-c", &inner]);
    let run = env.run(&args);
    run.success()
        .stderr_has("running inside 'ssokey exec' for ssokey-test/100000000001/Admin");
}

#[test]
fn no_secret_reaches_a_file_or_stderr() {
    let env = signed_in(config());
    let runs = [
        credential_process(&env, &[]),
        env.run(&["env", "--account", ACCOUNT, "--role", "ReadOnly"]),
        env.run(&["status"]),
        env.run(&["logout"]),
    ];
    let stderrs: Vec<&str> = runs.iter().map(|r| r.success().stderr.as_str()).collect();
    env.assert_no_secret_leaked(&stderrs);
}

#[test]
fn the_fast_tier_serves_a_hit_without_the_keychain() {
    let mut env = signed_in(config());
    env.set_env("SSOKEY_KEYCHAIN", "secret-service");
    let first = credential_process(&env, &[]);
    first.success();
    // With the Secret Service gone, only the kernel keyring can answer.
    env.stop_keyring();
    let second = credential_process(&env, &[]);
    assert_eq!(second.success().stdout, first.stdout);
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 1);
    // A miss still needs the keychain, and says so.
    env.run(&credential_process_args(ACCOUNT, "ReadOnly", &[]))
        .failure(4)
        .stderr_has("no keychain can be reached");
}

#[test]
fn logout_empties_the_fast_tier_too() {
    let env = signed_in(config());
    credential_process(&env, &[]).success();
    env.run(&["logout"]).success();
    credential_process(&env, &[])
        .failure(3)
        .stderr_has("not signed in");
}

/// `ssokey ARGS` with add_key, request_key and keyctl refused by a seccomp
/// filter (tests/no-keyctl), as in a container whose profile forbids them.
fn without_keyctl(env: &TestEnv, args: &[&str]) -> Run {
    let output = env.wrapped("tests/no-keyctl", args).output().unwrap();
    Run::from(&output, args)
}

#[test]
fn without_keyutils_the_secret_service_serves_alone_and_silently() {
    let mut env = signed_in(config());
    env.set_env("SSOKEY_KEYCHAIN", "secret-service");
    let args = credential_process_args(ACCOUNT, "Admin", &[]);
    let miss = without_keyctl(&env, &args);
    miss.success();
    assert_eq!(miss.stderr, "", "no word about the fast tier: {miss}");
    let hit = without_keyctl(&env, &args);
    assert_eq!(hit.success().stdout, miss.stdout);
    assert_eq!(hit.stderr, "", "{hit}");
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 1);
    // Nothing reached the fast tier: without the Secret Service, a run that
    // may use keyctl finds no hit there either.
    env.stop_keyring();
    env.run(&args)
        .failure(4)
        .stderr_has("no keychain can be reached");
}

/// One resolution per run: a `credential-process` that misses every cache
/// reads the AWS config file and ssokey's remembered sessions once each,
/// however many parts of the run (the target, the store's choice, the
/// session) need them. `-vv` logs every read of either file.
#[test]
fn a_keychain_miss_reads_the_config_file_and_the_sessions_once_each() {
    let env = signed_in(config());
    env.write_config(&format!(
        "[profile cli]\nsso_session = {SESSION}\nsso_account_id = 100000000002\nsso_role_name = Admin\nregion = us-east-1\n\n[sso-session {SESSION}]\nsso_start_url = {}\nsso_region = {}\n",
        crate::harness::START_URL,
        crate::harness::REGION
    ));
    let reads = |run: &crate::harness::Run, what: &str| run.stderr.matches(what).count();
    for args in [
        &["-vv", "credential-process", "--profile", "cli"][..],
        &[
            "-vv",
            "credential-process",
            "--account",
            "100000000001",
            "--role",
            "ReadOnly",
        ][..],
    ] {
        let run = env.run(args);
        run.success().stderr_has("GetRoleCredentials");
        assert_eq!(reads(&run, "reading the AWS config file"), 1, "{run}");
        assert_eq!(reads(&run, "reading the remembered sessions"), 1, "{run}");
    }
}
