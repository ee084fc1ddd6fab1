//! Bad input of every kind: a clear error (`ssokey: error:`, a `hint:`, the
//! documented exit code, nothing on stdout), never a panic; and hostile names
//! from the portal, which are quoted or refused and never run.

use pretty_assertions::assert_eq;

use crate::harness::{REGION, Run, START_URL, TestEnv, config, credential_process_args};
use sso_emulator::{Account, Op};

const ACCOUNT: &str = "100000000001";

fn signed_in(config: sso_emulator::Config) -> TestEnv {
    let env = TestEnv::with_config(config);
    env.login().success();
    env
}

/// Asserts that no run of ssokey panicked: Rust prints this on a panic.
#[track_caller]
fn no_panic(run: &Run) {
    assert!(!run.stderr.contains("panicked"), "a panic\n{run}");
    assert_ne!(run.code, Some(101), "a panic\n{run}");
}

#[test]
fn account_ids_and_role_names_that_cannot_be_are_usage_errors() {
    let env = signed_in(config());
    for account in [
        "12345",
        "1234567890123",
        "0000000000000000000000000",
        " ",
        "",
    ] {
        let run = env.run(&["env", "--account", account, "--role", "Admin"]);
        run.failure(2)
            .stderr_has(&format!("'{}' is not an account id", account.trim()))
            .stderr_has("hint: an account id has 12 digits");
    }
    for role in ["Admin$(id)", "Admin\nx", "Ädmin", "a b", &"R".repeat(65)] {
        let run = env.run(&credential_process_args(ACCOUNT, role, &[]));
        run.failure(2)
            .stderr_has("is not a role name")
            .stderr_has("hint: give the role (permission set) name");
    }
    // Nothing of that reached the portal.
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 0);
}

#[test]
fn unknown_accounts_and_roles_name_the_close_ones() {
    let env = signed_in(config());
    let run = env.run(&["env", "--account", ACCOUNT, "--role", "Admn"]);
    run.failure(2)
        .stderr_has("ssokey: error: no role 'Admn' is assigned to you in the account 100000000001; did you mean Admin?")
        .stderr_has("hint: ");
    let run = env.run(&["env", "--account", "999999999999", "--role", "Admin"]);
    run.failure(2)
        .stderr_has("no account named '999999999999' is assigned to you");
    let run = env.run(&["env", "--account", "account-0001", "--role", "Admin"]);
    run.failure(2)
        .stderr_has("no account named 'account-0001' is assigned to you; did you mean account-001");
}

#[test]
fn unknown_shells_and_conflicting_flags_are_usage_errors_with_a_hint() {
    let env = TestEnv::new();
    let run = env.run(&["env", "--shell", "tcsh"]);
    run.failure(2);
    assert_eq!(
        run.stderr,
        "ssokey: error: invalid value 'tcsh' for '--shell <SHELL>'\n  \
         [possible values: bash, zsh, fish, powershell, cmd]\n\n  \
         tip: a similar value exists: 'zsh'\n\
         hint: see the usage in: ssokey env --help\n"
    );
    for args in [
        &["env", "--unset", "--profile", "p"][..],
        &["env", "--unset", "--account", ACCOUNT, "--role", "Admin"],
        &[
            "env",
            "--account",
            ACCOUNT,
            "--role",
            "Admin",
            "--profile",
            "p",
        ],
        &["logout", "--all", "--session", "x"],
        &["login", "--start-url", START_URL],
        &["list", "--concurrency", "0"],
        &["credential-process", "--margin", "soon"],
        &["--no-such-flag"],
    ] {
        let run = env.run(args);
        run.failure(2);
        no_panic(&run);
    }
    let run = env.run(&["env", "--unset", "--profile", "p"]);
    assert_eq!(
        run.stderr,
        "ssokey: error: the argument '--unset' cannot be used with '--profile <NAME>'\n\n\
         Usage: ssokey env --unset\n\
         hint: see the usage in: ssokey env --help\n"
    );
    // Help and version are not errors.
    let help = env.run(&["env", "--help"]);
    help.success();
    assert!(help.stdout.contains("Usage: ssokey env"), "{help}");
    env.run(&["--version"]).success();
}

