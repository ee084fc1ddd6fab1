//! The `sso-emulator` binary's command line: its flags, parsed into the
//! emulator's [`Config`], so that a test can start the emulator exactly as a
//! guide's command line does.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::{Config, IamRole, Op, RateLimit};

pub const USAGE: &str = "\
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
  --iam-role ARN=TRUSTED[,TRUSTED]
                               an IAM role that STS AssumeRole hands out, assumable by the
                               sessions of the TRUSTED role ARNs (a portal role is
                               arn:aws:iam::ACCOUNT:role/ROLE); repeatable
  --user-name NAME             the signed-in person's name, the session name of portal
                               credentials (default: ssokey)
  --stats FILE                 on exit, write per-operation request and throttle counts as JSON
  --quiet                      no line per request on stderr";

/// The binary's command line, parsed.
pub struct Args {
    pub port: u16,
    pub accounts: usize,
    pub roles: Vec<String>,
    pub auto_approve: bool,
    pub interval: u32,
    pub page_size: usize,
    pub latency: Duration,
    pub rate_limits: HashMap<Op, RateLimit>,
    pub iam_roles: Vec<IamRole>,
    pub user_name: Option<String>,
    pub stats: Option<PathBuf>,
    pub quiet: bool,
}

/// Parses the binary's arguments (without the program's name): `Err` with
/// an empty message for `--help`.
pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
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
        iam_roles: Vec::new(),
        user_name: None,
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
            "--iam-role" => {
                let text = value()?;
                let (arn, trusted) = text.split_once('=').ok_or_else(|| {
                    format!("--iam-role needs ARN=TRUSTED[,TRUSTED], not {text:?}")
                })?;
                let trusted: Vec<&str> = trusted.split(',').map(str::trim).collect();
                parsed.iam_roles.push(IamRole::new(arn.trim(), &trusted));
            }
            "--user-name" => parsed.user_name = Some(value()?),
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

impl Args {
    /// The emulator's configuration that these arguments ask for.
    pub fn config(&self) -> Config {
        let roles: Vec<&str> = self.roles.iter().map(String::as_str).collect();
        Config {
            accounts: crate::accounts(self.accounts, &roles),
            auto_approve: self.auto_approve,
            interval: self.interval,
            page_size: self.page_size,
            latency: self.latency,
            rate_limits: self.rate_limits.clone(),
            verbose: !self.quiet,
            iam_roles: self.iam_roles.clone(),
            user_name: self
                .user_name
                .clone()
                .unwrap_or_else(|| Config::default().user_name),
            ..Config::default()
        }
    }

    /// The lines a shell needs to reach the emulator at `url`: one endpoint
    /// for every service it answers (sso-oidc, sso, STS and the sign-in
    /// service's federation endpoint).
    pub fn exports(url: &str) -> String {
        format!("export AWS_ENDPOINT_URL={url}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_roles_and_the_user_name_reach_the_config() {
        let flags = [
            "--iam-role",
            "arn:aws:iam::222233334444:role/Deploy=arn:aws:iam::100000000001:role/Admin, arn:aws:iam::100000000002:role/Admin",
            "--iam-role=arn:aws:iam::222233334444:role/Audit=arn:aws:iam::222233334444:role/Deploy",
            "--user-name",
            "jane@example.com",
        ];
        let config = parse(flags.iter().map(|f| (*f).to_owned()))
            .unwrap()
            .config();
        assert_eq!(config.iam_roles.len(), 2);
        assert_eq!(
            config.iam_roles[0].trusted,
            [
                "arn:aws:iam::100000000001:role/Admin",
                "arn:aws:iam::100000000002:role/Admin"
            ]
        );
        assert_eq!(
            config.iam_roles[1].arn,
            "arn:aws:iam::222233334444:role/Audit"
        );
        assert_eq!(config.user_name, "jane@example.com");
        assert!(parse(["--iam-role".to_owned(), "no-equals".to_owned()].into_iter()).is_err());
        assert_eq!(
            parse(std::iter::empty()).unwrap().config().user_name,
            crate::ROLE_SESSION_NAME
        );
    }
}
