//! `ssokey profiles`: profiles written in place, nothing else touched.

use pretty_assertions::assert_eq;

use crate::harness::{REGION, Run, SESSION, START_URL, TestEnv, config};
use sso_emulator::{Account, Fault, Op};

fn signed_in() -> TestEnv {
    let env = TestEnv::with_config(sso_emulator::Config {
        accounts: vec![
            Account::new("100000000001", "prod", &["Admin", "ReadOnly"]),
            Account::new("100000000002", "dev team", &["Admin"]),
        ],
        ..config()
    });
    env.login().success();
    env
}

const MESSY: &str = "# my AWS config\r\n[default]\r\nregion=us-west-2\r\n  ; indented comment\r\n\r\n[profile x]   # trailing comment\r\noutput =  json\r\n\r\n[sso-session y]\r\nsso_start_url = https://y.awsapps.com/start\r\nsso_region = eu-west-1\r\n\r\n[services z]\r\ns3 =\r\n  endpoint_url = http://localhost:9000\r\n\r\n[profile x]\r\nregion = eu-north-1";

fn read(env: &TestEnv) -> String {
    std::fs::read_to_string(env.config_file()).unwrap()
}

#[test]
fn without_write_it_prints_a_diff_and_changes_nothing() {
    let env = signed_in();
    env.write_config("[profile mine]\nregion = eu-west-1\n");
    let run = env.run(&["profiles"]);
    run.success().stderr_has("3 to add").stderr_has("--write");
    assert!(run.stdout.contains("+[profile prod-Admin]\n"), "{run}");
    assert!(
        run.stdout.contains("+ssokey_account_id = 100000000002\n"),
        "{run}"
    );
    assert!(run.stdout.starts_with("--- "), "{run}");
    assert_eq!(read(&env), "[profile mine]\nregion = eu-west-1\n");
}

#[test]
fn write_keeps_every_byte_it_does_not_manage_and_is_idempotent() {
    let env = signed_in();
    env.write_config(MESSY);
    env.run(&["profiles", "--write", "--region", "eu-west-1"])
        .success();
    let written = read(&env);
    // The original bytes, a line break for the missing final one, then ours,
    // with the file's CRLF, and no final newline, as the file had none.
    assert!(
        written.starts_with(&format!("{MESSY}\r\n\r\n[profile dev-team-Admin]\r\n")),
        "{written}"
    );
    assert!(!written.ends_with('\n'));
    assert!(
        !written.replace("\r\n", "").contains('\n'),
        "only CRLF line endings"
    );
    assert_eq!(written.matches("[profile ").count(), 2 + 3);
    assert!(written.contains("[profile prod-ReadOnly]\r\ncredential_process = ssokey credential-process --profile prod-ReadOnly\r\nssokey_session = ssokey-test\r\nssokey_account_id = 100000000001\r\nssokey_role_name = ReadOnly\r\nregion = eu-west-1"));
    let backup = std::fs::read_to_string(env.home.join(".aws/config.ssokey-backup")).unwrap();
    assert_eq!(backup, MESSY);

    let again = env.run(&["profiles", "--write", "--region", "eu-west-1"]);
    again.success().stderr_has("up to date");
    assert_eq!(read(&env), written);
}

#[test]
fn prune_removes_only_profiles_whose_role_is_gone() {
    let env = signed_in();
    env.write_config("[profile mine]\nregion = eu-west-1\n");
    env.run(&["profiles", "--write"]).success();
    let before = read(&env);
    env.emulator
        .update_config(|c| c.accounts[0].roles.retain(|r| r != "ReadOnly"));
    env.run(&["profiles", "--write", "--refresh"])
        .success()
        .stderr_has("'prod-ReadOnly' names a role that is no longer assigned");
    assert_eq!(read(&env), before, "without --prune nothing is removed");
    env.run(&["profiles", "--write", "--prune"]).success();
    let after = read(&env);
    assert!(!after.contains("prod-ReadOnly"));
    assert!(
        after.starts_with("[profile mine]\nregion = eu-west-1\n\n[profile dev-team-Admin]\n"),
        "{after}"
    );
    assert!(after.contains("[profile prod-Admin]\n"));
}

