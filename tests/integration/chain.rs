//! Role chaining: a profile with `role_arn` and `source_profile` (chained
//! further, as botocore reads it) or `--assume-role`, assumed with STS from
//! an Identity Center role's credentials at the emulator, which checks the
//! trust policies and the signatures; cached like a direct role, keyed by
//! the whole chain, and named after the person who signed in.

use std::process::Output;

use crate::awscli::aws;
use crate::harness::{Run, TestEnv, config};
use crate::terminal::Tmux;
use sso_emulator::{IamRole, Op, role_arn};

const DEPLOY: &str = "arn:aws:iam::222233334444:role/Deploy";
const AUDIT: &str = "arn:aws:iam::555566667777:role/Audit";
const EXTERNAL_ID: &str = "ext-42";
const PERSON: &str = "jane.doe@example.com";
const GLASS: &str = "arn:aws:iam::222233334444:role/BreakGlass";
const MFA: &str = "arn:aws:iam::100000000001:mfa/jane";

/// Admin in 100000000001 may assume Deploy; Deploy may assume Audit with
/// the external id.
const PROFILES: &str = "\
[profile base]
ssokey_session = ssokey-test
ssokey_account_id = 100000000001
ssokey_role_name = Admin
region = us-east-1

[profile deploy]
role_arn = arn:aws:iam::222233334444:role/Deploy
source_profile = base

[profile audit]
role_arn = arn:aws:iam::555566667777:role/Audit
source_profile = deploy
external_id = ext-42
region = eu-west-1
";

fn signed_in() -> TestEnv {
    let env = TestEnv::with_config(sso_emulator::Config {
        user_name: PERSON.to_owned(),
        iam_roles: vec![
            IamRole::new(DEPLOY, &[&role_arn("100000000001", "Admin")]),
            IamRole::new(AUDIT, &[DEPLOY]).with_external_id(EXTERNAL_ID),
            IamRole::new(GLASS, &[&role_arn("100000000001", "Admin")]).with_mfa(MFA),
        ],
        ..config()
    });
    env.login().success();
    env.write_config(PROFILES);
    env
}

fn credential_process(env: &TestEnv, profile: &str) -> Run {
    env.run(&["credential-process", "--profile", profile])
}

#[test]
fn one_hop_and_two_hops_from_profiles_each_named_after_the_person() {
    let env = signed_in();
    let one = credential_process(&env, "deploy");
    one.success();
    let assumed = env.emulator.assumed_roles();
    assert_eq!(assumed.len(), 1, "{one}");
    assert_eq!(one.json()["AccessKeyId"], assumed[0].access_key_id.as_str());
    assert_eq!(assumed[0].role_arn, DEPLOY);
    assert_eq!(assumed[0].source_arn, role_arn("100000000001", "Admin"));
    assert_eq!(assumed[0].session_name, PERSON);
    assert_eq!(assumed[0].duration_seconds, Some(3600), "at most an hour");
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 1);

    let two = credential_process(&env, "audit");
    two.success();
    let assumed = env.emulator.assumed_roles();
    assert_eq!(assumed.len(), 3, "two hops more: {two}");
    assert_eq!(
        (assumed[1].role_arn.as_str(), assumed[2].role_arn.as_str()),
        (DEPLOY, AUDIT)
    );
    assert_eq!(assumed[2].source_arn, DEPLOY);
    assert_eq!(assumed[2].external_id.as_deref(), Some(EXTERNAL_ID));
    assert_eq!(assumed[2].session_name, PERSON);
    assert_eq!(two.json()["AccessKeyId"], assumed[2].access_key_id.as_str());
    assert_eq!(
        env.emulator.count(Op::GetRoleCredentials),
        1,
        "the base role came from the cache"
    );

    // Served from the cache: no STS call, the same credentials.
    let again = credential_process(&env, "audit");
    again.success();
    assert_eq!(again.json(), two.json());
    assert_eq!(env.emulator.count(Op::AssumeRole), 3);
    env.assert_no_secret_leaked(&[&one.stderr, &two.stderr, &again.stderr]);

    // Cached under the session, so that logout deletes them with the rest.
    let chained = |env: &TestEnv| {
        env.keychain_items()
            .into_iter()
            .filter(|(user, _)| user.contains("/chain/"))
            .count()
    };
    assert_eq!(chained(&env), 2, "{:?}", env.keychain_items());
    env.run(&["logout"]).success();
    assert_eq!(chained(&env), 0);
    assert!(
        env.fast_tier_keys()
            .iter()
            .all(|key| !key.contains("/chain/")),
        "{:?}",
        env.fast_tier_keys()
    );
}

