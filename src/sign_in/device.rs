//! The device-code sign-in (RFC 8628): show the code and the page, then poll
//! CreateToken at the portal's pace until the user approves, refuses, or the
//! code's lifetime runs out.

use std::time::Instant;

use anyhow::Context as _;

use super::flow::{How, SignInError, ctrl_c, open_browser, spinner};
use crate::aws::net::Net;
use crate::aws::oidc::{self, OidcClient, OidcError, Poll, Registration};
use crate::context::Context;
use crate::session::Session;

pub(super) fn sign_in(
    ctx: &Context,
    session: &Session,
    net: &Net,
    client: &OidcClient,
    registration: &Registration,
    how: How,
) -> anyhow::Result<oidc::Granted> {
    let authorization = net
        .block_on(client.start_device_authorization(registration, &session.start_url))
        .context("could not start the sign-in")?;
    crate::ui::say(format_args!(
        "Signing in to '{}' ({}, {}) with a device code.",
        session.name, session.start_url, session.region
    ));
    crate::ui::say_emphasised(
        "Open this URL in a browser and check that it shows the code ",
        &authorization.user_code,
        ":",
    );
    crate::ui::say(format_args!(
        "  {}",
        authorization.verification_uri_complete
    ));
    crate::ui::say(format_args!(
        "(or go to {} and enter the code there)",
        authorization.verification_uri
    ));
    // Kept until the sign-in ends: the browser reads it meanwhile.
    let _page = how
        .open_browser
        .then(|| {
            open_browser(
                &ctx.pages_dir,
                ctx.browser_var.as_deref(),
                &authorization.verification_uri_complete,
            )
        })
        .and_then(|opened| {
            opened
                .inspect_err(|err| {
                    crate::ui::warning(format_args!(
                        "could not open a browser ({err}); open the URL above yourself"
                    ));
                })
                .ok()
        });
    poll(
        ctx,
        net,
        client,
        registration,
        &authorization,
        how.catch_ctrl_c,
    )
}

/// Polls CreateToken at the server's pace until the user approves, refuses,
/// or the code's lifetime runs out.
fn poll(
    ctx: &Context,
    net: &Net,
    client: &OidcClient,
    registration: &Registration,
    authorization: &oidc::DeviceAuthorization,
    catch_ctrl_c: bool,
) -> anyhow::Result<oidc::Granted> {
    let deadline = Instant::now() + authorization.expires_in;
    let spinner = spinner(
        ctx.stderr_is_terminal,
        "Waiting for approval in the browser (Ctrl-C to cancel)...",
    );
    let result = net.block_on(async {
        let mut interval = oidc::next_interval(authorization.interval, &Poll::Pending);
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(OidcError::DeviceCodeExpired.into());
            }
            tokio::select! {
                () = tokio::time::sleep(interval.min(deadline - now)) => {}
                () = ctrl_c(catch_ctrl_c) => return Err(anyhow::Error::new(SignInError::Cancelled)),
            }
            match client.poll(registration, &authorization.device_code).await {
                Ok(Poll::Granted(granted)) => return Ok(granted),
                Ok(poll) => interval = oidc::next_interval(interval, &poll),
                Err(err) => return Err(anyhow::Error::new(err)),
            }
        }
    });
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    result.context("the sign-in did not complete")
}
