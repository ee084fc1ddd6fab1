//! A session's sign-in state: its token and client registration in the keychain,
//! and the silent refresh that keeps a day's work to one sign-in.

use crate::aws::net::Net;
use crate::aws::oidc::{OidcClient, OidcError, Registration, Token};
use crate::aws::sdk::CallError;
use crate::clock;
use crate::context::Context;
use crate::exit::{Exit, Reported};
use crate::session::Session;
use crate::store::keychain::Keychain;
use crate::store::keys;
use crate::store::lock::{Lock, LockError};
use crate::store::paths;
use crate::store::raw::KeychainError;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("not signed in to the session '{session}'")]
    NotSignedIn { session: String },
    #[error("the sign-in to '{session}' has expired and could not be renewed")]
    Expired {
        session: String,
        /// What the portal said, when it refused.
        #[source]
        cause: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl AuthError {
    pub fn hint(&self) -> String {
        let (Self::NotSignedIn { session } | Self::Expired { session, .. }) = self;
        format!("run: ssokey login --session {session}")
    }

    fn expired(session: &str, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Expired {
            session: session.to_owned(),
            cause: Some(Box::new(cause)),
        }
    }
}

pub fn load_token(keychain: &Keychain, session: &str) -> Result<Option<Token>, KeychainError> {
    keychain.read_json(&keys::token(session))
}

/// Takes the session's lock. Whoever writes or deletes the session's token
/// holds it (a refresh across its call to the portal), so that parallel runs
/// never interleave two values' pieces, which would leave orphan pieces or a
/// head that names deleted ones. It is never skipped: a holder that keeps it
/// past the wait (a stopped run, say) is an error that names it.
pub fn lock_session(ctx: &Context, session: &str) -> anyhow::Result<Lock> {
    let path = paths::session_lock(&ctx.cache_dir, session);
    match Lock::acquire(&path, &format!("the session '{session}'"), ctx.lock_wait) {
        Ok(lock) => Ok(lock),
        Err(err @ LockError::Held { .. }) => Err(err.into()),
        Err(err) => Err(anyhow::Error::new(err).context(format!(
            "could not take the session's lock file {}",
            path.display()
        ))),
    }
}

/// Stores the token; the caller holds the session's lock ([`lock_session`]).
pub fn store_token(keychain: &Keychain, session: &str, token: &Token) -> Result<(), KeychainError> {
    keychain.write_json(&keys::token(session), token)
}

pub fn load_registration(
    keychain: &Keychain,
    session: &str,
) -> Result<Option<Registration>, KeychainError> {
    keychain.read_json(&keys::client(session))
}

/// What [`refresh`] did.
pub enum Refreshed {
    /// The token is fresh: no call was needed (another process may have just refreshed it).
    AlreadyFresh(Token),
    Renewed(Token),
}

/// Refreshes the session's access token, `stale`, with its refresh token, under
/// the session's lock, so that parallel runs make one refresh between them:
/// whoever gets the lock after another run renewed the token finds the new one
/// and uses it. A new refresh token in the answer is stored at once, since the
/// old one may stop working. Fails with [`AuthError`] when the portal refuses.
pub fn refresh(
    ctx: &Context,
    keychain: &Keychain,
    session: &Session,
    net: &Net,
    stale: &Token,
) -> anyhow::Result<Refreshed> {
    renew(ctx, keychain, session, net, stale, false)
}

/// Like [`refresh`], for an access token that the portal refused before its
/// time (revoked, or its clock differs): renews it even though it looks fresh.
pub fn refresh_refused(
    ctx: &Context,
    keychain: &Keychain,
    session: &Session,
    net: &Net,
    refused: &Token,
) -> anyhow::Result<Refreshed> {
    renew(ctx, keychain, session, net, refused, true)
}

fn renew(
    ctx: &Context,
    keychain: &Keychain,
    session: &Session,
    net: &Net,
    stale: &Token,
    refused: bool,
) -> anyhow::Result<Refreshed> {
    let _lock = lock_session(ctx, &session.name)?;
    let expired = || AuthError::Expired {
        session: session.name.clone(),
        cause: None,
    };
    let token = load_token(keychain, &session.name)?.ok_or_else(|| AuthError::NotSignedIn {
        session: session.name.clone(),
    })?;
    // Another run renewed it if the token differs from the one this run set
    // out to renew, or was issued after this run started (this run may have
    // read it only after that renewal, without the lock).
    let renewed_meanwhile =
        token.access_token != stale.access_token || token.issued_at_ms >= ctx.started_ms;
    if (!refused && !token.needs_refresh(clock::now()))
        || (renewed_meanwhile && token.is_usable(clock::now()))
    {
        tracing::debug!(
            session = session.name,
            "another run renewed the token meanwhile"
        );
        return Ok(Refreshed::AlreadyFresh(token));
    }
    tracing::debug!(session = session.name, "renewing the access token");
    let Some(refresh_token) = token.refresh_token.clone() else {
        return Err(expired().into());
    };
    let Some(registration) = load_registration(keychain, &session.name)? else {
        return Err(expired().into());
    };
    let client = OidcClient::new(&net.config);
    match net.block_on(client.refresh(&registration, &refresh_token)) {
        Ok(granted) => {
            let token = granted
                .into_token(
                    clock::now(),
                    &token.start_url,
                    &token.region,
                    Some(refresh_token),
                )
                .from_flow(token.flow);
            store_token(keychain, &session.name, &token)?;
            Ok(Refreshed::Renewed(token))
        }
        Err(err @ (OidcError::InvalidGrant | OidcError::InvalidClient)) => {
            let client_refused = matches!(err, OidcError::InvalidClient);
            forget_rejected(keychain, &session.name, client_refused);
            Err(AuthError::expired(&session.name, err).into())
        }
        Err(err) => Err(anyhow::Error::new(err).context("could not renew the sign-in")),
    }
}

/// Deletes the token that the portal rejected (its refresh refused), and the
/// client registration too when the portal no longer knows it; the caller
/// holds the session's lock. A rejected token can never work again, so the
/// session is signed out: `status`, `login` and the hint all see that, with
/// no second state to keep in step. Best effort: the refusal is the error
/// that the user sees either way.
fn forget_rejected(keychain: &Keychain, session: &str, client_refused: bool) {
    let mut keys = vec![keys::token(session)];
    if client_refused {
        keys.push(keys::client(session));
    }
    for key in keys {
        if let Err(err) = keychain.delete(&key) {
            tracing::debug!(session, %err, "could not delete the rejected sign-in");
        }
    }
}

/// A usable access token for the session, refreshed silently when it is due.
/// A token that is due but still usable is used when the refresh cannot reach
/// the portal.
pub fn access_token(
    ctx: &Context,
    keychain: &Keychain,
    session: &Session,
    net: &Net,
) -> anyhow::Result<Token> {
    let token = load_token(keychain, &session.name)?.ok_or_else(|| AuthError::NotSignedIn {
        session: session.name.clone(),
    })?;
    if !token.needs_refresh(clock::now()) {
        return Ok(token);
    }
    match refresh(ctx, keychain, session, net, &token) {
        Ok(Refreshed::AlreadyFresh(token) | Refreshed::Renewed(token)) => Ok(token),
        Err(_) if token.is_usable(clock::now()) => Ok(token),
        Err(err) => Err(err),
    }
}

/// Runs `call` with a usable access token of the session. When the portal
/// refuses the token before its time (revoked early, or clocks that differ)
/// and a refresh token is held, renews it once and runs `call` again. Returns
/// the call's own result with the token it last used.
pub fn with_access_token<T>(
    ctx: &Context,
    keychain: &Keychain,
    session: &Session,
    net: &Net,
    mut call: impl FnMut(&Token) -> Result<T, CallError>,
) -> anyhow::Result<(Result<T, CallError>, Token)> {
    let token = access_token(ctx, keychain, session, net)?;
    let result = call(&token);
    match &result {
        Err(err)
            if err.code() == Some("UnauthorizedException") && token.refresh_token.is_some() =>
        {
            tracing::debug!(
                session = session.name,
                "the access token was refused; renewing it"
            );
            match refresh_refused(ctx, keychain, session, net, &token) {
                Ok(Refreshed::Renewed(renewed) | Refreshed::AlreadyFresh(renewed)) => {
                    let result = call(&renewed);
                    Ok((result, renewed))
                }
                Err(_) => Ok((result, token)),
            }
        }
        Err(err) if err.code() == Some("UnauthorizedException") => {
            // Refused, with no refresh token to renew it: it is over.
            let _lock = lock_session(ctx, &session.name)?;
            if load_token(keychain, &session.name)
                .is_ok_and(|held| held.is_some_and(|t| t.access_token == token.access_token))
            {
                forget_rejected(keychain, &session.name, false);
            }
            Ok((result, token))
        }
        _ => Ok((result, token)),
    }
}

/// A portal error, where a refused token means that the sign-in is over.
pub fn signed_out_if_unauthorized(session: &Session, err: CallError) -> anyhow::Error {
    if err.code() == Some("UnauthorizedException") {
        AuthError::expired(&session.name, err).into()
    } else {
        err.into()
    }
}

impl Reported for AuthError {
    fn hint(&self) -> Option<String> {
        // No Secret Service answered, so this run looked in the kernel
        // keyring: a sign-in kept by the Secret Service of another (desktop)
        // session is not seen from here.
        if let AuthError::NotSignedIn { session } = self
            && crate::store::choice::fell_back().is_some()
        {
            return Some(format!(
                "no Secret Service answers here, so ssokey keeps sessions in the kernel keyring, \
                 where '{session}' is not signed in (a sign-in kept by the Secret Service of a desktop \
                 session is not seen from here); sign in here with: ssokey login --session {session}"
            ));
        }
        Some(AuthError::hint(self))
    }
    fn exit(&self) -> Exit {
        Exit::NotSignedIn
    }
}
