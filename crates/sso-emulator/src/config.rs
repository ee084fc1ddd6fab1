//! The knobs: how the emulated instance behaves ([`Config`], accounts, rate limits) and the
//! operations it counts and can be told to fail ([`Op`], [`Fault`]).

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use axum::http::{Method, Uri};

use crate::clock::{HOUR, MINUTE};
use crate::form;

/// How the emulated instance behaves. Every field can also be changed while it runs, with
/// [`Emulator::update_config`](crate::Emulator::update_config).
#[derive(Clone, Debug)]
#[allow(clippy::struct_excessive_bools)] // independent knobs, not a state machine
pub struct Config {
    /// The accounts, and the roles in each, assigned to the signed-in user.
    pub accounts: Vec<Account>,
    /// The largest page `ListAccounts` and `ListAccountRoles` return, whatever `max_result` asks.
    pub page_size: usize,
    /// Every page of `ListAccounts` and `ListAccountRoles` hands out a fresh `nextToken`, the
    /// last page too, and the pages after it are empty: a hostile or broken portal whose
    /// listings never end.
    pub endless_pages: bool,
    /// Lifetime of access tokens (`expiresIn` of `CreateToken`): an hour, as
    /// IAM Identity Center gives tokens with `sso:account:access`.
    pub access_token_ttl: Duration,
    /// Lifetime of a sign-in (the portal's session duration, 8 hours by
    /// default): after it, a refresh is refused with `InvalidGrantException`
    /// and the sign-in's access tokens with `UnauthorizedException`.
    pub session_ttl: Duration,
    /// Lifetime of client registrations (`clientSecretExpiresAt`).
    pub client_secret_ttl: Duration,
    /// Lifetime of device codes (`expiresIn` of `StartDeviceAuthorization`).
    pub device_code_ttl: Duration,
    /// Device codes never expire (`expiresIn` is still advertised): polling answers
    /// `authorization_pending` forever unless the code is approved or denied. For testing a
    /// client-side deadline.
    pub device_code_never_expires: bool,
    /// The polling `interval`, in seconds, handed out with device codes.
    pub interval: u32,
    /// Answer `slow_down` to a poll that comes sooner than the interval after the previous poll
    /// of the same device code, and then add 5 s to that code's interval (RFC 8628).
    pub enforce_interval: bool,
    /// Delay before every answer to a counted operation, except the 429s of `rate_limits`.
    pub latency: Duration,
    /// A refresh returns a new refresh token and invalidates the old one.
    pub rotate_refresh_tokens: bool,
    /// Lifetime of role credentials.
    pub role_credentials_ttl: Duration,
    /// `GetRoleCredentials` hands out credentials whose expiration lies `role_credentials_ttl`
    /// in the past instead of ahead: a portal with a broken clock, or a replayed answer.
    pub role_credentials_already_expired: bool,
    /// Device codes approve themselves, as if the person clicked "Allow" at once.
    pub auto_approve: bool,
    /// What the browser leg, `GET /authorize`, does with a valid request.
    pub authorize: Authorize,
    /// With `auto_approve`, this many polls answer `authorization_pending` before approval.
    pub auto_approve_after_polls: usize,
    /// `ListAccountRoles` answers 429 beyond this many requests in any one second (a sliding
    /// window, checked after `latency`). The older knob: `rate_limits` models the service better.
    pub list_roles_rate_limit: Option<usize>,
    /// A token bucket per operation. A request that finds its bucket empty is answered 429
    /// `TooManyRequestsException` (STS: `Throttling`) on arrival, without `latency`: the
    /// service's throttle turns requests away before doing their work, so its 429s come fast.
    /// Counted by [`Emulator::count`](crate::Emulator::count) and [`Emulator::throttled`](crate::Emulator::throttled). A bucket starts full, and
    /// starts full again when its limit changes.
    pub rate_limits: HashMap<Op, RateLimit>,
    /// Print one line per request to stderr: operation, status and error code. Never a secret.
    pub verbose: bool,
    /// Seconds that the emulator's clock (the Date header of its answers) runs ahead of the
    /// machine's; negative for behind.
    pub clock_offset_secs: i64,
    /// The signed-in person's user name: the role session name of the credentials that
    /// `GetRoleCredentials` hands out, as `GetCallerIdentity` shows it
    /// (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/USER`).
    pub user_name: String,
    /// The IAM roles that STS `AssumeRole` can assume, each with its trust policy.
    pub iam_roles: Vec<IamRole>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            accounts: accounts(3, &["AdministratorAccess", "ReadOnlyAccess"]),
            page_size: 20,
            endless_pages: false,
            access_token_ttl: Duration::from_secs(HOUR),
            session_ttl: Duration::from_secs(8 * HOUR),
            client_secret_ttl: Duration::from_secs(90 * 24 * HOUR),
            device_code_ttl: Duration::from_secs(10 * MINUTE),
            device_code_never_expires: false,
            interval: 1,
            enforce_interval: false,
            latency: Duration::ZERO,
            rotate_refresh_tokens: true,
            role_credentials_ttl: Duration::from_secs(HOUR),
            role_credentials_already_expired: false,
            auto_approve: false,
            authorize: Authorize::Approve,
            auto_approve_after_polls: 0,
            list_roles_rate_limit: None,
            rate_limits: HashMap::new(),
            verbose: false,
            clock_offset_secs: 0,
            user_name: crate::wire::ROLE_SESSION_NAME.to_owned(),
            iam_roles: Vec::new(),
        }
    }
}