#[test]
fn an_answer_that_lost_its_list_never_prunes_every_profile() {
    let env = signed_in();
    env.run(&["profiles", "--write"]).success();
    let before = read(&env);
    // A 200 with an empty body reads as "no accounts": it is not cached, and
    // --prune refuses to remove every profile on its word.
    env.emulator
        .fault_next(Op::ListAccounts, &Fault::EmptyBody, 1);
    let run = env.run(&["profiles", "--write", "--prune", "--refresh"]);
    run.failure(1)
        .stderr_has("--prune would remove all 3 of its profiles")
        .stderr_has("ssokey list --refresh");
    assert_eq!(read(&env), before, "nothing is removed");
    assert!(
        !env.home
            .join(".cache/ssokey/listings")
            .join(format!("{SESSION}.json"))
            .exists(),
        "the empty listing is not cached"
    );
    // The next run lists for real, and there is nothing to prune.
    env.run(&["profiles", "--write", "--prune"]).success();
    assert_eq!(read(&env), before);
}

#[test]
fn two_portals_never_touch_each_others_profiles() {
    let env = signed_in();
    env.write_config(&format!(
        "[sso-session other]\nsso_start_url = https://other.awsapps.com/start\nsso_region = {REGION}\n"
    ));
    env.run(&["login", "--session", "other"]).success();
    env.run(&[
        "profiles",
        "--write",
        "--session",
        "other",
        "--name",
        "{session}-{account_name}-{role_name}",
    ])
    .success();
    env.run(&["profiles", "--write", "--session", SESSION])
        .success();
    let both = read(&env);
    assert!(
        both.contains("[profile other-prod-Admin]\n") && both.contains("[profile prod-Admin]\n")
    );
    // Only the dev team account is left: pruning this session removes its
    // prod profiles and none of the other session's, which the same
    // emulator answers for.
    env.emulator
        .update_config(|c| c.accounts.retain(|a| a.name == "dev team"));
    env.run(&[
        "profiles",
        "--write",
        "--prune",
        "--refresh",
        "--session",
        SESSION,
    ])
    .success();
    let after = read(&env);
    assert!(!after.contains("[profile prod-Admin]"));
    assert!(after.contains("[profile dev-team-Admin]\n"));
    assert!(after.contains("[profile other-prod-Admin]\n"));
    assert_eq!(after.matches("ssokey_session = other").count(), 3);
}

#[test]
fn a_profile_of_the_users_is_never_touched() {
    let env = signed_in();
    env.write_config("[profile prod-Admin]\nregion = us-east-2\n");
    env.run(&["profiles", "--write"]).success().stderr_has(
        "'prod-Admin' for 100000000001 prod (Admin) is named 'prod-Admin-100000000001'",
    );
    let written = read(&env);
    assert!(written.starts_with("[profile prod-Admin]\nregion = us-east-2\n\n"));
    assert!(written.contains("[profile prod-Admin-100000000001]\n"));
}

#[cfg(unix)]
#[test]
fn permissions_are_kept_and_new_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = signed_in();
    let mode = |env: &TestEnv| {
        std::fs::metadata(env.config_file())
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    env.run(&["profiles", "--write"]).success();
    assert_eq!(mode(&env), 0o600, "a new file is 0600");
    std::fs::set_permissions(env.config_file(), std::fs::Permissions::from_mode(0o640)).unwrap();
    env.emulator
        .update_config(|c| c.accounts[1].roles.push("Ops".into()));
    env.run(&["profiles", "--write", "--refresh"]).success();
    assert_eq!(mode(&env), 0o640);
    assert!(read(&env).contains("[profile dev-team-Ops]"));
}