#[test]
fn start_urls_other_than_https_are_refused() {
    let env = TestEnv::new();
    for url in [
        "http://example.com/start",
        "ftp://example.com/start",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "example.awsapps.com/start",
        "https://exa mple.awsapps.com/start",
        "https://example.awsapps.com/start\n",
        "http://127.0.0.1.example.com/start",
        "http://localhost.example.com/start",
        "http://evil.example.com\\@127.0.0.1/start",
        "http://127.0.0.1:80@evil.example.com/start",
        "https:///start",
    ] {
        let run = env.run(&["login", "--start-url", url, "--region", REGION]);
        run.failure(2)
            .stderr_has("is not a valid start URL")
            .stderr_has("hint: use the URL of your AWS access portal");
    }
    // The same from an [sso-session] of the config file.
    env.write_config(
        "[sso-session plain]\nsso_start_url = http://example.com/start\nsso_region = us-east-1\n",
    );
    env.run(&["login", "--session", "plain"])
        .failure(2)
        .stderr_has("'http://example.com/start' is not a valid start URL: it must use https");
    assert_eq!(env.emulator.count(Op::RegisterClient), 0);
    assert_eq!(env.emulator.count(Op::StartDeviceAuthorization), 0);
}

#[test]
fn an_empty_config_file_is_no_session_and_no_profile() {
    let env = TestEnv::new();
    env.write_config("");
    env.run(&["login"])
        .failure(2)
        .stderr_has("ssokey: error: no session is set up yet")
        .stderr_has("hint: run: ssokey login --start-url");
    env.login().success();
    env.write_config("");
    env.run(&["credential-process", "--profile", "dev"])
        .failure(2)
        .stderr_has("the profile 'dev' is not in");
    env.run(&credential_process_args(ACCOUNT, "Admin", &[]))
        .success();
}

/// Every command that reads the config file, given `AWS_CONFIG_FILE`.
fn config_readers() -> Vec<Vec<&'static str>> {
    vec![
        vec!["status"],
        vec!["login", "--session", "work"],
        vec!["credential-process", "--profile", "dev"],
        vec!["env", "--profile", "dev"],
        vec!["profiles"],
    ]
}

#[test]
fn a_config_file_that_is_not_utf8_names_the_line() {
    let mut env = TestEnv::new();
    let path = env.dir.path().join("latin1-config");
    std::fs::write(
        &path,
        b"[profile dev]\nregion = us-east-1\n# caf\xe9 \xff\n".as_slice(),
    )
    .unwrap();
    env.set_env("AWS_CONFIG_FILE", path.to_str().unwrap());
    for args in config_readers() {
        let run = env.run(&args);
        no_panic(&run);
        run.failure(1)
            .stderr_has(&format!(
                "ssokey: error: {} line 3: the file is not valid UTF-8",
                path.display()
            ))
            .stderr_has(&format!("hint: save {} as UTF-8", path.display()));
    }
}

#[test]
fn a_config_file_that_is_a_directory_says_so() {
    let mut env = TestEnv::new();
    let dir = env.dir.path().join("config-dir");
    std::fs::create_dir(&dir).unwrap();
    env.set_env("AWS_CONFIG_FILE", dir.to_str().unwrap());
    for args in config_readers() {
        let run = env.run(&args);
        no_panic(&run);
        run.failure(1)
            .stderr_has(&format!("cannot read {}", dir.display()))
            .stderr_has(&format!(
                "hint: {} is a directory; point AWS_CONFIG_FILE at a file",
                dir.display()
            ));
    }
}

