//! Lock files: a run held up by another run's lock waits a bounded time, says
//! which process holds it, and then goes ahead without it (the target's lock)
//! or fails naming the holder (the session's lock). Never a hang.

use std::process::{Child, Output};
use std::time::{Duration, Instant};

use crate::harness::{TestEnv, config, credential_process_args, signal, wait_until, wait_within};
use sso_emulator::Op;

const ACCOUNT: &str = "100000000001";
/// Far beyond any bound under test: a run that takes this long hangs.
const LIMIT: Duration = Duration::from_secs(30);

/// A run stopped with SIGSTOP, as Ctrl-Z stops it, while it holds its locks.
/// Resumed at the end of the test, or killed if the test fails first: no
/// process is left behind.
struct Stopped(Option<Child>);

impl Stopped {
    /// Stops `child` once `holds` says it holds the lock.
    fn when(child: Child, holds: impl FnMut() -> bool) -> Stopped {
        let stopped = Stopped(Some(child));
        wait_until(LIMIT, "the run to take the lock", holds);
        signal(stopped.child(), "STOP");
        stopped
    }

    fn child(&self) -> &Child {
        self.0.as_ref().unwrap()
    }

    fn pid(&self) -> u32 {
        self.child().id()
    }

    /// Resumes it and waits for it to finish.
    fn resume(mut self) -> Output {
        signal(self.child(), "CONT");
        wait_within(self.0.take().unwrap(), LIMIT, "the resumed run")
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn target() -> Vec<&'static str> {
    credential_process_args(ACCOUNT, "Admin", &[])
}

#[test]
fn a_stopped_holder_of_the_targets_lock_is_named_then_passed_by() {
    let mut env = TestEnv::with_config(config());
    env.login().success();
    env.set_env("SSOKEY_LOCK_WAIT", "4");
    // The holder's GetRoleCredentials is answered after it is stopped.
    env.emulator
        .update_config(|c| c.latency = Duration::from_secs(2));
    let holder = Stopped::when(env.spawn(&target()), || {
        env.emulator.count(Op::GetRoleCredentials) == 1
    });
    env.emulator.update_config(|c| c.latency = Duration::ZERO);
    let pid = holder.pid();
    let started = Instant::now();
    let run = env.run_within(LIMIT, &target());
    eprintln!(
        "locks: passing a stopped holder took {:.2?}",
        started.elapsed()
    );
    let what = format!("the credentials of ssokey-test/{ACCOUNT}/Admin");
    run.success()
        .stderr_has(&format!(
            "ssokey: note: waiting for process {pid}, which holds the lock on {what}\n"
        ))
        .stderr_has(&format!(
            "ssokey: warning: process {pid} holds the lock on {what} and did not let go of it in 4s; going ahead without it\n"
        ));
    assert_eq!(env.emulator.count(Op::GetRoleCredentials), 2);
    let resumed = holder.resume();
    assert!(resumed.status.success(), "{resumed:?}");
}

#[test]
fn a_stopped_holder_of_the_sessions_lock_fails_the_next_run_naming_it() {
    // Access tokens that are never usable: every run renews its token, under
    // the session's lock.
    let mut env = TestEnv::with_config(sso_emulator::Config {
        access_token_ttl: Duration::from_secs(1),
        ..config()
    });
    env.login().success();
    env.set_env("SSOKEY_LOCK_WAIT", "3");
    let renewals = env.emulator.count(Op::CreateToken);
    env.emulator
        .update_config(|c| c.latency = Duration::from_secs(2));
    let holder = Stopped::when(env.spawn(&target()), || {
        env.emulator.count(Op::CreateToken) == renewals + 1
    });
    env.emulator.update_config(|c| c.latency = Duration::ZERO);
    let pid = holder.pid();
    let started = Instant::now();
    let run = env.run_within(LIMIT, &target());
    eprintln!(
        "locks: failing behind a stopped holder took {:.2?}",
        started.elapsed()
    );
    // Past the target's lock, it stops at the session's.
    run.failure(1)
        .stderr_has("going ahead without it\n")
        .stderr_has(&format!(
            "ssokey: note: waiting for process {pid}, which holds the lock on the session 'ssokey-test'\n"
        ))
        .stderr_has(&format!(
            "ssokey: error: process {pid} holds the lock on the session 'ssokey-test' and did not let go of it in 3s"
        ))
        .stderr_has(&format!(
            "hint: process {pid} holds the lock; resume it (`fg` in its shell, or kill -CONT {pid}) or end it, then run the command again\n"
        ));
    assert_eq!(env.emulator.count(Op::CreateToken), renewals + 1);
    let resumed = holder.resume();
    assert!(resumed.status.success(), "{resumed:?}");
    // And with the holder gone, the next run goes through.
    env.run(&target()).success();
}

/// A cache directory (`XDG_CACHE_HOME`) that another user (uid 65534) made,
/// mode 0777, with a pause file and a held lock planted in it: ssokey obeys
/// neither, and refuses the directory, saying whose it is. A 0777
/// `~/.cache/ssokey` of the user's own is refused too, with the chmod to
/// run; once fixed, the same run works.
#[test]
fn a_cache_directory_that_others_can_write_is_refused_and_its_files_never_trusted() {
    let mut env = TestEnv::new();
    env.login().success();
    let args = credential_process_args(ACCOUNT, "ReadOnly", &[]);

    // Another user's directory, with a pause of auto sign-in, and the
    // target's lock held by that user's process.
    let evil = env.root().join("evil");
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 60;
    let lock = format!("ssokey/locks/role-ssokey-test-{ACCOUNT}-ReadOnly.lock");
    let script = format!(
        "umask 0; mkdir -p '{dir}/ssokey/cool-down' '{dir}/ssokey/locks' && \
         chmod 0777 '{dir}' '{dir}/ssokey' '{dir}/ssokey/cool-down' '{dir}/ssokey/locks' && \
         printf '{{\"until\":{until},\"reason\":\"planted\"}}' > '{dir}/ssokey/cool-down/ssokey-test.json' && \
         echo 1 > '{dir}/{lock}' && exec flock '{dir}/{lock}' sleep 30",
        dir = evil.display()
    );
    std::fs::create_dir(&evil).unwrap();
    std::process::Command::new("chown")
        .args(["65534:65534"])
        .arg(&evil)
        .status()
        .unwrap();
    let mut holder = TestEnv::as_user(65534, &script).spawn().unwrap();
    let planted = evil.join(&lock);
    wait_until(LIMIT, "the other user's lock", || planted.exists());
    std::thread::sleep(Duration::from_millis(200));

    env.set_env("XDG_CACHE_HOME", evil.to_str().unwrap());
    env.set_env("SSOKEY_LOCK_WAIT", "3");
    let started = Instant::now();
    let run = env.run(&args);
    let took = started.elapsed();
    // Signed out, with auto sign-in on: the planted pause is not obeyed.
    env.emulator.revoke_all();
    env.emulator.expire_access_tokens();
    env.set_env("SSOKEY_AUTO_LOGIN", "1");
    let paused = env.run(&[
        "credential-process",
        "--account",
        ACCOUNT,
        "--role",
        "Admin",
    ]);
    let _ = holder.kill();
    let _ = holder.wait();
    for run in [&run, &paused] {
        run.failure(1)
            .stderr_has(&format!(
                "{}/ssokey/locks belongs to another user (uid 65534)",
                evil.display()
            ))
            .stderr_has("hint: use a directory of your own");
        assert!(!run.stderr.contains("planted"), "{run}");
        assert!(!run.stderr.contains("waiting for"), "{run}");
    }
    assert!(
        took < Duration::from_secs(2),
        "waited {took:?} on another user's lock"
    );

    // The user's own cache directory, 0777.
    let mut env = TestEnv::new();
    env.login().success();
    let cache = env.home.join(".cache/ssokey");
    std::fs::create_dir_all(&cache).unwrap();
    let chmod = |mode: &str| {
        std::process::Command::new("chmod")
            .arg(mode)
            .arg(&cache)
            .status()
            .unwrap()
    };
    chmod("0777");
    env.run(&args)
        .failure(1)
        .stderr_has(&format!(
            "{} is writable by other users (mode 777)",
            cache.display()
        ))
        .stderr_has(&format!("hint: run: chmod go-w '{}'", cache.display()));
    chmod("0700");
    env.set_env("SSOKEY_LOCK_WAIT", "3");
    env.run(&args).success();
}