#[cfg(unix)]
#[test]
fn on_a_fresh_machine_write_makes_the_aws_directory() {
    use std::os::unix::fs::PermissionsExt;
    let env = signed_in();
    let dir = env.home.join(".aws");
    std::fs::remove_dir_all(&dir).unwrap();
    // The default place: no AWS_CONFIG_FILE, which the harness sets.
    let args = ["profiles", "--write"];
    let mut command = env.command(&args);
    command.env_remove("AWS_CONFIG_FILE");
    Run::from(&command.output().unwrap(), &args)
        .success()
        .stderr_has("written to");
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    assert!(read(&env).contains("credential_process = ssokey credential-process --profile "));
}

#[cfg(unix)]
#[test]
fn a_read_only_file_and_a_missing_directory_fail_clearly_with_nothing_lost() {
    use std::os::unix::fs::PermissionsExt;
    let mut env = signed_in();
    env.write_config("[profile mine]\n");
    std::fs::set_permissions(env.config_file(), std::fs::Permissions::from_mode(0o444)).unwrap();
    env.run(&["profiles", "--write"])
        .failure(1)
        .stderr_has("read-only");
    assert_eq!(read(&env), "[profile mine]\n");
    let missing = env.dir.path().join("no/such/dir/config");
    env.set_env("AWS_CONFIG_FILE", missing.to_str().unwrap());
    env.run(&["profiles", "--write"])
        .failure(1)
        .stderr_has("does not exist");
    assert!(!missing.exists());
}

#[test]
fn a_malformed_config_file_is_refused_with_its_line() {
    let env = signed_in();
    env.write_config("[profile a]\nregion = x\nnot a key line\n");
    env.run(&["profiles", "--write"])
        .failure(1)
        .stderr_has("line 3");
    assert_eq!(read(&env), "[profile a]\nregion = x\nnot a key line\n");
}

#[test]
fn the_aws_cli_uses_a_profile_that_ssokey_wrote() {
    let mut env = signed_in();
    env.run(&["profiles", "--write", "--region", REGION])
        .success();
    let run = aws_get_caller_identity(&mut env, "--profile dev-team-Admin");
    run.success();
    assert_eq!(run.json()["Account"], "100000000002");
    assert_eq!(
        env.emulator.last_caller(),
        Some(("100000000002".to_owned(), "Admin".to_owned()))
    );
}

/// `aws FLAGS sts get-caller-identity` against the emulator, with the ssokey
/// under test on PATH for the profiles' `credential_process` lines.
fn aws_get_caller_identity(env: &mut TestEnv, flags: &str) -> Run {
    env.put_ssokey_on_path();
    let script = format!(
        "{} {flags} sts get-caller-identity --output json --endpoint-url {}",
        crate::awscli::aws().display(),
        env.emulator.url()
    );
    env.shell("bash", &script)
}

/// Account and role names that spell `default` never make the profile that
/// the AWS CLI uses without --profile: after `profiles --write`, a plain
/// `aws sts get-caller-identity` finds no credentials, as before.
#[test]
fn portal_names_never_make_the_default_profile() {
    let mut env = TestEnv::with_config(sso_emulator::Config {
        accounts: vec![
            // The default template: '***' sanitizes away, leaving 'default'.
            Account::new("100000000001", "***", &["default"]),
            // --name '{account_name}'.
            Account::new("100000000002", "default", &["Admin"]),
        ],
        ..config()
    });
    env.login().success();
    for (flags, account) in [
        (&["--region", REGION][..], "100000000001"),
        (
            &["--region", REGION, "--name", "{account_name}"][..],
            "100000000002",
        ),
    ] {
        let _ = std::fs::remove_file(env.config_file());
        let mut args = vec!["profiles", "--write"];
        args.extend(flags);
        env.run(&args).success().stderr_has(&format!(
            "is named 'default-{account}': the AWS CLI uses a profile of that name for every command without --profile"
        ));
        let written = read(&env);
        assert!(!written.contains("[profile default]"), "{written}");
        assert!(!written.contains("[default]"), "{written}");
        assert!(
            written.contains(&format!("[profile default-{account}]")),
            "{written}"
        );

        let run = aws_get_caller_identity(&mut env, "--region us-east-1");
        assert_ne!(run.code, Some(0), "{run}");
        assert!(run.stderr.contains("Unable to locate credentials"), "{run}");
        assert_eq!(env.emulator.count(Op::GetCallerIdentity), 0);
    }
    // The profile is there under its own name.
    let run = aws_get_caller_identity(&mut env, "--profile default-100000000002");
    run.success();
    assert_eq!(run.json()["Account"], "100000000002");
}

