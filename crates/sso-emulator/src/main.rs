//! Runs the local IAM Identity Center emulator until Ctrl-C (or SIGTERM), for trying ssokey (or
//! the AWS CLI) without an AWS account, and for benchmarks (`bench/list`).
//!
//! ```text
//! cargo run -p sso-emulator -- [--port 4567] [--accounts 3] [--roles Admin,ReadOnly]
//!     [--auto-approve] [--page-size 20] [--latency-ms 0]
//!     [--rate-limit ListAccountRoles=20/20]... [--stats FILE] [--quiet]
//! ```
//!
//! `GET /_emulator/stats` answers the request and throttle counts per operation as JSON while it
//! runs; `--stats FILE` writes the same JSON to FILE when it stops.

use std::process::ExitCode;

use sso_emulator::args::{self, Args, USAGE};
use sso_emulator::{Emulator, START_URL, STATS_PATH};

/// Ctrl-C, or SIGTERM where there is one.
async fn stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

fn describe(args: &Args, url: &str) {
    eprintln!(
        "Identity Center emulator on {url}: {} accounts, roles {}, pages of {}",
        args.accounts,
        args.roles.join(", "),
        args.page_size,
    );
    if !args.latency.is_zero() {
        eprintln!("Every answer waits {:?}.", args.latency);
    }
    let mut limits: Vec<_> = args.rate_limits.iter().collect();
    limits.sort_by_key(|(op, _)| op.name());
    for (op, limit) in limits {
        eprintln!(
            "{} is limited to {}/s with bursts of {}.",
            op.name(),
            limit.per_second,
            limit.burst
        );
    }
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
    eprintln!("Counters: curl {url}{STATS_PATH}");
    eprintln!("Ctrl-C stops it.");
}

fn main() -> ExitCode {
    let args = match args::parse(std::env::args().skip(1)) {
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
    let emulator = match Emulator::start_on(args.config(), args.port) {
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
    describe(&args, &url);
    print!("{}", Args::exports(&url));
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
    if let Err(error) = runtime.block_on(stop_signal()) {
        eprintln!("emulator: cannot wait for Ctrl-C: {error}");
        return ExitCode::FAILURE;
    }
    let stats = emulator.stats();
    drop(emulator);
    if let Some(path) = &args.stats
        && let Err(error) = std::fs::write(path, format!("{stats:#}\n"))
    {
        eprintln!("emulator: cannot write {}: {error}", path.display());
        return ExitCode::FAILURE;
    }
    eprintln!("emulator: stopped");
    ExitCode::SUCCESS
}