#[test]
fn a_config_file_that_cannot_be_read_says_so() {
    let mut env = TestEnv::new();
    // Unreadable for every user, root included: a path through a file, and
    // a symlink that points at itself.
    let file = env.dir.path().join("plain-file");
    std::fs::write(&file, "").unwrap();
    let through_file = file.join("config");
    let looped = env.dir.path().join("looped");
    std::os::unix::fs::symlink(&looped, &looped).unwrap();
    let mut paths = vec![through_file, looped];
    // Unreadable by permissions, which root ignores.
    let private = env.dir.path().join("private-config");
    std::fs::write(&private, "[default]\n").unwrap();
    std::fs::set_permissions(
        &private,
        std::os::unix::fs::PermissionsExt::from_mode(0o000),
    )
    .unwrap();
    if std::fs::read(&private).is_err() {
        paths.push(private);
    }
    for path in paths {
        env.set_env("AWS_CONFIG_FILE", path.to_str().unwrap());
        for args in config_readers() {
            let run = env.run(&args);
            no_panic(&run);
            run.failure(1)
                .stderr_has(&format!("cannot read {}", path.display()))
                .stderr_has("hint: ");
        }
    }
}

/// A path for the hostile names to create files beside (`/tmp/pXXX-1`...),
/// short so that each name, markers included, fits in the 50 characters that
/// AWS allows an account name (ssokey cuts longer ones). The directory at the
/// path reserves it, and goes with the guard.
fn marker() -> (tempfile::TempDir, std::path::PathBuf) {
    let root = tempfile::Builder::new()
        .prefix("p")
        .rand_bytes(3)
        .tempdir_in("/tmp")
        .unwrap();
    let marker = root.path().to_owned();
    (root, marker)
}

/// Account names as an organization may give them: free text, up to the 50
/// characters that AWS allows.
fn hostile_names(marker: &std::path::Path) -> Vec<String> {
    let names = hostile_names_unchecked(marker);
    for name in &names {
        assert!(
            name.chars().count() <= 50,
            "{name:?} is longer than AWS allows"
        );
    }
    names
}

fn hostile_names_unchecked(marker: &std::path::Path) -> Vec<String> {
    let m = marker.display();
    vec![
        format!("it's $(touch {m}-1) and `touch {m}-2`"),
        format!("\"quoted\" ; touch {m}-3 ; echo"),
        format!("line\nbreak $(touch {m}-4)"),
        "Ünïcødé 名前 🐱".to_owned(),
        format!("%PATH% ^& ! $env:HOME (touch {m}-5)"),
        "   ".to_owned(),
    ]
}

fn hostile_accounts(marker: &std::path::Path) -> Vec<Account> {
    hostile_names(marker)
        .iter()
        .enumerate()
        .map(|(i, name)| Account::new(&format!("{}", 200_000_000_001 + i), name, &["Admin"]))
        .collect()
}

