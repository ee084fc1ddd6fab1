//! `ssokey profiles`: one AWS config profile per assigned role, written in
//! place without touching a byte of what ssokey does not manage.

use std::process::ExitCode;

use super::config_edit;
use crate::cli::ProfilesArgs;
use crate::config_file::ConfigFile;
use crate::context::Context;
use crate::listing;
use crate::profiles::{self, ProfilesError};
use crate::session;

pub fn run(
    ctx: &Context,
    session_flag: Option<&str>,
    args: &ProfilesArgs,
) -> anyhow::Result<ExitCode> {
    let request = session::SessionSpec::named(session_flag);
    let session = session::resolve_for(ctx, &request)?;
    let path = &ctx.aws_config_file;
    let original = config_edit::read(path)?;
    let mut config = ConfigFile::parse(&original).map_err(|err| err.in_file(path))?;
    let template = args.name.as_deref().unwrap_or(profiles::DEFAULT_TEMPLATE);
    let listing = listing::obtain(
        ctx,
        &session,
        args.listing.refresh,
        args.listing.concurrency,
    )?;

    let existing = profiles::Existing::read(&config, &session.name);
    let (planned, notes) =
        profiles::plan(&listing.assignments, template, &session.name, &existing)?;
    for note in &notes {
        crate::ui::note(format_args!("{note}"));
    }

    let setting = config
        .sso_session(&session.name)
        .and_then(|section| section.profile_region);
    let (region, source) =
        profiles::region(args.region.as_deref(), setting.as_deref(), &session.region);
    let mut added = 0;
    let mut updated = 0;
    for profile in &planned {
        let existed = existing.ours.contains_key(&profile.name);
        // Without --region, a region already in one of ours stays.
        let kept = (existed && args.region.is_none())
            .then(|| config.profile(&profile.name))
            .flatten()
            .and_then(|written| written.get("region").map(str::to_owned));
        let keys = profiles::keys(
            &profile.name,
            profile.assignment,
            &session.name,
            Some(kept.as_deref().unwrap_or(region)),
        );
        let keys: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if config.upsert_profile(&profile.name, &keys) {
            if existed {
                updated += 1;
            } else {
                added += 1;
            }
        }
    }
    let stale = profiles::stale(&existing, &listing.assignments);
    // An empty listing may be a portal answer that lost its list; removing
    // every profile on its word would be a loss that no --refresh undoes.
    if args.prune && listing.assignments.is_empty() && !stale.is_empty() {
        return Err(ProfilesError::NothingListed {
            session: session.name.clone(),
            count: stale.len(),
        }
        .into());
    }
    let removed = prune_or_note(&mut config, &stale, args.prune);

    let text = config.to_string();
    let summary = format!(
        "{} profiles for '{}' in region {region} ({}): {added} to add, {updated} to update, {removed} to remove",
        planned.len(),
        session.name,
        source.describe(&session.name)
    );
    if text == original {
        crate::ui::say(format_args!(
            "{} profiles for '{}' in {} are up to date.",
            planned.len(),
            session.name,
            path.display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    if !args.write {
        let diff = config_edit::diff(path, &original, &text, "with ssokey's profiles");
        crate::output::print(&diff)?;
        crate::ui::say(format_args!("{summary}; run with --write to apply."));
        return Ok(ExitCode::SUCCESS);
    }
    config_edit::write(ctx, &original, &text)?;
    crate::ui::say(format_args!("{summary}: written to {}.", path.display()));
    Ok(ExitCode::SUCCESS)
}

/// Removes the stale profiles with `prune`, else says what each is and how
/// to remove it. Returns how many were removed.
fn prune_or_note(config: &mut ConfigFile, stale: &[&str], prune: bool) -> usize {
    let mut removed = 0;
    for name in stale {
        if prune {
            if config.remove_profile(name) {
                removed += 1;
            }
        } else if profiles::is_reserved(name) {
            crate::ui::note(format_args!(
                "the profile '{name}', which an older ssokey wrote, is the one the AWS CLI uses \
                 for every command without --profile; --prune removes it"
            ));
        } else {
            crate::ui::note(format_args!(
                "the profile '{name}' names a role that is no longer assigned; --prune removes it"
            ));
        }
    }
    removed
}
