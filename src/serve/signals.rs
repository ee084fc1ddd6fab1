//! Signals around the credential server: those that stop `ssokey serve`,
//! and those that `exec --server` passes on to its command.

use std::future::Future;

/// Completes at Ctrl-C, or (on unix) at SIGTERM or SIGHUP: the end of
/// `ssokey serve`. The handlers are installed by this call, which needs a
/// runtime (enter one first), so that a signal that comes later is caught.
#[cfg(unix)]
pub fn stop_requested() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
            _ = hangup.recv() => {}
        }
    })
}

#[cfg(not(unix))]
pub fn stop_requested() -> std::io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// The signals that a command run under the server gets from ssokey.
#[cfg(unix)]
pub struct Forwarding {
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
    quit: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Forwarding {
    /// Catches SIGTERM, SIGHUP, SIGINT and SIGQUIT from now on (in a runtime:
    /// enter one first), before the command starts, so that ssokey outlives
    /// them and serves the command until it ends. Caught, not ignored: the
    /// command, which inherits an ignored signal but not a handler, starts
    /// with the default actions.
    pub fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
            interrupt: signal(SignalKind::interrupt())?,
            quit: signal(SignalKind::quit())?,
        })
    }

    /// Passes SIGTERM and SIGHUP on to the process `pid`, which a supervisor
    /// or a closing terminal sends to ssokey alone. SIGINT and SIGQUIT come
    /// from the terminal, which sends them to the whole foreground process
    /// group, the command included: passing them on would deliver them twice
    /// (a second Ctrl-C makes terraform stop at once). Runs until dropped.
    pub async fn run(mut self, pid: u32) {
        use rustix::process::{Pid, Signal, kill_process};
        let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
            return std::future::pending().await;
        };
        loop {
            let signal = tokio::select! {
                Some(()) = self.terminate.recv() => Signal::TERM,
                Some(()) = self.hangup.recv() => Signal::HUP,
                Some(()) = self.interrupt.recv() => continue,
                Some(()) = self.quit.recv() => continue,
                else => return std::future::pending().await,
            };
            tracing::debug!(
                signal = signal.as_raw(),
                "passing a signal on to the command"
            );
            let _ = kill_process(pid, signal);
        }
    }
}
