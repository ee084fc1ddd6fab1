//! One thin module per subcommand; no command calls another.

mod completions;
mod config_edit;
mod console;
mod credentials;
mod doctor;
mod list;
mod login;
mod logout;
mod profiles;
mod serve;
mod setup;
mod status;
mod target;

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::context::Context;

pub fn run(cli: Cli, ctx: &Context) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Login(args) => login::run(ctx, cli.session, &args),
        Command::Logout(args) => logout::run(ctx, cli.session.as_deref(), &args),
        Command::Status(args) => status::run(ctx, cli.session.as_deref(), &args),
        Command::List(args) => list::run(ctx, cli.session.as_deref(), &args),
        Command::Profiles(args) => profiles::run(ctx, cli.session.as_deref(), &args),
        Command::Env(args) => credentials::env(ctx, cli.session.as_deref(), &args),
        Command::CredentialProcess(args) => {
            credentials::credential_process(ctx, cli.session.as_deref(), &args)
        }
        Command::Exec(args) => credentials::exec(ctx, cli.session.as_deref(), &args),
        Command::Serve(args) => serve::run(ctx, cli.session.as_deref(), &args),
        Command::Console(args) => console::run(ctx, cli.session.as_deref(), &args),
        Command::Doctor(args) => doctor::run(ctx, cli.session.as_deref(), &args),
        Command::Completions(args) => completions::run(&args),
    }
}
