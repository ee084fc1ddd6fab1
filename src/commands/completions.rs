//! `ssokey completions SHELL`: the completion script, generated from the
//! command line's definition (the same scripts stand in `completions/`).

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

pub fn run(shell: Shell) -> anyhow::Result<ExitCode> {
    crate::output::print(&script(shell))?;
    Ok(ExitCode::SUCCESS)
}

/// The completion script for `shell`.
pub fn script(shell: Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "ssokey", &mut out);
    String::from_utf8(out).expect("completion scripts are UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed scripts in completions/ are what the code generates now;
    /// after a change to the command line, regenerate them with
    /// `SSOKEY_BLESS=1 cargo test completions`.
    #[test]
    fn committed_completions_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
        let bless = std::env::var_os("SSOKEY_BLESS").is_some();
        for (shell, file) in [
            (Shell::Bash, "ssokey.bash"),
            (Shell::Zsh, "_ssokey"),
            (Shell::Fish, "ssokey.fish"),
            (Shell::PowerShell, "_ssokey.ps1"),
            (Shell::Elvish, "ssokey.elv"),
        ] {
            let path = dir.join(file);
            let expected = script(shell);
            if bless {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &expected).unwrap();
            }
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                committed == expected,
                "{} is out of date: run SSOKEY_BLESS=1 cargo test completions",
                path.display()
            );
        }
    }
}
