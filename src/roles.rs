//! Role credentials for a target: the cache first, else the portal, once,
//! under the target's lock; with the account named by id or by name.

use std::time::Duration;

use anyhow::Context as _;

use crate::auth;
use crate::cache;
use crate::env::Env;
use crate::fast_tier::FastTier;
use crate::files::Lock;
use crate::keychain::Keychain;
use crate::listing::Listing;
use crate::oidc;
use crate::portal::{PortalClient, RoleCredentials};
use crate::sdk::{CallError, Net};
use crate::secret::Secret;
use crate::session::Session;
use crate::target::{self, AccountRef, TargetError};

pub struct Options {
    /// Fetch new credentials even when cached ones are fresh.
    pub refresh: bool,
    /// Cached credentials are reused while they have more than this left.
    pub margin: Duration,
}

/// Credentials for the role, from the cache when they are fresh.
pub fn get(
    env: &Env,
    keychain: &Keychain,
    session: &Session,
    account: &AccountRef,
    role: &str,
    options: &Options,
) -> anyhow::Result<RoleCredentials> {
    // The caller has looked in the cache already (see [`cached`]); another
    // run may fill it while this one waits for the lock, so it looks again then.
    let fast = fast_tier(env);
    tracing::debug!(account = %account, role, refresh = options.refresh, "fetching credentials");
    let net = Net::new(&session.region).context("could not start the network runtime")?;
    let account_id = match account {
        AccountRef::Id(id) => id.clone(),
        AccountRef::Name(name) => account_id_by_name(env, keychain, session, &net, name)?,
    };
    let lock_path = cache::lock_path(&env.cache_dir, &session.name, &account_id, role);
    let _lock = Lock::acquire(&lock_path).with_context(|| {
        format!(
            "could not take the credential cache's lock file {}",
            lock_path.display()
        )
    })?;
    // Another run may have filled the cache while this one waited for the lock.
    if !options.refresh
        && let Some(credentials) = fresh(
            fast.as_ref(),
            keychain,
            &session.name,
            &account_id,
            role,
            options.margin,
        )?
    {
        tracing::debug!(account_id, role, "another run cached credentials meanwhile");
        return Ok(credentials);
    }
    let portal = PortalClient::new(&net.config);
    let (result, token) = auth::with_access_token(env, keychain, session, &net, |token| {
        net.block_on(portal.role_credentials(&token.access_token, &account_id, role))
    })?;
    let credentials = match result {
        Ok(credentials) => credentials,
        Err(err) => {
            return Err(explain(
                session,
                &net,
                &portal,
                &token.access_token,
                &account_id,
                role,
                err,
            ));
        }
    };
    if let Err(err) = cache::store(
        fast.as_ref(),
        keychain,
        &cache::key(&session.name, &account_id, role),
        &credentials,
        oidc::now_epoch(),
        options.margin,
    ) {
        eprintln!(
            "ssokey: warning: could not cache the credentials ({err}); the next run fetches new ones"
        );
    }
    Ok(credentials)
}

/// Fresh cached credentials for the role in the session named `session`,
/// if there are any: the hot path. A hit in the fast tier needs not even the
/// keychain.
pub fn cached(
    env: &Env,
    keychain: &Keychain,
    session: &str,
    account_id: &str,
    role: &str,
    margin: Duration,
) -> anyhow::Result<Option<RoleCredentials>> {
    let fast = fast_tier(env);
    let found = fresh(fast.as_ref(), keychain, session, account_id, role, margin)?;
    if found.is_some() {
        tracing::debug!(session, account_id, role, "cached credentials are fresh");
    }
    Ok(found)
}

/// The id of the account named `name` in the session's fresh listing cache,
/// when exactly one account there has that name.
pub fn cached_account_id(env: &Env, session: &str, name: &str) -> Option<String> {
    fresh_listing(env, session)?
        .account_id(name)
        .map(str::to_owned)
}

