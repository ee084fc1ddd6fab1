//! The listing of every account and role assigned to the user: fetched with
//! the role listings running concurrently at a pace the portal accepts, and
//! kept in a local cache of names (never a token).

use std::collections::VecDeque;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use anyhow::Context as _;

use crate::auth;
use crate::aws::pace::Pacer;
use crate::aws::portal::{Account, PageTokens, PortalClient};
use crate::aws::sdk::CallError;
use crate::clock;
use crate::context::Context;
use crate::secret::Secret;
use crate::session::Session;
use crate::store::files;
use crate::store::keychain::Keychain;
use crate::store::paths;

/// How many role listings run at once unless `--concurrency` says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// How long a cached listing serves `ssokey list` and name lookups.
pub const CACHE_LIFETIME: Duration = Duration::from_hours(24);

/// Tries of one page before a retryable error fails the listing.
const MAX_ATTEMPTS: u32 = 12;
/// Tries of one page when the portal could not be reached at all.
const MAX_UNREACHABLE_ATTEMPTS: u32 = 3;

/// What a listing may take, in proportion to the accounts it has found: a
/// real organization's listing ends well inside it; a portal that pages
/// without end, or drips pages to stall, runs into it and gets an error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Pages for the listing whatever its size: the first pages of accounts
    /// and a few empty pages that a paginated API may serve.
    pub base_pages: usize,
    /// Pages per account found, on average over the listing: one page of
    /// roles (up to 100 permission sets) is what an account needs, so a few
    /// leave room for accounts with hundreds and for the pages of accounts.
    pub pages_per_account: usize,
    /// Seconds for the listing whatever its size.
    pub base_seconds: f64,
    /// Seconds per account found: a tenth of a second is 10 role listings a
    /// second, half the pace the portal serves (about 20 a second), so 5,000
    /// accounts (about 4 minutes at that pace) may take 13 minutes.
    pub seconds_per_account: f64,
    /// The longest a listing may take, however many accounts a portal names.
    pub max_seconds: f64,
}

impl Limits {
    pub const LISTING: Self = Self {
        base_pages: 100,
        pages_per_account: 5,
        base_seconds: 300.0,
        seconds_per_account: 0.1,
        max_seconds: 1800.0,
    };

    /// The most pages a listing that found `accounts` accounts may take.
    pub fn pages(&self, accounts: usize) -> usize {
        self.base_pages
            .saturating_add(accounts.saturating_mul(self.pages_per_account))
    }

    /// The most seconds a listing that found `accounts` accounts may take.
    pub fn seconds(&self, accounts: usize) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let accounts = accounts as f64;
        (self.base_seconds + accounts * self.seconds_per_account).min(self.max_seconds)
    }

    /// Pure: whether a listing that took `pages` pages in `elapsed` seconds
    /// and found `accounts` accounts may go on; the reason when it may not.
    pub fn check(&self, pages: usize, accounts: usize, elapsed: f64) -> Result<(), String> {
        let most = self.pages(accounts);
        if pages > most {
            return Err(format!(
                "it served {pages} pages for {accounts} accounts, more than the {most} \
                 that so many accounts need; ssokey stopped it"
            ));
        }
        let seconds = self.seconds(accounts);
        if elapsed > seconds {
            return Err(format!(
                "it took more than {} for {accounts} accounts, longer than so many accounts \
                 need; ssokey stopped it",
                crate::output::render::duration(seconds_u64(seconds))
            ));
        }
        Ok(())
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn seconds_u64(seconds: f64) -> u64 {
    seconds.max(0.0) as u64
}

/// One role in one account, as `ssokey list --output json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    pub account_id: String,
    pub account_name: String,
    pub email_address: String,
    pub role_name: String,
}

/// A whole listing, as cached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    /// Seconds since the Unix epoch.
    pub fetched_at: u64,
    /// Every account, those without roles included.
    pub accounts: Vec<Account>,
    /// Sorted by account name, account id, then role.
    pub assignments: Vec<Assignment>,
    /// Whether the roles were listed too: a name lookup caches the accounts
    /// alone, which serve later name lookups but not `ssokey list`.
    #[serde(default = "listed")]
    pub roles_listed: bool,
}

fn listed() -> bool {
    true
}

