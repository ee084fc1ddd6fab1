//! The server's state behind one lock: registrations, device codes, sign-ins, tokens, the
//! issued secrets and role credentials, the console's sign-in tokens and logins, the counters
//! and rate-limit buckets, and the dispatch of an operation to the module that answers it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, Method, Uri};
use serde_json::{Value, json};

use crate::config::{Config, Fault, OPS, Op, RateLimit};
use crate::error::ApiError;
use crate::minting::Mint;

pub(crate) struct Shared {
    pub(crate) base: String,
    pub(crate) state: Mutex<Inner>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // No code path panics while holding the lock, but a poisoned lock must not cascade.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) struct Client {
    pub(crate) seq: usize,
    pub(crate) name: String,
    pub(crate) secret: String,
    pub(crate) scopes: Vec<String>,
    /// The grant types the registration named; none named allows the device code and refresh.
    pub(crate) grant_types: Vec<String>,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) expires_at: Instant,
}

/// An authorization code that `GET /authorize` handed to a redirect URI.
pub(crate) struct AuthorizationCode {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) challenge: String,
    pub(crate) expires_at: Instant,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeviceStatus {
    Pending,
    Approved,
    Denied,
    Redeemed,
}

pub(crate) struct Device {
    pub(crate) seq: usize,
    pub(crate) user_code: String,
    pub(crate) client_id: String,
    pub(crate) expires_at: Instant,
    pub(crate) status: DeviceStatus,
    pub(crate) pending_answers: usize,
    pub(crate) interval: Duration,
    pub(crate) last_poll: Option<Instant>,
}

/// One sign-in: the access and refresh tokens that descend from one device authorization.
pub(crate) struct Session {
    pub(crate) revoked: bool,
    pub(crate) ends_at: Instant,
}

impl Session {
    pub(crate) fn over(&self, now: Instant) -> bool {
        self.revoked || now >= self.ends_at
    }
}

pub(crate) struct AccessToken {
    pub(crate) session: usize,
    pub(crate) expires_at: Instant,
    pub(crate) expired: bool,
}

pub(crate) struct RefreshToken {
    pub(crate) session: usize,
    pub(crate) client_id: String,
    pub(crate) valid: bool,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) mint: Mint,
    pub(crate) counts: [usize; OPS],
    pub(crate) in_flight: [usize; OPS],
    pub(crate) max_in_flight: [usize; OPS],
    pub(crate) throttled: [usize; OPS],
    pub(crate) buckets: [Option<Bucket>; OPS],
    pub(crate) failures: [VecDeque<Fault>; OPS],
    pub(crate) expected: Vec<(Op, usize)>,
    pub(crate) slow_downs: usize,
    pub(crate) clients: HashMap<String, Client>,
    pub(crate) client_seq: usize,
    pub(crate) devices: HashMap<String, Device>,
    pub(crate) codes: HashMap<String, AuthorizationCode>,
    /// `GET /authorize` requests that handed out a code or an error to a valid redirect URI.
    pub(crate) authorizations: usize,
    /// Tokens granted, by grant type.
    pub(crate) grants: HashMap<String, usize>,
    pub(crate) device_seq: usize,
    pub(crate) last_user_code: Option<String>,
    /// The startUrl of the newest StartDeviceAuthorization, or the issuerUrl of the newest
    /// RegisterClient, whichever came last.
    pub(crate) last_start_url: Option<String>,
    pub(crate) sessions: Vec<Session>,
    pub(crate) access: HashMap<String, AccessToken>,
    pub(crate) refresh: HashMap<String, RefreshToken>,
    pub(crate) page_tokens: HashMap<String, (String, usize)>,
    pub(crate) roles_window: VecDeque<Instant>,
    pub(crate) role_credentials: Vec<IssuedRoleCredentials>,
    /// Access key ids that `expire_role_credentials` expired ahead of their time.
    pub(crate) expired_access_keys: Vec<String>,
    /// Every credential that `AssumeRole` handed out, oldest first.
    pub(crate) assumed: Vec<AssumedRole>,
    pub(crate) last_caller: Option<(String, String)>,
    pub(crate) issued: Vec<String>,
    pub(crate) federation: Federation,
}

