//! `ssokey login`: sign in with the browser (PKCE) where one can open here,
//! else with a device code; the flows live in [`crate::sign_in`].

use std::process::ExitCode;

use crate::auth::{self, Refreshed};
use crate::aws::sdk::Net;
use crate::cli::LoginArgs;
use crate::clock;
use crate::context::Context;
use crate::session::{self, Session};
use crate::sign_in::{self, How};
use crate::store::choice::Choice;
use crate::store::keychain::{Keychain, KeychainError};

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
    let net = Net::new(&session.region)?;
    // The user is here: auto sign-in may start again, whatever comes next.
    sign_in::cool_down::clear(env, &session.name);

    if !args.force && already_signed_in(env, &keychain, &session, &net)? {
        remember(env, &mut state, &session);
        return Ok(ExitCode::SUCCESS);
    }

    let flow = sign_in::login_flow(args.device_code, args.no_browser, env.reach);
    let how = How {
        flow,
        open_browser: !args.no_browser,
        catch_ctrl_c: false,
    };
    let token = sign_in::sign_in(env, &keychain, &session, &net, how)?;
    remember(env, &mut state, &session);
    crate::ui::say(format_args!(
        "Signed in to '{}' with {}; {}.",
        session.name,
        flow.describe(),
        sign_in::lifetime(&token)
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
        sign_in::lifetime(&token)
    ));
    Ok(true)
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
