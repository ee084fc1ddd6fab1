//! The portal's OIDC service: client registration, device authorization and
//! the token grants (device code and refresh token), plus the stored forms of
//! the registration and the token.

use std::time::Duration;

use aws_config::SdkConfig;
use serde::{Deserialize, Serialize};

use crate::aws::sdk::CallError;
use crate::exit::{Exit, Reported};
use crate::secret::Secret;

const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const REFRESH_TOKEN_GRANT: &str = "refresh_token";
const AUTHORIZATION_CODE_GRANT: &str = "authorization_code";
/// The redirect URI a PKCE registration names: the portal lets its port vary
/// (RFC 8252, 7.3), and the path must be exactly this.
pub const REDIRECT_URI: &str = "http://127.0.0.1/oauth/callback";
/// The path of [`REDIRECT_URI`], where the callback listener answers.
pub const CALLBACK_PATH: &str = "/oauth/callback";

/// How a sign-in was made: stored with its token and its registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flow {
    /// The authorization code with PKCE, through a browser on this machine.
    Pkce,
    /// The device code, approved on any device.
    DeviceCode,
}

impl Flow {
    pub fn describe(self) -> &'static str {
        match self {
            Flow::Pkce => "the browser (authorization code with PKCE)",
            Flow::DeviceCode => "a device code",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Flow::Pkce => "pkce",
            Flow::DeviceCode => "device-code",
        }
    }
}

/// A client registration, kept in the keychain and reused until shortly before
/// its secret expires.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    pub client_id: String,
    pub client_secret: Secret,
    /// Seconds since the Unix epoch.
    pub expires_at: u64,
    pub scopes: Vec<String>,
    /// The flow it was registered for; one stored before ssokey recorded it
    /// is a device-code registration.
    #[serde(default = "device_code")]
    pub flow: Flow,
}

fn device_code() -> Flow {
    Flow::DeviceCode
}

impl Registration {
    /// A registration is renewed a day before it expires, so that the tokens
    /// issued through it can be refreshed for a whole day's work.
    pub const RENEW_BEFORE: u64 = 24 * 3600;

    /// Whether it can serve a sign-in with `flow`: a PKCE registration names
    /// the `authorization_code` grant and the redirect URI, which a
    /// device-code registration does not, and the other way round.
    pub fn is_reusable(&self, now: u64, scopes: &[String], flow: Flow) -> bool {
        self.expires_at > now + Self::RENEW_BEFORE && self.scopes == scopes && self.flow == flow
    }
}

/// The portal's tokens for one session.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    pub access_token: Secret,
    /// Seconds since the Unix epoch.
    pub expires_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    pub start_url: String,
    pub region: String,
    /// When it was issued, in milliseconds since the Unix epoch (0 for a
    /// token stored before ssokey recorded it).
    #[serde(default)]
    pub issued_at_ms: u64,
    /// The flow of the sign-in it descends from (none for a token stored
    /// before ssokey recorded it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<Flow>,
}

impl Token {
    /// The token, marked as descending from a sign-in with `flow`.
    #[must_use]
    pub fn from_flow(mut self, flow: Option<Flow>) -> Self {
        self.flow = flow;
        self
    }

    /// Refresh this long before the access token expires.
    pub const REFRESH_BEFORE: u64 = 5 * 60;
    /// An access token with less than this left is not used at all.
    pub const USABLE_MARGIN: u64 = 30;

    pub fn needs_refresh(&self, now: u64) -> bool {
        self.expires_at <= now + Self::REFRESH_BEFORE
    }

    pub fn is_usable(&self, now: u64) -> bool {
        self.expires_at > now + Self::USABLE_MARGIN
    }
}

/// A pending device authorization: what to show the user and what to poll with.
#[derive(Debug)]
pub struct DeviceAuthorization {
    pub device_code: Secret,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: Duration,
    pub interval: Duration,
}

