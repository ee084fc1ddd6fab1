//! ssokey: sign in to AWS IAM Identity Center once, then get short-lived AWS
//! credentials, with every token kept in the OS keychain.
//!
//! The rooms, from the user inwards:
//! - [`cli`] is the command line, [`commands`] one thin file per subcommand;
//! - [`session`] says which portal, [`target`] which account and role,
//!   [`auth`] keeps the sign-in, [`roles`] hands out role credentials,
//!   [`credentials`] finds them for what the command line names,
//!   [`console`] turns them into a console sign-in, [`serve`] serves them
//!   to SDKs over loopback,
//!   [`listing`] knows what is assigned, [`profiles`] writes AWS profiles;
//! - [`aws`] is the network edge, [`store`] the persistence (keychain, fast
//!   tier, files, locks), [`config_file`] the AWS config file;
//! - [`output`] renders what goes on stdout, [`ui`] writes everything on stderr,
//!   and [`error`] turns a failure into a message, a hint and an exit code;
//! - [`core_dumps`] keeps the process's memory out of core files.

pub mod auth;
pub mod aws;
pub mod browser;
pub mod chain;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config_file;
pub mod console;
pub mod context;
pub mod core_dumps;
pub mod credentials;
pub mod doctor;
pub mod error;
pub mod exit;
pub mod fetch;
pub mod listing;
pub mod logging;
pub mod loopback;
pub mod output;
pub mod profiles;
pub mod role_credentials;
pub mod secret;
pub mod serve;
pub mod session;
pub mod sign_in;
pub mod start_url;
pub mod store;
pub mod target;
pub mod ui;

use std::process::ExitCode;

/// Runs the parsed command line: logging, the process context, the command,
/// and the report of any error. Returns the exit code.
pub fn run(cli: cli::Cli) -> ExitCode {
    let color = ui::init(cli.color);
    logging::init(cli.verbose, context::rust_log().as_deref(), color);
    // Before any secret is read: a core file would hold every token in memory.
    if let Err(err) = core_dumps::forbid() {
        tracing::warn!("could not forbid core dumps of this process: {err}");
    }
    match context::Context::from_process(cli.color, cli.command.profile())
        .and_then(|ctx| commands::run(cli, &ctx))
    {
        Ok(code) => code,
        Err(err) => error::report(&err),
    }
}
