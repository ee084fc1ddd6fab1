//! Role credentials for a target, in one place: the cache first (the hot
//! path), else the portal, once, under the target's lock; with the account
//! named by id or by name. A target with a role chain is cached the same
//! way, keyed by the whole chain, and assumed once under the chain's lock.

use std::path::Path;
use std::time::Duration;

use crate::auth;
use crate::aws::net::Net;
use crate::aws::portal::PortalClient;
use crate::aws::sdk::CallError;
use crate::chain;
use crate::clock;
use crate::context::Context;
use crate::credentials::RoleCredentials;
use crate::listing::{self, Listing};
use crate::secret::Secret;
use crate::session::{self, Session};
use crate::store::keychain::Keychain;
use crate::store::keys;
use crate::store::lock::{Lock, LockError};
use crate::store::paths;
use crate::store::raw::KeychainError;
use crate::store::role_cache::{Generation, RoleCache};
use crate::target::{self, AccountRef, Target, TargetError};

pub struct Options {
    /// Fetch new credentials even when cached ones are fresh.
    pub refresh: bool,
    /// Cached credentials are reused while they have more than this left.
    pub margin: Duration,
}

/// Credentials for the target, with a label "session/account/role" for
/// messages. The session is the one `session_flag`, the target's profile or
/// the last sign-in names.
pub fn for_target(
    ctx: &Context,
    session_flag: Option<&str>,
    wanted: &Target,
    options: &Options,
) -> anyhow::Result<(RoleCredentials, String)> {
    let session_name = session_flag.map(str::to_owned).or(wanted.session.clone());
    let hot_name = session_name
        .clone()
        .or_else(|| ctx.sessions_quietly().last.clone());
    // Connected to only if the fast tier cannot serve; the session's choice
    // of store is read from the config file only then.
    let keychain = Keychain::lazy(hot_name.as_deref().map_or_else(
        || ctx.keychain_choice(),
        |name| ctx.keychain_choice_named(name),
    ));
    let roles = Roles::new(ctx, &keychain);
    let label = |session: &str| match wanted.chain.hops.last() {
        None => format!("{session}/{}/{}", wanted.account, wanted.role),
        Some(last) => format!(
            "{session}/{}/{} -> {}",
            wanted.account, wanted.role, last.role_arn
        ),
    };
    let chain_id = (!wanted.chain.is_empty()).then(|| wanted.chain.id());

    // The hot path: fresh cached credentials for a session named by the flag,
    // the profile or the last sign-in, without resolving the session (no
    // config file read for --account, no network, no runtime). An account
    // name is looked up in the listing cache.
    if !options.refresh
        && let Some(name) = &hot_name
        && let Some(credentials) = roles.cached(
            name,
            &wanted.account,
            &wanted.role,
            chain_id.as_deref(),
            options.margin,
        )?
    {
        return Ok((credentials, label(name)));
    }

    let request = session::SessionSpec {
        session: session_name,
        ..session::SessionSpec::default()
    };
    let session = session::resolve_for(ctx, &request)?;
    let other;
    let roles = if hot_name.as_deref() == Some(session.name.as_str()) {
        roles
    } else {
        other = Keychain::lazy(session.keychain_choice(ctx));
        Roles::new(ctx, &other)
    };
    let credentials = match &chain_id {
        None => roles.get(&session, &wanted.account, &wanted.role, options)?,
        Some(chain_id) => roles.get_chained(&session, wanted, chain_id, options)?,
    };
    Ok((credentials, label(&session.name)))
}

/// Deletes the role credentials cached for the session, from both tiers, and
/// its listing cache; returns how many credentials there were. Logout does
/// this, and so does a new sign-in, which may be another person's.
pub fn forget(ctx: &Context, keychain: &Keychain, session: &str) -> Result<usize, KeychainError> {
    let cached = RoleCache::new(keychain, Some(&ctx.config_dir)).clear(session)?;
    listing::forget(ctx, session);
    Ok(cached)
}

/// Where role credentials come from in one run: the cache, opened once, and
/// the portal.
struct Roles<'a> {
    ctx: &'a Context,
    keychain: &'a Keychain,
    cache: RoleCache<'a>,
}

impl<'a> Roles<'a> {
    fn new(ctx: &'a Context, keychain: &'a Keychain) -> Self {
        let fast_tier_of = ctx.fast_tier.then_some(ctx.config_dir.as_path());
        Self {
            ctx,
            keychain,
            cache: RoleCache::new(keychain, fast_tier_of),
        }
    }