impl DeviceAuthorization {
    /// The device authorization in a StartDeviceAuthorization answer,
    /// checked: ssokey shows the code and the URLs to the user and opens the
    /// URL in a browser, so the code must be printable text and the URLs
    /// web URLs (https, or http on loopback like a start URL), with no
    /// space or control character. Pure, for the property tests. The error
    /// names what is missing.
    pub fn from_response(
        device_code: Option<&str>,
        user_code: Option<&str>,
        verification_uri: Option<&str>,
        verification_uri_complete: Option<&str>,
        expires_in: i32,
        interval: i32,
    ) -> Result<Self, &'static str> {
        let device_code = device_code.filter(|c| !c.is_empty()).ok_or("deviceCode")?;
        let user_code = user_code
            .filter(|c| (1..=64).contains(&c.len()) && c.chars().all(|c| c.is_ascii_graphic()))
            .ok_or("userCode of printable characters")?;
        let is_web_url = |url: &&str| crate::start_url::validate(url).is_ok();
        let verification_uri = verification_uri
            .filter(is_web_url)
            .ok_or("verificationUri that is an https URL")?;
        let verification_uri_complete = match verification_uri_complete {
            None => verification_uri,
            Some(url) if is_web_url(&url) => url,
            Some(_) => return Err("verificationUriComplete that is an https URL"),
        };
        Ok(Self {
            device_code: Secret::new(device_code),
            user_code: user_code.to_owned(),
            verification_uri: verification_uri.to_owned(),
            verification_uri_complete: verification_uri_complete.to_owned(),
            expires_in: seconds(expires_in, 600),
            // RFC 8628 says 5 s when the server names no interval.
            interval: seconds(interval, 5),
        })
    }
}

/// What one CreateToken poll with a device code gave.
#[derive(Debug)]
pub enum Poll {
    Pending,
    SlowDown,
    Granted(Granted),
}

/// A freshly granted token, before it is stored.
#[derive(Debug)]
pub struct Granted {
    pub access_token: Secret,
    pub expires_in: Duration,
    pub refresh_token: Option<Secret>,
}

