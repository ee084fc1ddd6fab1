//! `ssokey status`: every known session, whether it is signed in, and which
//! store keeps its tokens.

use std::process::ExitCode;

use serde::Serialize;

use crate::auth;
use crate::aws::oidc::Token;
use crate::cli::{Output, StatusArgs};
use crate::clock;
use crate::context::Context;
use crate::output::render;
use crate::session;
use crate::store::choice::{Kind, Preference};
use crate::store::kernel;
use crate::store::keychain::Keychain;
use crate::store::raw::KeychainError;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    session: String,
    start_url: String,
    region: String,
    /// A usable token is held, or one that renews silently.
    signed_in: bool,
    /// "signed-in", "renewable", "expired", "signed-out" or "damaged".
    state: &'static str,
    expires_at: Option<String>,
    /// The store that keeps its tokens: "secret-service", "kernel", "keychain"
    /// (macOS) or "credential-manager" (Windows).
    keychain: &'static str,
    /// How the sign-in was made: "pkce" or "device-code" (none when signed
    /// out, or signed in by an older ssokey).
    sign_in_flow: Option<&'static str>,
    #[serde(skip)]
    expires_epoch: Option<u64>,
    /// A refresh token renews the access token when it runs out.
    #[serde(skip)]
    renews: bool,
    last_used: bool,
}

pub fn run(
    ctx: &Context,
    session_flag: Option<&str>,
    args: &StatusArgs,
) -> anyhow::Result<ExitCode> {
    let mut sessions = session::known(ctx.config()?, ctx.sessions());
    if let Some(name) = session_flag {
        sessions.retain(|s| s.name == name);
    }
    let now = clock::now();
    let mut rows = Vec::with_capacity(sessions.len());
    // One store per choice: sessions may choose different ones.
    let mut keychains: Vec<(Preference, Keychain)> = Vec::new();
    for session in sessions {
        let choice = session.keychain_choice(ctx);
        let wanted = choice.wanted()?;
        let keychain = if let Some(i) = keychains.iter().position(|(w, _)| *w == wanted) {
            &keychains[i].1
        } else {
            keychains.push((wanted, Keychain::open(&choice)?));
            &keychains[keychains.len() - 1].1
        };
        let token = match auth::load_token(keychain, &session.name) {
            Ok(token) => Ok(token),
            // A damaged entry is a state to show; a keychain that fails is an error.
            Err(KeychainError::Corrupt { .. }) => Err(()),
            Err(err) => return Err(err.into()),
        };
        let kind = keychain.kind().unwrap_or(Kind::Native);
        let renews = token
            .as_ref()
            .is_ok_and(|token| token.as_ref().is_some_and(|t| t.refresh_token.is_some()));
        let flow = token
            .as_ref()
            .ok()
            .and_then(|token| token.as_ref()?.flow)
            .map(crate::aws::oidc::Flow::name);
        let (state_name, expires) = classify(token, now);
        rows.push(Row {
            last_used: ctx.sessions().last.as_deref() == Some(session.name.as_str()),
            session: session.name,
            start_url: session.start_url,
            region: session.region,
            signed_in: matches!(state_name, "signed-in" | "renewable"),
            state: state_name,
            expires_at: expires.map(render::rfc3339),
            keychain: kind.name(),
            sign_in_flow: flow,
            expires_epoch: expires,
            renews,
        });
    }
    let out = match args.output {
        Output::Json => render::json(&rows)?,
        Output::Table if rows.is_empty() => {
            crate::ui::say(
                "No session is known yet.\nhint: run: ssokey login --start-url https://NAME.awsapps.com/start --region REGION",
            );
            String::new()
        }
        Output::Table => table(&rows, now),
    };
    crate::output::print(&out)?;
    if args.output == Output::Table && rows.iter().any(|row| row.keychain == Kind::Kernel.name()) {
        // Said once, by doctor, and here only with -v: nothing is wrong.
        tracing::info!("{}", kernel::lifetime_note(kernel::expiry_secs()));
    }
    Ok(ExitCode::SUCCESS)
}

/// The state of a session's token: `Err` stands for a damaged entry.
fn classify(token: Result<Option<Token>, ()>, now: u64) -> (&'static str, Option<u64>) {
    match token {
        Ok(None) => ("signed-out", None),
        Err(()) => ("damaged", None),
        Ok(Some(token)) if token.is_usable(now) => ("signed-in", Some(token.expires_at)),
        Ok(Some(token)) if token.refresh_token.is_some() => ("renewable", Some(token.expires_at)),
        Ok(Some(token)) => ("expired", Some(token.expires_at)),
    }
}

fn table(rows: &[Row], now: u64) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let status = match (row.state, row.expires_epoch) {
                ("signed-in", Some(at)) if row.renews => {
                    format!("signed in, token renews {}", render::relative(at, now))
                }
                ("signed-in", Some(at)) => {
                    format!("signed in, expires {}", render::relative(at, now))
                }
                ("renewable", _) => "signed in, renews at next use".to_owned(),
                ("expired", Some(at)) => format!("expired {}", render::relative(at, now)),
                ("damaged", _) => "keychain entry damaged: sign in again".to_owned(),
                _ => "signed out".to_owned(),
            };
            let name = if row.last_used {
                format!("{} *", row.session)
            } else {
                row.session.clone()
            };
            vec![
                name,
                row.start_url.clone(),
                row.region.clone(),
                row.keychain.to_owned(),
                match row.sign_in_flow {
                    Some("pkce") => "browser",
                    Some(_) => "device code",
                    None => "-",
                }
                .to_owned(),
                status,
            ]
        })
        .collect();
    render::table(
        &[
            "SESSION",
            "START URL",
            "REGION",
            "KEYCHAIN",
            "SIGN-IN",
            "STATUS",
        ],
        &cells,
    )
}