#[test]
fn a_profile_name_never_moves_to_another_account() {
    let env = TestEnv::with_config(sso_emulator::Config {
        accounts: vec![Account::new("100000000002", "prod", &["Admin"])],
        ..config()
    });
    env.login().success();
    env.run(&["profiles", "--write"]).success();
    let before = read(&env);
    assert!(
        before.contains("[profile prod-Admin]\ncredential_process = ssokey credential-process --profile prod-Admin\nssokey_session = ssokey-test\nssokey_account_id = 100000000002\n"),
        "{before}"
    );
    // A second account of the same name is listed before the first one: it
    // gets a new name, and prod-Admin goes on naming the account it named.
    env.emulator.update_config(|c| {
        c.accounts
            .push(Account::new("100000000001", "prod", &["Admin"]));
    });
    env.run(&["profiles", "--write", "--refresh"])
        .success()
        .stderr_has("1 to add, 0 to update, 0 to remove")
        .stderr_has(
            "'prod-Admin' for 100000000001 prod (Admin) is named 'prod-Admin-100000000001'",
        );
    assert_eq!(
        read(&env),
        format!(
            "{before}\n[profile prod-Admin-100000000001]\ncredential_process = ssokey credential-process --profile prod-Admin-100000000001\nssokey_session = ssokey-test\nssokey_account_id = 100000000001\nssokey_role_name = Admin\nregion = {REGION}\n"
        )
    );
    let after = read(&env);
    env.run(&["profiles", "--write"])
        .success()
        .stderr_has("up to date");
    assert_eq!(read(&env), after);
}

#[test]
fn a_profile_the_user_wrote_with_ssokeys_keys_is_never_pruned() {
    let env = signed_in();
    // As the README shows: a profile for `--profile dev`, written by hand,
    // and one whose credential_process is the user's own.
    let mine = "[profile dev]\nssokey_session = ssokey-test\nssokey_account_id = 100000000002\nssokey_role_name = Admin\n\n[profile slow]\ncredential_process = ssokey credential-process --profile slow --margin 30m\nssokey_session = ssokey-test\nssokey_account_id = 100000000001\nssokey_role_name = ReadOnly\n";
    env.write_config(mine);
    let run = env.run(&["profiles", "--write"]);
    run.success()
        .stderr_has("3 to add, 0 to update, 0 to remove");
    assert!(!run.stderr.contains("no longer assigned"), "{run}");
    let written = read(&env);
    assert!(
        written.starts_with(&format!("{mine}\n[profile dev-team-Admin]\n")),
        "{written}"
    );
    env.run(&["profiles", "--write", "--prune"])
        .success()
        .stderr_has("up to date");
    assert_eq!(read(&env), written);
    // Even when their role is gone: ssokey removes only what it wrote.
    env.emulator
        .update_config(|c| c.accounts[0].roles.retain(|r| r != "ReadOnly"));
    env.run(&["profiles", "--write", "--prune", "--refresh"])
        .success()
        .stderr_has("0 to add, 0 to update, 1 to remove");
    let pruned = read(&env);
    assert!(pruned.starts_with(mine), "{pruned}");
    assert!(!pruned.contains("[profile prod-ReadOnly]"), "{pruned}");
}

