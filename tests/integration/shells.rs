//! `ssokey env` evaluated by real shells: the environment then holds the
//! credentials byte for byte.

use crate::harness::{TestEnv, config};

const ACCOUNT: &str = "100000000001";

/// Runs `script` in `shell`, which must succeed; returns its stdout.
fn shell(env: &TestEnv, shell: &str, script: &str) -> String {
    env.shell(shell, script).success().stdout.clone()
}

fn expected(env: &TestEnv) -> String {
    let issued = env.emulator.last_role_credentials().unwrap();
    let expiration = std::time::UNIX_EPOCH + std::time::Duration::from_millis(issued.expiration);
    format!(
        "{}\n{}\n{}\n{}\n",
        issued.access_key_id,
        issued.secret_access_key,
        issued.session_token,
        humantime::format_rfc3339_seconds(expiration)
    )
}

const PRINT: &str = "printf '%s\\n' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" \"$AWS_SESSION_TOKEN\" \"$AWS_CREDENTIAL_EXPIRATION\"";

#[test]
fn bash_and_zsh_eval_the_exports() {
    let env = TestEnv::with_config(config());
    env.login().success();
    for sh in ["bash", "zsh"] {
        let script = format!(
            "eval \"$(\"$SSOKEY\" env --shell {sh} --account {ACCOUNT} --role Admin)\" && {PRINT}"
        );
        assert_eq!(shell(&env, sh, &script), expected(&env), "{sh}");
        let unset = format!(
            "eval \"$(\"$SSOKEY\" env --shell {sh} --account {ACCOUNT} --role Admin)\" && eval \"$(\"$SSOKEY\" env --unset --shell {sh})\" && echo \"[${{AWS_ACCESS_KEY_ID-unset}}]\""
        );
        assert_eq!(shell(&env, sh, &unset), "[unset]\n", "{sh}");
    }
}

#[test]
fn the_default_shell_is_the_parent_shell() {
    let env = TestEnv::with_config(config());
    env.login().success();
    // Under bash (the parent of ssokey here), POSIX lines.
    let out = shell(
        &env,
        "bash",
        &format!("\"$SSOKEY\" env --account {ACCOUNT} --role Admin; true"),
    );
    assert!(out.starts_with("export AWS_ACCESS_KEY_ID='"), "{out}");
    let out = shell(
        &env,
        "fish",
        &format!("$SSOKEY env --account {ACCOUNT} --role Admin"),
    );
    assert!(out.starts_with("set -gx AWS_ACCESS_KEY_ID '"), "{out}");
}

#[test]
fn fish_sources_the_exports() {
    let env = TestEnv::with_config(config());
    env.login().success();
    let script = format!(
        "$SSOKEY env --shell fish --account {ACCOUNT} --role Admin | source; and printf '%s\\n' $AWS_ACCESS_KEY_ID $AWS_SECRET_ACCESS_KEY $AWS_SESSION_TOKEN $AWS_CREDENTIAL_EXPIRATION"
    );
    assert_eq!(shell(&env, "fish", &script), expected(&env));
    let unset = format!(
        "$SSOKEY env --shell fish --account {ACCOUNT} --role Admin | source; $SSOKEY env --unset --shell fish | source; set -q AWS_ACCESS_KEY_ID; or echo unset"
    );
    assert_eq!(shell(&env, "fish", &unset), "unset\n");
}

#[test]
fn the_completion_scripts_load_in_their_shells() {
    let env = TestEnv::with_config(config());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let bash = format!(
        "source '{}' && complete -p ssokey",
        dir.join("ssokey.bash").display()
    );
    assert!(shell(&env, "bash", &bash).contains("ssokey"));
    let zsh = format!(
        "autoload -U compinit && compinit -u && source '{}' && print -r -- ${{+functions[_ssokey]}}",
        dir.join("_ssokey").display()
    );
    assert_eq!(shell(&env, "zsh", &zsh), "1\n");
    let fish = format!(
        "source '{}'; and complete -c ssokey | count",
        dir.join("ssokey.fish").display()
    );
    let count: usize = shell(&env, "fish", &fish).trim().parse().unwrap();
    assert!(count > 10, "{count} completions");
}

#[test]
fn a_closed_pipe_on_stdout_ends_quietly() {
    // 1,000 roles make well over the 64 KiB that a pipe buffers, so the
    // writer meets the closed pipe.
    let env = TestEnv::with_config(crate::emulator::Config {
        accounts: crate::emulator::accounts(500, &["Admin", "ReadOnly"]),
        ..config()
    });
    env.login().success();
    let run = env.shell(
        "bash",
        "\"$SSOKEY\" list --output json | head -c 1 >/dev/null; echo \"status ${PIPESTATUS[0]}\"; \"$SSOKEY\" list --output json | wc -c",
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[1].trim().parse::<usize>().unwrap() > 128 * 1024,
        "{run}"
    );
    assert_eq!(lines[0], "status 0", "{run}");
    assert_eq!(run.stderr, "", "{run}");
}
