//! What the PKCE callback listener makes of a request, and the page it
//! answers with. Pure, so that every refusal is unit-tested; the listener
//! itself is [`crate::loopback`].

use hyper::header::{ALLOW, HeaderValue};
use hyper::{Method, StatusCode};

use crate::aws::oidc::CALLBACK_PATH;
use crate::loopback::{Request, Response, constant_time_eq};
use crate::secret::Secret;

/// What a request to the callback ends the wait with.
#[derive(Debug)]
pub enum Outcome {
    /// The portal's code: the user approved.
    Code(Secret),
    /// The portal's `error` and `error_description`: the user refused, or
    /// the portal did.
    Refused(String),
    /// The right state and neither a code nor an error.
    NoCode,
}

/// The outcome a request carries, if it ends the wait, and the answer to it.
/// Only `GET /oauth/callback` with this sign-in's `state` ends it; anything
/// else (another path, a wrong or missing state: a hostile page) is answered
/// and the wait goes on.
pub fn judge(request: &Request, state: &Secret) -> (Option<Outcome>, Response) {
    if request.path != CALLBACK_PATH {
        return (None, Response::text(StatusCode::NOT_FOUND, "not found\n"));
    }
    if request.method != Method::GET {
        return (
            None,
            Response::text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n")
                .with_header(ALLOW, HeaderValue::from_static("GET")),
        );
    }
    let state_matches = request
        .query("state")
        .is_some_and(|given| constant_time_eq(given.as_bytes(), state.expose().as_bytes()));
    if !state_matches {
        return (
            None,
            page(
                StatusCode::BAD_REQUEST,
                "This sign-in request did not come from ssokey",
                "Its state does not match the sign-in that ssokey started, so ssokey ignored it. \
                 If you did not open it yourself, close this tab.",
            ),
        );
    }
    if let Some(error) = request.query("error") {
        let description = request.query("error_description").unwrap_or_default();
        let reason = if description.is_empty() {
            error
        } else {
            format!("{error}: {description}")
        };
        let answer = page(
            StatusCode::OK,
            "Sign-in refused",
            &format!("The portal said: {reason}. You can close this tab."),
        );
        return (Some(Outcome::Refused(reason)), answer);
    }
    match request.query("code").filter(|code| !code.is_empty()) {
        Some(code) => (
            Some(Outcome::Code(Secret::new(code))),
            page(
                StatusCode::OK,
                "Signed in",
                "ssokey is signed in. You can close this tab.",
            ),
        ),
        None => (
            Some(Outcome::NoCode),
            page(
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                "The portal sent no code. Run ssokey login again.",
            ),
        ),
    }
}

/// A short page that loads nothing, with `text` escaped.
fn page(status: StatusCode, heading: &str, text: &str) -> Response {
    Response::html(
        status,
        format!(
            "<!doctype html><meta charset=\"utf-8\"><title>ssokey</title>\
             <body style=\"font-family:sans-serif;margin:3em\"><h1>{}</h1><p>{}</p></body>\n",
            crate::loopback::escape_html(heading),
            crate::loopback::escape_html(text)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, target: &str) -> Request {
        Request::for_test(method, target)
    }

    fn state() -> Secret {
        Secret::new("the-state")
    }

    #[test]
    fn the_code_with_the_right_state_ends_the_wait() {
        let (outcome, answer) = judge(
            &request(Method::GET, "/oauth/callback?code=abc&state=the-state"),
            &state(),
        );
        assert!(matches!(outcome, Some(Outcome::Code(code)) if code.expose() == "abc"));
        assert_eq!(answer.status, StatusCode::OK);
    }

    #[test]
    fn a_wrong_missing_or_doubled_state_is_refused_and_the_wait_goes_on() {
        for target in [
            "/oauth/callback?code=abc&state=other",
            "/oauth/callback?code=abc",
            "/oauth/callback?code=abc&state=the-state&state=the-state",
            "/oauth/callback?code=abc&state=the-stat",
            "/oauth/callback?error=access_denied&state=wrong",
        ] {
            let (outcome, answer) = judge(&request(Method::GET, target), &state());
            assert!(outcome.is_none(), "{target}");
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{target}");
        }
    }

    #[test]
    fn other_paths_and_methods_are_refused_and_the_wait_goes_on() {
        let (outcome, answer) = judge(
            &request(Method::GET, "/?code=abc&state=the-state"),
            &state(),
        );
        assert!(outcome.is_none());
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        let (outcome, answer) = judge(
            &request(Method::POST, "/oauth/callback?code=abc&state=the-state"),
            &state(),
        );
        assert!(outcome.is_none());
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    }

    #[test]
    fn an_error_ends_the_wait_with_the_reason_escaped_on_the_page() {
        let (outcome, answer) = judge(
            &request(
                Method::GET,
                "/oauth/callback?error=access_denied&error_description=%3Cscript%3E&state=the-state",
            ),
            &state(),
        );
        assert!(
            matches!(&outcome, Some(Outcome::Refused(reason)) if reason == "access_denied: <script>")
        );
        assert!(!answer.body().contains("<script>"));
        assert!(answer.body().contains("&lt;script&gt;"));
    }

    #[test]
    fn the_right_state_without_a_code_ends_the_wait_as_a_failure() {
        let (outcome, answer) = judge(
            &request(Method::GET, "/oauth/callback?state=the-state&code="),
            &state(),
        );
        assert!(matches!(outcome, Some(Outcome::NoCode)));
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    }
}