#[test]
fn flags_chain_roles_after_account_and_role() {
    let env = signed_in();
    let run = env.run(&[
        "env",
        "--shell",
        "bash",
        "--account",
        "100000000001",
        "--role",
        "Admin",
        "--assume-role",
        DEPLOY,
        "--assume-role",
        AUDIT,
        "--external-id",
        EXTERNAL_ID,
        "--role-session-name",
        "ci-run",
    ]);
    run.success();
    let assumed = env.emulator.assumed_roles();
    assert_eq!(assumed.len(), 2, "{run}");
    assert_eq!(
        (
            assumed[0].session_name.as_str(),
            assumed[0].external_id.as_deref()
        ),
        (PERSON, None),
        "--external-id and --role-session-name are for the last hop"
    );
    assert_eq!(assumed[1].session_name, "ci-run");
    assert!(
        run.stdout.contains(&format!(
            "export AWS_ACCESS_KEY_ID='{}'",
            assumed[1].access_key_id
        )),
        "{run}"
    );
    // After --profile too: the profile's hop, then the flag's.
    let run = env.run(&[
        "credential-process",
        "--profile",
        "deploy",
        "--assume-role",
        AUDIT,
        "--external-id",
        EXTERNAL_ID,
    ]);
    run.success();
    assert_eq!(
        run.json()["AccessKeyId"],
        env.emulator
            .assumed_roles()
            .last()
            .unwrap()
            .access_key_id
            .as_str()
    );
}

#[test]
fn the_aws_cli_signs_as_the_chained_role_through_credential_process() {
    let env = signed_in();
    env.write_config(&format!(
        "{PROFILES}\n[profile cli]\ncredential_process = {} credential-process --profile audit\nregion = us-east-1\n",
        env!("CARGO_BIN_EXE_ssokey")
    ));
    let run = env.shell(
        "bash",
        &format!(
            "{} sts get-caller-identity --output json --profile cli --endpoint-url {}",
            aws().display(),
            env.emulator.url()
        ),
    );
    run.success();
    assert_eq!(
        run.json()["Arn"],
        format!("arn:aws:sts::555566667777:assumed-role/Audit/{PERSON}")
    );
    assert_eq!(
        env.emulator.last_caller(),
        Some(("555566667777".to_owned(), "Audit".to_owned()))
    );
}

#[test]
fn exec_server_serves_the_chained_role_to_the_aws_cli() {
    let env = signed_in();
    let script = format!(
        "{} sts get-caller-identity --output json --region us-east-1 --endpoint-url {}",
        aws().display(),
        env.emulator.url()
    );
    let args = ["exec", "--server", "--profile", "deploy", "--", "sh", "-c"];
    let mut command = env.command(&args);
    // The server's own answer names the account of the chained role.
    command.arg(format!(
        "{script} && curl -fsS -H \"Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN\" \
         \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\" | grep -o '\"AccountId\": *\"[0-9]*\"' >&2"
    ));
    let run = Run::from(&command.output().unwrap(), &args);
    run.success();
    assert_eq!(
        run.json()["Arn"],
        format!("arn:aws:sts::222233334444:assumed-role/Deploy/{PERSON}")
    );
    assert!(
        run.stderr.contains("222233334444") && !run.stderr.contains("100000000001"),
        "{run}"
    );
    assert_eq!(env.emulator.count(Op::AssumeRole), 1);
}

#[test]
fn console_trades_the_chained_credentials_without_a_session_duration() {
    let mut env = signed_in();
    let url = env.emulator.url();
    env.set_env("AWS_ENDPOINT_URL_SIGNIN", &url);
    let run = env.run(&["console", "--profile", "audit", "--print"]);
    run.success();
    let tokens = env.emulator.signin_tokens();
    assert_eq!(tokens.len(), 1, "{run}");
    let assumed = env.emulator.assumed_roles();
    assert_eq!(
        tokens[0].access_key_id,
        assumed.last().unwrap().access_key_id
    );
    assert_eq!(
        (tokens[0].account_id.as_str(), tokens[0].role_name.as_str()),
        ("555566667777", "Audit")
    );
    assert_eq!(tokens[0].session_duration, None);
}

