//! The sign-in service's federation endpoint: role credentials in, a
//! sign-in token out, over HTTPS (or plain HTTP to a loopback test endpoint).
//!
//! The request carries the credentials in its query, as the protocol
//! requires, so neither the URL nor the answer is ever logged or put in an
//! error: errors name the host and the status only.

use std::time::Duration;

use http_body_util::{BodyExt as _, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::exit::{Exit, Reported};
use crate::secret::Secret;

/// How long the whole call may take.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer read: a sign-in token is about a kilobyte.
const MAX_BODY: usize = 64 * 1024;

/// A failed call for a sign-in token.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("the sign-in endpoint {host} is not a URL ssokey can call")]
    BadEndpoint { host: String },
    /// Plain http to a host that is not loopback: refused before any request.
    #[error(transparent)]
    Insecure(#[from] crate::aws::sdk::InsecureEndpoint),
    #[error("could not reach the sign-in service at {host}: {cause}")]
    Unreachable { host: String, cause: String },
    #[error("the sign-in service at {host} refused the credentials (HTTP {status})")]
    Refused { host: String, status: u16 },
    #[error("the sign-in service at {host} sent an answer ssokey cannot read")]
    Malformed { host: String },
}

impl FederationError {
    pub fn hint(&self) -> String {
        match self {
            FederationError::BadEndpoint { .. } => {
                "check AWS_ENDPOINT_URL_SIGNIN and AWS_ENDPOINT_URL, or unset them".to_owned()
            }
            FederationError::Insecure(_) => crate::aws::sdk::InsecureEndpoint::hint().to_owned(),
            FederationError::Unreachable { .. } => {
                "check the network, or the proxy (HTTPS_PROXY is not used for the sign-in service)"
                    .to_owned()
            }
            FederationError::Refused { .. } => {
                "try again with fresh credentials: ssokey console --refresh".to_owned()
            }
            FederationError::Malformed { .. } => {
                "check AWS_ENDPOINT_URL_SIGNIN, or try again later".to_owned()
            }
        }
    }
}

/// The scheme and host of `url`, for messages: never its path or query.
fn host_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{scheme}://{host}")
}

/// `GET url` (the URL of [`crate::console::signin_token_url`]), and the
/// sign-in token in the answer.
pub async fn signin_token(url: &Secret) -> Result<Secret, FederationError> {
    // The query carries the session key: never in clear text over a network.
    crate::aws::sdk::check_secure(url.expose())?;
    let host = host_of(url.expose());
    let uri: hyper::Uri = url
        .expose()
        .parse()
        .map_err(|_| FederationError::BadEndpoint { host: host.clone() })?;
    // The machine's roots (SSL_CERT_FILE too), as the SDK's client trusts.
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
        .map_err(|err| FederationError::Unreachable {
            host: host.clone(),
            cause: format!("no TLS roots: {err}"),
        })?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let request = hyper::Request::get(uri)
        .header(
            hyper::header::USER_AGENT,
            concat!("ssokey/", env!("CARGO_PKG_VERSION")),
        )
        .body(Empty::new())
        .map_err(|_| FederationError::BadEndpoint { host: host.clone() })?;
    let call = async {
        let response =
            client
                .request(request)
                .await
                .map_err(|err| FederationError::Unreachable {
                    host: host.clone(),
                    cause: cause_of(&err),
                })?;
        let status = response.status();
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|_| FederationError::Malformed { host: host.clone() })?
            .to_bytes();
        Ok::<_, FederationError>((status, body))
    };
    let (status, body) =
        tokio::time::timeout(TIMEOUT, call)
            .await
            .map_err(|_| FederationError::Unreachable {
                host: host.clone(),
                cause: "the request timed out".to_owned(),
            })??;
    if !status.is_success() {
        tracing::debug!(%host, status = status.as_u16(), "the sign-in service refused");
        return Err(FederationError::Refused {
            host,
            status: status.as_u16(),
        });
    }
    crate::console::parse_signin_token(&body).ok_or(FederationError::Malformed { host })
}

/// The innermost cause of a failed request, by `Display`: the legacy
/// client's own message says only "client error (Connect)".
fn cause_of(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(source) = next {
        text = format!("{text}: {source}");
        next = source.source();
    }
    text
}

impl Reported for FederationError {
    fn hint(&self) -> Option<String> {
        Some(FederationError::hint(self))
    }
    fn exit(&self) -> Exit {
        match self {
            FederationError::Insecure(_) => Exit::Usage,
            _ => Exit::Failure,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_host_only() {
        assert_eq!(
            host_of("https://signin.aws.amazon.com/federation?Action=getSigninToken&Session=x"),
            "https://signin.aws.amazon.com"
        );
        assert_eq!(
            host_of("http://127.0.0.1:4567?Session=x"),
            "http://127.0.0.1:4567"
        );
    }
}