/// An IAM role that STS `AssumeRole` hands out credentials for, and its trust policy: the roles
/// whose sessions may assume it, and the external id they must give. Every caller is itself a
/// role session (the portal's or an earlier `AssumeRole`'s), so every call is role chaining,
/// limited to one hour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IamRole {
    /// `arn:aws:iam::ACCOUNT:role/NAME`.
    pub arn: String,
    /// The role ARNs whose sessions may assume it: [`role_arn`] of a portal role
    /// (`arn:aws:iam::ACCOUNT:role/PERMISSION_SET`), or another `IamRole`'s `arn`.
    pub trusted: Vec<String>,
    /// The `sts:ExternalId` the trust policy requires, if any.
    pub external_id: Option<String>,
    /// The role's `MaxSessionDuration`.
    pub max_session_duration: Duration,
    /// The MFA device whose code the trust policy requires (`aws:MultiFactorAuthPresent`):
    /// `SerialNumber` must name it and `TokenCode` be six digits.
    pub mfa_serial: Option<String>,
}

impl IamRole {
    /// A role that the sessions of the `trusted` role ARNs may assume, with no external id.
    pub fn new(arn: &str, trusted: &[&str]) -> IamRole {
        IamRole {
            arn: arn.to_owned(),
            trusted: trusted.iter().map(|&t| t.to_owned()).collect(),
            external_id: None,
            max_session_duration: Duration::from_secs(HOUR),
            mfa_serial: None,
        }
    }

    /// The same role, whose trust policy requires a code from the MFA device `serial`.
    #[must_use]
    pub fn with_mfa(mut self, serial: &str) -> IamRole {
        self.mfa_serial = Some(serial.to_owned());
        self
    }

    /// The same role, whose trust policy requires `external_id`.
    #[must_use]
    pub fn with_external_id(mut self, external_id: &str) -> IamRole {
        self.external_id = Some(external_id.to_owned());
        self
    }
}

/// The ARN that a trust policy names a role by: `arn:aws:iam::ACCOUNT:role/NAME`.
pub fn role_arn(account_id: &str, role_name: &str) -> String {
    format!("arn:aws:iam::{account_id}:role/{role_name}")
}

/// One AWS account assigned to the user.
/// What the user (and the page) do at `GET /authorize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authorize {
    /// The user approves: redirect with a code and the state.
    Approve,
    /// The user refuses: redirect with `error=access_denied` and the state.
    Deny,
    /// A hostile page redirects with a code and a state of its own.
    WrongState,
    /// A page redirects with the state and neither a code nor an error.
    NoCode,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub email: String,
    pub roles: Vec<String>,
}

impl Account {
    /// An account with an `example.com` address derived from its name.
    pub fn new(id: &str, name: &str, roles: &[&str]) -> Account {
        Account {
            id: id.to_owned(),
            name: name.to_owned(),
            email: format!("{name}@example.com"),
            roles: roles.iter().map(|&role| role.to_owned()).collect(),
        }
    }
}

/// `n` accounts with ids `100000000001`, `100000000002`, … and names `account-001`, …, each
/// with the same `roles`.
pub fn accounts(n: usize, roles: &[&str]) -> Vec<Account> {
    (1..=n)
        .map(|i| {
            Account::new(
                &format!("{}", 100_000_000_000 + i),
                &format!("account-{i:03}"),
                roles,
            )
        })
        .collect()
}

/// A token bucket: it holds up to `burst` tokens and gains `per_second` of them every second;
/// every request takes one, and a request that finds less than one is throttled. `burst` is the
/// most requests that pass at once after a quiet spell, `per_second` the sustained rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

impl RateLimit {
    /// `per_second` sustained, with a burst of as many (at least one).
    pub fn per_second(per_second: f64) -> RateLimit {
        RateLimit {
            per_second,
            burst: per_second.max(1.0),
        }
    }
}

impl FromStr for RateLimit {
    type Err = String;

    /// `PER_SECOND` or `PER_SECOND/BURST`, e.g. `20` or `20/40`.
    fn from_str(text: &str) -> Result<RateLimit, String> {
        let number = |part: &str, what: &str| match part.trim().parse::<f64>() {
            Ok(n) if n.is_finite() && n >= 0.0 => Ok(n),
            _ => Err(format!(
                "{what} must be a number of requests, not {part:?} (in {text:?})"
            )),
        };
        let limit = match text.split_once('/') {
            None => RateLimit::per_second(number(text, "the rate")?),
            Some((rate, burst)) => RateLimit {
                per_second: number(rate, "the rate")?,
                burst: number(burst, "the burst")?,
            },
        };
        if limit.burst < 1.0 {
            return Err(format!(
                "the burst must be at least 1, or nothing ever passes (in {text:?})"
            ));
        }
        Ok(limit)
    }
}

