//! ssokey: sign in to AWS IAM Identity Center once, then get short-lived AWS credentials.

mod auth;
mod aws_config;
mod cache;
mod cli;
mod commands;
mod complete;
mod credentials;
mod doctor;
mod env;
mod error;
mod fast_tier;
mod files;
mod keychain;
mod listing;
mod logging;
mod oidc;
mod output;
mod pace;
mod picker;
mod portal;
mod profiles;
mod render;
mod sdk;
mod secret;
mod session;
mod target;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    complete::complete_if_asked();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return error::usage(&err, std::env::args_os()),
    };
    let color = env::stderr_color(cli.color);
    logging::init(cli.verbose, env::rust_log().as_deref(), color);
    match env::Env::from_process(cli.color).and_then(|env| commands::run(cli, &env)) {
        Ok(code) => code,
        Err(err) => error::report(&err, color),
    }
}