impl Listing {
    pub fn new(
        fetched_at: u64,
        mut accounts: Vec<Account>,
        roles: Vec<(String, Vec<String>)>,
    ) -> Self {
        accounts.sort_by(|a, b| {
            (&a.account_name, &a.account_id).cmp(&(&b.account_name, &b.account_id))
        });
        let mut assignments: Vec<Assignment> = roles
            .into_iter()
            .filter_map(|(account_id, roles)| {
                let account = accounts.iter().find(|a| a.account_id == account_id)?;
                Some(roles.into_iter().map(move |role_name| Assignment {
                    account_id: account.account_id.clone(),
                    account_name: account.account_name.clone(),
                    email_address: account.email_address.clone(),
                    role_name,
                }))
            })
            .flatten()
            .collect();
        assignments.sort_by(|a, b| {
            (&a.account_name, &a.account_id, &a.role_name).cmp(&(
                &b.account_name,
                &b.account_id,
                &b.role_name,
            ))
        });
        assignments.dedup();
        Self {
            fetched_at,
            accounts,
            assignments,
            roles_listed: true,
        }
    }

    /// The accounts alone, from a name lookup.
    pub fn accounts_only(fetched_at: u64, accounts: Vec<Account>) -> Self {
        Self {
            roles_listed: false,
            ..Self::new(fetched_at, accounts, Vec::new())
        }
    }

    /// The id of the account named `name`, when exactly one account has it.
    /// `None` for no account, and for a name that two accounts share.
    pub fn account_id(&self, name: &str) -> Option<&str> {
        let mut ids = self
            .accounts
            .iter()
            .filter(|a| a.account_name == name)
            .map(|a| a.account_id.as_str());
        match (ids.next(), ids.next()) {
            (Some(id), None) => Some(id),
            _ => None,
        }
    }

    /// The assignments whose account id, account name or role name contains
    /// `pattern`, ignoring case.
    pub fn filter(&self, pattern: Option<&str>) -> Vec<&Assignment> {
        let Some(pattern) = pattern.map(str::to_lowercase) else {
            return self.assignments.iter().collect();
        };
        self.assignments
            .iter()
            .filter(|a| {
                a.account_id.contains(&pattern)
                    || a.account_name.to_lowercase().contains(&pattern)
                    || a.role_name.to_lowercase().contains(&pattern)
            })
            .collect()
    }

    /// The cached listing, if there is a readable one; a damaged file is a miss.
    pub fn load(path: &Path) -> Option<Self> {
        let bytes = files::read_trusted(path).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        files::write_private(path, &text)
    }

    /// Whether the listing is younger than its lifetime (24 hours): an
    /// account name may have moved to another account since.
    pub fn is_recent(&self, now: u64) -> bool {
        now.saturating_sub(self.fetched_at) < CACHE_LIFETIME.as_secs()
    }
}

/// The listing: from the local cache while it is fresh (unless `refresh`),
/// else from the portal, then cached.
pub fn obtain(
    ctx: &Context,
    session: &Session,
    refresh: bool,
    concurrency: usize,
) -> anyhow::Result<Listing> {
    let path = paths::listing(&ctx.cache_dir, &session.name);
    let now = clock::now();
    if !refresh
        && let Some(listing) = Listing::load(&path).filter(|l| l.roles_listed && l.is_recent(now))
    {
        if ctx.stderr_is_terminal {
            crate::ui::say(format_args!(
                "(listed {}; --refresh asks the portal again)",
                crate::output::render::relative(listing.fetched_at, now)
            ));
        }
        return Ok(listing);
    }
    let listing = fetch_all(ctx, session, concurrency)?;
    // An empty listing is not cached: an answer that lost its list looks the
    // same, and it must not stand for a day.
    if listing.assignments.is_empty() {
        let _ = std::fs::remove_file(&path);
        return Ok(listing);
    }
    if let Err(err) = listing.save(&path) {
        crate::ui::warning(format_args!(
            "could not cache the listing in {}: {err}",
            path.display()
        ));
    }
    Ok(listing)
}

/// A fresh listing from the portal; nothing is printed unless all of it came.
fn fetch_all(ctx: &Context, session: &Session, concurrency: usize) -> anyhow::Result<Listing> {
    let keychain = Keychain::open(&session.keychain_choice(ctx))?;
    let net = ctx.net(&session.region, session.section())?;
    let portal = PortalClient::without_retries(&net.config);
    let (result, _) = auth::with_access_token(ctx, &keychain, session, &net, |token| {
        net.block_on(fetch(
            &portal,
            &token.access_token,
            concurrency,
            Limits::LISTING,
        ))
    })?;
    let (accounts, roles) = result
        .map_err(|err| auth::signed_out_if_unauthorized(session, err))
        .context("could not list the accounts and roles")?;
    Ok(Listing::new(clock::now(), accounts, roles))
}