#[cfg(unix)]
#[test]
fn a_symlinked_config_stays_a_link_to_the_file_it_names() {
    use std::os::unix::fs::PermissionsExt;
    let env = signed_in();
    // As GNU stow links a dotfiles repository: a relative link.
    let dotfiles = env.root().join("dotfiles/aws");
    std::fs::create_dir_all(&dotfiles).unwrap();
    let real = dotfiles.join("config");
    let mine = "[profile mine]\nregion = eu-west-1\n";
    std::fs::write(&real, mine).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = std::path::Path::new("../../dotfiles/aws/config");
    std::os::unix::fs::symlink(link, env.config_file()).unwrap();

    env.run(&["profiles", "--write"]).success();
    let config = env.config_file();
    assert!(
        std::fs::symlink_metadata(&config)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is still a link"
    );
    assert_eq!(std::fs::read_link(&config).unwrap(), link);
    let written = std::fs::read_to_string(&real).unwrap();
    assert!(
        written.starts_with(&format!("{mine}\n[profile dev-team-Admin]\n")),
        "{written}"
    );
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    // The backup is kept where the user looks for it, beside the link, and
    // nothing but the config is left in the dotfiles repository.
    let backup = env.home.join(".aws/config.ssokey-backup");
    assert!(std::fs::symlink_metadata(&backup).unwrap().is_file());
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), mine);
    let names: Vec<_> = std::fs::read_dir(&dotfiles)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["config"]);
    env.run(&["profiles", "--write"])
        .success()
        .stderr_has("up to date");
}

/// A symlink that another user planted at the backup's name (in a directory
/// they can write to) is replaced by the backup: the file it points to is
/// neither written nor chmod'ed, and the backup has the config's mode.
#[cfg(unix)]
#[test]
fn a_planted_backup_symlink_is_replaced_not_followed() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let env = signed_in();
    let original = "[profile mine]\nregion = eu-west-1\n";
    env.write_config(original);
    let mode = |path: &std::path::Path| {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    let chmod = |path: &std::path::Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    chmod(&env.config_file(), 0o640);
    let victim = env.root().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    chmod(&victim, 0o600);
    let backup = env.home.join(".aws/config.ssokey-backup");
    symlink(&victim, &backup).unwrap();

    env.run(&["profiles", "--write"]).success();

    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(mode(&victim), 0o600);
    assert!(std::fs::symlink_metadata(&backup).unwrap().is_file());
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), original);
    assert_eq!(mode(&backup), 0o640);
    assert!(read(&env).contains("[profile prod-Admin]"));
}

/// Without --region, the profiles get the region of the session's
/// `[sso-session]` (its `region` setting), else the Identity Center region,
/// and the AWS CLI then needs no AWS_REGION; the line after the diff says
/// which.
#[test]
fn written_profiles_have_a_region_and_say_where_it_came_from() {
    let mut env = signed_in();
    env.run(&["profiles", "--write"])
        .success()
        .stderr_has(&format!(
            "in region {REGION} (the Identity Center region; --region sets another)"
        ));
    assert!(
        read(&env).contains(&format!(
            "[profile dev-team-Admin]\ncredential_process = ssokey credential-process --profile dev-team-Admin\nssokey_session = {SESSION}\nssokey_account_id = 100000000002\nssokey_role_name = Admin\nregion = {REGION}\n"
        )),
        "{}",
        read(&env)
    );
    let run = aws_get_caller_identity(&mut env, "--profile dev-team-Admin");
    run.success();
    assert_eq!(run.json()["Account"], "100000000002");

    // The session's own region setting comes next; --region wins over it.
    env.write_config(&format!(
        "[sso-session {SESSION}]\nsso_start_url = {START_URL}\nsso_region = {REGION}\nregion = eu-central-1\n"
    ));
    let run = env.run(&["profiles"]);
    run.success().stderr_has(&format!(
        "in region eu-central-1 (from region in [sso-session {SESSION}])"
    ));
    assert!(run.stdout.contains("+region = eu-central-1\n"), "{run}");
    let run = env.run(&["profiles", "--region", "eu-west-1"]);
    run.success()
        .stderr_has("in region eu-west-1 (from --region)");
    assert!(run.stdout.contains("+region = eu-west-1\n"), "{run}");
}
