//! The authorization-code flow with PKCE (RFC 7636): the browser leg, `GET /authorize`, which
//! redirects to the client's loopback redirect URI, and the `authorization_code` grant of
//! `CreateToken`, which checks the verifier against the challenge. Codes are single-use and
//! live a minute.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::config::Authorize;
use crate::error::ApiError;
use crate::minting::Mint;
use crate::pages::html_escape;
use crate::state::{Answer, AuthorizationCode, Inner, Shared};
use crate::wire::AUTHORIZATION_CODE_GRANT;

/// How long an authorization code can be redeemed.
const CODE_TTL: Duration = Duration::from_mins(1);

/// `GET /authorize`: checks the client, its redirect URI and the challenge, then, as the user
/// (or a hostile page) the config describes, redirects to the redirect URI. A request that
/// cannot be trusted to redirect gets an error page instead, as RFC 6749 4.1.2.1 says.
pub(crate) fn authorize_page(shared: &Shared, uri: &Uri) -> Response {
    let query = Query::<HashMap<String, String>>::try_from_uri(uri)
        .map(|Query(query)| query)
        .unwrap_or_default();
    let mut state = shared.lock();
    let redirect = match state.authorize_request(&query, Instant::now()) {
        Ok(redirect) => redirect,
        Err(message) => {
            drop(state);
            let mut page = String::from("<!doctype html><title>Identity Center emulator</title>");
            let _ = write!(
                page,
                "<h1>Invalid request</h1><p>{}</p>",
                html_escape(&message)
            );
            return (StatusCode::BAD_REQUEST, Html(page)).into_response();
        }
    };
    state.authorizations += 1;
    drop(state);
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(location) = HeaderValue::from_str(&redirect) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

impl Inner {
    /// The URL to redirect to, or why the request is refused outright.
    fn authorize_request(
        &mut self,
        query: &HashMap<String, String>,
        now: Instant,
    ) -> Result<String, String> {
        let get = |name: &str| {
            query
                .get(name)
                .filter(|value| !value.is_empty())
                .ok_or_else(|| format!("{name} is required"))
        };
        if get("response_type")? != "code" {
            return Err("response_type must be code".to_owned());
        }
        let client_id = get("client_id")?;
        let client = self
            .clients
            .get(client_id)
            .filter(|client| now < client.expires_at)
            .ok_or("unknown client")?;
        if !client
            .grant_types
            .iter()
            .any(|grant| grant == AUTHORIZATION_CODE_GRANT)
        {
            return Err("the client is not registered for the authorization_code grant".to_owned());
        }
        let redirect_uri = get("redirect_uri")?;
        let registered =
            without_port(redirect_uri).ok_or("the redirect_uri must be a loopback URL")?;
        if !client.redirect_uris.contains(&registered) {
            return Err("the redirect_uri is not registered".to_owned());
        }
        if get("code_challenge_method")? != "S256" {
            return Err("code_challenge_method must be S256".to_owned());
        }
        let challenge = get("code_challenge")?;
        if challenge.len() != 43 {
            return Err("code_challenge must be a base64url SHA-256".to_owned());
        }
        let scopes = get("scopes")?;
        if let Some(scope) = scopes
            .split(' ')
            .find(|scope| !client.scopes.iter().any(|s| s == scope))
        {
            return Err(format!("the client did not register the scope {scope}"));
        }
        let state = get("state")?;
        let deny = query.get("action").is_some_and(|action| action == "deny");
        let redirect_uri = redirect_uri.clone();
        let query = |pairs: &[(&str, &str)]| {
            let query = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish();
            format!("{redirect_uri}?{query}")
        };
        // The person at the page may refuse, as at the device page.
        let behaviour = if deny {
            Authorize::Deny
        } else {
            self.config.authorize
        };
        Ok(match behaviour {
            Authorize::Deny => query(&[
                ("error", "access_denied"),
                ("error_description", "The user denied the request"),
                ("state", state),
            ]),
            Authorize::NoCode => query(&[("state", state)]),
            approve @ (Authorize::Approve | Authorize::WrongState) => {
                let code = self.secret(Mint::authorization_code);
                self.codes.insert(
                    code.clone(),
                    AuthorizationCode {
                        client_id: client_id.clone(),
                        redirect_uri: redirect_uri.clone(),
                        challenge: challenge.clone(),
                        expires_at: now + CODE_TTL,
                    },
                );
                let state = if approve == Authorize::WrongState {
                    "not-the-clients-state"
                } else {
                    state.as_str()
                };
                query(&[("code", &code), ("state", state)])
            }
        })
    }

    /// CreateToken's `authorization_code` grant. The code is spent by its first use, right
    /// or wrong.
    pub(crate) fn redeem_authorization_code(
        &mut self,
        client_id: &str,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
        now: Instant,
    ) -> Answer {
        let invalid = || ApiError::invalid_grant("Invalid authorization code provided");
        let issued = self.codes.remove(code).ok_or_else(invalid)?;
        if issued.client_id != client_id
            || issued.redirect_uri != redirect_uri
            || now >= issued.expires_at
        {
            return Err(invalid());
        }
        if !(43..=128).contains(&verifier.len())
            || !verifier
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"-._~".contains(&c))
            || challenge(verifier) != issued.challenge
        {
            return Err(ApiError::invalid_grant("Invalid code verifier provided"));
        }
        Ok(self.start_session(client_id, AUTHORIZATION_CODE_GRANT, now))
    }
}

/// `base64url(SHA-256(verifier))`, unpadded: the S256 challenge.
fn challenge(verifier: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `http://127.0.0.1:PORT/path` as registered: `http://127.0.0.1/path` (RFC 8252 7.3: the
/// port of a loopback redirect URI may vary).
fn without_port(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("http://127.0.0.1:")?;
    let (port, path) = rest.split_at(rest.find('/')?);
    port.parse::<u16>().ok()?;
    Some(format!("http://127.0.0.1{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn loopback_redirect_uris_match_without_their_port() {
        assert_eq!(
            without_port("http://127.0.0.1:43123/oauth/callback").as_deref(),
            Some("http://127.0.0.1/oauth/callback")
        );
        assert_eq!(without_port("http://localhost:1/oauth/callback"), None);
        assert_eq!(without_port("http://127.0.0.1:x/oauth/callback"), None);
        assert_eq!(without_port("http://127.0.0.1:80"), None);
    }
}
