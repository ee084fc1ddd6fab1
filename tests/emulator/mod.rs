//! A local IAM Identity Center for tests and demos: `sso-oidc`, the `sso` portal and STS
//! `GetCallerIdentity` on loopback.
//!
//! One axum server speaks both REST-JSON protocols exactly as the AWS SDK for Rust and botocore
//! send and parse them, so clients point `AWS_ENDPOINT_URL_SSO_OIDC` and `AWS_ENDPOINT_URL_SSO`
//! at [`Emulator::url`]. Tests script it through [`Config`] and the methods on [`Emulator`]
//! (fail the next calls, slow down polling, approve a device code, expire or revoke tokens) and
//! observe it through per-operation counters and the list of every secret it issued.
//!
//! The same server answers STS `GetCallerIdentity` (Query protocol, `POST /`) for requests signed
//! with SigV4 by role credentials that `GetRoleCredentials` handed out, verifying the signature for
//! real, so that a real AWS CLI run with `--endpoint-url` proves the credentials ssokey passed on
//! are the ones issued, intact ([`Emulator::last_caller`]).
//!
//! Used by `tests/integration` and by `examples/emulator.rs` through `#[path]`; each uses a subset.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::future::IntoFuture;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::net::{SocketAddr, TcpListener};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The start URL the example prints; the emulator accepts any start URL.
pub const START_URL: &str = "https://emulator.awsapps.com/start";
/// The scope that makes `CreateToken` hand out refresh tokens.
pub const ACCOUNT_ACCESS_SCOPE: &str = "sso:account:access";

/// The scopes that RegisterClient accepts: IAM Identity Center's documented
/// ones for the portal and for the AWS developer tools.
const KNOWN_SCOPES: &[&str] = &[
    ACCOUNT_ACCESS_SCOPE,
    "codewhisperer:completions",
    "codewhisperer:analysis",
    "codewhisperer:conversations",
    "codewhisperer:transformations",
    "codewhisperer:taskassist",
    "codecatalyst:read_write",
];
/// `grantType` of the device authorization flow.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The role session name in the identities `GetCallerIdentity` answers:
/// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/ssokey`.
pub const ROLE_SESSION_NAME: &str = "ssokey";

const OIDC_ERROR_NAMESPACE: &str = "http://internal.amazon.com/coral/com.amazonaws.sso.oidc/";
const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// STS refuses signatures dated further than this from its clock.
const MAX_CLOCK_SKEW_SECS: u64 = 15 * MINUTE;
const BEARER_HEADER: &str = "x-amz-sso_bearer_token";
const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;

// ---------------------------------------------------------------------------------------------
// Knobs
// ---------------------------------------------------------------------------------------------

/// How the emulated instance behaves. Every field can also be changed while it runs, with
/// [`Emulator::update_config`].
#[derive(Clone, Debug)]
#[allow(clippy::struct_excessive_bools)] // independent knobs, not a state machine
pub struct Config {
    /// The accounts, and the roles in each, assigned to the signed-in user.
    pub accounts: Vec<Account>,
    /// The largest page `ListAccounts` and `ListAccountRoles` return, whatever `max_result` asks.
    pub page_size: usize,
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
    /// With `auto_approve`, this many polls answer `authorization_pending` before approval.
    pub auto_approve_after_polls: usize,
    /// `ListAccountRoles` answers 429 beyond this many requests in any one second (a sliding
    /// window, checked after `latency`). The older knob: `rate_limits` models the service better.
    pub list_roles_rate_limit: Option<usize>,
    /// A token bucket per operation. A request that finds its bucket empty is answered 429
    /// `TooManyRequestsException` (STS: `Throttling`) on arrival, without `latency`: the
    /// service's throttle turns requests away before doing their work, so its 429s come fast.
    /// Counted by [`Emulator::count`] and [`Emulator::throttled`]. A bucket starts full, and
    /// starts full again when its limit changes.
    pub rate_limits: HashMap<Op, RateLimit>,
    /// Print one line per request to stderr: operation, status and error code. Never a secret.
    pub verbose: bool,
    /// Seconds that the emulator's clock (the Date header of its answers) runs ahead of the
    /// machine's; negative for behind.
    pub clock_offset_secs: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            accounts: accounts(3, &["AdministratorAccess", "ReadOnlyAccess"]),
            page_size: 20,
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
            auto_approve_after_polls: 0,
            list_roles_rate_limit: None,
            rate_limits: HashMap::new(),
            verbose: false,
            clock_offset_secs: 0,
        }
    }
}

/// One AWS account assigned to the user.
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

/// The state of one operation's [`RateLimit`].
#[derive(Clone, Copy, Debug)]
struct Bucket {
    limit: RateLimit,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(limit: RateLimit, now: Instant) -> Bucket {
        Bucket {
            limit,
            tokens: limit.burst,
            at: now,
        }
    }

