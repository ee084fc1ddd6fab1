//! The portal's OIDC service: client registration, device authorization and
//! the token grants (device code and refresh token), plus the stored forms of
//! the registration and the token.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_sso::config::http::HttpResponse;
use aws_sdk_sso::error::{ProvideErrorMetadata, SdkError};
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
    /// The host the calls go to, for the error when it cannot be reached.
    host: Option<String>,
}

impl OidcClient {
    pub fn new(config: &SdkConfig) -> Self {
        use aws_sdk_ssooidc::config::endpoint::{DefaultResolver, ResolveEndpoint as _};
        let throttled = aws_sdk_ssooidc::config::Builder::from(config)
            .retry_classifier(SlowDownIsThrottling)
            .build();
        let host = endpoint_params(config).ok().and_then(|params| {
            super::sdk::resolved_host(DefaultResolver::new().resolve_endpoint(&params))
        });
        Self {
            client: aws_sdk_ssooidc::Client::from_conf(throttled),
            poller: aws_sdk_ssooidc::Client::new(config),
            host,
        }
    }

    /// A failed call as a [`CallError`] that names the host called.
    fn failed<E>(&self, op: &'static str, err: &SdkError<E, HttpResponse>) -> CallError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        CallError::from_sdk(op, err).at(self.host.as_deref())
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
            .map_err(|err| self.failed("RegisterClient", &err))?;
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
            .map_err(|err| self.failed("CreateToken", &err))?;
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
            .map_err(|err| self.failed("StartDeviceAuthorization", &err))?;
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
                let err = self.failed("CreateToken", &err);
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
            .map_err(|err| self.failed("CreateToken", &err))?;
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
    use aws_sdk_ssooidc::config::endpoint::{DefaultResolver, ResolveEndpoint as _};
    let failed = |err: &dyn std::fmt::Display| {
        OidcError::Endpoint(format!(
            "could not resolve the OIDC service's endpoint: {err}"
        ))
    };
    let params = endpoint_params(config).map_err(|err| failed(&err))?;
    let resolved = DefaultResolver::new()
        .resolve_endpoint(&params)
        .await
        .map_err(|err| failed(&err))?;
    Ok(resolved.url().trim_end_matches('/').to_owned())
}

/// What the SDK's endpoint resolver takes for the OIDC service.
fn endpoint_params(
    config: &SdkConfig,
) -> Result<
    aws_sdk_ssooidc::config::endpoint::Params,
    aws_sdk_ssooidc::config::endpoint::InvalidParams,
> {
    aws_sdk_ssooidc::config::endpoint::Params::builder()
        .set_region(config.region().map(ToString::to_string))
        .use_fips(config.use_fips().unwrap_or(false))
        .use_dual_stack(config.use_dual_stack().unwrap_or(false))
        .set_endpoint(super::sdk::configured_endpoint(config, "SSO OIDC"))
        .build()
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
mod tests;
