//! ssokey: sign in to AWS IAM Identity Center once, then get short-lived AWS credentials.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    ssokey::cli::complete_if_asked();
    match ssokey::cli::Cli::try_parse() {
        Ok(cli) => ssokey::run(cli),
        Err(err) => ssokey::error::usage(&err, std::env::args_os()),
    }
}
