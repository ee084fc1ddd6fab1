//! The AWS SDK's shared configuration (region, the `AWS_ENDPOINT_URL_*`
//! overrides that aws-config reads, timeouts and retries) and the mapping of
//! SDK errors into one small type.

use std::time::Duration;

use crate::exit::{Exit, Reported};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sso::config::http::HttpResponse;
use aws_sdk_sso::error::{ProvideErrorMetadata, SdkError};

/// How many times a throttled or failing call is tried in all.
const MAX_ATTEMPTS: u32 = 6;

/// Loads the SDK configuration for the Identity Center region. aws-config reads
/// `AWS_ENDPOINT_URL_SSO_OIDC`, `AWS_ENDPOINT_URL_SSO` and `AWS_ENDPOINT_URL`
/// here, so that the clients built from it honour them. No AWS credentials are
/// needed: every call ssokey makes is authorized by a bearer token or a client
/// secret.
/// Every call goes through the client of `policy` (proxy and trust store).
pub async fn load(region: &str, policy: &super::http::Policy) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .http_client(policy.sdk_client())
        .no_credentials()
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(super::http::CONNECT_TIMEOUT)
                .read_timeout(super::http::READ_TIMEOUT)
                .operation_attempt_timeout(Duration::from_secs(30))
                .operation_timeout(Duration::from_secs(90))
                .build(),
        )
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(250))
                .with_max_backoff(Duration::from_secs(8)),
        )
        .load()
        .await
}

/// The endpoint that `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL` or the
/// config file's `endpoint_url` configure for the service `service_id`, as
/// the SDK reads them, if any.
pub fn configured_endpoint(config: &SdkConfig, service_id: &str) -> Option<String> {
    aws_types::service_config::ServiceConfigKey::builder()
        .service_id(service_id)
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok()
        .and_then(|key| config.service_config()?.load_config(key))
        .or_else(|| config.endpoint_url().map(str::to_owned))
}

/// The host (and port) of the endpoint that an SDK endpoint resolver gives,
/// when it gives it at once: the default resolvers compute it from the
/// region, the settings and any `AWS_ENDPOINT_URL*`, without waiting.
pub fn resolved_host<E>(
    resolving: impl std::future::Future<Output = Result<aws_sdk_sso::config::endpoint::Endpoint, E>>,
) -> Option<String> {
    use std::task::{Context, Poll, Waker};
    let resolving = std::pin::pin!(resolving);
    match resolving.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(endpoint)) => {
            let url = endpoint.url();
            let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
            rest.split(['/', '?']).next().map(str::to_owned)
        }
        Poll::Ready(Err(_)) | Poll::Pending => None,
    }
}

/// A failed call to the portal or its OIDC service.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The service answered with an error.
    #[error("{op} failed: {code}{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    Service {
        op: &'static str,
        code: String,
        message: String,
        /// The HTTP status of the answer.
        status: u16,
    },
    /// No answer: the service could not be reached, or it timed out.
    #[error("{op} failed: could not reach the service{}: {cause}", host.as_ref().map_or_else(String::new, |host| format!(" at {host}")))]
    Unreachable {
        op: &'static str,
        /// The host (and port) called, when known.
        host: Option<String>,
        cause: String,
    },
    /// An answer that is not what the service sends.
    #[error("{op} failed: the service sent an answer ssokey cannot read: {cause}")]
    Malformed { op: &'static str, cause: String },
    /// A listing that went on past what any organization needs: more pages,
    /// or more time, than its accounts can take.
    #[error("the portal's listing did not end: {0}")]
    Endless(String),
}

impl CallError {
    pub fn from_sdk<E>(op: &'static str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match err {
            // A success status whose body the SDK could not read comes back
            // as a service error without a code: it is a broken answer.
            SdkError::ServiceError(service)
                if service.err().code().is_none() && service.raw().status().is_success() =>
            {
                Self::Malformed {
                    op,
                    cause: super::http::cause_of(err),
                }
            }
            SdkError::ServiceError(service) => {
                let inner = service.err();
                // The OIDC service says what went wrong in an OAuth-style
                // `error_description`, which the SDK does not take as the
                // message.
                let description = || {
                    let body = service.raw().body().bytes()?;
                    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
                    json.get("error_description")?.as_str().map(str::to_owned)
                };
                let message = inner.message().map(str::to_owned).or_else(description);
                Self::Service {
                    op,
                    code: inner.code().unwrap_or("UnknownError").to_owned(),
                    message: message.map_or_else(String::new, |m| m.chars().take(300).collect()),
                    status: service.raw().status().as_u16(),
                }
            }
            SdkError::TimeoutError(_) => Self::Unreachable {
                op,
                host: None,
                cause: "the request timed out".to_owned(),
            },
            SdkError::DispatchFailure(_) => Self::Unreachable {
                op,
                host: None,
                cause: super::http::cause_of(err),
            },
            _ => Self::Malformed {
                op,
                cause: super::http::cause_of(err),
            },
        }
    }

    /// The same error, naming the host that could not be reached.
    #[must_use]
    pub fn at(self, called: Option<&str>) -> Self {
        match self {
            Self::Unreachable { op, cause, .. } => Self::Unreachable {
                op,
                host: called.map(str::to_owned),
                cause,
            },
            other => other,
        }
    }

    /// Whether trying again later may succeed: throttling, a server-side
    /// failure, or no answer at all.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Service { status, code, .. } => {
                *status == 429 || *status >= 500 || is_throttling_code(code)
            }
            Self::Unreachable { .. } => true,
            Self::Malformed { .. } | Self::Endless(_) => false,
        }
    }

    /// Whether the service asked to slow down.
    pub fn is_throttle(&self) -> bool {
        matches!(self, Self::Service { status, code, .. }
            if *status == 429 || is_throttling_code(code))
    }

    /// The service's error code, when the service answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Service { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Whether a service's error code means "slow down": the portal's
