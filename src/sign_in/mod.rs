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
mod pkce;

use anyhow::Context as _;

use crate::auth;
pub use crate::aws::oidc::Flow;
use crate::aws::oidc::{self, OidcClient, OidcError, Registration, Token};
use crate::aws::sdk::Net;
use crate::clock;
use crate::context::Context;
use crate::session::Session;
use crate::store::keychain::{Keychain, KeychainError};
use crate::store::keys;

/// What the machine offers to reach the user with a browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    /// A browser can open here: the PKCE sign-in is possible.
    pub browser: bool,
    /// `CI` says this is a CI job: nobody is there to sign in, whatever
    /// the machine could open (a Windows or macOS runner opens browsers).
    pub ci: bool,
}

impl Reach {
    pub fn from_process() -> Self {
        let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
        Self {
            browser: browser_can_open(
                Os::current(),
                set("BROWSER"),
                set("DISPLAY") || set("WAYLAND_DISPLAY") || set("WSL_DISTRO_NAME"),
                set("SSH_CONNECTION") || set("SSH_TTY"),
            ),
            ci: is_ci(std::env::var("CI").ok().as_deref()),
        }
    }
}

/// Pure: whether `CI` says this is a CI job (GitHub Actions, GitLab CI and
/// most others set `CI=true`).
pub fn is_ci(value: Option<&str>) -> bool {
    value.is_some_and(|value| {
        let value = value.trim();
        !value.is_empty() && !matches!(value.to_ascii_lowercase().as_str(), "0" | "false" | "no")
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    MacOs,
    Windows,
    /// Linux and the other Unixes: a browser needs a display.
    Other,
}

impl Os {
    fn current() -> Self {
        if cfg!(target_os = "macos") {
            Os::MacOs
        } else if cfg!(windows) {
            Os::Windows
        } else {
            Os::Other
        }
    }
}

/// Pure: whether ssokey can open a browser on this machine. `BROWSER` says
/// so; else not over SSH; else always on macOS and Windows, and with a
/// display (X11, Wayland, or WSL's Windows desktop) elsewhere.
pub fn browser_can_open(os: Os, browser_var: bool, display: bool, ssh: bool) -> bool {
    if browser_var {
        return true;
    }
    if ssh {
        return false;
    }
    match os {
        Os::MacOs | Os::Windows => true,
        Os::Other => display,
    }
}

/// Pure: the flow of `ssokey login`.
pub fn login_flow(device_code: bool, no_browser: bool, reach: Reach) -> Flow {
    if device_code || no_browser || !reach.browser {
        Flow::DeviceCode
    } else {
        Flow::Pkce
    }
}

/// How a sign-in talks to the user.
#[derive(Debug, Clone, Copy)]
pub struct How {
    pub flow: Flow,
    /// For the device code: open the verification page in a browser too.
    pub open_browser: bool,
    /// Catch Ctrl-C, so that a cancelled sign-in is known as one (auto
    /// sign-ins start their cool-down then); else Ctrl-C ends ssokey.
    pub catch_ctrl_c: bool,
}

/// Why a sign-in did not end with a token.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the sign-in was cancelled")]
    Cancelled,
    #[error("nobody approved the sign-in within {} minutes", .0.as_secs() / 60)]
    TimedOut(std::time::Duration),
    #[error("the sign-in was refused in the browser: {0}")]
    Refused(String),
    #[error("the portal's answer to the browser held no code")]
    NoCode,
}

/// What the user's no was, when a failure is one (refused, not approved in
/// time, cancelled): auto sign-in cools down after it.
pub fn users_no(err: &anyhow::Error) -> Option<&'static str> {
    err.chain().find_map(|cause| {
        if let Some(err) = cause.downcast_ref::<SignInError>() {
            return Some(match err {
                SignInError::Cancelled => "cancelled",
                SignInError::TimedOut(_) => "not approved in time",
                SignInError::Refused(_) | SignInError::NoCode => "refused",
            });
        }
        match cause.downcast_ref::<OidcError>()? {
            OidcError::AccessDenied => Some("refused"),
            OidcError::DeviceCodeExpired => Some("not approved in time"),
            _ => None,
        }
    })
}

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
    crate::roles::forget(ctx, keychain, &session.name)
        .context("could not delete the credentials cached by the last sign-in")?;
    Ok(token)
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

/// Opens `url` in the browser (`BROWSER`, else the system's); `Err` says why not.
fn open_browser(url: &str) -> std::io::Result<()> {
    tracing::debug!("opening the browser");
    webbrowser::open(url)
}

/// Waits for Ctrl-C when `catch` is set; else never completes, and Ctrl-C
/// keeps its default effect.
async fn ctrl_c(catch: bool) {
    if catch && tokio::signal::ctrl_c().await.is_ok() {
        return;
    }
    std::future::pending::<()>().await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_opens_where_browser_says_or_a_desktop_is_and_not_over_ssh() {
        // BROWSER wins everywhere, SSH or not.
        for os in [Os::MacOs, Os::Windows, Os::Other] {
            assert!(browser_can_open(os, true, false, true));
        }
        assert!(browser_can_open(Os::MacOs, false, false, false));
        assert!(browser_can_open(Os::Windows, false, false, false));
        assert!(browser_can_open(Os::Other, false, true, false));
        assert!(!browser_can_open(Os::Other, false, false, false));
        // Over SSH without BROWSER: never, a forwarded display included.
        assert!(!browser_can_open(Os::MacOs, false, false, true));
        assert!(!browser_can_open(Os::Other, false, true, true));
    }

    #[test]
    fn login_uses_pkce_only_where_a_browser_can_open_and_no_flag_says_otherwise() {
        let browser = Reach {
            browser: true,
            ci: false,
        };
        let none = Reach {
            browser: false,
            ci: false,
        };
        assert_eq!(login_flow(false, false, browser), Flow::Pkce);
        assert_eq!(login_flow(true, false, browser), Flow::DeviceCode);
        assert_eq!(login_flow(false, true, browser), Flow::DeviceCode);
        assert_eq!(login_flow(false, false, none), Flow::DeviceCode);
    }

    #[test]
    fn ci_is_what_ci_systems_set() {
        assert!(is_ci(Some("true")));
        assert!(is_ci(Some("1")));
        assert!(!is_ci(None));
        assert!(!is_ci(Some("")));
        assert!(!is_ci(Some("false")));
        assert!(!is_ci(Some("0")));
    }

    #[test]
    fn the_users_no_is_told_apart_from_failures() {
        assert_eq!(
            users_no(&anyhow::Error::new(SignInError::Cancelled)),
            Some("cancelled")
        );
        assert_eq!(
            users_no(
                &anyhow::Error::new(OidcError::AccessDenied)
                    .context("the sign-in did not complete")
            ),
            Some("refused")
        );
        assert_eq!(users_no(&anyhow::Error::new(OidcError::InvalidGrant)), None);
        assert_eq!(users_no(&anyhow::anyhow!("network down")), None);
    }
}
