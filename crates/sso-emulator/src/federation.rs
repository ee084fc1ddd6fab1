//! The sign-in service's federation endpoint, `GET /federation`: `Action=getSigninToken` takes
//! role credentials that `GetRoleCredentials` issued and hands out a single-use sign-in token;
//! `Action=login` takes that token once and redirects to the console destination.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use axum::http::Uri;
use serde_json::{Value, json};

use crate::clock::epoch;
use crate::error::ApiError;
use crate::form::{pairs, percent_decode};
use crate::minting::Mint;
use crate::sigv4::constant_time_eq;
use crate::state::{Answer, ConsoleLogin, Inner, SigninToken};

/// How long a sign-in token can be used: 15 minutes, as the service says.
const SIGNIN_TOKEN_TTL: Duration = Duration::from_mins(15);

fn query(uri: &Uri) -> HashMap<String, String> {
    pairs(uri.query().unwrap_or_default())
        .map(|(key, value)| (percent_decode(key, true), percent_decode(value, true)))
        .collect()
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidParameterException", "invalid_request", message)
}

impl Inner {
    /// `Action=getSigninToken&Session={"sessionId","sessionKey","sessionToken"}`: the three
    /// must be role credentials this emulator issued (by the portal or `AssumeRole`), not
    /// expired, and `SessionDuration`, when given, a number of seconds from 900 to 43200 (and
    /// none for a chained role's credentials).
    pub(crate) fn get_signin_token(&mut self, uri: &Uri) -> Answer {
        let query = query(uri);
        let session = query
            .get("Session")
            .ok_or_else(|| bad_request("Session is required"))?;
        let session: Value =
            serde_json::from_str(session).map_err(|_| bad_request("Session is not JSON"))?;
        let member = |name: &str| {
            session[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad_request(format!("Session lacks {name}")))
        };
        let (key_id, secret, token) = (
            member("sessionId")?,
            member("sessionKey")?,
            member("sessionToken")?,
        );
        let session_duration = match query.get("SessionDuration") {
            None => None,
            Some(raw) => match raw.parse::<u64>() {
                Ok(seconds) if (900..=43_200).contains(&seconds) => Some(seconds),
                _ => return Err(bad_request("SessionDuration must be from 900 to 43200")),
            },
        };
        let now_ms = u64::try_from(epoch(SystemTime::now()).as_millis()).unwrap_or(u64::MAX);
        let denied = || {
            ApiError::new(
                403,
                "AccessDeniedException",
                "access_denied",
                "The credentials in Session are not valid",
            )
        };
        let (caller, issued_secret, issued_token, expiration) =
            self.issued_session(&key_id).ok_or_else(denied)?;
        if !(constant_time_eq(issued_secret.as_bytes(), secret.as_bytes())
            && constant_time_eq(issued_token.as_bytes(), token.as_bytes()))
        {
            return Err(denied());
        }
        if expiration <= now_ms || self.expired_access_keys.contains(&key_id) {
            return Err(ApiError::new(
                403,
                "ExpiredTokenException",
                "access_denied",
                "The credentials in Session have expired",
            ));
        }
        // The service refuses SessionDuration for the credentials of a chained role.
        if session_duration.is_some() && self.assumed.iter().any(|a| a.access_key_id == key_id) {
            return Err(bad_request(
                "SessionDuration cannot be used with credentials from role chaining",
            ));
        }
        let (account_id, role_name) = (caller.account_id, caller.role_name);
        let signin_token = self.secret(Mint::signin_token);
        self.federation.tokens.push((
            SigninToken {
                token: signin_token.clone(),
                account_id,
                role_name,
                access_key_id: key_id,
                session_duration,
                used: false,
            },
            Instant::now() + SIGNIN_TOKEN_TTL,
        ));
        Ok(json!({"SigninToken": signin_token}))
    }

    /// `Action=login&Issuer=…&Destination=…&SigninToken=…`: takes the token (once) and
    /// answers with the `Location` to redirect to.
    pub(crate) fn federated_login(&mut self, uri: &Uri) -> Answer {
        let query = query(uri);
        let param = |name: &str| {
            query
                .get(name)
                .filter(|value| !value.is_empty())
                .cloned()
                .ok_or_else(|| bad_request(format!("{name} is required")))
        };
        let (token, destination) = (param("SigninToken")?, param("Destination")?);
        let issuer = query.get("Issuer").cloned().unwrap_or_default();
        let now = Instant::now();
        let entry = self
            .federation
            .tokens
            .iter_mut()
            .find(|(issued, _)| constant_time_eq(issued.token.as_bytes(), token.as_bytes()))
            .filter(|(issued, expires)| !issued.used && now < *expires)
            .ok_or_else(|| {
                ApiError::new(
                    403,
                    "AccessDeniedException",
                    "access_denied",
                    "The sign-in token is not valid",
                )
            })?;
        entry.0.used = true;
        self.federation.logins.push(ConsoleLogin {
            account_id: entry.0.account_id.clone(),
            role_name: entry.0.role_name.clone(),
            issuer,
            destination: destination.clone(),
        });
        Ok(json!({"Location": destination}))
    }
}
