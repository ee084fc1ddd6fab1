//! `ssokey login`: the device-authorization sign-in.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};

use crate::auth::{self, Refreshed};
use crate::aws::oidc::{self, OidcClient, OidcError, Poll, Registration};
use crate::aws::sdk::Net;
use crate::cli::LoginArgs;
use crate::clock;
use crate::context::Context;
use crate::output::render;
use crate::session::{self, Session};
use crate::store::choice::Choice;
use crate::store::keychain::{Keychain, KeychainError};
use crate::store::keys;

pub fn run(
    env: &Context,
    session_flag: Option<String>,
    args: &LoginArgs,
) -> anyhow::Result<ExitCode> {
    let request = session::Request {
        session: session_flag,
        start_url: args.start_url.clone(),
        region: args.region.clone(),
    };
    let (session, mut state) = session::resolve_for(env, &request)?;
    let keychain = Keychain::open(&Choice::for_session(env, &session))?;
    let net = Net::new(&session.region).context("could not start the network runtime")?;

    if !args.force && already_signed_in(env, &keychain, &session, &net)? {
        remember(env, &mut state, &session);
        return Ok(ExitCode::SUCCESS);
    }

    let client = OidcClient::new(&net.config);
    let mut registration = registration(env, &keychain, &session, &net, &client, false)?;
    let authorization =
        match net.block_on(client.start_device_authorization(&registration, &session.start_url)) {
            Err(OidcError::InvalidClient) => {
                // The portal forgot the registration: register anew, once.
                registration = self::registration(env, &keychain, &session, &net, &client, true)?;
                net.block_on(client.start_device_authorization(&registration, &session.start_url))
            }
            other => other,
        }
        .context("could not start the sign-in")?;

    crate::ui::say(format_args!(
        "Signing in to '{}' ({}, {}).",
        session.name, session.start_url, session.region
    ));
    crate::ui::say_emphasised(
        "Open this URL in a browser and check that it shows the code ",
        &authorization.user_code,
        ":",
    );
    crate::ui::say(format_args!(
        "  {}",
        authorization.verification_uri_complete
    ));
    crate::ui::say(format_args!(
        "(or go to {} and enter the code there)",
        authorization.verification_uri
    ));
    if !args.no_browser
        && let Err(err) = {
            tracing::debug!(url = %authorization.verification_uri_complete, "opening the browser");
            webbrowser::open(&authorization.verification_uri_complete)
        }
    {
        crate::ui::warning(format_args!(
            "could not open a browser ({err}); open the URL above yourself"
        ));
    }

    let granted = poll(env, &net, &client, &registration, &authorization)?;
    let token = granted.into_token(clock::now(), &session.start_url, &session.region, None);
    {
        let _lock = auth::lock_session(env, &session.name)?;
        auth::store_token(&keychain, &session.name, &token).context("could not store the token")?;
    }
    // What the last sign-in cached may be another person's, or list other
    // assignments: none of it outlives the sign-in it came from.
    crate::roles::forget(env, &keychain, &session.name)
        .context("could not delete the credentials cached by the last sign-in")?;
    remember(env, &mut state, &session);
    crate::ui::say(format_args!(
        "Signed in to '{}'; {}.",
        session.name,
        lifetime(&token)
    ));
    Ok(ExitCode::SUCCESS)
}

