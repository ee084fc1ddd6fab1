//! Runs the local IAM Identity Center emulator until Ctrl-C, for trying ssokey (or the AWS CLI)
//! without an AWS account.
//!
//! ```text
//! cargo run --example emulator -- [--port 4567] [--accounts 3] [--roles Admin,ReadOnly] [--auto-approve]
//! ```

#[path = "../tests/emulator/mod.rs"]
mod emulator;

use std::process::ExitCode;

use emulator::{Config, Emulator, START_URL};

const USAGE: &str = "usage: cargo run --example emulator -- [--port PORT] [--accounts N] [--roles ROLE,ROLE] [--auto-approve] [--quiet]";

struct Args {
    port: u16,
    accounts: usize,
    roles: Vec<String>,
    auto_approve: bool,
    quiet: bool,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        port: 0,
        accounts: 3,
        roles: vec![
            "AdministratorAccess".to_owned(),
            "ReadOnlyAccess".to_owned(),
        ],
        auto_approve: false,
        quiet: false,
    };
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("{name} needs a value"))
        };
        match name.as_str() {
            "--port" => {
                parsed.port = value()?.parse().map_err(|_| "--port needs a port number")?;
            }
            "--accounts" => {
                parsed.accounts = value()?.parse().map_err(|_| "--accounts needs a number")?;
            }
            "--roles" => {
                parsed.roles = value()?
                    .split(',')
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            "--auto-approve" => parsed.auto_approve = true,
            "--quiet" => parsed.quiet = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) if message.is_empty() => {
            eprintln!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("emulator: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let roles: Vec<&str> = args.roles.iter().map(String::as_str).collect();
    let config = Config {
        accounts: emulator::accounts(args.accounts, &roles),
        auto_approve: args.auto_approve,
        verbose: !args.quiet,
        ..Config::default()
    };
    let emulator = match Emulator::start_on(config, args.port) {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!(
                "emulator: cannot listen on 127.0.0.1:{}: {error}",
                args.port
            );
            return ExitCode::FAILURE;
        }
    };
    let url = emulator.url();
    eprintln!(
        "Identity Center emulator on {url}: {} accounts, roles {}",
        args.accounts,
        args.roles.join(", ")
    );
    eprintln!(
        "Paste the lines below into your shell, then sign in with the start URL (any start URL works)."
    );
    if args.auto_approve {
        eprintln!("Sign-ins approve themselves.");
    } else {
        eprintln!(
            "Approve a sign-in by opening its verification link, or: curl '{url}/device?user_code=CODE'"
        );
    }
    eprintln!("Ctrl-C stops it.");
    println!("export AWS_ENDPOINT_URL_SSO_OIDC={url}");
    println!("export AWS_ENDPOINT_URL_SSO={url}");
    println!("# start URL: {START_URL}");

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("emulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = runtime.block_on(tokio::signal::ctrl_c()) {
        eprintln!("emulator: cannot wait for Ctrl-C: {error}");
        return ExitCode::FAILURE;
    }
    drop(emulator);
    eprintln!("emulator: stopped");
    ExitCode::SUCCESS
}
