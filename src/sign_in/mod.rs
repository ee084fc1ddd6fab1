//! Signing in to a session, by either flow, for `ssokey login` and for the
//! commands that sign in by themselves ([`auto`]):
//!
//! - [`pkce`]: the authorization code with PKCE, through a browser on this
//!   machine and a callback listener on loopback ([`callback`]); the default
//!   where a browser can open;
//! - [`device`]: the device code, approved on any device; over SSH, with
//!   `--no-browser` or `--device-code`.
//!
//! A sign-in stores its token and the registration that got it together,
//! under the session's lock, only once it has succeeded: a failed one loses
//! nothing of the sign-in before it.

pub mod auto;
mod callback;
pub mod cool_down;
mod device;
pub mod flow;
mod pkce;
pub mod signed_out;

use anyhow::Context as _;

use crate::auth;
use crate::aws::net::Net;
use crate::aws::oidc::{self, OidcClient, OidcError, Registration, Token};
use crate::clock;
use crate::context::Context;
use crate::session::Session;
use crate::store::keychain::Keychain;
use crate::store::keys;
use crate::store::raw::KeychainError;
pub use flow::{Asker, Flow, How, SignInError, users_no};

/// Signs in to the session with `how`, stores the token and registration,
/// and forgets what the last sign-in cached. Returns the new token.
pub fn sign_in(
    ctx: &Context,
    keychain: &Keychain,
    session: &Session,
    net: &Net,
    how: How,
) -> anyhow::Result<Token> {
    tracing::info!(session = session.name, flow = %how.flow.name(), "signing in");
    check_writable(keychain, &session.name)?;
    let client = OidcClient::new(&net.config);
    let (mut registration, mut new) =
        registration(keychain, session, net, &client, how.flow, false)?;
    if how.flow == Flow::Pkce
        && !new
        && !net
            .block_on(client.knows(&registration))
            .context("could not check ssokey's client registration")?
    {
        // The browser would show the portal's error page, and the wait
        // would never end: register anew first.
        (registration, new) = self::registration(keychain, session, net, &client, how.flow, true)?;
    }
    let attempt = |registration: &Registration| match how.flow {
        Flow::Pkce => pkce::sign_in(ctx, session, net, &client, registration, how),
        Flow::DeviceCode => device::sign_in(ctx, session, net, &client, registration, how),
    };
    let (granted, registration, new) = match attempt(&registration) {
        Ok(granted) => (granted, registration, new),
        Err(err) if is_invalid_client(&err) => {
            // The portal forgot the registration: register anew, once.
            let (registration, _) =
                self::registration(keychain, session, net, &client, how.flow, true)?;
            (attempt(&registration)?, registration, true)
        }
        Err(err) => return Err(err),
    };
    let token = granted
        .into_token(clock::now(), &session.start_url, &session.region, None)
        .from_flow(Some(how.flow));
    {
        let _lock = auth::lock_session(ctx, &session.name)?;
        if new {
            keychain
                .write_json(&keys::client(&session.name), &registration)
                .context("could not store the client registration")?;
        }
        auth::store_token(keychain, &session.name, &token).context("could not store the token")?;
    }
    cool_down::clear(ctx, &session.name);
    // What the last sign-in cached may be another person's, or list other
    // assignments: none of it outlives the sign-in it came from.
    crate::role_credentials::forget(ctx, keychain, &session.name)
        .context("could not delete the credentials cached by the last sign-in")?;
    Ok(token)
}

/// Writes and deletes a probe entry, so that a keychain that cannot keep the
/// sign-in (locked, say) fails before any browser tab, device code or call
/// to the portal, not after the user approved.
fn check_writable(keychain: &Keychain, session: &str) -> Result<(), KeychainError> {
    let key = keys::probe(session);
    keychain.write(&key, "ssokey checks that it can keep a sign-in here")?;
    keychain.delete(&key)?;
    Ok(())
}

fn is_invalid_client(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<OidcError>(),
            Some(OidcError::InvalidClient)
        )
    })
}

/// The stored client registration when it can serve `flow`, else a new one,
/// which the caller stores once the sign-in succeeds (`true` says it is new).
fn registration(
    keychain: &Keychain,
    session: &Session,
    net: &Net,
    client: &OidcClient,
    flow: Flow,
    renew: bool,
) -> anyhow::Result<(Registration, bool)> {
    if !renew {
        match auth::load_registration(keychain, &session.name) {
            Ok(Some(stored)) if stored.is_reusable(clock::now(), &session.scopes, flow) => {
                return Ok((stored, false));
            }
            // A missing, expiring, other flow's or damaged registration is
            // replaced by a new one.
            Ok(_) | Err(KeychainError::Corrupt { .. }) => {}
            Err(err) => return Err(err.into()),
        }
    }
    let registration = net
        .block_on(client.register(&session.scopes, flow, &session.start_url))
        .context("could not register ssokey with the portal")?;
    Ok((registration, true))
}

/// How long a token serves, for the line that ends a sign-in.
pub fn lifetime(token: &oidc::Token) -> String {
    use crate::output::render;
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