/// Deletes the session's listing cache; a file that cannot be deleted gets a
/// warning.
pub fn forget(ctx: &Context, session: &str) {
    let path = paths::listing(&ctx.cache_dir, session);
    if let Err(err) = std::fs::remove_file(&path)
        && err.kind() != std::io::ErrorKind::NotFound
    {
        crate::ui::warning(format_args!("could not delete {}: {err}", path.display()));
    }
}

/// A page still to fetch.
#[derive(Debug, Clone)]
enum Job {
    Accounts {
        next: Option<String>,
    },
    Roles {
        account_id: String,
        next: Option<String>,
    },
}

#[derive(Debug)]
enum Page {
    Accounts(Vec<Account>, Option<String>),
    Roles(String, Vec<String>, Option<String>),
}

struct Queued {
    job: Job,
    attempt: u32,
    /// Seconds since the listing started.
    not_before: f64,
}

impl Queued {
    fn new(job: Job) -> Self {
        Self {
            job,
            attempt: 0,
            not_before: 0.0,
        }
    }
}

/// Every account (all pages) and every role of each (all pages), the role
/// listings `max_in_flight` at a time at most, paced by [`Pacer`] once the
/// portal throttles. Throttling, 5xx answers and lost connections are tried
/// again with exponential backoff and jitter. A listing that outgrows its
/// [`Limits`] (pages or time) ends in [`CallError::Endless`].
pub async fn fetch(
    portal: &PortalClient,
    access_token: &Secret,
    max_in_flight: usize,
    limits: Limits,
) -> Result<(Vec<Account>, Vec<(String, Vec<String>)>), CallError> {
    let mut fetch = Fetch::new(portal, access_token, max_in_flight);
    loop {
        let wake = fetch.start_due();
        if fetch.queue.is_empty() && fetch.tasks.is_empty() {
            return Ok((fetch.accounts, fetch.roles));
        }
        let accounts = fetch.accounts.len();
        if let Err(cause) = limits.check(fetch.pages, accounts, fetch.now()) {
            fetch.tasks.abort_all();
            return Err(CallError::Endless(cause));
        }
        // Wake for the deadline too, however long a request takes.
        let until = wake.min(limits.seconds(accounts) + 0.001);
        let wait = Duration::from_secs_f64((until - fetch.now()).clamp(0.0, 60.0));
        let finished = if fetch.tasks.is_empty() {
            tokio::time::sleep(wait).await;
            continue;
        } else {
            match tokio::time::timeout(wait, fetch.tasks.join_next()).await {
                Ok(finished) => finished,
                Err(_) => continue,
            }
        };
        if let Some(finished) = finished {
            let (queued, result) = finished.expect("listing tasks do not panic");
            if let Err(err) = fetch.finished(queued, result) {
                fetch.tasks.abort_all();
                return Err(err);
            }
        }
    }
}

/// The state of one listing in progress.
struct Fetch<'a> {
    portal: &'a PortalClient,
    access_token: &'a Secret,
    started: Instant,
    pacer: Pacer,
    jitter: Jitter,
    queue: VecDeque<Queued>,
    tasks: JoinSet<(Queued, Result<Page, CallError>)>,
    roles_in_flight: usize,
    /// The pages taken in so far, of accounts and of roles.
    pages: usize,
    accounts: Vec<Account>,
    roles: Vec<(String, Vec<String>)>,
    /// The page tokens seen, per listing: `None` for the accounts, else the
    /// account whose roles they page.
    tokens: std::collections::HashMap<Option<String>, PageTokens>,
}

impl<'a> Fetch<'a> {
    fn new(portal: &'a PortalClient, access_token: &'a Secret, max_in_flight: usize) -> Self {
        Self {
            portal,
            access_token,
            started: Instant::now(),
            pacer: Pacer::new(max_in_flight),
            jitter: Jitter::new(),
            queue: VecDeque::from([Queued::new(Job::Accounts { next: None })]),
            tasks: JoinSet::new(),
            roles_in_flight: 0,
            pages: 0,
            accounts: Vec::new(),
            roles: Vec::new(),
            tokens: std::collections::HashMap::new(),
        }
    }

    /// The next page of one listing, refusing a token that would loop.
    fn next_page(
        &mut self,
        account_id: Option<&str>,
        token: Option<&str>,
    ) -> Result<Option<String>, CallError> {
        let op = if account_id.is_some() {
            "ListAccountRoles"
        } else {
            "ListAccounts"
        };
        self.tokens
            .entry(account_id.map(str::to_owned))
            .or_default()
            .next(token)
            .map_err(|cause| CallError::Malformed {
                op,
                cause: cause.to_owned(),
            })
    }

