//! The command under `ssokey exec --server` ends when ssokey does, on Linux:
//! it gets SIGTERM the moment ssokey dies, however it dies (`kill -9`, the
//! OOM killer, a crash). Otherwise the command would outlive its credential
//! server and send its next request, token included, to whatever process
//! binds the freed port. The one room where ssokey runs code between `fork`
//! and `exec`, which the standard library allows only as `unsafe`.
//!
//! SIGTERM, because it is what the command gets from ssokey when ssokey is
//! stopped in the ordinary way (see `signals::Forwarding`): a command that
//! cleans up on it (terraform releases its state lock) does so here too,
//! where SIGKILL would give it no chance and SIGHUP makes many daemons
//! reload instead of stopping.
//!
//! What it does not cover: the command's own children (a shell script's
//! commands) get nothing unless the command passes the signal on; a
//! set-user-ID command clears the setting at `exec`; a command may catch or
//! ignore SIGTERM. Elsewhere (macOS, Windows) there is no such setting: the
//! command goes on, and docs/security.md says so.

#![allow(unsafe_code)]

use std::os::unix::process::CommandExt as _;
use std::process::Command;

use rustix::process::{Signal, getpid, getppid, set_parent_process_death_signal};

/// Makes `command`, once spawned, get SIGTERM when the thread that spawns it
/// ends: the kernel ties the setting to the thread, so the caller must
/// spawn from a thread that lives as long as ssokey (the main thread) and
/// wait there.
pub fn terminate_with_parent(command: &mut Command) {
    let parent = getpid();
    let in_child = move || {
        set_parent_process_death_signal(Some(Signal::TERM))?;
        // ssokey may have died between the fork and the call above, when
        // the setting came too late: the child has been handed to another
        // parent, and must not run.
        if getppid() != Some(parent) {
            return Err(rustix::io::Errno::SRCH.into());
        }
        Ok(())
    };
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls may be made. It makes two system calls (prctl
    // and getppid, through rustix, which neither allocates nor locks), and
    // its errors are raw OS error codes (io::Error::from(Errno) allocates
    // nothing); it touches no lock and no memory that other threads share.
    unsafe {
        command.pre_exec(in_child);
    }
}