/// The session's listing cache, unless it is older than its lifetime: a name
/// may have moved to another account since.
fn fresh_listing(env: &Env, session: &str) -> Option<Listing> {
    Listing::load(&Listing::cache_path(&env.cache_dir, session))
        .filter(|listing| listing.is_fresh(oidc::now_epoch()))
}

/// The fast tier, when it is on and the kernel offers it.
fn fast_tier(env: &Env) -> Option<FastTier> {
    if env.fast_tier {
        FastTier::open(&env.config_dir)
    } else {
        None
    }
}

fn fresh(
    fast: Option<&FastTier>,
    keychain: &Keychain,
    session: &str,
    account_id: &str,
    role: &str,
    margin: Duration,
) -> anyhow::Result<Option<RoleCredentials>> {
    let key = cache::key(session, account_id, role);
    Ok(cache::lookup(
        fast,
        keychain,
        &key,
        oidc::now_epoch(),
        margin,
    )?)
}

/// Resolves an account name, which must be unique: from the listing cache
/// when it knows the name, else from the portal's account list.
fn account_id_by_name(
    env: &Env,
    keychain: &Keychain,
    session: &Session,
    net: &Net,
    name: &str,
) -> anyhow::Result<String> {
    let accounts = match fresh_listing(env, &session.name) {
        Some(listing) if listing.accounts.iter().any(|a| a.account_name == name) => {
            listing.accounts
        }
        _ => {
            let token = auth::access_token(env, keychain, session, net)?;
            let portal = PortalClient::new(&net.config);
            let accounts = net
                .block_on(portal.accounts(&token.access_token))
                .map_err(|err| auth::signed_out_if_unauthorized(session, err))?;
            // Kept for later name lookups, which then stay on the hot path;
            // an empty answer is not kept (see `ssokey list`).
            if !accounts.is_empty() {
                let path = Listing::cache_path(&env.cache_dir, &session.name);
                let listing = Listing::accounts_only(oidc::now_epoch(), accounts.clone());
                if let Err(err) = listing.save(&path) {
                    tracing::debug!(path = %path.display(), %err, "could not cache the accounts");
                }
            }
            accounts
        }
    };
    let ids: Vec<String> = accounts
        .iter()
        .filter(|a| a.account_name == name)
        .map(|a| a.account_id.clone())
        .collect();
    match ids.as_slice() {
        [id] => Ok(id.clone()),
        [] => Err(TargetError::UnknownAccount {
            name: name.to_owned(),
            close: target::close_matches(name, accounts.iter().map(|a| a.account_name.as_str())),
        }
        .into()),
        _ => Err(TargetError::AmbiguousAccount {
            name: name.to_owned(),
            ids,
        }
        .into()),
    }
}

/// Turns a failed GetRoleCredentials into what the user can act on: a revoked
/// sign-in, or an account or role that is not assigned, with the close matches.
fn explain(
    session: &Session,
    net: &Net,
    portal: &PortalClient,
    access_token: &Secret,
    account_id: &str,
    role: &str,
    err: CallError,
) -> anyhow::Error {
    if err.code() != Some("ForbiddenException") {
        return auth::signed_out_if_unauthorized(session, err);
    }
    let Ok(accounts) = net.block_on(portal.accounts(access_token)) else {
        return auth::signed_out_if_unauthorized(session, err);
    };
    if !accounts.iter().any(|a| a.account_id == account_id) {
        let close =
            target::close_matches(account_id, accounts.iter().map(|a| a.account_id.as_str()))
                .into_iter()
                .filter_map(|id| accounts.iter().find(|a| a.account_id == id))
                .map(|a| format!("{} ({})", a.account_id, a.account_name))
                .collect();
        return TargetError::UnknownAccount {
            name: account_id.to_owned(),
            close,
        }
        .into();
    }
    match net.block_on(portal.roles(access_token, account_id)) {
        Ok(roles) => TargetError::UnknownRole {
            account: account_id.to_owned(),
            role: role.to_owned(),
            close: target::close_matches(role, roles.iter().map(String::as_str)),
        }
        .into(),
        Err(_) => auth::signed_out_if_unauthorized(session, err),
    }
}
