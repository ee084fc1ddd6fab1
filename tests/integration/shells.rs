//! `ssokey env` evaluated by real shells: the environment then holds the
//! credentials byte for byte.

use crate::harness::{TestEnv, config, credential_process_args};

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

/// Puts the ssokey under test first on the PATH, as the scripts call `ssokey`.
const ON_PATH: &str = "PATH=\"$(dirname \"$SSOKEY\"):$PATH\"; export PATH; ";

#[test]
fn the_completion_scripts_complete_accounts_and_roles_offline() {
    use sso_emulator::Account;
    // account-002 has no ReadOnly, so that what is typed narrows the rest.
    let mut env = TestEnv::with_config(sso_emulator::Config {
        accounts: vec![
            Account::new("100000000001", "account-001", &["Admin", "ReadOnly"]),
            Account::new("100000000002", "account-002", &["Admin"]),
        ],
        ..config()
    });
    env.login().success();
    env.run(&["list"]).success();
    // From here on, completion needs neither the portal nor the keychain.
    env.stop_keyring();
    for var in ["AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL_SSO_OIDC"] {
        env.set_env(var, "http://127.0.0.1:9");
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");

    let bash = format!(
        "{ON_PATH}source '{}' && complete -p ssokey >/dev/null && \
         COMP_WORDS=(ssokey env --account ''); COMP_CWORD=3; _clap_complete_ssokey ssokey '' --account; printf '%s\\n' \"${{COMPREPLY[@]}}\"; \
         COMP_WORDS=(ssokey exec --account 100000000001 --role R); COMP_CWORD=5; _clap_complete_ssokey ssokey R --role; printf '%s\\n' \"${{COMPREPLY[@]}}\"; \
         COMP_WORDS=(ssokey exec --account account-002 --role ''); COMP_CWORD=5; _clap_complete_ssokey ssokey '' --role; printf '%s\\n' \"${{COMPREPLY[@]}}\"; \
         COMP_WORDS=(ssokey env --role ReadOnly --account ''); COMP_CWORD=5; _clap_complete_ssokey ssokey '' --account; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        dir.join("ssokey.bash").display()
    );
    assert_eq!(
        shell(&env, "bash", &bash),
        "100000000001\n100000000002\naccount-001\naccount-002\nReadOnly\nAdmin\n100000000001\naccount-001\n"
    );

    // zsh's completion widgets run only inside the line editor; `_describe`,
    // which would hand the candidates to it, prints them instead.
    let zsh = format!(
        "{ON_PATH}autoload -U compinit && compinit -u && source '{}' && \
         _describe() {{ shift 2; print -rl -- ${{(P)1}} }}; \
         words=(ssokey env --account ''); CURRENT=4; _clap_dynamic_completer_ssokey; \
         words=(ssokey env --account 100000000001 --role ''); CURRENT=6; _clap_dynamic_completer_ssokey",
        dir.join("_ssokey").display()
    );
    assert_eq!(
        shell(&env, "zsh", &zsh),
        "100000000001:account-001\n100000000002:account-002\naccount-001:100000000001\naccount-002:100000000002\n\
         Admin:in 100000000001\nReadOnly:in 100000000001\n"
    );

    let fish = format!(
        "set -gx PATH (dirname $SSOKEY) $PATH; source '{}'; and complete -C'ssokey env --account account-'; and complete -C'ssokey env --session '; and complete -C'ssokey env --account account-002 --role '",
        dir.join("ssokey.fish").display()
    );
    assert_eq!(
        shell(&env, "fish", &fish),
        format!(
            "account-001\t100000000001\naccount-002\t100000000002\n{}\t{}\nAdmin\tin 100000000002\n",
            crate::harness::SESSION,
            crate::harness::START_URL
        )
    );
}

#[test]
fn accounts_complete_after_a_name_lookup_without_a_listing() {
    // A lookup by name caches the accounts alone (no `ssokey list` yet).
    let env = TestEnv::with_config(config());
    env.login().success();
    env.run(&credential_process_args("account-001", "Admin", &[]))
        .success();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/ssokey.bash");
    let bash = format!(
        "{ON_PATH}source '{}' && COMP_WORDS=(ssokey env --account ''); COMP_CWORD=3;          _clap_complete_ssokey ssokey '' --account; printf '%s\n' \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    assert_eq!(
        shell(&env, "bash", &bash),
        "100000000001\n100000000002\naccount-001\naccount-002\n"
    );
}

#[test]
fn bash_completes_a_name_as_one_word_and_never_runs_it() {
    use sso_emulator::Account;
    // Control Tower names an account "Log Archive"; a portal may also hand out
    // a name that the shell would run.
    let hostile = "prod$(touch pwned)";
    let env = TestEnv::with_config(sso_emulator::Config {
        accounts: vec![
            Account::new("100000000001", "Log Archive", &["Admin"]),
            Account::new("100000000002", hostile, &["Admin"]),
        ],
        ..config()
    });
    env.login().success();
    env.run(&["list"]).success();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/ssokey.bash");
    // `typed` is the word as on the command line, `word` what bash passes as
    // $2; the candidate goes on the line as readline would put it, and the
    // shell then reads that line.
    let bash = format!(
        r#"{ON_PATH}source '{}' && cd "$(mktemp -d)" || exit 1
        tab() {{ COMP_WORDS=(ssokey env --account "$1"); COMP_CWORD=3; _clap_complete_ssokey ssokey "$2" --account; printf '%s\n' "${{COMPREPLY[@]}}"; }}
        tab 'Log' 'Log'
        tab 'Log\ A' 'Log\ A'
        tab "'Log A" 'Log A'
        tab 'pro' 'pro'
        COMP_WORDS=(ssokey env --account pro); COMP_CWORD=3; _clap_complete_ssokey ssokey pro --account
        eval "set -- $COMPREPLY"; printf '%s|%s\n' "$#" "$1"
        COMP_WORDS=(ssokey env --account 'Log\ A'); COMP_CWORD=3; _clap_complete_ssokey ssokey 'Log\ A' --account
        eval "set -- $COMPREPLY"; printf '%s|%s\n' "$#" "$1"
        ls"#,
        script.display()
    );
    assert_eq!(
        shell(&env, "bash", &bash),
        format!(
            "Log\\ Archive\nLog\\ Archive\nLog Archive\nprod\\$\\(touch\\ pwned\\)\n1|{hostile}\n1|Log Archive\n"
        )
    );
}

#[test]
fn a_closed_pipe_on_stdout_ends_quietly() {
    // 1,000 roles make well over the 64 KiB that a pipe buffers, so the
    // writer meets the closed pipe.
    let env = TestEnv::with_config(sso_emulator::Config {
        accounts: sso_emulator::accounts(500, &["Admin", "ReadOnly"]),
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

/// `completions --install SHELL` on a fresh HOME: the script lands where the
/// shell reads it, the directories made, stderr says where; then the shell
/// itself finds it there (zsh through fpath and compinit, fish by its
/// autoloading, which calls ssokey back for the subcommands).
#[test]
fn completions_install_where_each_shell_reads_them() {
    let mut env = TestEnv::new();
    env.put_ssokey_on_path();
    let home = env.home.clone();
    for (shell, file, check) in [
        (
            "bash",
            ".local/share/bash-completion/completions/ssokey",
            // What bash-completion does on demand: source it, then ask.
            "source \"$HOME/.local/share/bash-completion/completions/ssokey\" && complete -p ssokey",
        ),
        (
            "zsh",
            ".zfunc/_ssokey",
            "fpath+=(~/.zfunc); autoload -U compinit; compinit -u -d \"$HOME/.zcompdump\"; print -r -- $_comps[ssokey]",
        ),
        (
            "fish",
            ".config/fish/completions/ssokey.fish",
            "complete -C'ssokey comp'",
        ),
    ] {
        let path = home.join(file);
        assert!(!path.exists());
        let run = env.run(&["completions", "--install", shell]);
        run.success().stderr_has(&format!(
            "Wrote the {shell} completion script to {}.",
            path.display()
        ));
        assert_eq!(run.stdout, "", "{run}");
        let printed = env.run(&["completions", shell]);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            printed.success().stdout,
            "{shell}"
        );
        let out = env.shell(shell, check);
        out.success();
        let expected = match shell {
            "bash" => "ssokey",
            "zsh" => "_ssokey",
            _ => "completions",
        };
        assert!(out.stdout.contains(expected), "{shell}: {out}");
    }
    // zsh: the line to add, as ~/.zshrc does not name ~/.zfunc yet.
    std::fs::remove_file(home.join(".zfunc/_ssokey")).unwrap();
    env.run(&["completions", "--install", "zsh"])
        .success()
        .stderr_has(&format!("fpath+=({})", home.join(".zfunc").display()));
    // Shells whose script goes into a profile are told so.
    env.run(&["completions", "--install", "powershell"])
        .failure(2)
        .stderr_has("--install knows bash, zsh and fish");
}

/// The guide's commands (docs/profiles.md) that install the completion scripts by hand run as
/// written on a fresh HOME.
#[test]
fn the_readmes_completion_commands_work_on_a_fresh_home() {
    let mut env = TestEnv::new();
    env.put_ssokey_on_path();
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/profiles.md"),
    )
    .unwrap();
    let block = readme
        .split("By hand, the same is:\n\n```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the guide's block of commands by hand");
    env.shell("bash", &format!("set -e\n{block}")).success();
    for file in [
        ".local/share/bash-completion/completions/ssokey",
        ".zfunc/_ssokey",
        ".config/fish/completions/ssokey.fish",
    ] {
        let text = std::fs::read_to_string(env.home.join(file)).unwrap();
        assert!(text.contains("SSOKEY_COMPLETE"), "{file}");
    }
}
