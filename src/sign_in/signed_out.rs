//! The mark that an explicit `ssokey logout` leaves: a person who signed out
//! meant it, so auto sign-in stays off for the session until `ssokey login`.
//! A small file in the cache dir, next to the cool-down, with no secret in
//! it; `ssokey login` deletes it. An ended sign-in that the user did not end
//! (the portal's) leaves no mark, so auto sign-in still renews it.

use crate::context::Context;
use crate::store::{files, paths};

/// Whether the user signed out of the session with `ssokey logout`.
pub fn is_marked(ctx: &Context, session: &str) -> bool {
    paths::signed_out(&ctx.cache_dir, session).exists()
}

/// Marks the session as signed out by the user. Best effort, like the
/// cool-down: a cache dir that cannot be written loses only the mark.
pub fn mark(ctx: &Context, session: &str) {
    let path = paths::signed_out(&ctx.cache_dir, session);
    if let Err(err) = files::write_private(&path, b"signed out with ssokey logout\n") {
        tracing::debug!(path = %path.display(), %err, "could not mark the sign-out");
    }
}

/// Deletes the mark: the user signs in again.
pub fn clear(ctx: &Context, session: &str) {
    let path = paths::signed_out(&ctx.cache_dir, session);
    match std::fs::remove_file(&path) {
        Ok(()) => tracing::debug!(session, "auto sign-in is on again after the sign-out"),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => {
            tracing::debug!(path = %path.display(), %err, "could not delete the sign-out mark");
        }
    }
}