    fn now(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Starts every queued page that is due and that the pace allows; returns
    /// when the next one may start (infinity: when a request finishes).
    fn start_due(&mut self) -> f64 {
        let mut wake = f64::INFINITY;
        let mut index = 0;
        while index < self.queue.len() {
            let now = self.now();
            let queued = &self.queue[index];
            if queued.not_before > now {
                wake = wake.min(queued.not_before);
                index += 1;
                continue;
            }
            if let Job::Roles { .. } = queued.job {
                match self.pacer.wait(now, self.roles_in_flight) {
                    Some(wait) if wait <= 0.0 => {}
                    Some(wait) => return wake.min(now + wait),
                    None => return wake,
                }
                self.pacer.started(now);
                self.roles_in_flight += 1;
            }
            let queued = self.queue.remove(index).expect("the index is in range");
            self.spawn(queued);
        }
        wake
    }

    fn spawn(&mut self, queued: Queued) {
        let portal = self.portal.clone();
        let token = self.access_token.clone();
        self.tasks.spawn(async move {
            let result = match &queued.job {
                Job::Accounts { next } => portal
                    .accounts_page(&token, next.clone())
                    .await
                    .map(|(page, next)| Page::Accounts(page, next)),
                Job::Roles { account_id, next } => portal
                    .roles_page(&token, account_id, next.clone())
                    .await
                    .map(|(page, next)| Page::Roles(account_id.clone(), page, next)),
            };
            (queued, result)
        });
    }

    /// Takes in a finished page: its items, the pages it leads to, or a retry.
    fn finished(
        &mut self,
        queued: Queued,
        result: Result<Page, CallError>,
    ) -> Result<(), CallError> {
        let now = self.now();
        let is_roles = matches!(queued.job, Job::Roles { .. });
        if is_roles {
            self.roles_in_flight -= 1;
        }
        if result.is_ok() {
            self.pages += 1;
        }
        match result {
            Ok(Page::Accounts(page, next)) => {
                for account in &page {
                    self.queue.push_back(Queued::new(Job::Roles {
                        account_id: account.account_id.clone(),
                        next: None,
                    }));
                }
                self.accounts.extend(page);
                if let Some(next) = self.next_page(None, next.as_deref())? {
                    // The next page of accounts goes first: it feeds the rest.
                    self.queue
                        .push_front(Queued::new(Job::Accounts { next: Some(next) }));
                }
            }
            Ok(Page::Roles(account_id, page, next)) => {
                self.pacer.succeeded(now);
                match self.roles.iter_mut().find(|(id, _)| *id == account_id) {
                    Some((_, list)) => list.extend(page),
                    None => self.roles.push((account_id.clone(), page)),
                }
                if let Some(next) = self.next_page(Some(&account_id), next.as_deref())? {
                    self.queue.push_front(Queued::new(Job::Roles {
                        account_id,
                        next: Some(next),
                    }));
                }
            }
            Err(err) if err.is_retryable() => {
                if err.is_throttle() && is_roles {
                    self.pacer.throttled(now);
                }
                let limit = if matches!(err, CallError::Unreachable { .. }) {
                    MAX_UNREACHABLE_ATTEMPTS
                } else {
                    MAX_ATTEMPTS
                };
                if queued.attempt + 1 >= limit {
                    return Err(err);
                }
                self.queue.push_front(Queued {
                    not_before: now + backoff(queued.attempt, self.jitter.next()),
                    attempt: queued.attempt + 1,
                    job: queued.job,
                });
            }
            Err(err) => return Err(err),
        }
        Ok(())
    }
}

/// Exponential backoff with jitter: 100 ms doubling per attempt, at most 5 s,
/// then scaled by a random factor in [0.5, 1).
fn backoff(attempt: u32, random: f64) -> f64 {
    let base = (0.1 * 2f64.powi(i32::try_from(attempt.min(16)).unwrap_or(16))).min(5.0);
    base * (0.5 + random / 2.0)
}

/// A small xorshift generator: jitter needs spread, not secrecy.
struct Jitter(u64);

impl Jitter {
    fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Self(u64::from(seed) ^ (u64::from(std::process::id()) << 32) | 1)
    }

    /// A number in [0, 1).
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        #[allow(clippy::cast_precision_loss)]
        let fraction = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
        fraction
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    /// An assignment with no e-mail address, for the tests of other modules.
    pub fn assignment(id: &str, name: &str, role: &str) -> Assignment {
        Assignment {
            account_id: id.to_owned(),
            account_name: name.to_owned(),
            email_address: String::new(),
            role_name: role.to_owned(),
        }
    }

