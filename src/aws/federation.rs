//! The sign-in service's federation endpoint: role credentials in, a
//! sign-in token out, over HTTPS (or plain HTTP to a loopback test endpoint).
//!
//! The request carries the credentials in its query, as the protocol
//! requires, so neither the URL nor the answer is ever logged or put in an
//! error: errors name the host and the status only.

use crate::aws::http::{Policy, SendError, host_of};
use crate::exit::{Exit, Reported};
use crate::secret::Secret;

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
                "check your network connection and any HTTPS_PROXY, NO_PROXY or AWS_CA_BUNDLE, then try again"
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

/// `GET url` (the URL of [`crate::console::signin_token_url`]) through the
/// run's HTTP client (`policy`: its proxy and trust store), and the sign-in
/// token in the answer.
pub async fn signin_token(policy: &Policy, url: &Secret) -> Result<Secret, FederationError> {
    // The query carries the session key: never in clear text over a network.
    crate::aws::sdk::check_secure(url.expose())?;
    let host = host_of(url.expose());
    let answer = policy
        .send("GET", url, MAX_BODY)
        .await
        .map_err(|err| match err {
            SendError::BadUrl { host } => FederationError::BadEndpoint { host },
            SendError::Unreachable { host, cause } => FederationError::Unreachable { host, cause },
            SendError::Malformed { host } => FederationError::Malformed { host },
        })?;
    if !(200..300).contains(&answer.status) {
        tracing::debug!(%host, status = answer.status, "the sign-in service refused");
        return Err(FederationError::Refused {
            host,
            status: answer.status,
        });
    }
    crate::console::parse_signin_token(&answer.body).ok_or(FederationError::Malformed { host })
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
