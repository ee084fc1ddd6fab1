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

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use sso_emulator::{Config, Emulator, Op, RateLimit, START_URL, STATS_PATH};

const USAGE: &str = "\
usage: sso-emulator [OPTIONS]

  --port PORT                  listen on 127.0.0.1:PORT (default: a free port)
  --accounts N                 assign N accounts (default: 3)
  --roles ROLE,ROLE            the roles in every account (default: AdministratorAccess,ReadOnlyAccess)
  --auto-approve               sign-ins approve themselves
  --interval SECONDS           the device-code polling interval it asks for (default: 1; AWS: 5)
  --page-size N                the largest page ListAccounts and ListAccountRoles return (default: 20)
  --latency-ms N               delay every answer by N ms (default: 0); not the 429s of --rate-limit
  --rate-limit OP=RATE[/BURST] a token bucket on OP: RATE requests a second, BURST at once
                               (default: RATE); e.g. ListAccountRoles=20/20; repeatable
  --stats FILE                 on exit, write per-operation request and throttle counts as JSON
  --quiet                      no line per request on stderr";

struct Args {
    port: u16,
    accounts: usize,
    roles: Vec<String>,
    auto_approve: bool,
    interval: u32,
    page_size: usize,
    latency: Duration,
    rate_limits: HashMap<Op, RateLimit>,
    stats: Option<PathBuf>,
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
        interval: Config::default().interval,
        page_size: Config::default().page_size,
        latency: Duration::ZERO,
        rate_limits: HashMap::new(),
        stats: None,
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
            "--page-size" => {
                parsed.page_size = match value()?.parse() {
                    Ok(n) if n >= 1 => n,
                    _ => return Err("--page-size needs a number of at least 1".to_owned()),
                };
            }
            "--latency-ms" => {
                let ms = value()?
                    .parse()
                    .map_err(|_| "--latency-ms needs a number of milliseconds")?;
                parsed.latency = Duration::from_millis(ms);
            }
            "--rate-limit" => {
                let (op, limit) = parse_rate_limit(&value()?)?;
                parsed.rate_limits.insert(op, limit);
            }
            "--stats" => parsed.stats = Some(PathBuf::from(value()?)),
            "--auto-approve" => parsed.auto_approve = true,
            "--interval" => {
                parsed.interval = value()?
                    .parse()
                    .map_err(|_| "--interval needs a number of seconds")?;
            }
            "--quiet" => parsed.quiet = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(parsed)
}

/// `OP=RATE[/BURST]`, e.g. `ListAccountRoles=20/20`.
fn parse_rate_limit(text: &str) -> Result<(Op, RateLimit), String> {
    let (op, limit) = text
        .split_once('=')
        .ok_or_else(|| format!("--rate-limit needs OP=RATE[/BURST], not {text:?}"))?;
    let op: Op = op
        .parse()
        .map_err(|error| format!("--rate-limit: {error}"))?;
    let limit = limit
        .parse()
        .map_err(|error| format!("--rate-limit: {error}"))?;
    Ok((op, limit))
}

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
        accounts: sso_emulator::accounts(args.accounts, &roles),
        auto_approve: args.auto_approve,
        interval: args.interval,
        page_size: args.page_size,
        latency: args.latency,
        rate_limits: args.rate_limits.clone(),
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
    describe(&args, &url);
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
