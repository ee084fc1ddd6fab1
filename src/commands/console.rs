//! `ssokey console`: the AWS console in the browser, signed in as a role,
//! with role credentials from the same cache as `credential-process`.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::ConsoleArgs;
use crate::commands::target;
use crate::console::{self, ConsoleError, Destination};
use crate::context::Context;
use crate::fetch;

/// How long `console` waits for the browser to come for the sign-in URL.
const BROWSER_WAIT: std::time::Duration = std::time::Duration::from_mins(2);

pub fn run(
    ctx: &Context,
    session_flag: Option<&str>,
    args: &ConsoleArgs,
) -> anyhow::Result<ExitCode> {
    let destination =
        Destination::from_flags(args.service.as_deref(), args.destination.as_deref())?;
    // Decided as a sign-in decides it, before any credential is fetched.
    if !args.print && !ctx.reach().browser {
        return Err(ConsoleError::NoBrowser(
            "no browser can open here (over SSH, or no display)".to_owned(),
        )
        .into());
    }
    let wanted = target::wanted(ctx, session_flag, &args.target, "console", true)?;
    let (role_credentials, label) = fetch::credentials(
        ctx,
        session_flag,
        &wanted,
        &target::options(&args.cache),
        "console",
    )?;
    let session = fetch::session_of(ctx, session_flag, &wanted)?;
    let region = args
        .region
        .clone()
        .or_else(|| {
            target::profile(ctx, &args.target).and_then(|name| fetch::profile_region(ctx, name))
        })
        .or_else(|| ctx.aws_region.clone())
        .unwrap_or_else(|| console::DEFAULT_REGION.to_owned());
    // The region names the sign-in host that gets the credentials: only a
    // region's name may (a value such as 127.0.0.1:PORT/x? would send them
    // elsewhere).
    crate::start_url::validate_region(&region)
        .map_err(|_| ConsoleError::BadRegion(region.clone()))?;
    let endpoint = console::endpoint(&region, &ctx.federation_endpoints);
    tracing::debug!(%endpoint, %region, "asking for a sign-in token");
    let policy = ctx.http_policy(session.section())?;
    let runtime = crate::aws::sdk::runtime().context("could not start the network runtime")?;
    let token = runtime.block_on(crate::aws::federation::signin_token(
        &policy,
        &console::signin_token_url(&endpoint, &role_credentials),
    ))?;
    let url = console::login_url(
        &endpoint,
        &session.start_url,
        &destination.url(&region),
        &token,
    );
    if args.print {
        crate::output::print(&format!("{}\n", url.expose()))?;
        return Ok(ExitCode::SUCCESS);
    }
    crate::ui::say(format_args!(
        "Opening the AWS console as {label} in the browser."
    ));
    crate::browser::hand_off(
        &url,
        &ctx.pages_dir,
        ctx.browser_var.as_deref(),
        BROWSER_WAIT,
    )
    .map_err(|err| ConsoleError::NoBrowser(err.to_string()))?;
    Ok(ExitCode::SUCCESS)
}
