//! The authorization-code sign-in with PKCE (RFC 7636), as the AWS CLI v2
//! makes it: a loopback listener, the portal's `/authorize` page in the
//! browser, and CreateToken with the code and the verifier.
//!
//! Safer than the AWS CLI's: the listener binds 127.0.0.1 only (not every
//! interface), is bound before the browser opens, refuses other hosts,
//! paths, methods and states, and the wait is capped.

use std::time::Duration;

use anyhow::Context as _;
use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use super::callback::{self, Outcome};
use super::flow::{How, SignInError, ctrl_c, open_browser, spinner};
use crate::aws::net::Net;
use crate::aws::oidc::{self, CALLBACK_PATH, OidcClient, Registration};
use crate::browser::Page;
use crate::loopback::{self, Request};
use crate::secret::Secret;
use crate::session::Session;

/// How long the listener waits for the browser.
pub const WAIT: Duration = Duration::from_mins(10);

/// Random bytes in the verifier: 48 give 64 base64url characters, as the AWS
/// CLI's verifier has (RFC 7636 allows 43 to 128).
const VERIFIER_BYTES: usize = 48;

pub(super) fn sign_in(
    ctx: &crate::context::Context,
    session: &Session,
    net: &Net,
    client: &OidcClient,
    registration: &Registration,
    how: How,
) -> anyhow::Result<oidc::Granted> {
    let random = |bytes| Secret::random_url_safe(bytes).context("the OS gave no random bytes");
    let verifier = random(VERIFIER_BYTES)?;
    let state = random(32)?;
    // Bound before the browser opens, so that its answer cannot come first.
    let listener =
        loopback::bind(0).context("could not listen on 127.0.0.1 for the browser's answer")?;
    let redirect_uri = listener.url(CALLBACK_PATH);
    let endpoint = net.block_on(oidc::endpoint(&net.config))?;
    let url = authorize_url(
        &endpoint,
        &registration.client_id,
        &redirect_uri,
        &state,
        &challenge(&verifier),
        &session.scopes,
    );
    crate::ui::say(format_args!(
        "Signing in to '{}' ({}, {}) in the browser.",
        session.name, session.start_url, session.region
    ));
    crate::ui::say(format_args!(
        "If no browser tab opens, open this URL on this machine:\n  {url}"
    ));
    let open = {
        let (pages_dir, browser_var) = (ctx.pages_dir.clone(), ctx.browser_var.clone());
        move || {
            open_browser(&pages_dir, browser_var.as_deref(), &url)
                .inspect_err(|err| {
                    crate::ui::warning(format_args!(
                        "could not open a browser ({err}); open the URL above yourself, or sign in with: ssokey login --device-code"
                    ));
                })
                .ok()
        }
    };
    let spinner = spinner(
        ctx.stderr_is_terminal,
        "Waiting for the sign-in in the browser (Ctrl-C to cancel)...",
    );
    let outcome = net.block_on(wait(listener, state, how.catch_ctrl_c, open));
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    let code = match outcome? {
        Outcome::Code(code) => code,
        Outcome::Refused(reason) => return Err(SignInError::Refused(reason).into()),
        Outcome::NoCode => return Err(SignInError::NoCode.into()),
    };
    net.block_on(client.redeem_code(registration, &code, &verifier, &redirect_uri))
        .context("the portal did not accept the sign-in")
}

/// Opens the browser with `open` and serves the callback until a request
/// ends the wait, the wait runs out, or (when caught) Ctrl-C. Ctrl-C is
/// caught before the browser opens; the page that `open` wrote stays until
/// the wait is over.
async fn wait(
    listener: loopback::Listener,
    state: Secret,
    catch_ctrl_c: bool,
    open: impl FnOnce() -> Option<Page> + Send + 'static,
) -> Result<Outcome, SignInError> {
    let mut interrupted = std::pin::pin!(ctrl_c(catch_ctrl_c));
    // One poll registers the handler: a Ctrl-C from now on is a cancel.
    tokio::select! {
        biased;
        () = &mut interrupted => return Err(SignInError::Cancelled),
        () = std::future::ready(()) => {}
    }
    let (sender, mut outcomes) = tokio::sync::mpsc::channel::<Outcome>(1);
    let handler = move |request: Request| {
        let sender = sender.clone();
        let state = state.clone();
        async move {
            let (outcome, answer) = callback::judge(&request, &state);
            if let Some(outcome) = outcome {
                let _ = sender.try_send(outcome);
            } else {
                tracing::debug!(
                    path = request.path,
                    status = answer.status.as_u16(),
                    "refused a request to the callback"
                );
            }
            answer
        }
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(loopback::serve(listener, handler, async {
        let _ = stopped.await;
    }));
    let mut opening = tokio::task::spawn_blocking(open);
    let mut page = None;
    let result = loop {
        tokio::select! {
            opened = &mut opening, if page.is_none() => page = Some(opened.ok().flatten()),
            Some(outcome) = outcomes.recv() => break Ok(outcome),
            () = tokio::time::sleep(WAIT) => break Err(SignInError::TimedOut(WAIT)),
            () = &mut interrupted => break Err(SignInError::Cancelled),
        }
    };
    drop(page);
    let _ = stop.send(());
    let _ = serving.await;
    result
}

/// Pure: the S256 challenge, `base64url(SHA-256(verifier))` without padding.
pub fn challenge(verifier: &Secret) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.expose().as_bytes()))
}

/// Pure: the portal's `/authorize` URL with the parameters the AWS CLI sends
/// (the plural `scopes`, space-joined).
pub fn authorize_url(
    endpoint: &str,
    client_id: &str,
    redirect_uri: &str,
    state: &Secret,
    challenge: &str,
    scopes: &[String],
) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state.expose())
        .append_pair("code_challenge_method", "S256")
        .append_pair("scopes", &scopes.join(" "))
        .append_pair("code_challenge", challenge)
        .finish();
    format!("{}/authorize?{query}", endpoint.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        let verifier = Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            challenge(&verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_64_unreserved_characters() {
        let verifier = Secret::random_url_safe(VERIFIER_BYTES).unwrap();
        assert_eq!(verifier.expose().len(), 64);
        assert!(
            verifier
                .expose()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"-._~".contains(&c))
        );
    }

    #[test]
    fn the_authorize_url_carries_what_the_aws_cli_sends() {
        let url = authorize_url(
            "https://oidc.eu-west-1.amazonaws.com/",
            "client-1",
            "http://127.0.0.1:4321/oauth/callback",
            &Secret::new("st"),
            "ch",
            &["sso:account:access".to_owned(), "x:y".to_owned()],
        );
        assert_eq!(
            url,
            "https://oidc.eu-west-1.amazonaws.com/authorize?response_type=code&client_id=client-1\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A4321%2Foauth%2Fcallback&state=st\
             &code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess+x%3Ay&code_challenge=ch"
        );
    }
}