#[test]
fn hostile_account_names_are_quoted_by_every_shell_and_never_run() {
    let (_root, marker) = marker();
    let mut env = signed_in(sso_emulator::Config {
        accounts: hostile_accounts(&marker),
        ..config()
    });
    let print = "printf '%s\\n' \"$AWS_ACCESS_KEY_ID\"";
    // fish in the C locale passes non-ASCII arguments on as mojibake; a
    // person's terminal has a UTF-8 locale.
    env.set_env("LC_ALL", "C.UTF-8");
    for (i, name) in hostile_names(&marker).iter().enumerate() {
        if name.trim().is_empty() {
            continue;
        }
        env.set_env("HOSTILE", name);
        for sh in ["bash", "zsh"] {
            let script = format!(
                "eval \"$(\"$SSOKEY\" env --shell {sh} --account \"$HOSTILE\" --role Admin)\" && {print}"
            );
            let run = env.shell(sh, &script);
            run.success();
            let issued = env.emulator.last_role_credentials().unwrap();
            assert_eq!(issued.account_id, format!("{}", 200_000_000_001 + i));
            assert_eq!(run.stdout, format!("{}\n", issued.access_key_id), "{sh}");
        }
        let run = env.shell(
            "fish",
            &format!(
                "$SSOKEY env --shell fish --account \"$HOSTILE\" --role Admin | source; and {print}"
            ),
        );
        run.success();
        let issued = env.emulator.last_role_credentials().unwrap();
        assert_eq!(
            run.stdout,
            format!("{}\n", issued.access_key_id),
            "fish, {name:?}\n{run}"
        );
    }
    // The listing carries the names as they are, in JSON.
    let json = env.run(&["list", "--output", "json"]).success().json();
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["accountName"].as_str().unwrap())
        .collect();
    let mut expected = hostile_names(&marker);
    expected.sort();
    assert_eq!(names, expected);
    // The table shows one line per role: a line break in a name is shown
    // escaped, as is any other control character.
    let table = env.run(&["list"]).success().stdout.clone();
    assert_eq!(table.lines().count(), 1 + names.len(), "{table}");
    assert!(
        table.contains(&format!("line\\nbreak $(touch {}-4)", marker.display())),
        "{table}"
    );
    for i in 1..=5 {
        let file = format!("{}-{i}", marker.display());
        assert!(!std::path::Path::new(&file).exists(), "{file} was created");
    }
}

#[test]
fn profiles_of_hostile_account_names_are_sanitized_and_read_back() {
    let (_root, marker) = marker();
    let env = signed_in(sso_emulator::Config {
        accounts: hostile_accounts(&marker),
        ..config()
    });
    env.write_config("# mine\n[profile keep]\nregion = eu-west-1\n");
    let run = env.run(&["profiles", "--write"]);
    run.success();
    let text = std::fs::read_to_string(env.config_file()).unwrap();
    let m = marker.display().to_string();
    let sanitized = |s: &str| {
        let mut out = String::new();
        for ch in s.chars() {
            let ch = if ch.is_ascii_alphanumeric() || "._-".contains(ch) {
                ch
            } else {
                '-'
            };
            if !(ch == '-' && out.ends_with('-')) {
                out.push(ch);
            }
        }
        out.trim_matches(['-', '.']).to_owned()
    };
    let m = sanitized(&m);
    let mut expected = vec![
        format!("it-s-touch-{m}-1-and-touch-{m}-2-Admin"),
        format!("quoted-touch-{m}-3-echo-Admin"),
        format!("line-break-touch-{m}-4-Admin"),
        "Admin".to_owned(),
        format!("PATH-env-HOME-touch-{m}-5-Admin"),
        "n-c-d-Admin".to_owned(),
    ];
    expected.sort();
    let mut names: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("[profile "))
        .filter_map(|l| l.strip_suffix(']'))
        .filter(|n| *n != "keep")
        .map(str::to_owned)
        .collect();
    names.sort();
    assert_eq!(names, expected, "{text}");
    assert!(
        text.starts_with("# mine\n[profile keep]\nregion = eu-west-1\n\n"),
        "{text}"
    );
    // The AWS CLI (botocore's parser) reads each profile with its account.
    let ids = [
        (
            format!("it-s-touch-{m}-1-and-touch-{m}-2-Admin"),
            "200000000001",
        ),
        (format!("quoted-touch-{m}-3-echo-Admin"), "200000000002"),
        (format!("line-break-touch-{m}-4-Admin"), "200000000003"),
        ("n-c-d-Admin".to_owned(), "200000000004"),
        (format!("PATH-env-HOME-touch-{m}-5-Admin"), "200000000005"),
        ("Admin".to_owned(), "200000000006"),
    ];
    let aws = crate::awscli::aws().display().to_string();
    let mut script = String::new();
    let mut wanted = String::new();
    for (name, id) in &ids {
        script.push_str(&aws);
        script.push_str(" configure get ssokey_account_id --profile '");
        script.push_str(name);
        script.push_str("' || exit 1\n");
        wanted.push_str(id);
        wanted.push('\n');
    }
    let run = env.shell("bash", &script);
    assert_eq!(run.success().stdout, wanted);
    // ssokey's parser reads every profile back, and each one works.
    for name in &names {
        let run = env.run(&["credential-process", "--profile", name]);
        run.success();
    }
    // Running it again finds nothing to change.
    env.run(&["profiles", "--write"])
        .success()
        .stderr_has("are up to date");
    for i in 1..=5 {
        let file = format!("{}-{i}", marker.display());
        assert!(!std::path::Path::new(&file).exists(), "{file} was created");
    }
}