/// Says so and returns true when the session holds a valid token, renewing it
/// silently first when it is due and can be renewed.
fn already_signed_in(
    env: &Context,
    keychain: &Keychain,
    session: &Session,
    net: &Net,
) -> anyhow::Result<bool> {
    let token = match auth::load_token(keychain, &session.name) {
        Ok(Some(token)) => token,
        Ok(None) => return Ok(false),
        Err(err @ KeychainError::Corrupt { .. }) => {
            crate::ui::warning(format_args!("{err}; signing in again replaces it"));
            return Ok(false);
        }
        Err(err) => return Err(err.into()),
    };
    if token.start_url != session.start_url {
        return Ok(false);
    }
    let now = clock::now();
    let token = if token.needs_refresh(now) {
        match auth::refresh(env, keychain, session, net, &token) {
            Ok(Refreshed::Renewed(token)) => {
                crate::ui::say(format_args!(
                    "Renewed the sign-in to '{}' without a browser.",
                    session.name
                ));
                token
            }
            Ok(Refreshed::AlreadyFresh(token)) => token,
            Err(_) => return Ok(false),
        }
    } else {
        token
    };
    crate::ui::say(format_args!(
        "Already signed in to '{}'; {}; use --force to sign in again.",
        session.name,
        lifetime(&token)
    ));
    Ok(true)
}

/// How long a token serves: with a refresh token, the portal's access tokens
/// (an hour, on IAM Identity Center) renew by themselves until the portal ends
/// the sign-in; without one, the sign-in ends with the token.
fn lifetime(token: &oidc::Token) -> String {
    let until = format!(
        "{} ({})",
        render::rfc3339(token.expires_at),
        render::relative(token.expires_at, clock::now())
    );
    if token.refresh_token.is_some() {
        format!(
            "its token lasts until {until} and then renews by itself, until the portal ends the sign-in"
        )
    } else {
        format!("the sign-in lasts until {until}")
    }
}

/// The stored client registration when it can be reused, else a new one (stored at once).
fn registration(
    env: &Context,
    keychain: &Keychain,
    session: &Session,
    net: &Net,
    client: &OidcClient,
    renew: bool,
) -> anyhow::Result<Registration> {
    if !renew {
        match auth::load_registration(keychain, &session.name) {
            Ok(Some(stored)) if stored.is_reusable(clock::now(), &session.scopes) => {
                return Ok(stored);
            }
            // A missing, expiring or damaged registration is replaced by a new one.
            Ok(_) | Err(KeychainError::Corrupt { .. }) => {}
            Err(err) => return Err(err.into()),
        }
    }
    let registration = net
        .block_on(client.register(&session.scopes))
        .context("could not register ssokey with the portal")?;
    // Under the session's lock, as logout deletes it: the two never
    // interleave their pieces.
    let _lock = auth::lock_session(env, &session.name)?;
    keychain
        .write_json(&keys::client(&session.name), &registration)
        .context("could not store the client registration")?;
    Ok(registration)
}

/// Polls CreateToken at the server's pace until the user approves, refuses,
/// or the code's lifetime runs out.
fn poll(
    env: &Context,
    net: &Net,
    client: &OidcClient,
    registration: &Registration,
    authorization: &oidc::DeviceAuthorization,
) -> anyhow::Result<oidc::Granted> {
    let deadline = Instant::now() + authorization.expires_in;
    let mut interval = oidc::next_interval(authorization.interval, &Poll::Pending);
    let spinner = spinner(env);
    let result = loop {
        let now = Instant::now();
        if now >= deadline {
            break Err(OidcError::DeviceCodeExpired);
        }
        std::thread::sleep(interval.min(deadline - now));
        match net.block_on(client.poll(registration, &authorization.device_code)) {
            Ok(Poll::Granted(granted)) => break Ok(granted),
            Ok(poll) => interval = oidc::next_interval(interval, &poll),
            Err(err) => break Err(err),
        }
    };
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    result.context("the sign-in did not complete")
}

fn spinner(env: &Context) -> Option<ProgressBar> {
    if !env.stderr_is_terminal {
        return None;
    }
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.set_message("Waiting for approval in the browser (Ctrl-C to cancel)...");
    spinner.enable_steady_tick(Duration::from_millis(100));
    Some(spinner)
}

fn remember(env: &Context, state: &mut session::State, session: &Session) {
    if state.record(session)
        && let Err(err) = state.save(&env.config_dir)
    {
        crate::ui::warning(format_args!(
            "could not remember the session in {}: {err}",
            env.config_dir.display()
        ));
    }
}
