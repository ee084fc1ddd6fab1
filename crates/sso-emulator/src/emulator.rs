//! The handle a test or the binary holds: [`Emulator`] starts the server on its own thread,
//! scripts it while it runs, reads its counters and checks expectations on drop.

use std::future::IntoFuture;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::Router;
use serde_json::Value;

use crate::config::{Config, Fault, Op};
use crate::http::handle;
use crate::state::{AssumedRole, ConsoleLogin, Inner, IssuedRoleCredentials, Shared, SigninToken};

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

    /// The endpoint variables of sso-oidc, sso and STS, as `(name, value)` pairs for
    /// `Command::envs`.
    pub fn env(&self) -> [(&'static str, String); 3] {
        [
            ("AWS_ENDPOINT_URL_SSO_OIDC", self.url()),
            ("AWS_ENDPOINT_URL_SSO", self.url()),
            ("AWS_ENDPOINT_URL_STS", self.url()),
        ]
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, Inner> {
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

    /// The start URL that the newest device authorization was started for.
    pub fn last_start_url(&self) -> Option<String> {
        self.state().last_start_url.clone()
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

    /// How many `GET /authorize` requests redirected to a client (with a code or an error).
    pub fn authorizations(&self) -> usize {
        self.state().authorizations
    }

    /// How many tokens `CreateToken` granted with `grant_type`
    /// ([`crate::DEVICE_CODE_GRANT`], [`crate::AUTHORIZATION_CODE_GRANT`], `refresh_token`).
    pub fn grants(&self, grant_type: &str) -> usize {
        self.state().grants.get(grant_type).copied().unwrap_or(0)
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
                        grant_types: client.grant_types.clone(),
                        redirect_uris: client.redirect_uris.clone(),
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

    /// Every successful `AssumeRole`, oldest first.
    pub fn assumed_roles(&self) -> Vec<AssumedRole> {
        self.state().assumed.clone()
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

    /// Every sign-in token that the federation endpoint handed out, oldest first.
    pub fn signin_tokens(&self) -> Vec<SigninToken> {
        self.state().federation.tokens()
    }

    /// Every console sign-in (`Action=login`) that the federation endpoint let through.
    pub fn console_logins(&self) -> Vec<ConsoleLogin> {
        self.state().federation.logins.clone()
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

/// A client registration as the emulator saw it (no secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredClient {
    pub client_id: String,
    pub client_name: String,
    pub scopes: Vec<String>,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
}