#[test]
fn twenty_cold_runs_in_parallel_assume_each_role_once() {
    let env = signed_in();
    let children: Vec<_> = (0..20)
        .map(|_| {
            env.command(&["credential-process", "--profile", "audit"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|child| child.wait_with_output().unwrap())
        .collect();
    let keys: std::collections::BTreeSet<String> = outputs
        .iter()
        .map(|output| {
            let run = Run::from(output, &["credential-process"]);
            run.success();
            run.json()["AccessKeyId"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(keys.len(), 1, "every run got the same credentials");
    assert_eq!(env.emulator.count(Op::AssumeRole), 2, "one call per hop");
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 1);
}

/// A failed run: the exit code, nothing on stdout, and a hint.
#[track_caller]
fn fails(env: &TestEnv, args: &[&str], code: i32, needles: &[&str]) {
    let run = env.run(args);
    run.failure(code);
    assert_eq!(run.stdout, "", "{run}");
    assert!(run.stderr.contains("hint: "), "{run}");
    for needle in needles {
        run.stderr_has(needle);
    }
}

#[test]
fn loops_and_missing_source_profiles_are_usage_errors_before_any_call() {
    let env = signed_in();
    env.write_config(&format!(
        "{PROFILES}
[profile a]
role_arn = {DEPLOY}
source_profile = b

[profile b]
role_arn = {AUDIT}
source_profile = a

[profile orphan]
role_arn = {DEPLOY}
source_profile = nowhere

[profile long]
role_arn = {DEPLOY}
source_profile = base
duration_seconds = 7200
"
    ));
    let calls = env.emulator.count(Op::GetRoleCredentials);
    fails(
        &env,
        &["credential-process", "--profile", "a"],
        2,
        &["a -> b -> a"],
    );
    fails(
        &env,
        &["env", "--profile", "orphan"],
        2,
        &["source_profile 'nowhere'", "'orphan'"],
    );
    fails(
        &env,
        &["credential-process", "--profile", "long"],
        2,
        &["duration_seconds = 7200", "1 hour"],
    );
    fails(
        &env,
        &[
            "credential-process",
            "--profile",
            "base",
            "--assume-role",
            "Deploy",
        ],
        2,
        &["not a role ARN"],
    );
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), calls);
    assert_eq!(env.emulator.count(Op::AssumeRole), 0);
}

#[test]
fn sts_refusals_name_the_role_and_the_hop() {
    let env = signed_in();
    // Audit trusts Deploy, not Admin.
    fails(
        &env,
        &[
            "credential-process",
            "--profile",
            "base",
            "--assume-role",
            AUDIT,
            "--external-id",
            EXTERNAL_ID,
        ],
        1,
        &["hop 1 of 1", AUDIT, "is not authorized"],
    );
    // The wrong external id at the second hop.
    env.write_config(&PROFILES.replace("external_id = ext-42", "external_id = guess"));
    fails(
        &env,
        &["credential-process", "--profile", "audit"],
        1,
        &["hop 2 of 2", AUDIT, "profile 'audit'", "external id"],
    );
    env.write_config(&format!(
        "{PROFILES}\n[profile mfa]\nrole_arn = {GLASS}\nsource_profile = base\nmfa_serial = {MFA}\n"
    ));
    fails(
        &env,
        &["credential-process", "--profile", "mfa"],
        1,
        &["MFA code", "no terminal"],
    );
}

#[test]
fn mfa_serial_asks_for_the_code_on_the_terminal_without_echoing_it() {
    let env = signed_in();
    env.write_config(&format!(
        "{PROFILES}\n[profile glass]\nrole_arn = {GLASS}\nsource_profile = base\nmfa_serial = {MFA}\n"
    ));
    let term = Tmux::start(&env);
    term.wait_for("bash-");
    term.type_text(
        "ssokey credential-process --profile glass > /dev/null; printf 'rc%s\\n' $?",
        true,
    );
    term.wait_for(&format!("Enter MFA code for {MFA}"));
    term.type_text("246810", true);
    let mut screen = String::new();
    crate::harness::wait_until(std::time::Duration::from_secs(20), "the run's end", || {
        screen = term.screen();
        screen.lines().any(|line| line.starts_with("rc"))
    });
    assert!(screen.lines().any(|line| line == "rc0"), "{screen}");
    assert!(!screen.contains("246810"), "the code was echoed:\n{screen}");
    let assumed = env.emulator.assumed_roles();
    assert_eq!(assumed.len(), 1);
    assert_eq!(
        (
            assumed[0].role_arn.as_str(),
            assumed[0].token_code.as_deref()
        ),
        (GLASS, Some("246810"))
    );
}