    /// Adds the tokens earned since the last request, then takes one if there is one.
    fn take(&mut self, now: Instant) -> bool {
        let earned = now.saturating_duration_since(self.at).as_secs_f64() * self.limit.per_second;
        self.tokens = (self.tokens + earned).min(self.limit.burst);
        self.at = self.at.max(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
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
}

/// How many operations there are, for the per-operation arrays.
const OPS: usize = Op::ALL.len();

impl Op {
    pub const ALL: [Op; 8] = [
        Op::RegisterClient,
        Op::StartDeviceAuthorization,
        Op::CreateToken,
        Op::ListAccounts,
        Op::ListAccountRoles,
        Op::GetRoleCredentials,
        Op::Logout,
        Op::GetCallerIdentity,
    ];

    fn index(self) -> usize {
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
        }
    }

    /// The operation belongs to `sso-oidc` (OAuth-style errors) rather than the portal.
    fn is_oidc(self) -> bool {
        matches!(
            self,
            Op::RegisterClient | Op::StartDeviceAuthorization | Op::CreateToken
        )
    }

    /// The operation answers in STS's Query-protocol XML shape.
    fn is_sts(self) -> bool {
        self == Op::GetCallerIdentity
    }

    fn route(method: &Method, uri: &Uri, body: &[u8]) -> Option<Op> {
        let op = match (method.as_str(), uri.path()) {
            ("POST", "/client/register") => Op::RegisterClient,
            ("POST", "/device_authorization") => Op::StartDeviceAuthorization,
            ("POST", "/token") => Op::CreateToken,
            ("GET", "/assignment/accounts") => Op::ListAccounts,
            ("GET", "/assignment/roles") => Op::ListAccountRoles,
            ("GET", "/federation/credentials") => Op::GetRoleCredentials,
            ("POST", "/logout") => Op::Logout,
            ("GET" | "POST", "/")
                if sts_action(method, uri, body).as_deref() == Some("GetCallerIdentity") =>
            {
                Op::GetCallerIdentity
            }
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

/// A broken answer that [`Emulator::fault_next`] makes an operation give instead of its own.
/// The operation does none of its work (no token is issued, no state changes), except after
/// [`Fault::Stall`], which answers normally once it has waited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// This HTTP status, with the service's error shape (see [`Emulator::fail_next`]).
    Status(u16),
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

/// A client registration as the emulator saw it (no secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredClient {
    pub client_id: String,
    pub client_name: String,
    pub scopes: Vec<String>,
}

/// Role credentials as `GetRoleCredentials` handed them out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedRoleCredentials {
    pub account_id: String,
    pub role_name: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Epoch milliseconds, as on the wire.
    pub expiration: u64,
}

// ---------------------------------------------------------------------------------------------
// The handle tests hold
// ---------------------------------------------------------------------------------------------

/// A running emulator. Dropping it stops the server and checks the calls declared with
/// [`Emulator::expect`].
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Starts on `127.0.0.1` and a free port, on its own thread and tokio runtime. It is
    /// listening when this returns.
    pub fn start(config: Config) -> Emulator {
        Emulator::start_on(config, 0).expect("start the Identity Center emulator")
    }

    /// Starts on `127.0.0.1:port` (0 for a free port).
    pub fn start_on(config: Config, port: u16) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            base: format!("http://{addr}"),
            state: Mutex::new(Inner::new(config)),
        });
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sso-emulator".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        _ = axum::serve(listener, app).into_future() => {}
                        _ = stop => {}
                    }
                });
                // Dropping the runtime here cancels every connection still open.
            })?;
        Ok(Emulator {
            shared,
            addr,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, for both `AWS_ENDPOINT_URL_SSO_OIDC` and `AWS_ENDPOINT_URL_SSO`.
    pub fn url(&self) -> String {
        self.shared.base.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The two endpoint variables, as `(name, value)` pairs for `Command::envs`.
    pub fn env(&self) -> [(&'static str, String); 2] {
        [
            ("AWS_ENDPOINT_URL_SSO_OIDC", self.url()),
            ("AWS_ENDPOINT_URL_SSO", self.url()),
        ]
    }

    fn state(&self) -> MutexGuard<'_, Inner> {
        self.shared.lock()
    }

    /// Changes knobs while the emulator runs.
    pub fn update_config(&self, change: impl FnOnce(&mut Config)) {
        change(&mut self.state().config);
    }

    /// Requests of `op` received so far, including failed and injected ones.
    pub fn count(&self, op: Op) -> usize {
        self.state().counts[op.index()]
    }

    /// Requests of `op` answered 429 by a rate limit (`rate_limits` or `list_roles_rate_limit`);
    /// `fail_next` injections are not counted here.
    pub fn throttled(&self, op: Op) -> usize {
        self.state().throttled[op.index()]
    }

    /// Every counter, as `GET /_emulator/stats` answers it: `{"requests": {OP: n, …},
    /// "throttled": {…}, "max_concurrent": {…}}` with every operation in each.
    pub fn stats(&self) -> Value {
        self.state().stats()
    }

    /// The most requests of `op` that were being answered at the same time.
    pub fn max_concurrent(&self, op: Op) -> usize {
        self.state().max_in_flight[op.index()]
    }

    /// On drop (unless the test is already panicking), `count(op)` must be exactly `n`.
    pub fn expect(&self, op: Op, n: usize) {
        self.state().expected.push((op, n));
    }

    /// The next `n` calls of `op` answer `status` with the service's error shape: 429
    /// `TooManyRequestsException` (for the OIDC operations, which throttle otherwise, a 400
    /// `SlowDownException`), 500 `InternalServerException`, 503
    /// `ServiceUnavailableException`, 400 `InvalidRequestException`, 401 the operation's
    /// unauthorized error, 403 `ForbiddenException` (OIDC: a 400 `AccessDeniedException`). For
    /// `GetCallerIdentity`, STS's XML errors: 429 `Throttling`, 5xx `InternalFailure` (503
    /// `ServiceUnavailable`), 401/403 `AccessDenied`.
    pub fn fail_next(&self, op: Op, status: u16, n: usize) {
        self.fault_next(op, &Fault::Status(status), n);
    }

    /// The next `n` calls of `op` give the broken answer `fault` instead of their own, after
    /// any faults already queued for `op`. Throttled requests (`rate_limits`) take none.
    pub fn fault_next(&self, op: Op, fault: &Fault, n: usize) {
        self.state().failures[op.index()].extend(std::iter::repeat_n(fault.clone(), n));
    }

    /// Drops every fault still queued by [`Emulator::fail_next`] and [`Emulator::fault_next`],
    /// for every operation: from now on the service works again.
    pub fn clear_faults(&self) {
        for queue in &mut self.state().failures {
            queue.clear();
        }
    }

    /// Stops serving, as a service that goes down: connections in progress are cut, and new
    /// ones are refused (nothing listens on the port any more). The counters and every other
    /// method keep working; the expectations of [`Emulator::expect`] are still checked on drop.
    pub fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// The next `n` device-code polls of `CreateToken` answer `slow_down`.
    pub fn slow_down_next(&self, n: usize) {
        self.state().slow_downs += n;
    }

    /// Approves a pending device code, as the person would in the browser. Dashes and case in
    /// `user_code` do not matter. Panics on an unknown code.
    pub fn approve(&self, user_code: &str) {
        let decided = self.state().decide(user_code, true);
        assert!(
            decided.is_some(),
            "emulator: no device authorization with user code {user_code:?}"
        );
    }

    /// Denies a pending device code. Panics on an unknown code.
    pub fn deny(&self, user_code: &str) {
        let decided = self.state().decide(user_code, false);
        assert!(
            decided.is_some(),
            "emulator: no device authorization with user code {user_code:?}"
        );
    }

    /// The user code of the latest `StartDeviceAuthorization`.
    pub fn last_user_code(&self) -> Option<String> {
        self.state().last_user_code.clone()
    }

    /// Waits until a device authorization is pending (not approved, denied, redeemed or
    /// expired) and returns its user code, the newest if several. For tests that drive a child
    /// process and approve from a second thread.
    pub fn wait_for_user_code(&self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(code) = self.state().pending_user_code(Instant::now()) {
                return Some(code);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Every access token issued so far is now expired server-side (refresh tokens still work).
    pub fn expire_access_tokens(&self) {
        for token in self.state().access.values_mut() {
            token.expired = true;
        }
    }

    /// Every access and refresh token issued so far is revoked, as an administrator would.
    pub fn revoke_all(&self) {
        let mut state = self.state();
        for session in &mut state.sessions {
            session.revoked = true;
        }
        for token in state.refresh.values_mut() {
            token.valid = false;
        }
    }

    /// Forgets every client registration: their next call answers `invalid_client`.
    pub fn invalidate_clients(&self) {
        self.state().clients.clear();
    }

    /// The registrations that are still known, without secrets.
    pub fn clients(&self) -> Vec<RegisteredClient> {
        let state = self.state();
        let mut clients: Vec<_> = state
            .clients
            .iter()
            .map(|(id, client)| {
                (
                    client.seq,
                    RegisteredClient {
                        client_id: id.clone(),
                        client_name: client.name.clone(),
                        scopes: client.scopes.clone(),
                    },
                )
            })
            .collect();
        clients.sort_by_key(|(seq, _)| *seq);
        clients.into_iter().map(|(_, client)| client).collect()
    }

    /// Every client secret, device code, access token, refresh token, secret access key and
    /// session token issued so far, for scanning files, logs and output for leaks.
    pub fn issued_secrets(&self) -> Vec<String> {
        self.state().issued.clone()
    }

    /// The role credentials of the latest successful `GetRoleCredentials`.
    pub fn last_role_credentials(&self) -> Option<IssuedRoleCredentials> {
        self.state().role_credentials.last().cloned()
    }

    /// Every role credential handed out, oldest first.
    pub fn issued_role_credentials(&self) -> Vec<IssuedRoleCredentials> {
        self.state().role_credentials.clone()
    }

    /// Whether `token` is an access token the portal accepts right now.
    pub fn access_token_is_valid(&self, token: &str) -> bool {
        self.state().session_of(Some(token), Instant::now()).is_ok()
    }

    /// `(account id, role name)` of the role credentials that signed the latest
    /// `GetCallerIdentity` whose signature checked out.
    pub fn last_caller(&self) -> Option<(String, String)> {
        self.state().last_caller.clone()
    }

    /// Every role credential handed out so far is now expired server-side: STS answers
    /// `ExpiredToken` to requests they sign.
    pub fn expire_role_credentials(&self) {
        let mut state = self.state();
        let keys: Vec<String> = state
            .role_credentials
            .iter()
            .map(|issued| issued.access_key_id.clone())
            .collect();
        state.expired_access_keys.extend(keys);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            return;
        }
        let state = self.state();
        let unmet: Vec<String> = state
            .expected
            .iter()
            .filter(|(op, n)| state.counts[op.index()] != *n)
            .map(|(op, n)| {
                format!(
                    "{op:?}: expected {n} calls, got {}",
                    state.counts[op.index()]
                )
            })
            .collect();
        drop(state);
        assert!(
            unmet.is_empty(),
            "emulator: unmet expectations:\n  {}",
            unmet.join("\n  ")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Server state
// ---------------------------------------------------------------------------------------------

struct Shared {
    base: String,
    state: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // No code path panics while holding the lock, but a poisoned lock must not cascade.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct Client {
    seq: usize,
    name: String,
    secret: String,
    scopes: Vec<String>,
    expires_at: Instant,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DeviceStatus {
    Pending,
    Approved,
    Denied,
    Redeemed,
}

struct Device {
    seq: usize,
    user_code: String,
    client_id: String,
    expires_at: Instant,
    status: DeviceStatus,
    pending_answers: usize,
    interval: Duration,
    last_poll: Option<Instant>,
}

/// One sign-in: the access and refresh tokens that descend from one device authorization.
struct Session {
    revoked: bool,
    ends_at: Instant,
}

impl Session {
    fn over(&self, now: Instant) -> bool {
        self.revoked || now >= self.ends_at
    }
}

struct AccessToken {
    session: usize,
    expires_at: Instant,
    expired: bool,
}

struct RefreshToken {
    session: usize,
    client_id: String,
    valid: bool,
}

struct Inner {
    config: Config,
    mint: Mint,
    counts: [usize; OPS],
    in_flight: [usize; OPS],
    max_in_flight: [usize; OPS],
    throttled: [usize; OPS],
    buckets: [Option<Bucket>; OPS],
    failures: [VecDeque<Fault>; OPS],
    expected: Vec<(Op, usize)>,
    slow_downs: usize,
    clients: HashMap<String, Client>,
    client_seq: usize,
    devices: HashMap<String, Device>,
    device_seq: usize,
    last_user_code: Option<String>,
    sessions: Vec<Session>,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    page_tokens: HashMap<String, (String, usize)>,
    roles_window: VecDeque<Instant>,
    role_credentials: Vec<IssuedRoleCredentials>,
    /// Access key ids that `expire_role_credentials` expired ahead of their time.
    expired_access_keys: Vec<String>,
    last_caller: Option<(String, String)>,
    issued: Vec<String>,
}

/// An error answer in the service's own shape.
struct ApiError {
    status: StatusCode,
    code: &'static str,
    /// The OAuth `error` member of `sso-oidc` bodies.
    oauth: &'static str,
    message: String,
}

impl ApiError {
    fn new(
        status: u16,
        code: &'static str,
        oauth: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            oauth,
            message: message.into(),
        }
    }

    fn invalid_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "InvalidRequestException", "invalid_request", message)
    }

    fn invalid_client() -> ApiError {
        ApiError::new(
            401,
            "InvalidClientException",
            "invalid_client",
            "Invalid client provided",
        )
    }

    fn invalid_grant(message: &str) -> ApiError {
        ApiError::new(400, "InvalidGrantException", "invalid_grant", message)
    }

    fn slow_down() -> ApiError {
        ApiError::new(
            400,
            "SlowDownException",
            "slow_down",
            "Client is polling too quickly",
        )
    }

    /// An STS error: its XML body has no OAuth member.
    fn sts(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(status, code, "", message)
    }

    fn invalid_client_token_id() -> ApiError {
        ApiError::sts(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    }

    fn signature_does_not_match(message: impl Into<String>) -> ApiError {
        ApiError::sts(403, "SignatureDoesNotMatch", message)
    }

    fn incomplete_signature(message: &str) -> ApiError {
        ApiError::sts(400, "IncompleteSignature", message)
    }

    fn unauthorized() -> ApiError {
        ApiError::new(
            401,
            "UnauthorizedException",
            "unauthorized_client",
            "Session token not found or invalid",
        )
    }

    /// The error `fail_next` injects for `status` on `op`.
    fn injected(op: Op, status: u16) -> ApiError {
        if op.is_sts() {
            let (code, message) = match status {
                401 | 403 => ("AccessDenied", "Access denied"),
                429 => ("Throttling", "Rate exceeded"),
                503 => ("ServiceUnavailable", "Service unavailable"),
                500..=599 => ("InternalFailure", "An internal error occurred"),
                _ => ("InvalidParameterValue", "Injected failure"),
            };
            return ApiError::sts(status, code, message);
        }
        let (code, oauth, message) = match status {
            400 => (
                "InvalidRequestException",
                "invalid_request",
                "Invalid request",
            ),
            401 if op.is_oidc() => (
                "InvalidClientException",
                "invalid_client",
                "Invalid client provided",
            ),
            401 => (
                "UnauthorizedException",
                "unauthorized_client",
                "Session token not found or invalid",
            ),
            // The OIDC service models both as HTTP 400: it throttles with
            // SlowDownException, never with a 429.
            403 if op.is_oidc() => {
                return ApiError::new(
                    400,
                    "AccessDeniedException",
                    "access_denied",
                    "Access denied",
                );
            }
            429 if op.is_oidc() => return ApiError::slow_down(),
            403 => ("ForbiddenException", "access_denied", "No access"),
            404 => ("ResourceNotFoundException", "invalid_request", "Not found"),
            429 => ("TooManyRequestsException", "slow_down", "Rate exceeded"),
            503 => (
                "ServiceUnavailableException",
                "temporarily_unavailable",
                "Service unavailable",
            ),
            500..=599 => (
                "InternalServerException",
                "server_error",
                "An internal error occurred",
            ),
            _ => (
                "InvalidRequestException",
                "invalid_request",
                "Injected failure",
            ),
        };
        ApiError::new(status, code, oauth, message)
    }

    fn into_response(self, op: Op, request_id: &str) -> Response {
        if op.is_sts() {
            return self.into_sts_response(request_id);
        }
        let (error_type, body) = if op.is_oidc() {
            (
                format!("{}:{OIDC_ERROR_NAMESPACE}", self.code),
                json!({"error": self.oauth, "error_description": self.message}),
            )
        } else {
            (self.code.to_owned(), json!({"message": self.message}))
        };
        let mut response = json_response(self.status, &body);
        if let Ok(value) = HeaderValue::from_str(&error_type) {
            response
                .headers_mut()
                .insert(HeaderName::from_static("x-amzn-errortype"), value);
        }
        response
    }
}

impl ApiError {
    /// STS's Query-protocol error: `<ErrorResponse><Error><Type><Code><Message>` in XML.
    fn into_sts_response(self, request_id: &str) -> Response {
        let kind = if self.status.is_server_error() {
            "Receiver"
        } else {
            "Sender"
        };
        let body = format!(
            "<ErrorResponse xmlns=\"{STS_NAMESPACE}\">\n  <Error>\n    <Type>{kind}</Type>\n    \
             <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  \
             <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
            self.code,
            html_escape(&self.message),
        );
        xml_response(self.status, body)
    }
}

fn xml_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/xml")], body).into_response()
}

/// The answer of a verified `GetCallerIdentity`, from the `Arn`, `UserId` and `Account` members
/// of `identity`.
fn caller_identity_response(identity: &Value, request_id: &str) -> Response {
    let member = |name: &str| html_escape(identity[name].as_str().unwrap_or_default());
    let body = format!(
        "<GetCallerIdentityResponse xmlns=\"{STS_NAMESPACE}\">\n  <GetCallerIdentityResult>\n    \
         <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{}</Account>\n  \
         </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  \
         </ResponseMetadata>\n</GetCallerIdentityResponse>\n",
        member("Arn"),
        member("UserId"),
        member("Account"),
    );
    xml_response(StatusCode::OK, body)
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

type Answer = Result<Value, ApiError>;

impl Inner {
    fn new(config: Config) -> Inner {
        Inner {
            config,
            mint: Mint::new(),
            counts: [0; OPS],
            in_flight: [0; OPS],
            max_in_flight: [0; OPS],
            throttled: [0; OPS],
            buckets: [None; OPS],
            failures: Default::default(),
            expected: Vec::new(),
            slow_downs: 0,
            clients: HashMap::new(),
            client_seq: 0,
            devices: HashMap::new(),
            device_seq: 0,
            last_user_code: None,
            sessions: Vec::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            page_tokens: HashMap::new(),
            roles_window: VecDeque::new(),
            role_credentials: Vec::new(),
            expired_access_keys: Vec::new(),
            last_caller: None,
            issued: Vec::new(),
        }
    }

    /// Takes a token from `op`'s bucket, if `rate_limits` gives it one; false when it is empty.
    fn admit(&mut self, op: Op, now: Instant) -> bool {
        let slot = &mut self.buckets[op.index()];
        let Some(&limit) = self.config.rate_limits.get(&op) else {
            *slot = None;
            return true;
        };
        let bucket = match slot {
            Some(bucket) if bucket.limit == limit => bucket,
            _ => slot.insert(Bucket::full(limit, now)),
        };
        let admitted = bucket.take(now);
        if !admitted {
            self.throttled[op.index()] += 1;
        }
        admitted
    }

    fn stats(&self) -> Value {
        let per_op = |values: &[usize; OPS]| {
            Op::ALL
                .iter()
                .map(|op| (op.name().to_owned(), json!(values[op.index()])))
                .collect::<serde_json::Map<_, _>>()
        };
        json!({
            "requests": per_op(&self.counts),
            "throttled": per_op(&self.throttled),
            "max_concurrent": per_op(&self.max_in_flight),
        })
    }

    /// Mints a secret and remembers it for `issued_secrets`.
    fn secret(&mut self, make: impl FnOnce(&mut Mint) -> String) -> String {
        let value = make(&mut self.mint);
        self.issued.push(value.clone());
        value
    }

    fn answer(
        &mut self,
        op: Op,
        base: &str,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Answer {
        let now = Instant::now();
        match op {
            Op::RegisterClient => self.register_client(body, now),
            Op::StartDeviceAuthorization => self.start_device_authorization(base, body, now),
            Op::CreateToken => self.create_token(body, now),
            Op::ListAccounts => self.list_accounts(uri, headers, now),
            Op::ListAccountRoles => self.list_account_roles(uri, headers, now),
            Op::GetRoleCredentials => self.get_role_credentials(uri, headers, now),
            Op::Logout => self.logout(headers, now),
            Op::GetCallerIdentity => self.get_caller_identity(method, uri, headers, body),
        }
    }

    // --- sso-oidc -----------------------------------------------------------------------------

    fn register_client(&mut self, body: &[u8], now: Instant) -> Answer {
        let request: RegisterClientRequest = parse_body(body)?;
        let name = required(request.client_name, "clientName")?;
        let client_type = required(request.client_type, "clientType")?;
        if client_type != "public" {
            return Err(ApiError::new(
                400,
                "InvalidClientMetadataException",
                "invalid_client_metadata",
                "Invalid client type provided",
            ));
        }
        // IAM Identity Center knows its scopes and refuses others, as the
        // model's InvalidScopeException says; these are the documented ones.
        let scopes = request.scopes.unwrap_or_default();
        if let Some(unknown) = scopes
            .iter()
            .find(|scope| !KNOWN_SCOPES.contains(&scope.as_str()))
        {
            return Err(ApiError::new(
                400,
                "InvalidScopeException",
                "invalid_scope",
                format!("Invalid scope requested: {unknown}"),
            ));
        }
        let client_id = self.mint.client_id();
        let secret = self.secret(Mint::client_secret);
        let ttl = self.config.client_secret_ttl;
        self.client_seq += 1;
        self.clients.insert(
            client_id.clone(),
            Client {
                seq: self.client_seq,
                name,
                secret: secret.clone(),
                scopes,
                expires_at: now + ttl,
            },
        );
        let issued_at = epoch_secs(SystemTime::now());
        Ok(json!({
            "clientId": client_id,
            "clientSecret": secret,
            "clientIdIssuedAt": issued_at,
            "clientSecretExpiresAt": issued_at + ttl.as_secs(),
        }))
    }

    /// The client id, when the id and secret match a live registration.
    fn check_client(
        &self,
        id: Option<String>,
        secret: Option<String>,
        now: Instant,
    ) -> Result<String, ApiError> {
        let id = required(id, "clientId")?;
        let secret = required(secret, "clientSecret")?;
        match self.clients.get(&id) {
            Some(client) if client.secret == secret && now < client.expires_at => Ok(id),
            _ => Err(ApiError::invalid_client()),
        }
    }

    fn start_device_authorization(&mut self, base: &str, body: &[u8], now: Instant) -> Answer {
        let request: StartDeviceAuthorizationRequest = parse_body(body)?;
        let client_id = self.check_client(request.client_id, request.client_secret, now)?;
        let _start_url = required(request.start_url, "startUrl")?;
        let user_code = loop {
            let code = self.mint.user_code();
            if !self.devices.values().any(|device| device.user_code == code) {
                break code;
            }
        };
        let device_code = self.secret(Mint::device_code);
        let (auto, after) = (
            self.config.auto_approve,
            self.config.auto_approve_after_polls,
        );
        let interval = self.config.interval;
        let ttl = self.config.device_code_ttl;
        self.device_seq += 1;
        self.devices.insert(
            device_code.clone(),
            Device {
                seq: self.device_seq,
                user_code: user_code.clone(),
                client_id,
                expires_at: now + ttl,
                status: if auto && after == 0 {
                    DeviceStatus::Approved
                } else {
                    DeviceStatus::Pending
                },
                pending_answers: 0,
                interval: Duration::from_secs(interval.into()),
                last_poll: None,
            },
        );
        self.last_user_code = Some(user_code.clone());
        Ok(json!({
            "deviceCode": device_code,
            "userCode": user_code,
            "verificationUri": format!("{base}/device"),
            "verificationUriComplete": format!("{base}/device?user_code={user_code}"),
            "expiresIn": ttl.as_secs(),
            "interval": interval,
        }))
    }

    fn create_token(&mut self, body: &[u8], now: Instant) -> Answer {
        let request: CreateTokenRequest = parse_body(body)?;
        let client_id = self.check_client(request.client_id, request.client_secret, now)?;
        match required(request.grant_type, "grantType")?.as_str() {
            DEVICE_CODE_GRANT => {
                let device_code = required(request.device_code, "deviceCode")?;
                self.redeem_device_code(&client_id, &device_code, now)
            }
            "refresh_token" => {
                let refresh_token = required(request.refresh_token, "refreshToken")?;
                self.redeem_refresh_token(&client_id, &refresh_token, now)
            }
            _ => Err(ApiError::new(
                400,
                "UnsupportedGrantTypeException",
                "unsupported_grant_type",
                "Unsupported grant type provided",
            )),
        }
    }

    fn redeem_device_code(&mut self, client_id: &str, device_code: &str, now: Instant) -> Answer {
        let config = &self.config;
        let (auto, after, never) = (
            config.auto_approve,
            config.auto_approve_after_polls,
            config.device_code_never_expires,
        );
        let enforce_interval = config.enforce_interval;
        let Some(device) = self
            .devices
            .get_mut(device_code)
            .filter(|device| device.client_id == client_id)
        else {
            return Err(ApiError::invalid_grant("Invalid device code provided"));
        };
        if self.slow_downs > 0 {
            self.slow_downs -= 1;
            return Err(ApiError::slow_down());
        }
        let previous_poll = device.last_poll.replace(now);
        if enforce_interval
            && previous_poll.is_some_and(|previous| now.duration_since(previous) < device.interval)
        {
            device.interval += Duration::from_secs(5);
            return Err(ApiError::slow_down());
        }
        match device.status {
            DeviceStatus::Redeemed => {
                return Err(ApiError::invalid_grant("Invalid device code provided"));
            }
            _ if !never && now >= device.expires_at => {
                return Err(ApiError::new(
                    400,
                    "ExpiredTokenException",
                    "expired_token",
                    "Device code has expired",
                ));
            }
            DeviceStatus::Denied => {
                return Err(ApiError::new(
                    400,
                    "AccessDeniedException",
                    "access_denied",
                    "Access denied",
                ));
            }
            DeviceStatus::Pending if !(auto && device.pending_answers >= after) => {
                device.pending_answers += 1;
                return Err(ApiError::new(
                    400,
                    "AuthorizationPendingException",
                    "authorization_pending",
                    "Authorization is still pending",
                ));
            }
            DeviceStatus::Pending | DeviceStatus::Approved => {
                device.status = DeviceStatus::Redeemed;
            }
        }
        let with_refresh = self.clients[client_id]
            .scopes
            .iter()
            .any(|scope| scope == ACCOUNT_ACCESS_SCOPE);
        self.sessions.push(Session {
            revoked: false,
            ends_at: now + self.config.session_ttl,
        });
        let session = self.sessions.len() - 1;
        let mut answer = self.issue_access_token(session, now);
        if with_refresh {
            answer["refreshToken"] = json!(self.issue_refresh_token(session, client_id));
        }
        Ok(answer)
    }

    fn redeem_refresh_token(
        &mut self,
        client_id: &str,
        refresh_token: &str,
        now: Instant,
    ) -> Answer {
        let session = match self.refresh.get(refresh_token) {
            Some(token)
                if token.valid
                    && token.client_id == client_id
                    && !self.sessions[token.session].over(now) =>
            {
                token.session
            }
            _ => return Err(ApiError::invalid_grant("Invalid refresh token provided")),
        };
        let mut answer = self.issue_access_token(session, now);
        let refresh_token = if self.config.rotate_refresh_tokens {
            if let Some(old) = self.refresh.get_mut(refresh_token) {
                old.valid = false;
            }
            self.issue_refresh_token(session, client_id)
        } else {
            refresh_token.to_owned()
        };
        answer["refreshToken"] = json!(refresh_token);
        Ok(answer)
    }

    fn issue_access_token(&mut self, session: usize, now: Instant) -> Value {
        let token = self.secret(Mint::access_token);
        let ttl = self.config.access_token_ttl;
        self.access.insert(
            token.clone(),
            AccessToken {
                session,
                expires_at: now + ttl,
                expired: false,
            },
        );
        json!({"accessToken": token, "tokenType": "Bearer", "expiresIn": ttl.as_secs()})
    }

    fn issue_refresh_token(&mut self, session: usize, client_id: &str) -> String {
        let token = self.secret(Mint::refresh_token);
        self.refresh.insert(
            token.clone(),
            RefreshToken {
                session,
                client_id: client_id.to_owned(),
                valid: true,
            },
        );
        token
    }

    /// Approves or denies a pending device code; `None` when the code is unknown, else the
    /// status it had.
    fn decide(&mut self, user_code: &str, approve: bool) -> Option<DeviceStatus> {
        let wanted = normalize_user_code(user_code);
        let device = self
            .devices
            .values_mut()
            .find(|device| normalize_user_code(&device.user_code) == wanted)?;
        let before = device.status;
        if before == DeviceStatus::Pending {
            device.status = if approve {
                DeviceStatus::Approved
            } else {
                DeviceStatus::Denied
            };
        }
        Some(before)
    }

    fn pending_user_code(&self, now: Instant) -> Option<String> {
        self.devices
            .values()
            .filter(|device| {
                device.status == DeviceStatus::Pending
                    && (self.config.device_code_never_expires || now < device.expires_at)
            })
            .max_by_key(|device| device.seq)
            .map(|device| device.user_code.clone())
    }

    // --- sso portal ---------------------------------------------------------------------------

    fn session_of(&self, token: Option<&str>, now: Instant) -> Result<usize, ApiError> {
        let token = token
            .and_then(|token| self.access.get(token))
            .ok_or_else(ApiError::unauthorized)?;
        if token.expired || now >= token.expires_at || self.sessions[token.session].over(now) {
            return Err(ApiError::unauthorized());
        }
        Ok(token.session)
    }

    fn authorize(&self, headers: &HeaderMap, now: Instant) -> Result<usize, ApiError> {
        let token = headers
            .get(BEARER_HEADER)
            .and_then(|value| value.to_str().ok());
        self.session_of(token, now)
    }

    /// One page of `items`: `max_result` and `next_token` from the query, `scope` tying page
    /// tokens to the listing that made them.
    fn page(
        &mut self,
        items: &[Value],
        query: &HashMap<String, String>,
        scope: &str,
    ) -> Result<(Vec<Value>, Option<String>), ApiError> {
        let max_result = match query.get("max_result") {
            None => self.config.page_size,
            // As the service does: "ResultSize parameter must be within the
            // valid limits of: 1-100" (the model's MaxResultType).
            Some(raw) => match raw.parse::<usize>() {
                Ok(n) if (1..=100).contains(&n) => n,
                _ => {
                    return Err(ApiError::invalid_request(
                        "ResultSize parameter must be within the valid limits of: 1-100",
                    ));
                }
            },
        };
        let size = max_result.min(self.config.page_size).max(1);
        let start = match query.get("next_token").filter(|token| !token.is_empty()) {
            None => 0,
            Some(token) => match self.page_tokens.get(token) {
                Some((owner, offset)) if owner == scope => *offset,
                _ => return Err(ApiError::invalid_request("Invalid next_token")),
            },
        };
        let end = items.len().min(start.saturating_add(size));
        let page = items
            .get(start..end)
            .map(<[Value]>::to_vec)
            .unwrap_or_default();
        let next = (end < items.len()).then(|| {
            let token = self.mint.page_token();
            self.page_tokens
                .insert(token.clone(), (scope.to_owned(), end));
            token
        });
        Ok((page, next))
    }

    fn list_accounts(&mut self, uri: &Uri, headers: &HeaderMap, now: Instant) -> Answer {
        self.authorize(headers, now)?;
        let query = parse_query(uri)?;
        let items: Vec<Value> = self
            .config
            .accounts
            .iter()
            .map(|account| json!({"accountId": account.id, "accountName": account.name, "emailAddress": account.email}))
            .collect();
        let (page, next) = self.page(&items, &query, "accounts")?;
        Ok(with_next_token(json!({"accountList": page}), next))
    }

    fn list_account_roles(&mut self, uri: &Uri, headers: &HeaderMap, now: Instant) -> Answer {
        if let Some(limit) = self.config.list_roles_rate_limit {
            while self
                .roles_window
                .front()
                .is_some_and(|&at| now.duration_since(at) >= Duration::from_secs(1))
            {
                self.roles_window.pop_front();
            }
            if self.roles_window.len() >= limit {
                self.throttled[Op::ListAccountRoles.index()] += 1;
                return Err(ApiError::injected(Op::ListAccountRoles, 429));
            }
            self.roles_window.push_back(now);
        }
        self.authorize(headers, now)?;
        let query = parse_query(uri)?;
        let account_id = query
            .get("account_id")
            .filter(|id| !id.is_empty())
            .ok_or_else(|| ApiError::invalid_request("account_id is required"))?
            .clone();
        let items: Vec<Value> = self
            .config
            .accounts
            .iter()
            .filter(|account| account.id == account_id)
            .flat_map(|account| &account.roles)
            .map(|role| json!({"roleName": role, "accountId": account_id}))
            .collect();
        let (page, next) = self.page(&items, &query, &format!("roles:{account_id}"))?;
        Ok(with_next_token(json!({"roleList": page}), next))
    }

    fn get_role_credentials(&mut self, uri: &Uri, headers: &HeaderMap, now: Instant) -> Answer {
        self.authorize(headers, now)?;
        let query = parse_query(uri)?;
        let param = |name: &str| {
            query
                .get(name)
                .filter(|value| !value.is_empty())
                .cloned()
                .ok_or_else(|| ApiError::invalid_request(format!("{name} is required")))
        };
        let (role_name, account_id) = (param("role_name")?, param("account_id")?);
        let assigned = self
            .config
            .accounts
            .iter()
            .any(|account| account.id == account_id && account.roles.contains(&role_name));
        if !assigned {
            return Err(ApiError::new(
                403,
                "ForbiddenException",
                "access_denied",
                "No access",
            ));
        }
        let access_key_id = self.mint.access_key_id();
        let secret_access_key = self.secret(Mint::secret_access_key);
        let session_token = self.secret(Mint::session_token);
        let expires = if self.config.role_credentials_already_expired {
            SystemTime::now() - self.config.role_credentials_ttl
        } else {
            SystemTime::now() + self.config.role_credentials_ttl
        };
        let expiration = u64::try_from(epoch(expires).as_millis()).unwrap_or(u64::MAX);
        self.role_credentials.push(IssuedRoleCredentials {
            account_id,
            role_name,
            access_key_id: access_key_id.clone(),
            secret_access_key: secret_access_key.clone(),
            session_token: session_token.clone(),
            expiration,
        });
        Ok(json!({"roleCredentials": {
            "accessKeyId": access_key_id,
            "secretAccessKey": secret_access_key,
            "sessionToken": session_token,
            "expiration": expiration,
        }}))
    }

    fn logout(&mut self, headers: &HeaderMap, now: Instant) -> Answer {
        let session = self.authorize(headers, now)?;
        self.sessions[session].revoked = true;
        for token in self
            .refresh
            .values_mut()
            .filter(|token| token.session == session)
        {
            token.valid = false;
        }
        Ok(Value::Null)
    }
}

impl Inner {
    // --- sts ----------------------------------------------------------------------------------

    /// Checks the request's SigV4 signature as STS would, against the role credentials that
    /// `GetRoleCredentials` handed out, and names the role they belong to.
    fn get_caller_identity(
        &mut self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Answer {
        let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        let authorization = header("authorization").ok_or_else(|| {
            ApiError::sts(
                403,
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            )
        })?;
        let signed = SigV4::parse(authorization).ok_or_else(|| {
            ApiError::incomplete_signature(
                "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' \
                 parameters, and a credential scope DATE/REGION/SERVICE/aws4_request.",
            )
        })?;
        let amz_date = header("x-amz-date").ok_or_else(|| {
            ApiError::incomplete_signature(
                "Authorization header requires existence of a 'X-Amz-Date' header.",
            )
        })?;
        let signed_at = parse_amz_date(amz_date).ok_or_else(|| {
            ApiError::incomplete_signature("X-Amz-Date must be in the ISO 8601 basic format.")
        })?;
        if signed.service != "sts" {
            return Err(ApiError::signature_does_not_match(
                "Credential should be scoped to correct service: 'sts'.",
            ));
        }
        if !amz_date.starts_with(signed.date) {
            return Err(ApiError::signature_does_not_match(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
                 from HTTP: '{}' != '{}'",
                signed.date,
                &amz_date[..8]
            )));
        }
        if signed_at.abs_diff(epoch_secs(SystemTime::now())) > MAX_CLOCK_SKEW_SECS {
            return Err(ApiError::signature_does_not_match(format!(
                "Signature expired or not yet current: {amz_date} is more than 15 minutes away \
                 from the server's clock"
            )));
        }
        let issued = self
            .role_credentials
            .iter()
            .find(|issued| issued.access_key_id == signed.access_key_id)
            .ok_or_else(ApiError::invalid_client_token_id)?;
        let token = header("x-amz-security-token").unwrap_or_default();
        if !constant_time_eq(token.as_bytes(), issued.session_token.as_bytes()) {
            return Err(ApiError::invalid_client_token_id());
        }
        let now_ms = u64::try_from(epoch(SystemTime::now()).as_millis()).unwrap_or(u64::MAX);
        if now_ms >= issued.expiration || self.expired_access_keys.contains(&issued.access_key_id) {
            return Err(ApiError::sts(
                403,
                "ExpiredToken",
                "The security token included in the request is expired",
            ));
        }
        let canonical = canonical_request(method, uri, headers, signed.signed_headers, body);
        let to_sign = string_to_sign(amz_date, &signed.scope(), &canonical);
        if !signature_matches(&issued.secret_access_key, &signed, &to_sign) {
            return Err(ApiError::signature_does_not_match(
                "The request signature we calculated does not match the signature you provided. \
                 Check your AWS Secret Access Key and signing method. Consult the service \
                 documentation for details.",
            ));
        }
        let (account, role) = (issued.account_id.clone(), issued.role_name.clone());
        let role_id = self.mint.role_id(&account, &role);
        self.last_caller = Some((account.clone(), role.clone()));
        Ok(json!({
            "Arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{ROLE_SESSION_NAME}"),
            "UserId": format!("{role_id}:{ROLE_SESSION_NAME}"),
            "Account": account,
        }))
    }
}

fn with_next_token(mut answer: Value, next: Option<String>) -> Value {
    if let Some(next) = next {
        answer["nextToken"] = json!(next);
    }
    answer
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterClientRequest {
    client_name: Option<String>,
    client_type: Option<String>,
    scopes: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartDeviceAuthorizationRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    start_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateTokenRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    grant_type: Option<String>,
    device_code: Option<String>,
    refresh_token: Option<String>,
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|_| ApiError::invalid_request("Invalid request body"))
}

fn required(value: Option<String>, name: &str) -> Result<String, ApiError> {
    value
        .filter(|value| !value.is_empty())
        .ok_or_else(|| ApiError::invalid_request(format!("{name} is required")))
}

fn parse_query(uri: &Uri) -> Result<HashMap<String, String>, ApiError> {
    Query::<HashMap<String, String>>::try_from_uri(uri)
        .map(|Query(query)| query)
        .map_err(|_| ApiError::invalid_request("Invalid query string"))
}

fn normalize_user_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn epoch(time: SystemTime) -> Duration {
    time.duration_since(UNIX_EPOCH).unwrap_or_default()
}

fn epoch_secs(time: SystemTime) -> u64 {
    epoch(time).as_secs()
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/// Decrements the in-flight gauge of an operation, also when the client hangs up mid-answer.
struct InFlight {
    shared: Arc<Shared>,
    op: Op,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        let gauge = &mut state.in_flight[self.op.index()];
        *gauge = gauge.saturating_sub(1);
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(op) = Op::route(&method, &uri, &body) else {
        return match (method.as_str(), uri.path()) {
            ("GET", "/device") => device_page(&shared, &uri),
            ("GET", STATS_PATH) => json_response(StatusCode::OK, &shared.lock().stats()),
            ("GET", "/") => Html(INDEX_PAGE).into_response(),
            ("POST", "/") => unknown_sts_action(&shared, &method, &uri, &body),
            _ => not_found(&method, &uri),
        };
    };
    let (admitted, latency, fault) = {
        let mut state = shared.lock();
        let i = op.index();
        state.counts[i] += 1;
        state.in_flight[i] += 1;
        state.max_in_flight[i] = state.max_in_flight[i].max(state.in_flight[i]);
        let admitted = state.admit(op, Instant::now());
        let fault = if admitted {
            state.failures[i].pop_front()
        } else {
            None
        };
        (admitted, state.config.latency, fault)
    };
    let _in_flight = InFlight {
        shared: Arc::clone(&shared),
        op,
    };
    if admitted && !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let status = match fault {
        Some(Fault::Stall(delay)) => {
            tokio::time::sleep(delay).await;
            None
        }
        Some(Fault::Status(status)) => Some(status),
        Some(broken) => {
            if shared.lock().config.verbose {
                eprintln!("sso-emulator: {op:?} -> 200 {broken:?}");
            }
            return broken_response(&broken);
        }
        None => None,
    };
    let mut state = shared.lock();
    let answer = match status {
        Some(status) => Err(ApiError::injected(op, status)),
        None if admitted => state.answer(op, &shared.base, &method, &uri, &headers, &body),
        None => Err(ApiError::injected(op, 429)),
    };
    let verbose = state.config.verbose;
    let clock_offset = state.config.clock_offset_secs;
    let request_id = state.mint.request_id();
    drop(state);
    if verbose {
        match &answer {
            Ok(_) => eprintln!("sso-emulator: {op:?} -> 200"),
            Err(error) => eprintln!(
                "sso-emulator: {op:?} -> {} {}",
                error.status.as_u16(),
                error.code
            ),
        }
    }
    let mut response = match answer {
        Ok(body) if op.is_sts() => caller_identity_response(&body, &request_id),
        Ok(Value::Null) => StatusCode::OK.into_response(),
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(error) => error.into_response(op, &request_id),
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-amzn-requestid"), value);
    }
    if clock_offset != 0 {
        let offset = Duration::from_secs(clock_offset.unsigned_abs());
        let now = SystemTime::now();
        let clock = if clock_offset > 0 {
            now + offset
        } else {
            now - offset
        };
        if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(clock)) {
            response
                .headers_mut()
                .insert(axum::http::header::DATE, value);
        }
    }
    response
}

/// The 200 answer of a [`Fault`] that breaks the body.
fn broken_response(fault: &Fault) -> Response {
    let body = match fault {
        Fault::MalformedJson => "{\"roleCredentials\": {\"accessKeyId\": \"ASIA".to_owned(),
        Fault::HugeBody(bytes) => {
            let mut body = String::with_capacity(bytes + 16);
            body.push_str("{\"padding\": \"");
            body.extend(std::iter::repeat_n('x', *bytes));
            body.push_str("\"}");
            body
        }
        Fault::EmptyBody | Fault::Status(_) | Fault::Stall(_) => String::new(),
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

fn not_found(method: &Method, uri: &Uri) -> Response {
    let mut response = json_response(
        StatusCode::NOT_FOUND,
        &json!({"message": format!("No operation at {method} {}", uri.path())}),
    );
    response.headers_mut().insert(
        HeaderName::from_static("x-amzn-errortype"),
        HeaderValue::from_static("UnknownOperationException"),
    );
    response
}

/// `POST /` with an `Action` other than `GetCallerIdentity`: STS's answer, not counted.
fn unknown_sts_action(shared: &Shared, method: &Method, uri: &Uri, body: &[u8]) -> Response {
    let action = sts_action(method, uri, body).unwrap_or_default();
    let request_id = shared.lock().mint.request_id();
    ApiError::sts(
        400,
        "InvalidAction",
        format!("Could not find operation {action} for version 2011-06-15"),
    )
    .into_sts_response(&request_id)
}

/// Every counter as JSON ([`Emulator::stats`]), for scripts that run the example.
pub const STATS_PATH: &str = "/_emulator/stats";

const INDEX_PAGE: &str = "<!doctype html><title>Identity Center emulator</title>\
    <h1>Identity Center emulator</h1><p>Serves sso-oidc, the sso portal and STS \
    GetCallerIdentity. Counters: <a href=\"/_emulator/stats\">/_emulator/stats</a>. \
    Approve a sign-in at <a href=\"/device\">/device</a>.</p>";

/// The browser side of the device flow: `GET /device?user_code=CODE[&action=deny]`.
fn device_page(shared: &Shared, uri: &Uri) -> Response {
    let query = Query::<HashMap<String, String>>::try_from_uri(uri)
        .map(|Query(query)| query)
        .unwrap_or_default();
    let Some(code) = query.get("user_code").filter(|code| !code.is_empty()) else {
        return Html(
            "<!doctype html><title>Authorize request</title><h1>Authorize request</h1>\
             <form method=\"get\" action=\"/device\"><label>Code <input name=\"user_code\"></label>\
             <button>Allow</button></form>",
        )
        .into_response();
    };
    let deny = query.get("action").is_some_and(|action| action == "deny");
    let mut state = shared.lock();
    let now = Instant::now();
    let never = state.config.device_code_never_expires;
    let wanted = normalize_user_code(code);
    let expired = state
        .devices
        .values()
        .find(|device| normalize_user_code(&device.user_code) == wanted)
        .map(|device| !never && now >= device.expires_at);
    let (status, heading) = match expired {
        None => (StatusCode::NOT_FOUND, "Unknown code".to_owned()),
        Some(true) => (StatusCode::BAD_REQUEST, "This code has expired".to_owned()),
        Some(false) => match state.decide(code, !deny) {
            Some(DeviceStatus::Pending) if deny => (StatusCode::OK, "Request denied".to_owned()),
            Some(DeviceStatus::Pending) => (StatusCode::OK, "Request approved".to_owned()),
            Some(before) => (
                StatusCode::OK,
                format!("This request was already {}", describe(before)),
            ),
            None => (StatusCode::NOT_FOUND, "Unknown code".to_owned()),
        },
    };
    drop(state);
    let mut page = String::from("<!doctype html><title>Identity Center emulator</title>");
    let _ = write!(page, "<h1>{heading}</h1><p>Code: {}</p>", html_escape(code));
    (status, Html(page)).into_response()
}

fn describe(status: DeviceStatus) -> &'static str {
    match status {
        DeviceStatus::Pending => "pending",
        DeviceStatus::Approved => "approved",
        DeviceStatus::Denied => "denied",
        DeviceStatus::Redeemed => "used",
    }
}

fn html_escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// SigV4 and the STS Query protocol
// ---------------------------------------------------------------------------------------------

/// The `Action` of an STS Query-protocol request: from the form body of a POST, else the query.
fn sts_action(method: &Method, uri: &Uri, body: &[u8]) -> Option<String> {
    let from_body = if method == Method::POST {
        std::str::from_utf8(body)
            .ok()
            .and_then(|form| form_param(form, "Action"))
    } else {
        None
    };
    from_body.or_else(|| uri.query().and_then(|query| form_param(query, "Action")))
}

/// The first value of `name` in an `application/x-www-form-urlencoded` string.
fn form_param(form: &str, name: &str) -> Option<String> {
    form.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key, true) == name).then(|| percent_decode(value, true))
    })
}

/// Decodes `%XX` escapes (and `+` as a space in form bodies); malformed escapes stay as they are.
fn percent_decode(text: &str, plus_as_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[i], escaped) {
            (_, Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', None) if plus_as_space => {
                out.push(b' ');
                i += 1;
            }
            (byte, None) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// SigV4's `UriEncode`: every byte but the unreserved `A-Z a-z 0-9 - _ . ~` as `%XX`.
fn uri_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
/// SignedHeaders=a;b, Signature=HEX`.
#[derive(Debug, PartialEq, Eq)]
struct SigV4<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

impl<'a> SigV4<'a> {
    fn parse(header: &'a str) -> Option<SigV4<'a>> {
        let rest = header.strip_prefix("AWS4-HMAC-SHA256 ")?;
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (name, value) = part.trim().split_once('=')?;
            let slot = match name {
                "Credential" => &mut credential,
                "SignedHeaders" => &mut signed_headers,
                "Signature" => &mut signature,
                _ => return None,
            };
            *slot = Some(value);
        }
        let scope: Vec<&str> = credential?.split('/').collect();
        let [access_key_id, date, region, service, "aws4_request"] = scope[..] else {
            return None;
        };
        let signed_headers = signed_headers.filter(|headers| !headers.is_empty())?;
        Some(SigV4 {
            access_key_id,
            date,
            region,
            service,
            signed_headers,
            signature: signature?,
        })
    }

    /// The credential scope, `DATE/REGION/SERVICE/aws4_request`.
    fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// SigV4's canonical request: method, URI, query, the signed headers, their names and the
/// payload's hash, one per line.
fn canonical_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    signed_headers: &str,
    body: &[u8],
) -> String {
    let mut out = format!("{method}\n");
    // Services other than S3 encode each path segment once more, as sent.
    let path = uri.path();
    if path.is_empty() {
        out.push('/');
    } else {
        let segments: Vec<String> = path.split('/').map(uri_encode).collect();
        out.push_str(&segments.join("/"));
    }
    out.push('\n');
    let mut query: Vec<(String, String)> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                uri_encode(&percent_decode(key, false)),
                uri_encode(&percent_decode(value, false)),
            )
        })
        .collect();
    query.sort();
    let query: Vec<String> = query
        .into_iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    out.push_str(&query.join("&"));
    out.push('\n');
    for name in signed_headers.split(';') {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|value| {
                let value = String::from_utf8_lossy(value.as_bytes());
                value.split_whitespace().collect::<Vec<_>>().join(" ")
            })
            .collect();
        let _ = writeln!(out, "{name}:{}", values.join(","));
    }
    let _ = write!(
        out,
        "\n{signed_headers}\n{}",
        hex::encode(Sha256::digest(body))
    );
    out
}

fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request))
    )
}

fn hmac_sha256(key: &[u8], data: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data.as_bytes());
    mac
}

/// The MAC of `string_to_sign` under the key derived from `secret_access_key` and the scope.
fn signer(secret_access_key: &str, signed: &SigV4<'_>, string_to_sign: &str) -> Hmac<Sha256> {
    let mut key = format!("AWS4{secret_access_key}").into_bytes();
    for part in [signed.date, signed.region, signed.service, "aws4_request"] {
        key = hmac_sha256(&key, part).finalize().into_bytes().to_vec();
    }
    hmac_sha256(&key, string_to_sign)
}

/// The hex signature of `string_to_sign`, as a client computes it.
fn sign(secret_access_key: &str, signed: &SigV4<'_>, string_to_sign: &str) -> String {
    hex::encode(
        signer(secret_access_key, signed, string_to_sign)
            .finalize()
            .into_bytes(),
    )
}

/// Whether `signed.signature` is right, compared in constant time.
fn signature_matches(secret_access_key: &str, signed: &SigV4<'_>, string_to_sign: &str) -> bool {
    hex::decode(signed.signature).is_ok_and(|claimed| {
        signer(secret_access_key, signed, string_to_sign)
            .verify_slice(&claimed)
            .is_ok()
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Seconds since the epoch of an ISO 8601 basic timestamp such as `20150830T123600Z`.
fn parse_amz_date(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = bytes.get(range)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| std::str::from_utf8(part).ok()?.parse().ok())
            .flatten()
    };
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let (month, day) = (digits(4..6)?, digits(6..8)?);
    let (hour, minute, second) = (digits(9..11)?, digits(11..13)?, digits(13..15)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let days = days_from_civil(digits(0..4)?, month, day);
    u64::try_from(days * 86_400 + hour * 3_600 + minute * 60 + second).ok()
}

/// `20150830T123600Z` for `secs` since the epoch.
fn format_amz_date(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX);
    let (year, month, day) = civil_from_days(days);
    let rest = secs % 86_400;
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

// ---------------------------------------------------------------------------------------------
// Token minting
// ---------------------------------------------------------------------------------------------

const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const HEX: &[u8] = b"0123456789abcdef";
/// Consonants only, so that user codes never spell words.
const USER_CODE_LETTERS: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Random-looking, unique values: a counter run through a per-emulator keyed `SipHash`.
struct Mint {
    keys: RandomState,
    counter: u64,
}

impl Mint {
    fn new() -> Mint {
        Mint {
            keys: RandomState::new(),
            counter: 0,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.counter += 1;
        let mut hasher = self.keys.build_hasher();
        hasher.write_u64(self.counter);
        hasher.finish()
    }

    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        let mut out = String::with_capacity(n);
        while out.len() < n {
            for byte in self.next_u64().to_le_bytes() {
                if out.len() < n {
                    out.push(char::from(alphabet[usize::from(byte) % alphabet.len()]));
                }
            }
        }
        out
    }

    fn client_id(&mut self) -> String {
        format!("{}dXMtZWFzdC0x", self.chars(BASE64URL, 22))
    }

    /// About 1,500 characters, shaped like the JWT-ish secrets the real service returns.
    fn client_secret(&mut self) -> String {
        format!(
            "eyJraWQiOiJrZXktMTU2NDAyODA5OSIsImFsZyI6IkhTMzg0In0.{}.{}",
            self.chars(BASE64URL, 1380),
            self.chars(BASE64URL, 64)
        )
    }

    fn device_code(&mut self) -> String {
        self.chars(BASE64URL, 220)
    }

    fn user_code(&mut self) -> String {
        let code = self.chars(USER_CODE_LETTERS, 8);
        format!("{}-{}", &code[..4], &code[4..])
    }

    /// About 1,000 characters.
    fn access_token(&mut self) -> String {
        format!(
            "aoaAAAAA{}:MGYCMQ{}",
            self.chars(BASE64, 900),
            self.chars(BASE64, 90)
        )
    }

    fn refresh_token(&mut self) -> String {
        format!(
            "aorAAAAA{}:MGUCMQ{}",
            self.chars(BASE64, 860),
            self.chars(BASE64, 90)
        )
    }

    fn access_key_id(&mut self) -> String {
        format!("ASIA{}", self.chars(UPPER_ALNUM, 16))
    }

    fn secret_access_key(&mut self) -> String {
        self.chars(BASE64, 40)
    }

    /// About 600 characters.
    fn session_token(&mut self) -> String {
        format!("IQoJb3JpZ2luX2VjE{}", self.chars(BASE64, 583))
    }

    /// A stable `AROA…` id for the role `role` of `account`, like the unique id IAM gives a role.
    fn role_id(&self, account: &str, role: &str) -> String {
        let mut id = String::from("AROA");
        let mut round = 0_u64;
        while id.len() < 21 {
            let mut hasher = self.keys.build_hasher();
            hasher.write(account.as_bytes());
            hasher.write_u8(0);
            hasher.write(role.as_bytes());
            hasher.write_u64(round);
            for byte in hasher.finish().to_le_bytes() {
                if id.len() < 21 {
                    id.push(char::from(
                        UPPER_ALNUM[usize::from(byte) % UPPER_ALNUM.len()],
                    ));
                }
            }
            round += 1;
        }
        id
    }

    fn page_token(&mut self) -> String {
        format!("AAMA-EFRSURBSGg{}", self.chars(BASE64URL, 120))
    }

    fn request_id(&mut self) -> String {
        let hex = self.chars(HEX, 32);
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Wire conformance, checked with the AWS SDK for Rust itself
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::{Config, DEVICE_CODE_GRANT, Emulator, Op, RateLimit, START_URL, accounts};
    use aws_sdk_sso::error::ProvideErrorMetadata;
    use std::time::{Duration, Instant};

    fn oidc(emulator: &Emulator) -> aws_sdk_ssooidc::Client {
        use aws_sdk_ssooidc::config::{BehaviorVersion, Region, retry::RetryConfig};
        let config = aws_sdk_ssooidc::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(emulator.url())
            .retry_config(RetryConfig::standard().with_initial_backoff(Duration::from_millis(1)))
            .build();
        aws_sdk_ssooidc::Client::from_conf(config)
    }

    fn portal(emulator: &Emulator) -> aws_sdk_sso::Client {
        use aws_sdk_sso::config::{BehaviorVersion, Region, retry::RetryConfig};
        let config = aws_sdk_sso::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(emulator.url())
            .retry_config(RetryConfig::standard().with_initial_backoff(Duration::from_millis(1)))
            .build();
        aws_sdk_sso::Client::from_conf(config)
    }

    /// Registers (with the account-access scope), starts a device authorization and returns
    /// `(client_id, client_secret, device_code, user_code)`.
    async fn start(emulator: &Emulator) -> (String, String, String, String) {
        let oidc = oidc(emulator);
        let client = oidc
            .register_client()
            .client_name("ssokey-test")
            .client_type("public")
            .scopes("sso:account:access")
            .send()
            .await
            .expect("RegisterClient");
        let (id, secret) = (client.client_id.unwrap(), client.client_secret.unwrap());
        let device = oidc
            .start_device_authorization()
            .client_id(&id)
            .client_secret(&secret)
            .start_url(START_URL)
            .send()
            .await
            .expect("StartDeviceAuthorization");
        assert_eq!(device.interval, 1);
        let user_code = device.user_code.unwrap();
        assert_eq!(
            device.verification_uri_complete.unwrap(),
            format!("{}/device?user_code={user_code}", emulator.url())
        );
        (id, secret, device.device_code.unwrap(), user_code)
    }

    fn device_token(
        oidc: &aws_sdk_ssooidc::Client,
        id: &str,
        secret: &str,
        device_code: &str,
    ) -> aws_sdk_ssooidc::operation::create_token::builders::CreateTokenFluentBuilder {
        oidc.create_token()
            .client_id(id)
            .client_secret(secret)
            .grant_type(DEVICE_CODE_GRANT)
            .device_code(device_code)
    }

    #[tokio::test]
    #[allow(clippy::too_many_lines)] // one scenario, start to finish
    async fn device_flow_portal_refresh_and_logout() {
        let emulator = Emulator::start(Config {
            accounts: accounts(5, &["Admin", "ReadOnly", "Billing"]),
            page_size: 2,
            ..Config::default()
        });
        let (id, secret, device_code, user_code) = start(&emulator).await;
        let oidc = oidc(&emulator);

        let pending = device_token(&oidc, &id, &secret, &device_code)
            .send()
            .await
            .unwrap_err();
        assert!(
            pending
                .into_service_error()
                .is_authorization_pending_exception()
        );
        emulator.slow_down_next(1);
        let slow = device_token(&oidc, &id, &secret, &device_code)
            .send()
            .await
            .unwrap_err();
        assert!(slow.into_service_error().is_slow_down_exception());

        assert_eq!(
            emulator.last_user_code().as_deref(),
            Some(user_code.as_str())
        );
        emulator.approve(&user_code.to_lowercase().replace('-', ""));
        let token = device_token(&oidc, &id, &secret, &device_code)
            .send()
            .await
            .unwrap();
        assert_eq!(token.token_type.as_deref(), Some("Bearer"));
        assert_eq!(token.expires_in, 3600);
        let access = token.access_token.unwrap();
        let refresh = token.refresh_token.unwrap();
        assert!(access.len() > 900 && refresh.len() > 900);
        let again = device_token(&oidc, &id, &secret, &device_code)
            .send()
            .await
            .unwrap_err();
        assert!(again.into_service_error().is_invalid_grant_exception());

        let portal = portal(&emulator);
        emulator.fail_next(Op::ListAccounts, 429, 1);
        let listed: Vec<_> = portal
            .list_accounts()
            .access_token(&access)
            .max_results(100)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .unwrap();
        assert_eq!(listed.len(), 5);
        assert_eq!(listed[4].account_id(), Some("100000000005"));
        assert_eq!(listed[4].account_name(), Some("account-005"));
        assert_eq!(listed[4].email_address(), Some("account-005@example.com"));
        // One throttled and retried call, then three pages of two.
        assert_eq!(emulator.count(Op::ListAccounts), 4);
        // As the service, a page of more than 100 is refused.
        let too_many = portal
            .list_accounts()
            .access_token(&access)
            .max_results(101)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert!(too_many.is_invalid_request_exception(), "{too_many:?}");

        let roles: Vec<_> = portal
            .list_account_roles()
            .access_token(&access)
            .account_id("100000000003")
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .unwrap();
        let names: Vec<_> = roles.iter().filter_map(|role| role.role_name()).collect();
        assert_eq!(names, ["Admin", "ReadOnly", "Billing"]);

        let credentials = portal
            .get_role_credentials()
            .access_token(&access)
            .account_id("100000000003")
            .role_name("ReadOnly")
            .send()
            .await
            .unwrap()
            .role_credentials
            .unwrap();
        let key_id = credentials.access_key_id.unwrap();
        assert!(key_id.starts_with("ASIA") && key_id.len() == 20);
        assert_eq!(
            credentials.secret_access_key.as_deref().map(str::len),
            Some(40)
        );
        let expiration = credentials.expiration;
        let in_an_hour = i64::try_from(
            super::epoch(std::time::SystemTime::now() + Duration::from_secs(super::HOUR))
                .as_millis(),
        )
        .unwrap();
        assert!(
            (expiration - in_an_hour).abs() < 60_000,
            "expiration is in epoch milliseconds"
        );
        let issued = emulator.issued_secrets();
        assert!(issued.contains(&credentials.session_token.unwrap()));
        assert!(issued.contains(&access) && issued.contains(&refresh) && issued.contains(&secret));

        let forbidden = portal
            .get_role_credentials()
            .access_token(&access)
            .account_id("100000000003")
            .role_name("Nope")
            .send()
            .await
            .unwrap_err();
        assert_eq!(forbidden.code(), Some("ForbiddenException"));
        assert_eq!(forbidden.message(), Some("No access"));

        let refreshed = oidc
            .create_token()
            .client_id(&id)
            .client_secret(&secret)
            .grant_type("refresh_token")
            .refresh_token(&refresh)
            .send()
            .await
            .unwrap();
        let new_refresh = refreshed.refresh_token.unwrap();
        assert_ne!(new_refresh, refresh);
        let stale = oidc
            .create_token()
            .client_id(&id)
            .client_secret(&secret)
            .grant_type("refresh_token")
            .refresh_token(&refresh)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert!(stale.is_invalid_grant_exception());

        let new_access = refreshed.access_token.unwrap();
        portal
            .logout()
            .access_token(&new_access)
            .send()
            .await
            .unwrap();
        let gone = portal
            .list_accounts()
            .access_token(&access)
            .send()
            .await
            .unwrap_err();
        assert!(gone.into_service_error().is_unauthorized_exception());
        let revoked = oidc
            .create_token()
            .client_id(&id)
            .client_secret(&secret)
            .grant_type("refresh_token")
            .refresh_token(&new_refresh)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert!(revoked.is_invalid_grant_exception());
        emulator.expect(Op::Logout, 1);
    }

    #[tokio::test]
    async fn denied_expired_and_invalid_client() {
        let emulator = Emulator::start(Config::default());
        let oidc = oidc(&emulator);
        let (id, secret, device_code, user_code) = start(&emulator).await;
        emulator.deny(&user_code);
        let denied = device_token(&oidc, &id, &secret, &device_code)
            .send()
            .await
            .unwrap_err();
        assert!(denied.into_service_error().is_access_denied_exception());

        emulator.update_config(|config| config.device_code_ttl = Duration::ZERO);
        let device_code = oidc
            .start_device_authorization()
            .client_id(&id)
            .client_secret(&secret)
            .start_url(START_URL)
            .send()
            .await
            .unwrap()
            .device_code
            .unwrap();
        let expired = device_token(&oidc, &id, &secret, &device_code)
            .send()
            .await
            .unwrap_err();
        assert!(expired.into_service_error().is_expired_token_exception());

        emulator.invalidate_clients();
        let invalid = device_token(&oidc, &id, &secret, &device_code)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            invalid.raw_response().map(|raw| raw.status().as_u16()),
            Some(401)
        );
        assert!(invalid.into_service_error().is_invalid_client_exception());
    }

    #[tokio::test]
    async fn auto_approve_expire_and_revoke() {
        let emulator = Emulator::start(Config {
            auto_approve: true,
            auto_approve_after_polls: 2,
            ..Config::default()
        });
        let oidc = oidc(&emulator);
        let (id, secret, device_code, _) = start(&emulator).await;
        for _ in 0..2 {
            let pending = device_token(&oidc, &id, &secret, &device_code)
                .send()
                .await
                .unwrap_err();
            assert!(
                pending
                    .into_service_error()
                    .is_authorization_pending_exception()
            );
        }
        let token = device_token(&oidc, &id, &secret, &device_code)
            .send()
            .await
            .unwrap();
        let access = token.access_token.unwrap();
        assert!(emulator.access_token_is_valid(&access));

        let portal = portal(&emulator);
        emulator.expire_access_tokens();
        let expired = portal
            .list_accounts()
            .access_token(&access)
            .send()
            .await
            .unwrap_err();
        assert!(expired.into_service_error().is_unauthorized_exception());
        let refresh = token.refresh_token.unwrap();
        let refreshed = oidc
            .create_token()
            .client_id(&id)
            .client_secret(&secret)
            .grant_type("refresh_token")
            .refresh_token(&refresh)
            .send()
            .await
            .unwrap();
        let access = refreshed.access_token.unwrap();
        portal
            .list_accounts()
            .access_token(&access)
            .send()
            .await
            .unwrap();

        emulator.revoke_all();
        let revoked = portal
            .list_accounts()
            .access_token(&access)
            .send()
            .await
            .unwrap_err();
        assert!(revoked.into_service_error().is_unauthorized_exception());

        emulator.fail_next(Op::RegisterClient, 500, 3);
        let failed = oidc
            .register_client()
            .client_name("x")
            .client_type("public")
            .send()
            .await
            .unwrap_err();
        assert!(failed.into_service_error().is_internal_server_exception());
        assert_eq!(
            emulator.count(Op::RegisterClient),
            4,
            "one success, then three attempts"
        );
    }

    #[tokio::test]
    async fn pacing_knobs() {
        let emulator = Emulator::start(Config {
            enforce_interval: true,
            device_code_never_expires: true,
            device_code_ttl: Duration::ZERO,
            list_roles_rate_limit: Some(1),
            ..Config::default()
        });
        let oidc = oidc(&emulator);
        let (id, secret, device_code, user_code) = start(&emulator).await;
        assert_eq!(emulator.wait_for_user_code(Duration::ZERO), Some(user_code));
        let first = device_token(&oidc, &id, &secret, &device_code)
            .send()
            .await
            .unwrap_err();
        assert!(
            first
                .into_service_error()
                .is_authorization_pending_exception()
        );
        let hasty = device_token(&oidc, &id, &secret, &device_code)
            .send()
            .await
            .unwrap_err();
        assert!(hasty.into_service_error().is_slow_down_exception());

        emulator.update_config(|config| config.auto_approve = true);
        let portal = portal(&emulator);
        let listing = || {
            portal
                .list_account_roles()
                .access_token("unknown")
                .account_id("100000000001")
                .send()
        };
        // The first call passes the limiter (and fails on the token); the next ones in the same
        // second are throttled, retried and throttled again.
        assert!(
            listing()
                .await
                .unwrap_err()
                .into_service_error()
                .is_unauthorized_exception()
        );
        assert!(
            listing()
                .await
                .unwrap_err()
                .into_service_error()
                .is_too_many_requests_exception()
        );
        assert!(emulator.throttled(Op::ListAccountRoles) >= 1);
    }

    #[test]
    fn token_buckets_fill_at_their_rate_up_to_the_burst() {
        let limit = RateLimit {
            per_second: 8.0,
            burst: 3.0,
        };
        let start = Instant::now();
        let at = |micros| start + Duration::from_micros(micros);
        let mut bucket = super::Bucket::full(limit, start);
        let taken: Vec<bool> = (0..4).map(|_| bucket.take(start)).collect();
        assert_eq!(
            taken,
            [true, true, true, false],
            "a full bucket lets the burst through"
        );
        assert!(!bucket.take(at(62_500)), "half a token is not enough");
        assert!(bucket.take(at(125_000)), "one token after 1/8 s");
        assert!(!bucket.take(at(125_000)));
        assert!(
            !bucket.take(at(100_000)),
            "a clock that steps back earns nothing"
        );
        let later: Vec<bool> = (0..4).map(|_| bucket.take(at(60_000_000))).collect();
        assert_eq!(
            later,
            [true, true, true, false],
            "a quiet minute refills only the burst"
        );
    }

    #[test]
    fn rate_limits_and_operations_parse() {
        let parse = |text: &str| text.parse::<RateLimit>();
        assert_eq!(parse("20"), Ok(RateLimit::per_second(20.0)));
        assert_eq!(
            parse("20/40"),
            Ok(RateLimit {
                per_second: 20.0,
                burst: 40.0
            })
        );
        assert_eq!(
            parse("0.5"),
            Ok(RateLimit {
                per_second: 0.5,
                burst: 1.0
            })
        );
        for bad in ["", "x", "-1", "20/", "20/0.5", "inf", "1/2/3"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!("listaccountroles".parse(), Ok(Op::ListAccountRoles));
        for op in Op::ALL {
            assert_eq!(op.name().parse(), Ok(op));
            assert_eq!(op.name(), format!("{op:?}"));
        }
        assert!(
            "ListRoles"
                .parse::<Op>()
                .unwrap_err()
                .contains("ListAccountRoles")
        );
    }

    #[tokio::test]
    async fn an_empty_bucket_answers_429_at_once_and_counts_it() {
        use aws_sdk_sso::config::{BehaviorVersion, Region, retry::RetryConfig};
        use std::io::{Read as _, Write as _};
        let latency = Duration::from_millis(500);
        let emulator = Emulator::start(Config {
            latency,
            rate_limits: [(
                Op::ListAccountRoles,
                RateLimit {
                    per_second: 0.0,
                    burst: 2.0,
                },
            )]
            .into(),
            ..Config::default()
        });
        let portal = aws_sdk_sso::Client::from_conf(
            aws_sdk_sso::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .endpoint_url(emulator.url())
                .retry_config(RetryConfig::disabled())
                .build(),
        );
        let listing = || async {
            let started = Instant::now();
            let error = portal
                .list_account_roles()
                .access_token("unknown")
                .account_id("100000000001")
                .send()
                .await
                .unwrap_err();
            (error.code().map(str::to_owned), started.elapsed())
        };
        // The burst: both pass the bucket, wait out the latency and fail on the token.
        let (first, second) = tokio::join!(listing(), listing());
        for (code, elapsed) in [first, second] {
            assert_eq!(code.as_deref(), Some("UnauthorizedException"));
            assert!(elapsed >= latency);
        }
        let (code, elapsed) = listing().await;
        assert_eq!(code.as_deref(), Some("TooManyRequestsException"));
        assert!(elapsed < latency / 2, "throttled in {elapsed:?}");
        assert_eq!(emulator.count(Op::ListAccountRoles), 3);
        assert_eq!(emulator.throttled(Op::ListAccountRoles), 1);
        assert_eq!(emulator.throttled(Op::ListAccounts), 0);

        // A new limit starts with a full bucket.
        emulator.update_config(|config| {
            config
                .rate_limits
                .insert(Op::ListAccountRoles, RateLimit::per_second(0.0));
        });
        let (code, _) = listing().await;
        assert_eq!(code.as_deref(), Some("UnauthorizedException"));
        let (code, _) = listing().await;
        assert_eq!(code.as_deref(), Some("TooManyRequestsException"));
        emulator.update_config(|config| config.rate_limits.clear());
        let (code, _) = listing().await;
        assert_eq!(code.as_deref(), Some("UnauthorizedException"));

        let mut stream = std::net::TcpStream::connect(emulator.addr()).unwrap();
        write!(
            stream,
            "GET {} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            super::STATS_PATH
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        let stats: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(stats, emulator.stats());
        assert_eq!(stats["requests"]["ListAccountRoles"], 6);
        assert_eq!(stats["throttled"]["ListAccountRoles"], 2);
        assert_eq!(stats["requests"]["ListAccounts"], 0);
        assert_eq!(stats["requests"].as_object().unwrap().len(), Op::ALL.len());
        assert_eq!(stats["max_concurrent"]["ListAccountRoles"], 2);
    }

    #[test]
    fn the_handle_can_be_shared_with_an_approving_thread() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Emulator>();
    }

    #[test]
    fn accounts_helper_and_unique_secrets() {
        let made = accounts(12, &["Admin"]);
        assert_eq!(made[6].id, "100000000007");
        assert_eq!(made[6].name, "account-007");
        let mut mint = super::Mint::new();
        let a = mint.access_token();
        let b = mint.access_token();
        assert_ne!(a, b);
        assert!(mint.client_secret().len() >= 1400);
    }
}

// ---------------------------------------------------------------------------------------------
// SigV4 against AWS's published test suite, and STS over HTTP
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod sts_tests {
    use super::{
        Config, Emulator, IssuedRoleCredentials, Op, SigV4, canonical_request, epoch_secs,
        format_amz_date, parse_amz_date, sign, signature_matches, string_to_sign,
    };
    use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
    use std::fmt::Write as _;
    use std::io::{Read as _, Write as _};
    use std::time::{Duration, SystemTime};

    const EXAMPLE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    /// One case of the aws-sig-v4-test-suite (as shipped with aws-sigv4): the request, then the
    /// canonical request, string to sign and `Authorization` header AWS publishes for it.
    struct Vector {
        name: &'static str,
        method: Method,
        uri: &'static str,
        headers: &'static [(&'static str, &'static str)],
        body: &'static str,
        canonical_request: &'static str,
        string_to_sign: &'static str,
        authorization: &'static str,
    }

    const AUTH_PREFIX: &str =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ";

    fn vectors() -> Vec<Vector> {
        vec![
            Vector {
                name: "get-vanilla",
                method: Method::GET,
                uri: "/",
                headers: &[
                    ("host", "example.amazonaws.com"),
                    ("x-amz-date", "20150830T123600Z"),
                ],
                body: "",
                canonical_request: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                string_to_sign: "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
                authorization: "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            },
            Vector {
                name: "get-vanilla-query-order-key-case",
                method: Method::GET,
                uri: "/?Param2=value2&Param1=value1",
                headers: &[
                    ("host", "example.amazonaws.com"),
                    ("x-amz-date", "20150830T123600Z"),
                ],
                body: "",
                canonical_request: "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                string_to_sign: "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
                authorization: "SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            },
            Vector {
                name: "get-header-value-trim",
                method: Method::GET,
                uri: "/",
                headers: &[
                    ("host", "example.amazonaws.com"),
                    ("my-header1", " value1"),
                    ("my-header2", " \"a   b   c\""),
                    ("x-amz-date", "20150830T123600Z"),
                ],
                body: "",
                canonical_request: "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                string_to_sign: "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\na726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
                authorization: "SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
            },
            Vector {
                name: "get-vanilla-with-session-token",
                method: Method::GET,
                uri: "/",
                headers: &[
                    ("host", "example.amazonaws.com"),
                    (
                        "x-amz-security-token",
                        "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
                    ),
                    ("x-amz-date", "20150830T123600Z"),
                ],
                body: "",
                canonical_request: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                string_to_sign: "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b",
                authorization: "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
            },
            Vector {
                name: "post-x-www-form-urlencoded-parameters",
                method: Method::POST,
                uri: "/",
                headers: &[
                    (
                        "content-type",
                        "application/x-www-form-urlencoded; charset=utf-8",
                    ),
                    ("host", "example.amazonaws.com"),
                    ("content-length", "13"),
                    ("x-amz-date", "20150830T123600Z"),
                    (
                        "x-amz-content-sha256",
                        "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
                    ),
                ],
                body: "Param1=value1",
                canonical_request: "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\nhost:example.amazonaws.com\nx-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\nx-amz-date:20150830T123600Z\n\ncontent-length;content-type;host;x-amz-content-sha256;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
                string_to_sign: "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\na89f1a5b53e37702ee6363ce1da3ce8f54386f3c8f352ae652153c2982a0bc4d",
                authorization: "SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422",
            },
        ]
    }

    fn header_map(headers: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn sigv4_matches_the_aws_test_suite() {
        for vector in vectors() {
            let name = vector.name;
            let authorization = format!("{AUTH_PREFIX}{}", vector.authorization);
            let signed = SigV4::parse(&authorization).expect(name);
            assert_eq!(
                (signed.access_key_id, signed.region, signed.service),
                ("AKIDEXAMPLE", "us-east-1", "service"),
                "{name}"
            );
            let uri: Uri = vector.uri.parse().unwrap();
            let canonical = canonical_request(
                &vector.method,
                &uri,
                &header_map(vector.headers),
                signed.signed_headers,
                vector.body.as_bytes(),
            );
            assert_eq!(canonical, vector.canonical_request, "{name}");
            let to_sign = string_to_sign("20150830T123600Z", &signed.scope(), &canonical);
            assert_eq!(to_sign, vector.string_to_sign, "{name}");
            assert_eq!(sign(EXAMPLE_SECRET, &signed, &to_sign), signed.signature);
            assert!(
                signature_matches(EXAMPLE_SECRET, &signed, &to_sign),
                "{name}"
            );
            assert!(!signature_matches("wrong", &signed, &to_sign), "{name}");
            let tampered = to_sign.replace("20150830T123600Z", "20150830T123601Z");
            assert!(!signature_matches(EXAMPLE_SECRET, &signed, &tampered));
        }
    }

    #[test]
    fn authorization_headers_that_do_not_parse() {
        for header in [
            "",
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA1 Credential=AKID/20150830/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request, Signature=00",
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request, SignedHeaders=host",
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request/x, SignedHeaders=host, Signature=00",
        ] {
            assert_eq!(SigV4::parse(header), None, "{header:?}");
        }
    }

    #[test]
    fn amz_dates() {
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(format_amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(format_amz_date(951_782_400), "20000229T000000Z");
        for bad in [
            "2015-08-30T12:36:00Z",
            "20150830T123600",
            "20151330T123600Z",
            "+0150830T123600Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
        let now = epoch_secs(SystemTime::now());
        assert_eq!(parse_amz_date(&format_amz_date(now)), Some(now));
    }

    /// A request signed the way botocore signs `aws sts get-caller-identity`.
    struct Request {
        method: Method,
        target: String,
        body: String,
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
        amz_date: String,
    }

    impl Request {
        fn post(credentials: &IssuedRoleCredentials) -> Request {
            Request {
                method: Method::POST,
                target: "/".to_owned(),
                body: "Action=GetCallerIdentity&Version=2011-06-15".to_owned(),
                access_key_id: credentials.access_key_id.clone(),
                secret_access_key: credentials.secret_access_key.clone(),
                session_token: Some(credentials.session_token.clone()),
                amz_date: format_amz_date(epoch_secs(SystemTime::now())),
            }
        }

        /// Signs and sends it; returns the status and the body.
        fn send(&self, emulator: &Emulator) -> (u16, String) {
            let host = emulator.addr().to_string();
            let mut headers = vec![("host", host), ("x-amz-date", self.amz_date.clone())];
            if self.method == Method::POST {
                headers.push((
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
                ));
            }
            if let Some(token) = &self.session_token {
                headers.push(("x-amz-security-token", token.clone()));
            }
            let mut names: Vec<&str> = headers.iter().map(|(name, _)| *name).collect();
            names.sort_unstable();
            let signed_headers = names.join(";");
            let date = &self.amz_date[..8];
            let mut signed = SigV4 {
                access_key_id: &self.access_key_id,
                date,
                region: "us-east-1",
                service: "sts",
                signed_headers: &signed_headers,
                signature: "",
            };
            let pairs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(name, value)| (*name, value.as_str()))
                .collect();
            let uri: Uri = self.target.parse().unwrap();
            let canonical = canonical_request(
                &self.method,
                &uri,
                &header_map(&pairs),
                &signed_headers,
                self.body.as_bytes(),
            );
            let to_sign = string_to_sign(&self.amz_date, &signed.scope(), &canonical);
            let signature = sign(&self.secret_access_key, &signed, &to_sign);
            signed.signature = &signature;
            let authorization = format!(
                "AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}",
                signed.access_key_id,
                signed.scope(),
                signed.signed_headers,
                signed.signature
            );
            let mut request = format!("{} {} HTTP/1.1\r\n", self.method, self.target);
            for (name, value) in &headers {
                let _ = write!(request, "{name}: {value}\r\n");
            }
            let _ = write!(
                request,
                "authorization: {authorization}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                self.body.len(),
                self.body
            );
            raw(emulator, &request)
        }
    }

    fn raw(emulator: &Emulator, request: &str) -> (u16, String) {
        let mut stream = std::net::TcpStream::connect(emulator.addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        if status != 404 {
            assert!(
                head.to_lowercase().contains("content-type: text/"),
                "{head}"
            );
        }
        (status, body.to_owned())
    }

    fn error_code(body: &str) -> &str {
        let start = body.find("<Code>").expect(body) + "<Code>".len();
        &body[start..start + body[start..].find("</Code>").unwrap()]
    }

    fn issue(emulator: &Emulator, account: &str, role: &str) -> IssuedRoleCredentials {
        let mut state = emulator.state();
        let key = state.mint.access_key_id();
        let secret = state.secret(super::Mint::secret_access_key);
        let token = state.secret(super::Mint::session_token);
        let expiration =
            u64::try_from(super::epoch(SystemTime::now() + Duration::from_hours(1)).as_millis())
                .unwrap();
        let issued = IssuedRoleCredentials {
            account_id: account.to_owned(),
            role_name: role.to_owned(),
            access_key_id: key,
            secret_access_key: secret,
            session_token: token,
            expiration,
        };
        state.role_credentials.push(issued.clone());
        issued
    }

    #[test]
    fn get_caller_identity_verifies_the_signature() {
        let emulator = Emulator::start(Config::default());
        let admin = issue(&emulator, "100000000002", "AdministratorAccess");
        let reader = issue(&emulator, "100000000003", "ReadOnlyAccess");

        let (status, body) = Request::post(&admin).send(&emulator);
        assert_eq!(status, 200, "{body}");
        assert!(body.starts_with(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        ));
        assert!(body.contains(
            "<Arn>arn:aws:sts::100000000002:assumed-role/AdministratorAccess/ssokey</Arn>"
        ));
        assert!(body.contains("<Account>100000000002</Account>"));
        let user_id = &body[body.find("<UserId>").unwrap() + 8..body.find("</UserId>").unwrap()];
        assert!(
            user_id.starts_with("AROA") && user_id.ends_with(":ssokey"),
            "{user_id}"
        );
        assert_eq!(user_id.len(), "AROA".len() + 17 + ":ssokey".len());
        assert!(body.contains("<RequestId>"));
        assert_eq!(
            emulator.last_caller(),
            Some(("100000000002".to_owned(), "AdministratorAccess".to_owned()))
        );

        let get = Request {
            method: Method::GET,
            target: "/?Action=GetCallerIdentity&Version=2011-06-15".to_owned(),
            body: String::new(),
            ..Request::post(&reader)
        };
        let (status, body) = get.send(&emulator);
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            emulator.last_caller(),
            Some(("100000000003".to_owned(), "ReadOnlyAccess".to_owned()))
        );

        let failures = [
            (
                Request {
                    secret_access_key: reader.secret_access_key.clone(),
                    ..Request::post(&admin)
                },
                "SignatureDoesNotMatch",
            ),
            (
                Request {
                    access_key_id: "ASIAUNKNOWNUNKNOWN00".to_owned(),
                    ..Request::post(&admin)
                },
                "InvalidClientTokenId",
            ),
            (
                Request {
                    session_token: Some(reader.session_token.clone()),
                    ..Request::post(&admin)
                },
                "InvalidClientTokenId",
            ),
            (
                Request {
                    session_token: None,
                    ..Request::post(&admin)
                },
                "InvalidClientTokenId",
            ),
            (
                Request {
                    amz_date: "20150830T123600Z".to_owned(),
                    ..Request::post(&admin)
                },
                "SignatureDoesNotMatch",
            ),
        ];
        for (request, code) in &failures {
            let (status, body) = request.send(&emulator);
            assert_eq!((status, error_code(&body)), (403, *code), "{body}");
            assert!(body.contains("<Type>Sender</Type>"), "{body}");
        }
        assert_eq!(
            emulator
                .last_caller()
                .map(|(account, _)| account)
                .as_deref(),
            Some("100000000003"),
            "failures leave the last caller alone"
        );

        emulator.fail_next(Op::GetCallerIdentity, 500, 1);
        let (status, body) = Request::post(&admin).send(&emulator);
        assert_eq!((status, error_code(&body)), (500, "InternalFailure"));
        assert!(body.contains("<Type>Receiver</Type>"), "{body}");

        emulator.expire_role_credentials();
        let (status, body) = Request::post(&admin).send(&emulator);
        assert_eq!((status, error_code(&body)), (403, "ExpiredToken"), "{body}");
        emulator.expect(Op::GetCallerIdentity, 2 + failures.len() + 2);
    }

    fn unsigned_post(emulator: &Emulator, body: &str) -> (u16, String) {
        raw(
            emulator,
            &format!(
                "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
    }

    #[test]
    fn other_requests_to_the_root() {
        let emulator = Emulator::start(Config::default());
        let (status, body) = unsigned_post(&emulator, "Action=AssumeRole&Version=2011-06-15");
        assert_eq!(
            (status, error_code(&body)),
            (400, "InvalidAction"),
            "{body}"
        );
        let (status, body) =
            unsigned_post(&emulator, "Action=GetCallerIdentity&Version=2011-06-15");
        assert_eq!(
            (status, error_code(&body)),
            (403, "MissingAuthenticationToken"),
            "{body}"
        );
        let (status, body) = raw(
            &emulator,
            "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        );
        assert_eq!(status, 200);
        assert!(body.contains("Identity Center emulator"));
        emulator.expect(Op::GetCallerIdentity, 1);
        assert_eq!(emulator.last_caller(), None);
    }
}