impl Granted {
    pub fn into_token(
        self,
        now: u64,
        start_url: &str,
        region: &str,
        previous_refresh: Option<Secret>,
    ) -> Token {
        Token {
            access_token: self.access_token,
            expires_at: now + self.expires_in.as_secs(),
            // A refresh that returns no new refresh token leaves the old one valid.
            refresh_token: self.refresh_token.or(previous_refresh),
            start_url: start_url.to_owned(),
            region: region.to_owned(),
            issued_at_ms: crate::clock::now_ms(),
            flow: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the sign-in was denied in the browser")]
    AccessDenied,
    #[error("the sign-in code expired before it was approved")]
    DeviceCodeExpired,
    #[error("the portal refused the refresh token")]
    InvalidGrant,
    #[error("the portal no longer knows ssokey's client registration")]
    InvalidClient,
    #[error("the portal refused the scopes that ssokey registered with ({0})")]
    InvalidScope(CallError),
    #[error("{0}")]
    Endpoint(String),
    #[error(transparent)]
    Call(CallError),
}

impl From<CallError> for OidcError {
    fn from(err: CallError) -> Self {
        match err.code() {
            Some("AccessDeniedException") => Self::AccessDenied,
            Some("ExpiredTokenException") => Self::DeviceCodeExpired,
            Some("InvalidGrantException") => Self::InvalidGrant,
            Some("InvalidClientException" | "UnauthorizedClientException") => Self::InvalidClient,
            Some("InvalidScopeException") => Self::InvalidScope(err),
            _ => Self::Call(err),
        }
    }
}

pub struct OidcClient {
    /// For RegisterClient, StartDeviceAuthorization and the refresh: it
    /// retries `SlowDownException` as throttling.
    client: aws_sdk_ssooidc::Client,
    /// For polling with the device code, where `SlowDownException` means
    /// "poll less often" (RFC 8628) and [`OidcClient::poll`] says so.
    poller: aws_sdk_ssooidc::Client,
}

impl OidcClient {
    pub fn new(config: &SdkConfig) -> Self {
        let throttled = aws_sdk_ssooidc::config::Builder::from(config)
            .retry_classifier(SlowDownIsThrottling)
            .build();
        Self {
            client: aws_sdk_ssooidc::Client::from_conf(throttled),
            poller: aws_sdk_ssooidc::Client::new(config),
        }
    }

    /// RegisterClient as a public client with the given scopes, so that the
    /// portal issues refresh tokens.
    /// A PKCE registration names the grants and the redirect URI as the AWS
    /// CLI's does, and the start URL as its issuer; a device-code one names
    /// no grants, which the portal takes as the device code and refresh.
    pub async fn register(
        &self,
        scopes: &[String],
        flow: Flow,
        start_url: &str,
    ) -> Result<Registration, OidcError> {
        tracing::debug!(
            op = "RegisterClient",
            flow = flow.name(),
            "calling the OIDC service"
        );
        let mut request = self
            .client
            .register_client()
            .client_name(format!("ssokey-{}", crate::clock::now()))
            .client_type("public")
            .set_scopes(Some(scopes.to_vec()));
        if flow == Flow::Pkce {
            request = request
                .grant_types(AUTHORIZATION_CODE_GRANT)
                .grant_types(REFRESH_TOKEN_GRANT)
                .redirect_uris(REDIRECT_URI)
                .issuer_url(start_url);
        }
        let out = request
            .send()
            .await
            .map_err(|err| CallError::from_sdk("RegisterClient", &err))?;
        let mut registration = Registration::from_response(
            out.client_id(),
            out.client_secret(),
            out.client_secret_expires_at(),
            scopes,
        )
        .map_err(|what| missing("RegisterClient", what))?;
        registration.flow = flow;
        Ok(registration)
    }

    /// Whether the portal still knows the registration: a CreateToken with a
    /// code that cannot be one is refused as an invalid grant by a known
    /// client, as an invalid client by a forgotten one. The PKCE flow asks
    /// before it sends the user to a page that would fail.
    pub async fn knows(&self, registration: &Registration) -> Result<bool, OidcError> {
        let probe = Secret::new("ssokey-probe");
        let verifier = Secret::new("ssokey-probe-".repeat(4));
        match self
            .redeem_code(registration, &probe, &verifier, REDIRECT_URI)
            .await
        {
            Err(OidcError::InvalidClient) => Ok(false),
            Ok(_) | Err(OidcError::InvalidGrant) => Ok(true),
            Err(err) => Err(err),
        }
    }

    /// CreateToken with an authorization code and its PKCE verifier.
    pub async fn redeem_code(
        &self,
        registration: &Registration,
        code: &Secret,
        verifier: &Secret,
        redirect_uri: &str,
    ) -> Result<Granted, OidcError> {
        tracing::debug!(
            op = "CreateToken",
            grant = AUTHORIZATION_CODE_GRANT,
            "calling the OIDC service"
        );
        let out = create_token(&self.client, registration, AUTHORIZATION_CODE_GRANT)
            .code(code.expose())
            .code_verifier(verifier.expose())
            .redirect_uri(redirect_uri)
            .send()
            .await
            .map_err(|err| CallError::from_sdk("CreateToken", &err))?;
        granted("CreateToken", &out)
    }

    pub async fn start_device_authorization(
        &self,
        registration: &Registration,
        start_url: &str,
    ) -> Result<DeviceAuthorization, OidcError> {
        tracing::debug!(op = "StartDeviceAuthorization", "calling the OIDC service");
        let out = self
            .client
            .start_device_authorization()
            .client_id(&registration.client_id)
            .client_secret(registration.client_secret.expose())
            .start_url(start_url)
            .send()
            .await
            .map_err(|err| CallError::from_sdk("StartDeviceAuthorization", &err))?;
        DeviceAuthorization::from_response(
            out.device_code(),
            out.user_code(),
            out.verification_uri(),
            out.verification_uri_complete(),
            out.expires_in(),
            out.interval(),
        )
        .map_err(|what| missing("StartDeviceAuthorization", what))
    }

    /// One CreateToken call with the device code.
    pub async fn poll(
        &self,
        registration: &Registration,
        device_code: &Secret,
    ) -> Result<Poll, OidcError> {
        tracing::trace!(op = "CreateToken", "polling for the token");
        let result = create_token(&self.poller, registration, DEVICE_CODE_GRANT)
            .device_code(device_code.expose())
            .send()
            .await;
        match result {
            Ok(out) => Ok(Poll::Granted(granted("CreateToken", &out)?)),
            Err(err) => {
                let err = CallError::from_sdk("CreateToken", &err);
                match err.code() {
                    Some("AuthorizationPendingException") => Ok(Poll::Pending),
                    Some("SlowDownException") => Ok(Poll::SlowDown),
                    _ => Err(err.into()),
                }
            }
        }
    }

    /// CreateToken with the refresh token.
    pub async fn refresh(
        &self,
        registration: &Registration,
        refresh_token: &Secret,
    ) -> Result<Granted, OidcError> {
        tracing::debug!(
            op = "CreateToken",
            grant = "refresh_token",
            "calling the OIDC service"
        );
        let out = create_token(&self.client, registration, REFRESH_TOKEN_GRANT)
            .refresh_token(refresh_token.expose())
            .send()
            .await
            .map_err(|err| CallError::from_sdk("CreateToken", &err))?;
        granted("CreateToken", &out)
    }
}

/// CreateToken by the registered client, with `grant`; the caller adds what
/// the grant needs.
fn create_token(
    client: &aws_sdk_ssooidc::Client,
    registration: &Registration,
    grant: &str,
) -> aws_sdk_ssooidc::operation::create_token::builders::CreateTokenFluentBuilder {
    client
        .create_token()
        .client_id(&registration.client_id)
        .client_secret(registration.client_secret.expose())
        .grant_type(grant)
}

/// The base URL of the OIDC service, as the SDK resolves it for its calls:
/// `AWS_ENDPOINT_URL_SSO_OIDC` (or `endpoint_url` in the profile's services
/// section), else `AWS_ENDPOINT_URL`, else the region's endpoint. The
/// browser's `/authorize` page lives there.
pub async fn endpoint(config: &SdkConfig) -> Result<String, OidcError> {
    use aws_sdk_ssooidc::config::endpoint::{DefaultResolver, Params, ResolveEndpoint as _};
    let configured = aws_types::service_config::ServiceConfigKey::builder()
        .service_id("SSO OIDC")
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok()
        .and_then(|key| config.service_config()?.load_config(key))
        .or_else(|| config.endpoint_url().map(str::to_owned));
    let failed = |err: &dyn std::fmt::Display| {
        OidcError::Endpoint(format!(
            "could not resolve the OIDC service's endpoint: {err}"
        ))
    };
    let params = Params::builder()
        .set_region(config.region().map(ToString::to_string))
        .use_fips(config.use_fips().unwrap_or(false))
        .use_dual_stack(config.use_dual_stack().unwrap_or(false))
        .set_endpoint(configured)
        .build()
        .map_err(|err| failed(&err))?;
    let resolved = DefaultResolver::new()
        .resolve_endpoint(&params)
        .await
        .map_err(|err| failed(&err))?;
    Ok(resolved.url().trim_end_matches('/').to_owned())
}

/// The OIDC service throttles with `SlowDownException`, an HTTP 400 that the
/// SDK's own classifiers do not retry; this one has it retried, with the
/// SDK's backoff, as the throttling it is.
#[derive(Debug)]
struct SlowDownIsThrottling;

impl aws_sdk_ssooidc::config::retry::ClassifyRetry for SlowDownIsThrottling {
    fn classify_retry(
        &self,
        ctx: &aws_sdk_ssooidc::config::interceptors::InterceptorContext,
    ) -> aws_sdk_ssooidc::config::retry::RetryAction {
        use aws_sdk_ssooidc::config::retry::RetryAction;
        use aws_sdk_ssooidc::error::ProvideErrorMetadata as _;
        use aws_sdk_ssooidc::operation::{
            create_token::CreateTokenError, register_client::RegisterClientError,
            start_device_authorization::StartDeviceAuthorizationError,
        };
        let Some(Err(err)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        let Some(err) = err.as_operation_error() else {
            return RetryAction::NoActionIndicated;
        };
        let code = err
            .downcast_ref::<RegisterClientError>()
            .and_then(|e| e.code())
            .or_else(|| {
                err.downcast_ref::<StartDeviceAuthorizationError>()
                    .and_then(|e| e.code())
            })
            .or_else(|| {
                err.downcast_ref::<CreateTokenError>()
                    .and_then(|e| e.code())
            });
        if code == Some("SlowDownException") {
            RetryAction::throttling_error()
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "SlowDownException is throttling"
    }
}

fn granted(
    op: &'static str,
    out: &aws_sdk_ssooidc::operation::create_token::CreateTokenOutput,
) -> Result<Granted, OidcError> {
    Granted::from_response(out.access_token(), out.expires_in(), out.refresh_token())
        .map_err(|what| missing(op, what))
}

impl Granted {
    /// The token in a CreateToken answer, checked: an access token that is
    /// not empty and a positive lifetime; an empty refresh token is none.
    /// Pure, for the property tests. The error names what is missing.
    pub fn from_response(
        access_token: Option<&str>,
        expires_in: i32,
        refresh_token: Option<&str>,
    ) -> Result<Self, &'static str> {
        let access_token = access_token
            .filter(|t| !t.is_empty())
            .ok_or("accessToken")?;
        if expires_in <= 0 {
            return Err("a positive expiresIn");
        }
        Ok(Self {
            access_token: Secret::new(access_token),
            expires_in: seconds(expires_in, 0),
            refresh_token: refresh_token.filter(|t| !t.is_empty()).map(Secret::new),
        })
    }
}

impl Registration {
    /// The registration in a RegisterClient answer, checked: a client id and
    /// secret that are not empty. An expiry that is not a time (zero or
    /// negative) makes a registration that is never reused. Pure, for the
    /// property tests. The error names what is missing.
    pub fn from_response(
        client_id: Option<&str>,
        client_secret: Option<&str>,
        client_secret_expires_at: i64,
        scopes: &[String],
    ) -> Result<Self, &'static str> {
        let (Some(client_id), Some(client_secret)) = (
            client_id.filter(|c| !c.is_empty()),
            client_secret.filter(|c| !c.is_empty()),
        ) else {
            return Err("clientId or clientSecret");
        };
        Ok(Self {
            client_id: client_id.to_owned(),
            client_secret: Secret::new(client_secret),
            expires_at: u64::try_from(client_secret_expires_at).unwrap_or(0),
            scopes: scopes.to_vec(),
            flow: Flow::DeviceCode,
        })
    }
}

fn missing(op: &'static str, what: &str) -> OidcError {
    OidcError::Call(CallError::Malformed {
        op,
        cause: format!("it has no {what}"),
    })
}

fn seconds(value: i32, default: u64) -> Duration {
    Duration::from_secs(
        u64::try_from(value)
            .ok()
            .filter(|&v| v > 0)
            .unwrap_or(default),
    )
}

/// The longest wait between two polls, whatever the service asks for: a
/// sign-in approved in the browser shows within this long.
pub const MAX_INTERVAL: Duration = Duration::from_secs(30);

/// The wait before the next poll: the server's interval, 5 s more after each
/// slow_down (RFC 8628 section 3.5), and never less than a second.
pub fn next_interval(current: Duration, poll: &Poll) -> Duration {
    let next = match poll {
        Poll::SlowDown => current + Duration::from_secs(5),
        _ => current,
    };
    next.clamp(Duration::from_secs(1), MAX_INTERVAL)
}

impl Reported for OidcError {
    fn hint(&self) -> Option<String> {
        Some(hint_for(self))
    }
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

fn hint_for(err: &OidcError) -> String {
    match err {
        OidcError::AccessDenied | OidcError::DeviceCodeExpired => {
            "run ssokey login again and approve the code in the browser".to_owned()
        }
        OidcError::InvalidGrant | OidcError::InvalidClient => {
            "run: ssokey login --force".to_owned()
        }
        OidcError::InvalidScope(_) => "check sso_registration_scopes in the [sso-session] section of your AWS config file: ssokey needs sso:account:access, and the portal knows only its documented scopes".to_owned(),
        OidcError::Endpoint(_) => "check AWS_ENDPOINT_URL_SSO_OIDC and AWS_ENDPOINT_URL, and the session's region".to_owned(),
        OidcError::Call(call) => crate::aws::sdk::hint_for(call),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_authorizations_refuse_what_cannot_be_shown_or_opened() {
        let ok = |uri: &str| {
            DeviceAuthorization::from_response(Some("d"), Some("ABCD-EFGH"), Some(uri), None, 0, 0)
        };
        let auth = ok("https://device.sso.us-east-1.amazonaws.com/").unwrap();
        assert_eq!(auth.verification_uri_complete, auth.verification_uri);
        assert_eq!(auth.interval, Duration::from_secs(5));
        assert_eq!(auth.expires_in, Duration::from_mins(10));
        ok("http://127.0.0.1:4567/device").unwrap();
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "http://evil.example.com/",
            "https://x/ y",
        ] {
            assert_eq!(
                ok(bad).unwrap_err(),
                "verificationUri that is an https URL",
                "{bad}"
            );
        }
        let code = |user: &str| {
            DeviceAuthorization::from_response(
                Some("d"),
                Some(user),
                Some("https://x/"),
                None,
                1,
                1,
            )
        };
        for bad in ["", "AB\u{1b}[2J", "AB CD", "ÄBCD"] {
            assert_eq!(
                code(bad).unwrap_err(),
                "userCode of printable characters",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn slow_down_adds_five_seconds_and_pending_keeps_the_pace() {
        let one = Duration::from_secs(1);
        assert_eq!(next_interval(one, &Poll::Pending), one);
        assert_eq!(next_interval(one, &Poll::SlowDown), Duration::from_secs(6));
        assert_eq!(next_interval(Duration::ZERO, &Poll::Pending), one);
        assert_eq!(
            next_interval(Duration::from_hours(1), &Poll::Pending),
            MAX_INTERVAL
        );
    }

    #[test]
    fn registration_is_renewed_a_day_before_it_expires() {
        let scopes = vec!["sso:account:access".to_owned()];
        let reg = Registration {
            client_id: "id".into(),
            client_secret: Secret::new("s"),
            expires_at: 1_000_000,
            scopes: scopes.clone(),
            flow: Flow::DeviceCode,
        };
        let device = Flow::DeviceCode;
        assert!(reg.is_reusable(1_000_000 - 24 * 3600 - 1, &scopes, device));
        assert!(!reg.is_reusable(1_000_000 - 24 * 3600, &scopes, device));
        assert!(!reg.is_reusable(0, &[], device));
        // A device-code registration never serves PKCE, nor the other way round.
        assert!(!reg.is_reusable(0, &scopes, Flow::Pkce));
        let pkce = Registration {
            flow: Flow::Pkce,
            ..reg
        };
        assert!(pkce.is_reusable(0, &scopes, Flow::Pkce));
        assert!(!pkce.is_reusable(0, &scopes, device));
    }

    #[test]
    fn a_registration_stored_before_flows_is_a_device_code_one() {
        let stored = r#"{"clientId":"id","clientSecret":"s","expiresAt":1,"scopes":[]}"#;
        let reg: Registration = serde_json::from_str(stored).unwrap();
        assert_eq!(reg.flow, Flow::DeviceCode);
        let token: Token = serde_json::from_str(
            r#"{"accessToken":"a","expiresAt":1,"startUrl":"u","region":"r"}"#,
        )
        .unwrap();
        assert_eq!(token.flow, None);
    }

    #[test]
    fn token_freshness() {
        let token = Token {
            access_token: Secret::new("a"),
            expires_at: 10_000,
            refresh_token: None,
            start_url: String::new(),
            region: String::new(),
            issued_at_ms: 0,
            flow: None,
        };
        assert!(!token.needs_refresh(10_000 - 301));
        assert!(token.needs_refresh(10_000 - 300));
        assert!(token.is_usable(10_000 - 31));
        assert!(!token.is_usable(10_000 - 30));
    }

    #[test]
    fn a_refresh_without_a_new_refresh_token_keeps_the_old_one() {
        let granted = Granted {
            access_token: Secret::new("a2"),
            expires_in: Duration::from_hours(1),
            refresh_token: None,
        };
        let token = granted.into_token(100, "u", "r", Some(Secret::new("r1")));
        assert_eq!(token.expires_at, 3700);
        assert_eq!(token.refresh_token.unwrap().expose(), "r1");
    }

    #[test]
    fn stored_tokens_never_show_in_debug() {
        let token = Token {
            access_token: Secret::new("AT-secret"),
            expires_at: 1,
            refresh_token: Some(Secret::new("RT-secret")),
            start_url: "u".into(),
            region: "r".into(),
            issued_at_ms: 0,
            flow: None,
        };
        let debug = format!("{token:?}");
        assert!(!debug.contains("AT-secret") && !debug.contains("RT-secret"));
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        const CASES: u32 = 5000;

        fn text() -> impl Strategy<Value = Option<String>> {
            proptest::option::of(prop_oneof![Just(String::new()), any::<String>()])
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(CASES))]

            /// CreateToken: a token with a positive lifetime, or the name
            /// of what is missing; never a panic, never a token that is
            /// already expired when it is stored.
            #[test]
            fn granted_tokens_are_checked(
                access in text(),
                expires_in in any::<i32>(),
                refresh in text(),
                now in 0..=crate::credentials::MAX_EXPIRATION,
            ) {
                let result = Granted::from_response(access.as_deref(), expires_in, refresh.as_deref());
                let valid = access.as_deref().is_some_and(|a| !a.is_empty()) && expires_in > 0;
                prop_assert_eq!(result.is_ok(), valid);
                match result {
                    Ok(granted) => {
                        prop_assert_eq!(granted.expires_in.as_secs(), u64::try_from(expires_in).unwrap());
                        prop_assert_eq!(
                            granted.refresh_token.is_some(),
                            refresh.as_deref().is_some_and(|r| !r.is_empty())
                        );
                        let token = granted.into_token(now, "u", "r", None);
                        prop_assert!(token.expires_at > now);
                    }
                    Err(what) => prop_assert!(what == "accessToken" || what == "a positive expiresIn"),
                }
            }

            /// RegisterClient: any expiry is a registration that is reused
            /// only while it is a day from expiring; never a panic.
            #[test]
            fn registrations_are_checked(
                id in text(),
                secret in text(),
                expires_at in any::<i64>(),
                now in 0..=crate::credentials::MAX_EXPIRATION,
            ) {
                let scopes = vec!["sso:account:access".to_owned()];
                let result = Registration::from_response(id.as_deref(), secret.as_deref(), expires_at, &scopes);
                let valid = id.as_deref().is_some_and(|i| !i.is_empty())
                    && secret.as_deref().is_some_and(|s| !s.is_empty());
                prop_assert_eq!(result.is_ok(), valid);
                if let Ok(registration) = result {
                    let reusable = registration.is_reusable(now, &scopes, Flow::DeviceCode);
                    prop_assert_eq!(
                        reusable,
                        i128::from(expires_at) > i128::from(now) + i128::from(Registration::RENEW_BEFORE)
                    );
                }
            }

            /// StartDeviceAuthorization: what ssokey shows and opens is a
            /// printable code and web URLs, or the answer is refused.
            #[test]
            fn device_authorizations_show_only_printable_codes_and_web_urls(
                device in text(),
                user in proptest::option::of(prop_oneof![any::<String>(), "[A-Z]{4}-[A-Z]{4}"]),
                uri in proptest::option::of(prop_oneof![
                    any::<String>(),
                    "(https|http|file|javascript)://[a-z0-9.]{1,12}/[a-z?=&]{0,8}",
                    "https://device\\.sso\\.[a-z0-9-]{1,12}\\.amazonaws\\.com/",
                ]),
                complete in proptest::option::of(prop_oneof![
                    any::<String>(),
                    "https://device\\.sso\\.[a-z0-9-]{1,12}\\.amazonaws\\.com/\\?user_code=[A-Z]{4}-[A-Z]{4}",
                    Just("https://x/\u{1b}]0;t\u{7}".to_owned()),
                ]),
                expires_in in any::<i32>(),
                interval in any::<i32>(),
            ) {
                let result = DeviceAuthorization::from_response(
                    device.as_deref(), user.as_deref(), uri.as_deref(), complete.as_deref(), expires_in, interval);
                if let Ok(auth) = result {
                    prop_assert!(auth.user_code.chars().all(|c| c.is_ascii_graphic()));
                    for url in [&auth.verification_uri, &auth.verification_uri_complete] {
                        prop_assert!(crate::start_url::validate(url).is_ok(), "{}", url);
                        prop_assert!(!url.chars().any(char::is_control));
                    }
                    prop_assert!(auth.interval >= Duration::from_secs(1));
                    prop_assert!(auth.expires_in >= Duration::from_secs(1));
                } else {
                    let valid_uri = uri.as_deref().is_some_and(|u| crate::start_url::validate(u).is_ok());
                    let valid_user = user.as_deref().is_some_and(|u| !u.is_empty() && u.len() <= 64 && u.chars().all(|c| c.is_ascii_graphic()));
                    let valid_complete = complete.as_deref().is_none_or(|u| crate::start_url::validate(u).is_ok());
                    prop_assert!(
                        device.as_deref().is_none_or(str::is_empty) || !valid_user || !valid_uri || !valid_complete
                    );
                }
            }

            /// Device authorization's lifetimes and intervals: any number a
            /// server sends is a wait of at least a second and at most MAX_INTERVAL.
            #[test]
            fn intervals_are_at_least_a_second(value in any::<i32>(), slow in any::<bool>()) {
                let interval = seconds(value, 5);
                prop_assert!(interval >= Duration::from_secs(1));
                let poll = if slow { Poll::SlowDown } else { Poll::Pending };
                let next = next_interval(interval, &poll);
                prop_assert!(next >= interval.min(MAX_INTERVAL) && next <= MAX_INTERVAL);
            }
        }
    }
}
