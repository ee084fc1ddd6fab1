//! ssokey: sign in to AWS IAM Identity Center once, then get short-lived AWS credentials.

mod auth;
mod aws_config;
mod cache;
mod cli;
mod commands;
mod credentials;
mod env;
mod error;
mod fast_tier;
mod files;
mod keychain;
mod listing;
mod oidc;
mod output;
mod pace;
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
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return error::usage(&err, std::env::args_os()),
    };
    match env::Env::from_process().and_then(|env| commands::run(cli, &env)) {
        Ok(code) => code,
        Err(err) => error::report(&err),
    }
}
