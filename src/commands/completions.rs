//! `ssokey completions SHELL`: the completion script, generated from the
//! command line's definition (the same scripts stand in `completions/`).

use std::process::ExitCode;

use clap_complete::Shell;

pub fn run(shell: Shell) -> anyhow::Result<ExitCode> {
    crate::output::print(&script(shell))?;
    Ok(ExitCode::SUCCESS)
}

/// The completion script for `shell`: it asks `ssokey` for the candidates,
/// so that account, role, session and profile names complete too.
pub fn script(shell: Shell) -> String {
    crate::output::complete::registration(shell)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed scripts in completions/ are what the code generates now;
    /// after a change to the command line, regenerate them with
    /// `SSOKEY_BLESS=1 cargo test completions`.
    #[test]
    fn committed_completions_are_current() {
        for (shell, file) in [
            (Shell::Bash, "ssokey.bash"),
            (Shell::Zsh, "_ssokey"),
            (Shell::Fish, "ssokey.fish"),
            (Shell::PowerShell, "_ssokey.ps1"),
            (Shell::Elvish, "ssokey.elv"),
        ] {
            crate::store::files::assert_generated("completions", file, &script(shell));
        }
    }
}
