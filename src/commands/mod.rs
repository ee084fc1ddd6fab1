//! One thin module per subcommand; no command calls another.

mod completions;
mod console;
mod credentials;
mod doctor;
mod list;
mod login;
mod logout;
mod profiles;
mod serve;
mod status;

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::context::Context;

pub fn run(cli: Cli, env: &Context) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Login(args) => login::run(env, cli.session, &args),
        Command::Logout(args) => logout::run(env, cli.session.as_deref(), &args),
        Command::Status(args) => status::run(env, cli.session.as_deref(), &args),
        Command::List(args) => list::run(env, cli.session.as_deref(), &args),
        Command::Profiles(args) => profiles::run(env, cli.session.as_deref(), &args),
        Command::Env(args) => credentials::env(env, cli.session.as_deref(), &args),
        Command::CredentialProcess(args) => {
            credentials::credential_process(env, cli.session.as_deref(), &args)
        }
        Command::Exec(args) => credentials::exec(env, cli.session.as_deref(), &args),
        Command::Serve(args) => serve::run(env, cli.session.as_deref(), &args),
        Command::Console(args) => console::run(env, cli.session.as_deref(), &args),
        Command::Doctor(args) => doctor::run(env, cli.session.as_deref(), &args),
        Command::Completions(args) => completions::run(args.shell),
    }
}
