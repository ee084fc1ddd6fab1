//! `ssokey list`: the accounts and roles assigned to the user.

use std::process::ExitCode;

use crate::cli::{ListArgs, Output};
use crate::context::Context;
use crate::listing::{self};
use crate::output::render;
use crate::session::{self};
use crate::sign_in::auto;

pub fn run(ctx: &Context, session_flag: Option<&str>, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let request = session::SessionSpec::named(session_flag);
    let session = session::resolve_for(ctx, &request)?;
    let listing = auto::retry(ctx, "list", || {
        listing::obtain(
            ctx,
            &session,
            args.listing.refresh,
            args.listing.concurrency,
        )
    })?;
    let rows = listing.filter(args.pattern.as_deref());
    let out = match args.output {
        Output::Json => render::json(&rows)?,
        Output::Table => {
            if rows.is_empty() {
                crate::ui::say(if listing.assignments.is_empty() {
                    "No roles are assigned to you."
                } else {
                    "No role matches."
                });
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
                if ctx.stdout_color {
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
