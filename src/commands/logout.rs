//! `ssokey logout`: end the portal session and delete its tokens, the role
//! credentials cached for it and its listing cache (and, in the kernel
//! keyring, its client registration).

use std::process::ExitCode;

use crate::auth;
use crate::aws::portal::PortalClient;
use crate::cli::LogoutArgs;
use crate::context::Context;
use crate::role_credentials;
use crate::session::{self, Session};
use crate::sign_in;
use crate::store::keychain::Keychain;
use crate::store::keys;

pub fn run(
    ctx: &Context,
    session_flag: Option<&str>,
    args: &LogoutArgs,
) -> anyhow::Result<ExitCode> {
    let sessions = if args.all {
        session::known(ctx.config()?, ctx.sessions())
    } else {
        let request = session::SessionSpec::named(session_flag);
        vec![session::resolve_for(ctx, &request)?]
    };
    for session in &sessions {
        let keychain = Keychain::open(&session.keychain_choice(ctx))?;
        logout(ctx, &keychain, session)?;
    }
    if sessions.is_empty() {
        crate::ui::say("No session is known; nothing to sign out of.");
    }
    Ok(ExitCode::SUCCESS)
}

fn logout(ctx: &Context, keychain: &Keychain, session: &Session) -> anyhow::Result<()> {
    let stored = match auth::load_token(keychain, &session.name) {
        Ok(token) => token.is_some(),
        // A damaged entry is deleted all the same.
        Err(_) => true,
    };
    let ended = if stored {
        Some(end_portal_session(ctx, keychain, session))
    } else {
        None
    };
    {
        let _lock = auth::lock_session(ctx, &session.name)?;
        keychain.delete(&keys::token(&session.name))?;
        // The client registration goes too (the next sign-in registers
        // again): a signed-out user holds no entry of ssokey's, in any store.
        keychain.delete(&keys::client(&session.name))?;
    }
    // Signed out on purpose: no run signs in again by itself until `login`.
    sign_in::signed_out::mark(ctx, &session.name);
    let cached = role_credentials::forget(ctx, keychain, &session.name)?;
    let name = &session.name;
    match ended {
        None if cached == 0 => crate::ui::say(format_args!(
            "Not signed in to '{name}'; nothing to sign out of."
        )),
        None => crate::ui::say(format_args!(
            "Not signed in to '{name}'; deleted {cached} cached credentials."
        )),
        Some(Ok(())) => crate::ui::say(format_args!("Signed out of '{name}'.")),
        Some(Err(err)) => crate::ui::warning(format_args!(
            "could not end the portal session of '{name}' ({err:#}); deleted its tokens from the keychain all the same"
        )),
    }
    Ok(())
}

/// Calls the portal's Logout with a usable token (renewed first if it is due),
/// so that the sign-in ends on the portal too, refresh token included.
fn end_portal_session(ctx: &Context, keychain: &Keychain, session: &Session) -> anyhow::Result<()> {
    let net = ctx.net(&session.region, session.section())?;
    let token = match auth::access_token(ctx, keychain, session, &net) {
        Ok(token) => token,
        // Nothing usable is left to end on the portal.
        Err(err)
            if err.chain().any(|c| {
                c.is::<auth::AuthError>() || c.is::<crate::store::raw::KeychainError>()
            }) =>
        {
            return Ok(());
        }
        Err(err) => return Err(err),
    };
    net.block_on(PortalClient::new(&net.config).logout(&token.access_token))?;
    Ok(())
}
