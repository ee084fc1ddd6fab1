//! Secrets never leak (issue #8): the whole flow, as verbose as ssokey gets,
//! then every secret the emulator issued is looked for in every file, every
//! output that is not meant to carry one, and every command line.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::harness::{REGION, Run, START_URL, TestEnv, collect_files, config};

const ACCOUNT: &str = "100000000001";

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A run whose stdout may carry credentials (`env`, `credential-process`) and
/// whose stderr may not; any other run may carry none anywhere.
struct Outputs {
    runs: Vec<(Run, bool)>,
}

impl Outputs {
    fn scanned(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for (run, stdout_carries_credentials) in &self.runs {
            out.push(run.stderr.as_str());
            if !stdout_carries_credentials {
                out.push(run.stdout.as_str());
            }
        }
        out
    }
}

#[cfg(unix)]
#[test]
fn no_secret_reaches_a_file_an_output_or_a_command_line() {
    let mut env = TestEnv::with_config(sso_emulator::Config {
        // Every command that calls the portal refreshes first, and the refresh
        // tokens rotate: more kinds of secret go through ssokey.
        access_token_ttl: Duration::from_mins(4),
        ..config()
    });
    let root = env.dir.path().to_owned();
    // A browser that records its command line, then approves.
    let argv_file = root.join("browser-argv.txt");
    let browser = root.join("recording-browser");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\" >> '{}'\n{}\
             (sleep 0.2; curl -fsSL -o /dev/null \"$url\") >/dev/null 2>&1 &\n",
            argv_file.display(),
            crate::harness::FOLLOW_PAGE
        ),
    )
    .unwrap();
    make_executable(&browser);
    env.set_env("BROWSER", &browser.display().to_string());
    env.set_env("RUST_LOG", "trace");
    env.set_env("RUST_BACKTRACE", "1");
    // As verbose as ssokey gets: -vvv, and RUST_LOG=trace above, which
    // chooses instead and asks the SDK for whole requests too.
    let verbose: &[&str] = &["-vvv"];
    let cmdlines = root.join("cmdlines.txt");
    let dump = format!(
        "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < \"$f\" 2>/dev/null; echo; done > '{}'; echo exec-ran",
        cmdlines.display()
    );
    let run = |args: &[&str]| {
        let mut all: Vec<&str> = verbose.to_vec();
        all.extend(args);
        let run = env.run(&all);
        run.success();
        run
    };
    let mut outputs = Outputs { runs: Vec::new() };
    let target = ["--account", ACCOUNT, "--role", "Admin"];
    let login = run(&["login", "--start-url", START_URL, "--region", REGION]);
    // The logs are there to be scanned: the scan below is not of silence.
    assert!(
        login.stderr.contains("RegisterClient") && login.stderr.contains("keychain write"),
        "{login}"
    );
    outputs.runs.push((login, false));
    outputs.runs.push((run(&["status"]), false));
    outputs.runs.push((run(&["list", "--refresh"]), false));
    outputs
        .runs
        .push((run(&["list", "--output", "json"]), false));
    let mut env_args = vec!["env", "--shell", "bash"];
    env_args.extend(target);
    outputs.runs.push((run(&env_args), true));
    let mut process_args = vec!["credential-process", "--refresh"];
    process_args.extend(target);
    outputs.runs.push((run(&process_args), true));
    let mut exec_args = vec!["exec"];
    exec_args.extend(["--account", ACCOUNT, "--role", "ReadOnly"]);
    exec_args.extend(["--", "sh", "-c", &dump]);
    let exec = run(&exec_args);
    assert_eq!(exec.stdout, "exec-ran\n");
    outputs.runs.push((exec, false));
    outputs.runs.push((run(&["profiles"]), false));
    outputs.runs.push((run(&["profiles", "--write"]), false));
    outputs.runs.push((
        run(&["credential-process", "--profile", "account-001-Admin"]),
        true,
    ));
    outputs
        .runs
        .push((run(&["login", "--force", "--device-code"]), false));
    outputs.runs.push((run(&["logout"]), false));
    outputs.runs.push((run(&["status"]), false));

    // The command lines were recorded: the browser got ssokey's private
    // pages, never the sign-in addresses (their state, their user code).
    let argv = std::fs::read_to_string(&argv_file).unwrap();
    assert!(argv.contains("file://"), "{argv}");
    assert!(!argv.contains("/device?user_code="), "{argv}");
    assert!(!argv.contains("/authorize?response_type=code"), "{argv}");
    let lines = std::fs::read_to_string(&cmdlines).unwrap();
    let processes = lines.lines().filter(|l| !l.is_empty()).count();
    assert!(lines.contains("exec-ran"), "the dump saw itself");
    eprintln!("leaks: {processes} command lines seen while exec ran");

    let scanned = env.assert_no_secret_leaked(&outputs.scanned());
    eprintln!(
        "leaks: {} secrets looked for in {} files and {} outputs of {} runs",
        scanned.secrets,
        scanned.files,
        scanned.outputs,
        outputs.runs.len()
    );
    assert!(scanned.secrets >= 8, "{scanned:?}");
    // The scan can fail: credentials printed by credential-process would be found.
    let (leaky, _) = &outputs.runs[5];
    let secrets = env.emulator.issued_secrets();
    assert!(secrets.iter().any(|s| leaky.stdout.contains(s.as_str())));

    let checked = assert_private(&env.home);
    eprintln!("leaks: {checked} files and directories of ssokey's are private");
}

/// Every file that ssokey created under HOME is 0600 and every directory it
/// created 0700; returns how many it checked.
#[cfg(unix)]
fn assert_private(home: &Path) -> usize {
    let mut checked = 0;
    let mut dirs: Vec<PathBuf> = Vec::new();
    for base in [".config", ".cache"] {
        let dir = home.join(base);
        if dir.exists() {
            dirs.push(dir);
        }
    }
    let mut files = Vec::new();
    for dir in &dirs {
        collect_files(dir, &mut files);
        assert_private_dirs(dir, &mut checked);
    }
    // The AWS config file that `profiles --write` created, and its backup.
    let aws = home.join(".aws");
    collect_files(&aws, &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("ssokey/sessions.json")),
        "{files:?}"
    );
    assert!(
        files.iter().any(|f| f.ends_with(".aws/config")),
        "{files:?}"
    );
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
        checked += 1;
    }
    checked
}

#[cfg(unix)]
fn assert_private_dirs(dir: &Path, checked: &mut usize) {
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    *checked += 1;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            assert_private_dirs(&entry.path(), checked);
        }
    }
}
