//! The first run: `ssokey login` with no session set up, on a real terminal
//! (tmux), asks for the start URL and, only when the URL does not name it,
//! the region; it offers to write the `[sso-session]` section, and writes
//! it only on yes. Off a terminal it asks nothing.

use std::process::Command;

use crate::harness::{TestEnv, config};
use crate::terminal::Tmux;

/// A terminal running bash in `env`, with the prompt on screen.
fn terminal(env: &TestEnv) -> Tmux {
    let term = Tmux::start(env);
    term.wait_for("bash-");
    term
}

/// Types `ssokey login` on `term` (stdout into ./out, so that the screen
/// shows only what goes to stderr) and waits for its first question.
fn login(env: &TestEnv, term: &Tmux) {
    login_then(env, term, "; echo \"status=$?\"");
}

/// The same, with `then` after the command.
fn login_then(env: &TestEnv, term: &Tmux, then: &str) {
    let out = env.root().join("out");
    fresh(term);
    term.type_text(&format!("ssokey login > '{}'{then}", out.display()), true);
    term.wait_for("Start URL:");
}

/// Clears the screen, and waits until no `status=N` line of the command
/// before is left on it.
fn fresh(term: &Tmux) {
    term.type_text("clear", true);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while term
        .screen()
        .lines()
        .any(|line| line.starts_with("status="))
    {
        assert!(std::time::Instant::now() < deadline, "the screen stays");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The shell's `status=N` line, once the command ended.
fn ended(term: &Tmux) -> (String, String) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut screen = term.screen();
    while !screen.lines().any(|line| line.starts_with("status=")) {
        assert!(
            std::time::Instant::now() < deadline,
            "no status=N line:\n{screen}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
        screen = term.screen();
    }
    let status = screen
        .lines()
        .find_map(|line| line.strip_prefix("status="))
        .unwrap()
        .trim()
        .to_owned();
    (status, screen)
}

/// What botocore, the AWS CLI's reader, makes of the `[sso-session NAME]`
/// section of the test's config file.
fn botocore_sso_session(env: &TestEnv, name: &str) -> serde_json::Value {
    let python = crate::awscli::aws().with_file_name("python");
    let out = Command::new(python)
        .args([
            "-c",
            "import json, sys, awscli, botocore.session\n\
             config = botocore.session.Session().full_config\n\
             print(json.dumps(config.get('sso_sessions', {}).get(sys.argv[1])))",
            name,
        ])
        .env("AWS_CONFIG_FILE", env.config_file())
        .env("HOME", env.root().join("home"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_pasted_address_bar_url_and_the_region_then_yes_writes_the_section() {
    let env = TestEnv::with_config(config());
    let mine = "# mine\n[profile other]\nregion = eu-west-1";
    env.write_config(mine);
    let term = terminal(&env);
    login(&env, &term);
    let styled = term.tmux(&["capture-pane", "-p", "-e"]);
    assert!(
        styled.contains("\u{1b}[1mStart URL:"),
        "the question is in bold:\n{styled:?}"
    );
    // As the address bar has it, with spaces around it.
    term.type_text("  https://ssokey-test.awsapps.com/start/#/  ", true);
    term.wait_for("Region:");
    term.type_text("us-east-1", true);
    let screen = term.wait_for("Write it? [Y/n]");
    let config = env.config_file().display().to_string();
    let diff = format!(
        "--- {config}\n+++ {config} (with [sso-session ssokey-test])\n@@ -1,3 +1,8 @@\n # mine\n \
         [profile other]\n-region = eu-west-1\n\\ No newline at end of file\n+region = eu-west-1\n+\n\
         +[sso-session ssokey-test]\n+sso_start_url = https://ssokey-test.awsapps.com/start\n\
         +sso_region = us-east-1\n+sso_registration_scopes = sso:account:access\n\
         \\ No newline at end of file\n"
    );
    assert!(screen.contains(&diff), "{diff}in:\n{screen}");
    // Enter: the default is yes.
    term.tmux(&["send-keys", "Enter"]);
    let (status, screen) = ended(&term);
    assert_eq!(status, "0", "{screen}");
    assert!(screen.contains("Signed in to 'ssokey-test'"), "{screen}");
    assert_eq!(
        std::fs::read_to_string(env.root().join("out")).unwrap(),
        "",
        "stdout stays data only"
    );
    assert_eq!(
        std::fs::read_to_string(env.config_file()).unwrap(),
        "# mine\n[profile other]\nregion = eu-west-1\n\n[sso-session ssokey-test]\n\
         sso_start_url = https://ssokey-test.awsapps.com/start\nsso_region = us-east-1\n\
         sso_registration_scopes = sso:account:access"
    );
    assert_eq!(
        std::fs::read_to_string(env.root().join("home/.aws/config.ssokey-backup")).unwrap(),
        mine
    );
    assert_eq!(
        env.emulator.last_start_url().as_deref(),
        Some("https://ssokey-test.awsapps.com/start")
    );
    // The section is the session now: no flag needed, off the terminal too.
    env.run(&["login"])
        .success()
        .stderr_has("Already signed in to 'ssokey-test'");
    // And the AWS CLI reads the same definition.
    assert_eq!(
        botocore_sso_session(&env, "ssokey-test"),
        serde_json::json!({
            "sso_start_url": "https://ssokey-test.awsapps.com/start",
            "sso_region": "us-east-1",
            "sso_registration_scopes": "sso:account:access",
        })
    );
}

#[test]
fn a_url_that_names_its_region_asks_no_region_and_no_writes_nothing() {
    let env = TestEnv::with_config(config());
    let term = terminal(&env);
    term.type_text("export NO_COLOR=1", true);
    login(&env, &term);
    let styled = term.tmux(&["capture-pane", "-p", "-e"]);
    assert!(!styled.contains('\u{1b}'), "NO_COLOR:\n{styled:?}");
    // Without https://, and with the newer host that names the region.
    term.type_text("ssoins-1234567890abcdef.portal.us-east-1.app.aws/", true);
    let screen = term.wait_for("Write it? [Y/n]");
    assert!(!screen.contains("Region:"), "{screen}");
    assert!(
        screen.contains("+sso_region = us-east-1"),
        "the region from the URL:\n{screen}"
    );
    term.type_text("n", true);
    let (status, screen) = ended(&term);
    assert_eq!(status, "0", "{screen}");
    assert!(
        screen.contains("Signed in to 'ssoins-1234567890abcdef'"),
        "{screen}"
    );
    assert!(!env.config_file().exists(), "no config file was written");
    assert_eq!(
        env.emulator.last_start_url().as_deref(),
        Some("https://ssoins-1234567890abcdef.portal.us-east-1.app.aws")
    );
    // Remembered as --start-url does: the next login needs no flag.
    env.run(&["login"])
        .success()
        .stderr_has("Already signed in to 'ssoins-1234567890abcdef'");
}

#[test]
fn wrong_answers_are_asked_again_and_a_cancel_writes_nothing() {
    let env = TestEnv::with_config(config());
    env.write_config("");
    let term = terminal(&env);

    // Three wrong answers: each says why; then the usage error.
    login(&env, &term);
    term.type_text("acme", true);
    term.wait_for("'acme' is not a URL");
    term.type_text("http://acme.awsapps.com/start", true);
    term.wait_for("it must use https; try again.");
    term.type_text("https://acme.awsapps.com/start", true);
    term.wait_for("Region:");
    term.type_text("ireland", true);
    term.wait_for("'ireland' is not an AWS region name; try again.");
    term.type_text("moon", true);
    term.type_text("mars", true);
    let (status, screen) = ended(&term);
    assert_eq!(status, "2", "{screen}");
    assert_eq!(screen.matches("Start URL:").count(), 3, "{screen}");
    assert_eq!(screen.matches("Region:").count(), 3, "{screen}");
    assert!(
        screen.contains("ssokey: error: no session is set up yet"),
        "{screen}"
    );

    // Ctrl-C at the last question, and Ctrl-D at the first: nothing written,
    // nothing remembered.
    // (Bash ends a command list that Ctrl-C ended: the status comes after.)
    login_then(&env, &term, "");
    term.type_text("https://acme.awsapps.com/start", true);
    term.wait_for("Region:");
    term.type_text("eu-west-1", true);
    term.wait_for("Write it? [Y/n]");
    term.tmux(&["send-keys", "C-c"]);
    // The prompt again, below the one the command was typed at.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while term.screen().matches("bash-").count() < 2 {
        assert!(std::time::Instant::now() < deadline, "{}", term.screen());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    term.type_text("echo \"status=$?\"", true);
    let (status, screen) = ended(&term);
    assert_eq!(status, "130", "{screen}");
    login(&env, &term);
    term.tmux(&["send-keys", "C-d"]);
    let (status, screen) = ended(&term);
    assert_eq!(status, "2", "{screen}");
    assert_eq!(std::fs::read_to_string(env.config_file()).unwrap(), "");
    assert!(!env.root().join("home/.aws/config.ssokey-backup").exists());

    // Off a terminal (stdin or stderr elsewhere) nothing is asked: the usage
    // error, as before.
    let err = env.root().join("err");
    fresh(&term);
    term.type_text(
        &format!("ssokey login 2> '{}'; echo \"status=$?\"", err.display()),
        true,
    );
    let (status, screen) = ended(&term);
    assert_eq!(status, "2", "{screen}");
    let stderr = std::fs::read_to_string(&err).unwrap();
    fresh(&term);
    term.type_text("ssokey login < /dev/null; echo \"status=$?\"", true);
    let (status, screen) = ended(&term);
    assert_eq!(status, "2", "{screen}");
    assert!(!screen.contains("Start URL:"), "{screen}");
    assert!(
        screen.contains("ssokey: error: no session is set up yet"),
        "{screen}"
    );
    assert_eq!(
        stderr,
        "ssokey: error: no session is set up yet\n\
         hint: run: ssokey login --start-url https://NAME.awsapps.com/start --region REGION\n"
    );
    env.run(&["login"])
        .failure(2)
        .stderr_has("ssokey: error: no session is set up yet")
        .stderr_has("hint: run: ssokey login --start-url");
    assert_eq!(env.emulator.last_start_url(), None);
}