#[test]
fn a_hostile_role_name_from_the_portal_is_refused_and_never_run() {
    let root = tempfile::tempdir().unwrap();
    let marker = root.path().join("pwned");
    let hostile = format!("Admin$(touch {})", marker.display());
    let env = signed_in(sso_emulator::Config {
        accounts: vec![
            Account::new(ACCOUNT, "good", &["Admin"]),
            Account::new("100000000002", "bad", &["ReadOnly", &hostile]),
        ],
        ..config()
    });
    env.write_config("[profile keep]\nregion = eu-west-1\n");
    let before = std::fs::read_to_string(env.config_file()).unwrap();
    for args in [
        &["list"][..],
        &["list", "--output", "json"],
        &["profiles", "--write"],
    ] {
        let run = env.run(args);
        no_panic(&run);
        run.failure(1)
            .stderr_has("ListAccountRoles failed: the service sent an answer ssokey cannot read: a role name holds characters that IAM role names never do");
    }
    assert_eq!(std::fs::read_to_string(env.config_file()).unwrap(), before);
    // Asked for by name, it is refused before any call.
    env.run(&["env", "--account", "100000000002", "--role", &hostile])
        .failure(2)
        .stderr_has("is not a role name");
    // The good account still works.
    env.run(&["env", "--account", ACCOUNT, "--role", "Admin"])
        .success();
    assert!(!marker.exists());
}

#[test]
fn a_cache_dir_that_cannot_be_made_names_the_path() {
    let mut env = signed_in(config());
    let file = env.dir.path().join("cache-file");
    std::fs::write(&file, "").unwrap();
    env.set_env("XDG_CACHE_HOME", file.to_str().unwrap());
    env.set_env("SSOKEY_FAST_TIER", "off");
    let run = env.run(&credential_process_args(ACCOUNT, "Admin", &[]));
    no_panic(&run);
    run.failure(1)
        .stderr_has(&format!(
            "ssokey: error: could not take the credential cache's lock file {}/ssokey/",
            file.display()
        ))
        .stderr_has("hint: check that the path named above can be created");
    // A listing that cannot be cached is still shown, with a warning.
    env.run(&["list"])
        .success()
        .stderr_has("ssokey: warning: could not cache the listing in");
}

/// The help and the man pages say what the program does: both sign-in
/// flows, every keychain (the kernel keyring too), and one default per flag.
#[test]
fn help_and_man_pages_match_the_program() {
    let env = TestEnv::new();
    let help = env.run(&["--help"]);
    help.success();
    let man = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/ssokey.1"),
    )
    .unwrap();
    for text in [help.stdout.as_str(), man.as_str()] {
        // Wrapped lines joined, roff's escaped dashes plain.
        let text = text
            .replace("\\-", "-")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            !text.contains("runs the device-authorization sign-in"),
            "{text}"
        );
        assert!(text.contains("kernel keyring"), "{text}");
        assert!(text.contains("browser"), "{text}");
        assert!(text.contains("device code"), "{text}");
    }
    for sub in [
        "serve", "login", "env", "exec", "profiles", "console", "status",
    ] {
        // -h puts each flag on one line.
        let help = env.run(&[sub, "-h"]);
        for line in help.success().stdout.lines() {
            assert!(line.matches("[default:").count() <= 1, "{sub}: {line}");
        }
    }
}
