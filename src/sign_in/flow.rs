//! How a sign-in reaches the user: the flow, chosen in one place for
//! `ssokey login` and for auto sign-in; the browser opener, the spinner and
//! Ctrl-C; and why a sign-in ended without a token.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

pub use crate::aws::oidc::Flow;
use crate::aws::oidc::OidcError;
use crate::browser::{self, BrowserError, Page};
use crate::context::Reach;
use crate::exit::{Exit, Reported};
use crate::secret::Secret;

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

/// Who asks for a sign-in, with what it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asker {
    /// `ssokey login`, with its flags.
    Login { device_code: bool, no_browser: bool },
    /// A command that signs in by itself; `terminal` says whether a device
    /// code could be shown to the user.
    Auto { terminal: bool },
}

/// Pure: the one choice of flow. `ssokey login` uses the browser (PKCE)
/// where one can open and no flag asks for the device code, else the device
/// code. Auto sign-in uses the browser where one can open, else a device
/// code on a terminal, else nothing (`None`): nobody can be reached.
pub fn choose(reach: Reach, asker: Asker) -> Option<How> {
    match asker {
        Asker::Login {
            device_code,
            no_browser,
        } => Some(How {
            flow: if device_code || no_browser || !reach.browser {
                Flow::DeviceCode
            } else {
                Flow::Pkce
            },
            // Over SSH or without a display, a browser would open where the
            // user is not: the code and the URL are printed alone.
            open_browser: !no_browser && reach.browser,
            catch_ctrl_c: false,
        }),
        Asker::Auto { terminal } => {
            let flow = if reach.browser {
                Flow::Pkce
            } else if terminal {
                Flow::DeviceCode
            } else {
                return None;
            };
            Some(How {
                flow,
                open_browser: false,
                catch_ctrl_c: true,
            })
        }
    }
}

/// Opens `url` in the browser (`BROWSER`, else the system's) through a
/// private page ([`browser`]): the page goes when the returned value is
/// dropped. `Err` says why it could not.
pub(super) fn open_browser(
    pages_dir: &std::path::Path,
    browser_var: Option<&str>,
    url: &str,
) -> Result<Page, BrowserError> {
    browser::open(&Secret::new(url), pages_dir, browser_var)
}

/// Waits for Ctrl-C when `catch` is set; else never completes, and Ctrl-C
/// keeps its default effect.
pub(super) async fn ctrl_c(catch: bool) {
    if catch && tokio::signal::ctrl_c().await.is_ok() {
        return;
    }
    std::future::pending::<()>().await;
}

/// A spinner on stderr while the sign-in waits, where stderr is a terminal.
pub(super) fn spinner(stderr_is_terminal: bool, message: &'static str) -> Option<ProgressBar> {
    if !stderr_is_terminal {
        return None;
    }
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.set_message(message);
    spinner.enable_steady_tick(Duration::from_millis(100));
    Some(spinner)
}

impl Reported for SignInError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            SignInError::Cancelled | SignInError::Refused(_) | SignInError::NoCode => {
                "run ssokey login again and approve the sign-in in the browser".to_owned()
            }
            SignInError::TimedOut(_) => "run ssokey login again and approve the sign-in in the browser; on a machine whose browser cannot reach this one, sign in with: ssokey login --device-code".to_owned(),
        })
    }
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let login_flow = |device_code, no_browser, reach| {
            choose(
                reach,
                Asker::Login {
                    device_code,
                    no_browser,
                },
            )
            .map(|how| how.flow)
            .unwrap()
        };
        assert_eq!(login_flow(false, false, browser), Flow::Pkce);
        assert_eq!(login_flow(true, false, browser), Flow::DeviceCode);
        assert_eq!(login_flow(false, true, browser), Flow::DeviceCode);
        assert_eq!(login_flow(false, false, none), Flow::DeviceCode);
    }

    #[test]
    fn the_browser_comes_first_then_the_terminal_then_nothing() {
        let auto =
            |browser, terminal| choose(Reach { browser, ci: false }, Asker::Auto { terminal });
        assert_eq!(auto(true, false).map(|h| h.flow), Some(Flow::Pkce));
        assert_eq!(auto(true, true).map(|h| h.flow), Some(Flow::Pkce));
        assert_eq!(auto(false, true).map(|h| h.flow), Some(Flow::DeviceCode));
        assert!(auto(false, false).is_none());
        assert!(auto(true, false).is_some_and(|h| h.catch_ctrl_c));
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
