//! `ssokey list`: the accounts and roles assigned to the user.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::auth;
use crate::cli::{ListArgs, ListingArgs, Output};
use crate::env::Env;
use crate::keychain::Keychain;
use crate::listing::{self, Listing};
use crate::oidc;
use crate::portal::PortalClient;
use crate::render;
use crate::sdk::Net;
use crate::session::{self, Session};

pub fn run(env: &Env, session_flag: Option<&str>, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let request = session::Request {
        session: session_flag.map(str::to_owned),
        ..session::Request::default()
    };
    let (session, _) = super::resolve_session(env, &request)?;
    let listing = listing(env, &session, &args.listing)?;
    let rows = listing.filter(args.pattern.as_deref());
    let out = match args.output {
        Output::Json => {
            let mut text = serde_json::to_string_pretty(&rows)?;
            text.push('\n');
            text
        }
        Output::Table => {
            if rows.is_empty() {
                eprintln!(
                    "{}",
                    if listing.assignments.is_empty() {
                        "No roles are assigned to you."
                    } else {
                        "No role matches."
                    }
                );
                String::new()
            } else {
                let cells: Vec<Vec<String>> = rows
                    .iter()
                    .map(|a| {
                        vec![
                            a.account_id.clone(),
                            a.account_name.clone(),
                            a.role_name.clone(),
                        ]
                    })
                    .collect();
                let table = render::table(&["ACCOUNT ID", "ACCOUNT NAME", "ROLE"], &cells);
                if env.stdout_color {
                    render::bold_first_line(&table)
                } else {
                    table
                }
            }
        }
    };
    crate::output::print(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// The listing: from the local cache while it is fresh (unless `refresh`),
/// else from the portal, then cached.
pub fn listing(env: &Env, session: &Session, args: &ListingArgs) -> anyhow::Result<Listing> {
    let path = Listing::cache_path(&env.cache_dir, &session.name);
    let now = oidc::now_epoch();
    if !args.refresh
        && let Some(listing) = Listing::load(&path).filter(|l| l.roles_listed && l.is_fresh(now))
    {
        if env.stderr_is_terminal {
            eprintln!(
                "(listed {}; --refresh asks the portal again)",
                render::relative(listing.fetched_at, now)
            );
        }
        return Ok(listing);
    }
    let listing = fetch(env, session, args.concurrency)?;
    // An empty listing is not cached: an answer that lost its list looks the
    // same, and it must not stand for a day.
    if listing.assignments.is_empty() {
        let _ = std::fs::remove_file(&path);
        return Ok(listing);
    }
    if let Err(err) = listing.save(&path) {
        eprintln!(
            "ssokey: warning: could not cache the listing in {}: {err}",
            path.display()
        );
    }
    Ok(listing)
}

/// A fresh listing from the portal; nothing is printed unless all of it came.
fn fetch(env: &Env, session: &Session, concurrency: usize) -> anyhow::Result<Listing> {
    let keychain = Keychain::open()?;
    let net = Net::new(&session.region).context("could not start the network runtime")?;
    let portal = PortalClient::without_retries(&net.config);
    let (result, _) = auth::with_access_token(env, &keychain, session, &net, |token| {
        net.block_on(listing::fetch(&portal, &token.access_token, concurrency))
    })?;
    let (accounts, roles) = result
        .map_err(|err| auth::signed_out_if_unauthorized(session, err))
        .context("could not list the accounts and roles")?;
    Ok(Listing::new(oidc::now_epoch(), accounts, roles))
}
