//! No core file holds ssokey's tokens: the process is not dumpable, whatever
//! `ulimit -c` says, and a command that `ssokey exec` runs is dumpable again.

#![cfg(target_os = "linux")]

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::{TestEnv, config, credential_process_args, wait_until, wait_within};
use sso_emulator::{Fault, Op};

const ACCOUNT: &str = "100000000001";

/// `ARGS` run by sh under `ulimit -c unlimited` (as far as the hard limit
/// allows), with SIGQUIT at its default action, in `dir`.
fn with_core_files(env: &TestEnv, dir: &Path, program: &str, args: &[&str]) -> Command {
    let base = env.command(&[]);
    let mut command = Command::new("sh");
    command
        .env_clear()
        .envs(base.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .current_dir(dir)
        .args([
            "-c",
            "ulimit -c unlimited 2>/dev/null; ulimit -c; exec \"$@\"",
            "sh",
        ])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/default-signals"))
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// SIGQUIT while a refresh is in flight, the refresh token in memory: the
/// process dies of the signal and dumps no core. A control process in the
/// same conditions shows whether this machine writes core files at all
/// (core_pattern may pipe them to systemd-coredump or apport: the wait
/// status's core flag says so either way).
#[test]
fn sigquit_during_a_refresh_dumps_no_core() {
    let env = TestEnv::with_config(sso_emulator::Config {
        auto_approve: true,
        access_token_ttl: Duration::from_secs(20),
        ..config()
    });
    env.login().success();
    let control_dir = env.root().join("control");
    let dir = env.root().join("cwd");
    std::fs::create_dir_all(&control_dir).unwrap();
    std::fs::create_dir_all(&dir).unwrap();

    let control = with_core_files(
        &env,
        &control_dir,
        "python3",
        &[
            "-c",
            "import os, signal; os.kill(os.getpid(), signal.SIGQUIT)",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(control.status.signal(), Some(3), "{control:?}");
    let dumps = control.status.core_dumped();
    eprintln!(
        "core_dumps: a control process under `ulimit -c {}` dumped core: {dumps} (core_pattern {:?}; files {:?})",
        String::from_utf8_lossy(&control.stdout).trim(),
        std::fs::read_to_string("/proc/sys/kernel/core_pattern")
            .unwrap_or_default()
            .trim(),
        entries(&control_dir),
    );

    let refreshes = env.emulator.count(Op::CreateToken);
    env.emulator
        .fault_next(Op::CreateToken, &Fault::Stall(Duration::from_hours(1)), 1);
    let ssokey = env!("CARGO_BIN_EXE_ssokey");
    let child = with_core_files(
        &env,
        &dir,
        ssokey,
        &credential_process_args(ACCOUNT, "ReadOnly", &[]),
    )
    .spawn()
    .unwrap();
    wait_until(Duration::from_secs(30), "the refresh", || {
        env.emulator.count(Op::CreateToken) > refreshes
    });
    std::thread::sleep(Duration::from_millis(100));
    let killed = Command::new("kill")
        .args(["-QUIT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = wait_within(child, Duration::from_secs(30), "a refresh after SIGQUIT");
    assert_eq!(output.status.signal(), Some(3), "{output:?}");
    assert!(
        !output.status.core_dumped(),
        "ssokey dumped core: {output:?}"
    );
    assert_eq!(
        entries(&dir),
        Vec::<String>::new(),
        "a file in the working directory"
    );
}

/// `ssokey exec` runs its command with execve, which makes the process
/// dumpable again: the command's own core dumps and debugging work as
/// without ssokey, and its core limit is the one it was started with.
#[test]
fn a_command_that_exec_runs_is_dumpable() {
    let env = TestEnv::new();
    env.login().success();
    let ssokey = env!("CARGO_BIN_EXE_ssokey");
    let probe = "import ctypes, resource\n\
                 soft = resource.getrlimit(resource.RLIMIT_CORE)[0]\n\
                 print('unlimited' if soft == resource.RLIM_INFINITY else soft)\n\
                 print(ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))  # PR_GET_DUMPABLE";
    let args = [
        "exec",
        "--account",
        ACCOUNT,
        "--role",
        "ReadOnly",
        "--",
        "python3",
        "-c",
        probe,
    ];
    let output = with_core_files(&env, env.root(), ssokey, &args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(lines[1], lines[0], "the core limit changed under exec");
    assert_eq!(lines[2], "1", "the command is not dumpable");
}