    /// Fresh cached credentials for the role in the session named `session`,
    /// if there are any: the hot path. A hit in the fast tier needs not even
    /// the keychain; an account name needs the listing cache to know it.
    fn cached(
        &self,
        session: &str,
        account: &AccountRef,
        role: &str,
        chain_id: Option<&str>,
        margin: Duration,
    ) -> anyhow::Result<Option<RoleCredentials>> {
        let account_id = match account {
            AccountRef::Id(id) => id.clone(),
            AccountRef::Name(name) => {
                let Some(id) = recent_listing(self.ctx, session)
                    .and_then(|listing| listing.account_id(name).map(str::to_owned))
                else {
                    return Ok(None);
                };
                id
            }
        };
        let key = match chain_id {
            None => keys::role(session, &account_id, role),
            Some(chain_id) => keys::chained_role(session, &account_id, role, chain_id),
        };
        let found = self.cache.lookup(session, &key, clock::now(), margin)?;
        if found.is_some() {
            tracing::debug!(session, account_id, role, "cached credentials are fresh");
        }
        Ok(found)
    }

    /// Credentials for the role, from the cache when they are fresh, else from
    /// the portal. The caller has looked in the cache already (see
    /// [`Self::cached`]); another run may fill it while this one waits for the
    /// lock, so it looks again then.
    fn get(
        &self,
        session: &Session,
        account: &AccountRef,
        role: &str,
        options: &Options,
    ) -> anyhow::Result<RoleCredentials> {
        tracing::debug!(account = %account, role, refresh = options.refresh, "fetching credentials");
        let net = self.ctx.net(&session.region, session.section())?;
        let account_id = match account {
            AccountRef::Id(id) => id.clone(),
            AccountRef::Name(name) => self.account_id_by_name(session, &net, name)?,
        };
        // The target's lock only spares the portal a second fetch of what
        // another run is fetching: past the wait (a stopped holder, say), this
        // run fetches without it. The keychain replaces a value in one step,
        // and the session's lock still guards the token.
        let lock_path = paths::role_lock(&self.ctx.cache_dir, &session.name, &account_id, role);
        let what = format!("the credentials of {}/{account_id}/{role}", session.name);
        let _lock = take_lock(&lock_path, &what, self.ctx.lock_wait)?;
        let key = keys::role(&session.name, &account_id, role);
        if !options.refresh
            && let Some(credentials) =
                self.cache
                    .lookup(&session.name, &key, clock::now(), options.margin)?
        {
            tracing::debug!(account_id, role, "another run cached credentials meanwhile");
            return Ok(credentials);
        }
        // Before the token is read: a logout that deletes it afterwards ends
        // this sign-in, and the credentials fetched with it are not cached.
        let generation = self.cache.generation(&session.name);
        let portal = PortalClient::new(&net.config);
        let (result, token) =
            auth::with_access_token(self.ctx, self.keychain, session, &net, |token| {
                net.block_on(portal.role_credentials(&token.access_token, &account_id, role))
            })?;
        let credentials = match result {
            Ok(credentials) => credentials,
            Err(err) => {
                let call = PortalCall {
                    session,
                    net: &net,
                    portal: &portal,
                    access_token: &token.access_token,
                };
                return Err(call.explain(&account_id, role, err));
            }
        };
        self.store(&session.name, &key, &credentials, &generation, options);
        Ok(credentials)
    }

    /// Credentials at the end of the target's chain, from the cache when they
    /// are fresh, else assumed with STS from the role's credentials (cached
    /// or fetched), once, under the chain's lock: the runs that wait for it
    /// find the cache filled.
    fn get_chained(
        &self,
        session: &Session,
        wanted: &Target,
        chain_id: &str,
        options: &Options,
    ) -> anyhow::Result<RoleCredentials> {
        let account_id = match &wanted.account {
            AccountRef::Id(id) => id.clone(),
            AccountRef::Name(name) => {
                let net = self.ctx.net(&session.region, session.section())?;
                self.account_id_by_name(session, &net, name)?
            }
        };
        let role = wanted.role.as_str();
        let lock_path = paths::chain_lock(
            &self.ctx.cache_dir,
            &session.name,
            &account_id,
            role,
            chain_id,
        );
        let what = format!(
            "the credentials of {}/{account_id}/{role} and its role chain",
            session.name
        );
        let _lock = take_lock(&lock_path, &what, self.ctx.lock_wait)?;
        let key = keys::chained_role(&session.name, &account_id, role, chain_id);
        if !options.refresh
            && let Some(credentials) =
                self.cache
                    .lookup(&session.name, &key, clock::now(), options.margin)?
        {
            tracing::debug!(
                account_id,
                role,
                "another run cached the chain's credentials meanwhile"
            );
            return Ok(credentials);
        }
        let generation = self.cache.generation(&session.name);
        let base = match self.cached(
            &session.name,
            &AccountRef::Id(account_id.clone()),
            role,
            None,
            options.margin,
        )? {
            Some(base) if !options.refresh => base,
            _ => self.get(session, &AccountRef::Id(account_id.clone()), role, options)?,
        };
        let credentials = chain::assume(
            self.ctx,
            &base,
            &wanted.chain,
            &session.region,
            session.section(),
        )?;
        self.store(&session.name, &key, &credentials, &generation, options);
        Ok(credentials)
    }

