//! Keeps the tokens in ssokey's memory out of core dumps: at start, before
//! any secret is read, the process is made non-dumpable, as ssh-agent and
//! gpg-agent do. The one room where ssokey asks the OS for it, through
//! rustix's safe calls.

/// Forbids core dumps of this process.
///
/// On Linux, `PR_SET_DUMPABLE` 0: no core file whatever `ulimit -c` and
/// `core_pattern` say, and no ptrace or `/proc/PID/mem` for other processes
/// of the user (its `/proc/PID` files become root's). `execve` resets the
/// flag, so a command that `ssokey exec` runs is dumpable as usual, and its
/// core limit is untouched. Elsewhere on Unix, the soft `RLIMIT_CORE` is set
/// to 0 (the hard limit stays), which a command that `ssokey exec` runs
/// inherits, as it would from `ulimit -c 0`. Elsewhere, nothing.
#[cfg(target_os = "linux")]
pub fn forbid() -> std::io::Result<()> {
    use rustix::process::{DumpableBehavior, set_dumpable_behavior};
    set_dumpable_behavior(DumpableBehavior::NotDumpable)?;
    Ok(())
}

#[cfg(all(unix, not(target_os = "linux")))]
pub fn forbid() -> std::io::Result<()> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let Rlimit { maximum, .. } = getrlimit(Resource::Core);
    setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum,
        },
    )?;
    Ok(())
}

#[cfg(not(unix))]
#[allow(clippy::unnecessary_wraps)]
pub fn forbid() -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn the_process_is_not_dumpable_after_forbid() {
        use rustix::process::{DumpableBehavior, dumpable_behavior};
        super::forbid().unwrap();
        assert_eq!(dumpable_behavior().unwrap(), DumpableBehavior::NotDumpable);
    }
}
