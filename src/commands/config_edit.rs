//! The AWS config file as commands change it: read whole, shown as a diff,
//! and replaced with a backup of what it held. Shared by `profiles` and the
//! setup that `login` offers, so that both show and write it alike.

use std::path::Path;

use anyhow::Context as _;

use crate::config_file;
use crate::context::Context;
use crate::profiles::ProfilesError;
use crate::store::files;

/// The file's text; a missing file is an empty one.
pub fn read(path: &Path) -> anyhow::Result<String> {
    match config_file::load(path)? {
        Some(config) => Ok(config.to_string()),
        None => Ok(String::new()),
    }
}

/// The unified diff from `original` to `text`, its second header naming
/// what was added (`with`). The file's lines are shown to be read: escaped
/// as all text from elsewhere is.
pub fn diff(path: &Path, original: &str, text: &str, with: &str) -> String {
    let diff = similar::TextDiff::from_lines(original, text)
        .unified_diff()
        .context_radius(3)
        .header(
            &path.display().to_string(),
            &format!("{} ({with})", path.display()),
        )
        .to_string();
    crate::ui::escape_lines(&diff).into_owned()
}

/// Writes `text` over the AWS config file, which held `original`: `~/.aws`
/// is made as the AWS CLI would make it; a directory that `AWS_CONFIG_FILE`
/// names must exist, since a typo there should not make a tree.
pub fn write(ctx: &Context, original: &str, text: &str) -> anyhow::Result<()> {
    let path = &ctx.aws_config_file;
    if ctx.aws_config_file_is_default
        && let Some(dir) = path.parent()
        && !dir.exists()
    {
        files::create_private_dir(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
    }
    replace(path, original, text)
}

/// Replaces the file atomically, keeping its permissions (a new one is 0600)
/// and one backup of the previous contents beside it.
fn replace(path: &Path, original: &str, text: &str) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(ProfilesError::NoDirectory {
            path: path.to_owned(),
            dir: dir.to_owned(),
        }
        .into());
    }
    if let Ok(metadata) = std::fs::metadata(path) {
        if metadata.permissions().readonly() {
            return Err(ProfilesError::ReadOnly(path.to_owned()).into());
        }
        // Replaced, never written through: a symlink planted at the backup's
        // name must not lead ssokey to overwrite the file it points to.
        let backup = backup_path(path);
        files::replace_with_permissions(&backup, original.as_bytes(), metadata.permissions())
            .with_context(|| format!("could not write the backup {}", backup.display()))?;
    }
    files::replace_keeping_mode(path, text.as_bytes())
        .with_context(|| format!("could not write {}", path.display()))
}

/// Where the previous contents of the file at `path` are kept.
pub fn backup_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".ssokey-backup");
    path.with_file_name(name)
}
