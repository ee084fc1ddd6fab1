//! `ssokey login`: sign in with the browser (PKCE) where one can open here,
//! else with a device code; the flows live in [`crate::sign_in`].

use std::process::ExitCode;

use crate::auth::{self, Refreshed};
use crate::aws::net::Net;
use crate::cli::LoginArgs;
use crate::clock;
use crate::context::Context;
use crate::session::{self, Session};
use crate::sign_in::{self, Asker};
use crate::store::keychain::Keychain;
use crate::store::raw::KeychainError;
use crate::store::sessions::State;

pub fn run(
    ctx: &Context,
    session_flag: Option<String>,
    args: &LoginArgs,
) -> anyhow::Result<ExitCode> {
    let request = session::SessionSpec {
        session: session_flag,
        start_url: args.start_url.clone(),
        region: args.region.clone(),
    };
    let (session, mut state) = match session::look_up_custom_domain(ctx, &request)? {
        Some(state) => {
            let config = if request.session.is_none() {
                ctx.config().ok().flatten()
            } else {
                ctx.config()?
            };
            let path = ctx.aws_config_file.display().to_string();
            (session::resolve(&request, config, &path, &state)?, state)
        }
        None => (
            super::setup::resolve_or_ask(ctx, &request)?,
            ctx.sessions().clone(),
        ),
    };
    let keychain = Keychain::open(&session.keychain_choice(ctx))?;
    let net = ctx.net(&session.region, session.section())?;
    // The user is here: auto sign-in may start again, whatever comes next.
    sign_in::cool_down::clear(ctx, &session.name);
    sign_in::signed_out::clear(ctx, &session.name);

    if !args.force && already_signed_in(ctx, &keychain, &session, &net)? {
        remember(ctx, &mut state, &session);
        return Ok(ExitCode::SUCCESS);
    }

    let asker = Asker::Login {
        device_code: args.device_code,
        no_browser: args.no_browser,
    };
    let how = sign_in::flow::choose(ctx.reach(), asker).expect("login always has a flow");
    let flow = how.flow;
    let token = sign_in::sign_in(ctx, &keychain, &session, &net, how)?;
    remember(ctx, &mut state, &session);
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
    ctx: &Context,
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
        match auth::refresh(ctx, keychain, session, net, &token) {
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

fn remember(ctx: &Context, state: &mut State, session: &Session) {
    if state.record(session)
        && let Err(err) = state.save(&ctx.config_dir)
    {
        crate::ui::warning(format_args!(
            "could not remember the session in {}: {err}",
            ctx.config_dir.display()
        ));
    }
}