/// `TooManyRequestsException`, STS's `Throttling`, the OIDC service's
/// `SlowDownException`.
fn is_throttling_code(code: &str) -> bool {
    code.contains("Throttl") || code.contains("TooManyRequests") || code.contains("SlowDown")
}

/// A single-threaded runtime for the few network calls a command makes.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// An endpoint that ssokey would send secrets to in clear text: plain http
/// to a host that is not loopback.
#[derive(Debug, thiserror::Error)]
#[error(
    "the endpoint {endpoint} is plain http to a host that is not loopback: ssokey sends tokens and keys only over https (or to 127.0.0.1, ::1 and localhost)"
)]
pub struct InsecureEndpoint {
    /// Its scheme, host and port: never a path or query.
    pub endpoint: String,
}

impl InsecureEndpoint {
    pub fn hint() -> &'static str {
        "use https in AWS_ENDPOINT_URL_SSO_OIDC, AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL_SIGNIN and AWS_ENDPOINT_URL (and endpoint_url in the config file), or unset them"
    }
}

/// Pure: `url` unless it is plain http (or another scheme without TLS) to a
/// host that is not loopback (127.0.0.0/8, ::1, localhost). Whatever ssokey
/// sends there carries a secret (a client secret, a token, role
/// credentials), so the check comes before any connection.
pub fn check_secure(url: &str) -> Result<(), InsecureEndpoint> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let insecure = || InsecureEndpoint {
        endpoint: format!("{scheme}://{authority}"),
    };
    if scheme.eq_ignore_ascii_case("https") {
        return Ok(());
    }
    if !scheme.eq_ignore_ascii_case("http") || authority.contains(['@', '\\']) {
        return Err(insecure());
    }
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    if crate::start_url::is_loopback(host) {
        Ok(())
    } else {
        Err(insecure())
    }
}

impl Reported for CallError {
    fn hint(&self) -> Option<String> {
        Some(hint_for(self))
    }
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

pub(crate) fn hint_for(err: &CallError) -> String {
    match err {
        CallError::Unreachable { cause, .. } if cause.contains("certificate") => {
            "the service's TLS certificate is not trusted: behind a proxy that inspects TLS, point AWS_CA_BUNDLE (or ca_bundle in the config file, or SSL_CERT_FILE) at the proxy's CA certificate; otherwise check AWS_ENDPOINT_URL_SSO and AWS_ENDPOINT_URL_SSO_OIDC".to_owned()
        }
        CallError::Unreachable {
            host: Some(host),
            cause,
            ..
        } if cause.contains("dns error") => format!(
            "no address was found for {host}: check the session's region (the host names it) and any AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL_SSO_OIDC or proxy settings, then your network connection"
        ),
        CallError::Unreachable { .. } => "check your network connection (and any AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL_SSO_OIDC or proxy settings), then try again".to_owned(),
        CallError::Endless(_) => "a portal that pages without end is broken or is not IAM Identity Center: check the start URL of the session and any AWS_ENDPOINT_URL_SSO; if it is only slow, try again later".to_owned(),
        err @ CallError::Service { .. } if err.is_throttle() => {
            "the portal is throttling requests; wait a minute and try again".to_owned()
        }
        _ => "try again in a moment; if it persists, check the start URL and region of the session".to_owned(),
    }
}

impl Reported for InsecureEndpoint {
    fn hint(&self) -> Option<String> {
        Some(InsecureEndpoint::hint().to_owned())
    }
    fn exit(&self) -> Exit {
        // A setting to change, as a wrong option is.
        Exit::Usage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_passes_only_to_loopback() {
        for ok in [
            "https://oidc.us-east-1.amazonaws.com",
            "HTTPS://portal.sso.eu-west-1.amazonaws.com/",
            "https://192.0.2.2:8443",
            "http://127.0.0.1:4566",
            "http://127.9.9.9",
            "http://localhost:4566/x",
            "http://[::1]:4566",
        ] {
            assert!(check_secure(ok).is_ok(), "{ok}");
        }
        for (bad, shown) in [
            ("http://192.0.2.2:8080", "http://192.0.2.2:8080"),
            (
                "http://192.0.2.2:8080/federation?Session=secret",
                "http://192.0.2.2:8080",
            ),
            ("HTTP://localstack:4566", "HTTP://localstack:4566"),
            ("http://[::2]:80", "http://[::2]:80"),
            (
                "http://localhost.evil.example",
                "http://localhost.evil.example",
            ),
            ("http://127.0.0.1.nip.io", "http://127.0.0.1.nip.io"),
            (
                "http://evil.example@127.0.0.1",
                "http://evil.example@127.0.0.1",
            ),
            ("ftp://127.0.0.1", "ftp://127.0.0.1"),
            ("127.0.0.1:80", "://127.0.0.1:80"),
        ] {
            let err = check_secure(bad).unwrap_err();
            assert_eq!(err.endpoint, shown, "{bad}");
            assert!(!err.to_string().contains("secret"), "{err}");
        }
    }
}