/// The operations the emulator counts and can be told to fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    RegisterClient,
    StartDeviceAuthorization,
    CreateToken,
    ListAccounts,
    ListAccountRoles,
    GetRoleCredentials,
    Logout,
    /// STS, `POST /` with `Action=GetCallerIdentity` (or `GET /?Action=GetCallerIdentity`).
    GetCallerIdentity,
    /// STS, `POST /` with `Action=AssumeRole`: role credentials in (SigV4), an
    /// [`IamRole`]'s credentials out.
    AssumeRole,
    /// The sign-in service's federation endpoint, `GET /federation?Action=getSigninToken`:
    /// role credentials in, a single-use sign-in token out.
    GetSigninToken,
    /// `GET /federation?Action=login`: the sign-in token in, a redirect to the console out.
    Login,
}

/// How many operations there are, for the per-operation arrays.
pub(crate) const OPS: usize = Op::ALL.len();

impl Op {
    pub const ALL: [Op; 11] = [
        Op::RegisterClient,
        Op::StartDeviceAuthorization,
        Op::CreateToken,
        Op::ListAccounts,
        Op::ListAccountRoles,
        Op::GetRoleCredentials,
        Op::Logout,
        Op::GetCallerIdentity,
        Op::AssumeRole,
        Op::GetSigninToken,
        Op::Login,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The operation's name in the service's API, as `FromStr` reads it.
    pub fn name(self) -> &'static str {
        match self {
            Op::RegisterClient => "RegisterClient",
            Op::StartDeviceAuthorization => "StartDeviceAuthorization",
            Op::CreateToken => "CreateToken",
            Op::ListAccounts => "ListAccounts",
            Op::ListAccountRoles => "ListAccountRoles",
            Op::GetRoleCredentials => "GetRoleCredentials",
            Op::Logout => "Logout",
            Op::GetCallerIdentity => "GetCallerIdentity",
            Op::AssumeRole => "AssumeRole",
            Op::GetSigninToken => "GetSigninToken",
            Op::Login => "Login",
        }
    }

    /// The operation belongs to `sso-oidc` (OAuth-style errors) rather than the portal.
    pub(crate) fn is_oidc(self) -> bool {
        matches!(
            self,
            Op::RegisterClient | Op::StartDeviceAuthorization | Op::CreateToken
        )
    }

    /// The operation answers in STS's Query-protocol XML shape.
    pub(crate) fn is_sts(self) -> bool {
        matches!(self, Op::GetCallerIdentity | Op::AssumeRole)
    }

    pub(crate) fn route(method: &Method, uri: &Uri, body: &[u8]) -> Option<Op> {
        let op = match (method.as_str(), uri.path()) {
            ("POST", "/client/register") => Op::RegisterClient,
            ("POST", "/device_authorization") => Op::StartDeviceAuthorization,
            ("POST", "/token") => Op::CreateToken,
            ("GET", "/assignment/accounts") => Op::ListAccounts,
            ("GET", "/assignment/roles") => Op::ListAccountRoles,
            ("GET", "/federation/credentials") => Op::GetRoleCredentials,
            ("POST", "/logout") => Op::Logout,
            ("GET" | "POST", "/") => match form::action(method, uri, body).as_deref() {
                Some("GetCallerIdentity") => Op::GetCallerIdentity,
                Some("AssumeRole") => Op::AssumeRole,
                _ => return None,
            },
            ("GET", "/federation") => match form::action(method, uri, body).as_deref() {
                Some("getSigninToken") => Op::GetSigninToken,
                Some("login") => Op::Login,
                _ => return None,
            },
            _ => return None,
        };
        Some(op)
    }
}

impl FromStr for Op {
    type Err = String;

    /// The API name (`ListAccountRoles`), in any case.
    fn from_str(name: &str) -> Result<Op, String> {
        Op::ALL
            .into_iter()
            .find(|op| op.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = Op::ALL.iter().map(|op| op.name()).collect();
                format!("unknown operation {name:?}: one of {}", names.join(", "))
            })
    }
}

/// A broken answer that [`Emulator::fault_next`](crate::Emulator::fault_next) makes an operation give instead of its own.
/// The operation does none of its work (no token is issued, no state changes), except after
/// [`Fault::Stall`], which answers normally once it has waited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// This HTTP status, with the service's error shape (see [`Emulator::fail_next`](crate::Emulator::fail_next)).
    Status(u16),
    /// This HTTP status, with the service's error shape, and this text as its message (the
    /// portal's `message`, the OIDC service's `error_description`, STS's `Message`): a message
    /// from a hostile or broken service.
    StatusWithMessage(u16, String),
    /// 200 with a JSON content type and a body cut off in the middle of a JSON object.
    MalformedJson,
    /// 200 with a JSON content type and an empty body.
    EmptyBody,
    /// 200 with a valid JSON object of about this many bytes, all of it one unknown member:
    /// the client must read it all and then finds none of the members it needs.
    HugeBody(usize),
    /// Waits this long (after `latency`) before answering normally: longer than a client's
    /// timeout, it models a server that accepted the request and went silent.
    Stall(Duration),
}
