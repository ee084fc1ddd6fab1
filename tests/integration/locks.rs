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
