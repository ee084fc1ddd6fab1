//! `ssokey serve`: the credential server in the foreground, until Ctrl-C or
//! SIGTERM, with the two variables that point an SDK at it on stdout.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::ServeArgs;
use crate::commands::target;
use crate::context::Context;
use crate::output::render::{self, Shell};
use crate::serve;

pub fn run(
    ctx: &Context,
    session_flag: Option<&str>,
    args: &ServeArgs,
) -> anyhow::Result<ExitCode> {
    let shell = args
        .shell
        .unwrap_or_else(|| Shell::detect(Context::parent_process().as_deref(), cfg!(windows)));
    let (server, label) = serve::for_target(
        ctx,
        session_flag,
        target::wanted(ctx, session_flag, &args.target, "serve", true)?,
        &target::options(&args.cache),
        args.port.unwrap_or(0),
        "serve",
    )?;
    let runtime = crate::aws::sdk::runtime().context("could not start the network runtime")?;
    let stop = {
        let _entered = runtime.enter();
        serve::signals::stop_requested().context("could not catch Ctrl-C")?
    };
    let variables = server.variables();
    let lines: Vec<(&str, &str)> = variables
        .iter()
        .map(|(name, value)| (*name, value.expose()))
        .collect();
    crate::output::print(&render::assignments(shell, &lines))?;
    crate::ui::say(format_args!(
        "Serving credentials for {label} on 127.0.0.1:{}; Ctrl-C stops it, or: kill {}",
        server.port(),
        std::process::id()
    ));
    runtime
        .block_on(server.serve(stop))
        .context("the credential server failed")?;
    Ok(ExitCode::SUCCESS)
}