    /// Caches `credentials` under `key`, unless the session's cache moved on
    /// since `generation`; a cache that cannot be written only costs the next
    /// run a fetch, so it is a warning.
    fn store(
        &self,
        session: &str,
        key: &str,
        credentials: &RoleCredentials,
        generation: &Generation,
        options: &Options,
    ) {
        if let Err(err) = self.cache.store(
            session,
            key,
            credentials,
            generation,
            clock::now(),
            options.margin,
        ) {
            crate::ui::warning(format_args!(
                "could not cache the credentials ({err}); the next run fetches new ones"
            ));
        }
    }

    /// Resolves an account name, which must be unique: from the listing cache
    /// when it knows the name, else from the portal's account list.
    fn account_id_by_name(
        &self,
        session: &Session,
        net: &Net,
        name: &str,
    ) -> anyhow::Result<String> {
        let accounts = match recent_listing(self.ctx, &session.name) {
            Some(listing) if listing.accounts.iter().any(|a| a.account_name == name) => {
                listing.accounts
            }
            _ => {
                let token = auth::access_token(self.ctx, self.keychain, session, net)?;
                let portal = PortalClient::new(&net.config);
                let accounts = net
                    .block_on(portal.accounts(&token.access_token))
                    .map_err(|err| auth::signed_out_if_unauthorized(session, err))?;
                // Kept for later name lookups, which then stay on the hot
                // path; an empty answer is not kept (see `ssokey list`).
                if !accounts.is_empty() {
                    let path = paths::listing(&self.ctx.cache_dir, &session.name);
                    let listing = Listing::accounts_only(clock::now(), accounts.clone());
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
                close: target::close_matches(
                    name,
                    accounts.iter().map(|a| a.account_name.as_str()),
                ),
            }
            .into()),
            _ => Err(TargetError::AmbiguousAccount {
                name: name.to_owned(),
                ids,
            }
            .into()),
        }
    }
}

/// The lock at `lock_path`, waiting up to `wait`; past the wait (a stopped
/// holder, say), none, with a warning.
fn take_lock(lock_path: &Path, what: &str, wait: Duration) -> anyhow::Result<Option<Lock>> {
    match Lock::acquire(lock_path, what, wait) {
        Ok(lock) => Ok(Some(lock)),
        Err(err @ LockError::Held { .. }) => {
            crate::ui::warning(format_args!("{err}; going ahead without it"));
            Ok(None)
        }
        Err(err) => Err(anyhow::Error::new(err).context(format!(
            "could not take the credential cache's lock file {}",
            lock_path.display()
        ))),
    }
}

/// The session's listing cache, unless it is older than its lifetime: a name
/// may have moved to another account since.
fn recent_listing(ctx: &Context, session: &str) -> Option<Listing> {
    Listing::load(&paths::listing(&ctx.cache_dir, session))
        .filter(|listing| listing.is_recent(clock::now()))
}

/// A signed-in conversation with the portal, for asking it more.
struct PortalCall<'a> {
    session: &'a Session,
    net: &'a Net,
    portal: &'a PortalClient,
    access_token: &'a Secret,
}

impl PortalCall<'_> {
    /// Turns a failed GetRoleCredentials into what the user can act on: a
    /// revoked sign-in, an account or role that is not assigned, with the
    /// close matches, or one that is assigned and refused all the same.
    fn explain(&self, account_id: &str, role: &str, err: CallError) -> anyhow::Error {
        let signed_out = |err| auth::signed_out_if_unauthorized(self.session, err);
        if err.code() != Some("ForbiddenException") {
            return signed_out(err);
        }
        let Ok(accounts) = self.net.block_on(self.portal.accounts(self.access_token)) else {
            return signed_out(err);
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
        match self
            .net
            .block_on(self.portal.roles(self.access_token, account_id))
        {
            // Assigned, and refused all the same: a new assignment that has
            // not reached the portal yet, or one being changed.
            Ok(roles) if roles.iter().any(|r| r == role) => TargetError::RoleRefused {
                account: account_id.to_owned(),
                role: role.to_owned(),
                cause: err.to_string(),
            }
            .into(),
            Ok(roles) => TargetError::UnknownRole {
                account: account_id.to_owned(),
                role: role.to_owned(),
                close: target::close_matches(role, roles.iter().map(String::as_str)),
            }
            .into(),
            Err(_) => signed_out(err),
        }
    }
}