/// The state of one operation's [`RateLimit`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bucket {
    pub(crate) limit: RateLimit,
    pub(crate) tokens: f64,
    pub(crate) at: Instant,
}

impl Bucket {
    pub(crate) fn full(limit: RateLimit, now: Instant) -> Bucket {
        Bucket {
            limit,
            tokens: limit.burst,
            at: now,
        }
    }

    /// Adds the tokens earned since the last request, then takes one if there is one.
    pub(crate) fn take(&mut self, now: Instant) -> bool {
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

/// A successful `AssumeRole`: what was asked, by whom, and the credentials handed out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumedRole {
    /// The role assumed (`RoleArn`).
    pub role_arn: String,
    /// The `RoleSessionName` asked for.
    pub session_name: String,
    /// The role whose session signed the request: `arn:aws:iam::ACCOUNT:role/NAME`.
    pub source_arn: String,
    /// The `ExternalId` given, if any.
    pub external_id: Option<String>,
    /// The `DurationSeconds` asked for, if any.
    pub duration_seconds: Option<u64>,
    /// The `TokenCode` given (an MFA code), if any.
    pub token_code: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Epoch milliseconds.
    pub expiration: u64,
}

/// A sign-in token as `getSigninToken` handed it out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigninToken {
    pub token: String,
    /// The account and role of the credentials it was issued for.
    pub account_id: String,
    pub role_name: String,
    /// The access key id of those credentials.
    pub access_key_id: String,
    /// The `SessionDuration` asked for, if any (seconds).
    pub session_duration: Option<u64>,
    /// Whether `Action=login` has taken it.
    pub used: bool,
}

/// A console sign-in that `Action=login` let through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleLogin {
    pub account_id: String,
    pub role_name: String,
    pub issuer: String,
    pub destination: String,
}

/// The sign-in tokens handed out, and the logins made with them.
#[derive(Default)]
pub(crate) struct Federation {
    pub(crate) tokens: Vec<(SigninToken, Instant)>,
    pub(crate) logins: Vec<ConsoleLogin>,
}

impl Federation {
    pub(crate) fn tokens(&self) -> Vec<SigninToken> {
        self.tokens.iter().map(|(token, _)| token.clone()).collect()
    }
}

pub(crate) type Answer = Result<Value, ApiError>;

impl Inner {
    pub(crate) fn new(config: Config) -> Inner {
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
            codes: HashMap::new(),
            authorizations: 0,
            grants: HashMap::new(),
            device_seq: 0,
            last_user_code: None,
            last_start_url: None,
            sessions: Vec::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            page_tokens: HashMap::new(),
            roles_window: VecDeque::new(),
            role_credentials: Vec::new(),
            expired_access_keys: Vec::new(),
            assumed: Vec::new(),
            last_caller: None,
            issued: Vec::new(),
            federation: Federation::default(),
        }
    }

    /// Takes a token from `op`'s bucket, if `rate_limits` gives it one; false when it is empty.
    pub(crate) fn admit(&mut self, op: Op, now: Instant) -> bool {
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

    pub(crate) fn stats(&self) -> Value {
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
            "authorizations": self.authorizations,
            "grants": self.grants,
        })
    }

    /// The device authorization a user code names, as a person types it: in any case, with or
    /// without its dash.
    pub(crate) fn device_by_user_code(&mut self, user_code: &str) -> Option<&mut Device> {
        let wanted = normalize_user_code(user_code);
        self.devices
            .values_mut()
            .find(|device| normalize_user_code(&device.user_code) == wanted)
    }

    /// Mints a secret and remembers it for `issued_secrets`.
    pub(crate) fn secret(&mut self, make: impl FnOnce(&mut Mint) -> String) -> String {
        let value = make(&mut self.mint);
        self.issued.push(value.clone());
        value
    }

    pub(crate) fn answer(
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
            Op::AssumeRole => self.assume_role(method, uri, headers, body),
            Op::GetSigninToken => self.get_signin_token(uri),
            Op::Login => self.federated_login(uri),
        }
    }
}

fn normalize_user_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}