    fn account(id: &str, name: &str) -> Account {
        Account {
            account_id: id.to_owned(),
            account_name: name.to_owned(),
            email_address: format!("{name}@example.com"),
        }
    }

    fn listing() -> Listing {
        Listing::new(
            100,
            vec![
                account("222222222222", "prod"),
                account("111111111111", "dev"),
                account("333333333333", "empty"),
            ],
            vec![
                (
                    "222222222222".into(),
                    vec!["ReadOnly".into(), "Admin".into()],
                ),
                ("111111111111".into(), vec!["Admin".into()]),
            ],
        )
    }

    #[test]
    fn names_resolve_to_one_account_only_and_old_caches_count_as_complete() {
        let mut listing = listing();
        assert_eq!(listing.account_id("prod"), Some("222222222222"));
        assert_eq!(listing.account_id("staging"), None);
        listing.accounts.push(account("444444444444", "prod"));
        assert_eq!(listing.account_id("prod"), None, "a shared name");
        let partial = Listing::accounts_only(100, listing.accounts.clone());
        assert!(!partial.roles_listed && partial.assignments.is_empty());
        assert_eq!(partial.account_id("dev"), Some("111111111111"));
        // A cache written before the flag existed held whole listings.
        let old: Listing =
            serde_json::from_str(r#"{"fetchedAt": 1, "accounts": [], "assignments": []}"#).unwrap();
        assert!(old.roles_listed);
    }

    #[test]
    fn assignments_sort_by_account_name_then_role() {
        let listing = listing();
        let pairs: Vec<(&str, &str)> = listing
            .assignments
            .iter()
            .map(|a| (a.account_name.as_str(), a.role_name.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [("dev", "Admin"), ("prod", "Admin"), ("prod", "ReadOnly")]
        );
        assert_eq!(listing.accounts.len(), 3, "accounts without roles are kept");
    }

    #[test]
    fn the_filter_ignores_case_and_looks_at_ids_names_and_roles() {
        let listing = listing();
        let count = |p| listing.filter(Some(p)).len();
        assert_eq!(count("PROD"), 2);
        assert_eq!(count("readonly"), 1);
        assert_eq!(count("1111"), 1);
        assert_eq!(count("nothing"), 0);
        assert_eq!(listing.filter(None).len(), 3);
    }

    #[test]
    fn the_cache_round_trips_and_ages() {
        let dir = tempfile::tempdir().unwrap();
        let path = paths::listing(dir.path(), "work");
        listing().save(&path).unwrap();
        assert_eq!(Listing::load(&path), Some(listing()));
        assert!(listing().is_recent(100 + 24 * 3600 - 1));
        assert!(!listing().is_recent(100 + 24 * 3600));
        std::fs::write(&path, "{damaged").unwrap();
        assert_eq!(Listing::load(&path), None);
    }

    #[test]
    fn limits_grow_with_the_accounts_and_stop_an_endless_listing() {
        let limits = Limits::LISTING;
        // A real organization: 5,000 accounts, a page of roles each, 50
        // pages of accounts, in the 4 minutes that 20 requests a second take.
        assert_eq!(limits.check(5_050, 5_000, 250.0), Ok(()));
        assert_eq!(limits.check(100, 0, 299.0), Ok(()));
        // 5,000 accounts may take 13 minutes, and no listing half an hour.
        assert!((limits.seconds(5_000) - 800.0).abs() < 1e-6);
        assert!((limits.seconds(usize::MAX) - 1800.0).abs() < 1e-6);
        assert_eq!(limits.pages(usize::MAX), usize::MAX);
        // Endless pages for two accounts, and a listing that drips.
        let pages = limits.check(111, 2, 1.0).unwrap_err();
        assert!(
            pages.contains("111 pages for 2 accounts, more than the 110"),
            "{pages}"
        );
        let slow = limits.check(10, 2, 300.3).unwrap_err();
        assert!(slow.contains("more than 5m for 2 accounts"), "{slow}");
        assert!(limits.check(5_000, 5_000, 801.0).is_err());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!((backoff(0, 0.0) - 0.05).abs() < 1e-9);
        assert!((backoff(3, 0.999) - 0.8).abs() < 0.01);
        assert!(backoff(30, 0.999) <= 5.0);
        let mut jitter = Jitter::new();
        assert!(
            (0..1000)
                .map(|_| jitter.next())
                .all(|x| (0.0..1.0).contains(&x))
        );
    }
}
