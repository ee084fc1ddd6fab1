//! The command that `ssokey exec --server` runs: started with the server's
//! variables, served until it ends, its signals and exit status passed
//! through as plain `exec`'s are.

use std::process::{Command, ExitStatus};

use super::Server;

/// Starts `command` (which already holds the server's variables), serves it
/// until it exits, and returns its status. An error means that the command
/// could not be started.
pub fn run(server: Server, mut command: Command) -> std::io::Result<ExitStatus> {
    let runtime = crate::aws::sdk::runtime()?;
    #[cfg(unix)]
    let forwarding = {
        let _entered = runtime.enter();
        super::signals::Forwarding::install()?
    };
    // Spawned and waited for on this thread, which lives as long as ssokey:
    // the kernel ties the death signal to the thread that spawns.
    #[cfg(target_os = "linux")]
    super::parent_death::terminate_with_parent(&mut command);
    let mut child = command.spawn()?;
    #[cfg(unix)]
    let pid = child.id();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = std::thread::Builder::new()
        .name("credential-server".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                let until = async {
                    let _ = stopped.await;
                };
                #[cfg(unix)]
                let until = async {
                    tokio::select! {
                        () = until => {}
                        () = forwarding.run(pid) => {}
                    }
                };
                if let Err(err) = server.serve(until).await {
                    crate::ui::warning(format_args!("the credential server stopped: {err}"));
                }
            });
        })?;
    let status = child.wait();
    let _ = stop.send(());
    let _ = serving.join();
    status
}

/// Ends ssokey as the command ended: with its exit code, or, on unix, killed
/// by the same signal (its handler reset first), so that the shell sees what
/// it would have seen without ssokey.
pub fn exit_like(status: ExitStatus) -> ! {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = status.signal() {
            let _ = signal_hook::low_level::emulate_default_handler(signal);
            // A signal whose default action is not to end the process.
            std::process::exit(128 + signal);
        }
    }
    std::process::exit(status.code().unwrap_or(1))
}
