//! `ssokey logout`: end the portal session and delete its tokens, the role
//! credentials cached for it and its listing cache.

use std::process::ExitCode;

use crate::auth;
use crate::cache;
use crate::cli::LogoutArgs;
use crate::env::Env;
use crate::fast_tier::FastTier;
use crate::keychain::Keychain;
use crate::listing::Listing;
use crate::portal::PortalClient;
use crate::sdk::Net;
use crate::session::{self, Session, State};

pub fn run(env: &Env, session_flag: Option<&str>, args: &LogoutArgs) -> anyhow::Result<ExitCode> {
    let sessions = if args.all {
        let config = super::load_config(env)?;
        session::known(config.as_ref(), &State::load(&env.config_dir))
    } else {
        let request = session::Request {
            session: session_flag.map(str::to_owned),
            ..session::Request::default()
        };
        vec![super::resolve_session(env, &request)?.0]
    };
    let keychain = Keychain::open()?;
    for session in &sessions {
        logout(env, &keychain, session)?;
    }
    if sessions.is_empty() {
        eprintln!("No session is known; nothing to sign out of.");
    }
    Ok(ExitCode::SUCCESS)
}

fn logout(env: &Env, keychain: &Keychain, session: &Session) -> anyhow::Result<()> {
    let stored = match auth::load_token(keychain, &session.name) {
        Ok(token) => token.is_some(),
        // A damaged entry is deleted all the same.
        Err(_) => true,
    };
    let ended = if stored {
        Some(end_portal_session(env, keychain, session))
    } else {
        None
    };
    {
        let _lock = auth::lock_session(env, &session.name)?;
        keychain.delete(&auth::token_key(&session.name))?;
    }
    let cached = forget_cached(env, keychain, &session.name)?;
    let name = &session.name;
    match ended {
        None if cached == 0 => eprintln!("Not signed in to '{name}'; nothing to sign out of."),
        None => eprintln!("Not signed in to '{name}'; deleted {cached} cached credentials."),
        Some(Ok(())) => eprintln!("Signed out of '{name}'."),
        Some(Err(err)) => eprintln!(
            "ssokey: warning: could not end the portal session of '{name}' ({err:#}); deleted its tokens from the keychain all the same"
        ),
    }
    Ok(())
}

/// Deletes the role credentials cached for the session, from both tiers, and
/// its listing cache; returns how many credentials there were. Logout does
/// this, and so does a new sign-in, which may be another person's.
pub(super) fn forget_cached(
    env: &Env,
    keychain: &Keychain,
    session: &str,
) -> Result<usize, crate::keychain::KeychainError> {
    let fast = FastTier::open(&env.config_dir);
    let cached = cache::clear(fast.as_ref(), keychain, session)?;
    let listing = Listing::cache_path(&env.cache_dir, session);
    if let Err(err) = std::fs::remove_file(&listing)
        && err.kind() != std::io::ErrorKind::NotFound
    {
        eprintln!(
            "ssokey: warning: could not delete {}: {err}",
            listing.display()
        );
    }
    Ok(cached)
}

/// Calls the portal's Logout with a usable token (renewed first if it is due),
/// so that the sign-in ends on the portal too, refresh token included.
fn end_portal_session(env: &Env, keychain: &Keychain, session: &Session) -> anyhow::Result<()> {
    let net = Net::new(&session.region)?;
    let token = match auth::access_token(env, keychain, session, &net) {
        Ok(token) => token,
        // Nothing usable is left to end on the portal.
        Err(err)
            if err
                .chain()
                .any(|c| c.is::<auth::AuthError>() || c.is::<crate::keychain::KeychainError>()) =>
        {
            return Ok(());
        }
        Err(err) => return Err(err),
    };
    net.block_on(PortalClient::new(&net.config).logout(&token.access_token))?;
    Ok(())
}
