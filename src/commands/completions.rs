//! `ssokey completions SHELL`: the completion script, generated from the
//! command line's definition (the same scripts stand in `completions/`),
//! printed, or with `--install` written where the shell reads it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap_complete::Shell;

use crate::cli::CompletionsArgs;
use crate::context::Context;
use crate::exit::Exit;

pub fn run(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    if !args.install {
        crate::output::print(&script(args.shell))?;
        return Ok(ExitCode::SUCCESS);
    }
    let home = dirs::home_dir().context("cannot find your home directory (set HOME)")?;
    let Some(place) = install_path(args.shell, &home, &Variables::read()) else {
        crate::ui::error(
            &format!("--install knows bash, zsh and fish, not {}", args.shell),
            Some(&format!(
                "add the script to the shell's profile yourself, e.g.: ssokey completions {} >> $PROFILE",
                args.shell
            )),
        );
        return Ok(Exit::Usage.into());
    };
    if let Some(dir) = place.file.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
    }
    std::fs::write(&place.file, script(args.shell))
        .with_context(|| format!("could not write {}", place.file.display()))?;
    crate::ui::say(format_args!(
        "Wrote the {} completion script to {}.",
        args.shell,
        place.file.display()
    ));
    match args.shell {
        Shell::Bash if !bash_completion_installed() => crate::ui::say(
            "bash loads it through the bash-completion package, which is not installed here: \
             install it (apt install bash-completion, dnf install bash-completion, \
             brew install bash-completion@2), then open a new shell.",
        ),
        Shell::Zsh if !zshrc_names(&home, &place.file) => crate::ui::say(format_args!(
            "Add this line to ~/.zshrc, before compinit, then open a new shell:\n  fpath+=({})",
            place.file.parent().unwrap_or(Path::new("~")).display()
        )),
        _ => crate::ui::say("Open a new shell to use it."),
    }
    Ok(ExitCode::SUCCESS)
}

/// The variables that decide where a shell reads completion scripts.
#[derive(Debug, Default)]
pub struct Variables {
    pub xdg_data_home: Option<String>,
    pub xdg_config_home: Option<String>,
    pub bash_completion_user_dir: Option<String>,
}

impl Variables {
    fn read() -> Self {
        Self {
            xdg_data_home: Context::var("XDG_DATA_HOME"),
            xdg_config_home: Context::var("XDG_CONFIG_HOME"),
            bash_completion_user_dir: Context::var("BASH_COMPLETION_USER_DIR"),
        }
    }
}

/// Where `--install` writes a shell's script.
#[derive(Debug, PartialEq, Eq)]
pub struct Place {
    pub file: PathBuf,
}

/// Pure: where the shell reads ssokey's completion script; `None` for the
/// shells whose script goes into a profile file instead. bash: what
/// bash-completion loads on demand, `${BASH_COMPLETION_USER_DIR:-
/// ${XDG_DATA_HOME:-~/.local/share}/bash-completion}/completions/ssokey`;
/// zsh: `~/.zfunc/_ssokey` (a directory to put on fpath); fish:
/// `${XDG_CONFIG_HOME:-~/.config}/fish/completions/ssokey.fish`. A relative
/// XDG value is ignored, as the XDG spec says.
pub fn install_path(shell: Shell, home: &Path, vars: &Variables) -> Option<Place> {
    let absolute = |value: &Option<String>| {
        value
            .as_deref()
            .filter(|v| Path::new(v).is_absolute())
            .map(PathBuf::from)
    };
    let file = match shell {
        Shell::Bash => absolute(&vars.bash_completion_user_dir)
            .unwrap_or_else(|| {
                absolute(&vars.xdg_data_home)
                    .unwrap_or_else(|| home.join(".local/share"))
                    .join("bash-completion")
            })
            .join("completions/ssokey"),
        Shell::Zsh => home.join(".zfunc/_ssokey"),
        Shell::Fish => absolute(&vars.xdg_config_home)
            .unwrap_or_else(|| home.join(".config"))
            .join("fish/completions/ssokey.fish"),
        _ => return None,
    };
    Some(Place { file })
}

/// Whether bash-completion, which loads user scripts on demand, is there.
fn bash_completion_installed() -> bool {
    [
        "/usr/share/bash-completion/bash_completion",
        "/etc/bash_completion",
        "/usr/local/share/bash-completion/bash_completion",
        "/opt/homebrew/share/bash-completion/bash_completion",
    ]
    .iter()
    .any(|path| Path::new(path).exists())
}

/// Whether ~/.zshrc already puts the script's directory on fpath.
fn zshrc_names(home: &Path, file: &Path) -> bool {
    let Some(dir) = file.parent().and_then(Path::file_name) else {
        return false;
    };
    std::fs::read_to_string(home.join(".zshrc")).is_ok_and(|rc| {
        rc.lines()
            .any(|line| line.contains("fpath") && line.contains(&*dir.to_string_lossy()))
    })
}

/// The completion script for `shell`: it asks `ssokey` for the candidates,
/// so that account, role, session and profile names complete too.
pub fn script(shell: Shell) -> String {
    crate::output::complete::registration(shell)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shell_gets_the_place_it_reads() {
        let home = Path::new("/h");
        let none = Variables::default();
        let at = |shell, vars: &Variables| install_path(shell, home, vars).map(|p| p.file);
        assert_eq!(
            at(Shell::Bash, &none).unwrap(),
            Path::new("/h/.local/share/bash-completion/completions/ssokey")
        );
        assert_eq!(
            at(Shell::Zsh, &none).unwrap(),
            Path::new("/h/.zfunc/_ssokey")
        );
        assert_eq!(
            at(Shell::Fish, &none).unwrap(),
            Path::new("/h/.config/fish/completions/ssokey.fish")
        );
        assert_eq!(at(Shell::PowerShell, &none), None);
        let set = Variables {
            xdg_data_home: Some("/d".into()),
            xdg_config_home: Some("relative".into()),
            bash_completion_user_dir: None,
        };
        assert_eq!(
            at(Shell::Bash, &set).unwrap(),
            Path::new("/d/bash-completion/completions/ssokey")
        );
        assert_eq!(
            at(Shell::Fish, &set).unwrap(),
            Path::new("/h/.config/fish/completions/ssokey.fish")
        );
        let user_dir = Variables {
            bash_completion_user_dir: Some("/b".into()),
            ..set
        };
        assert_eq!(
            at(Shell::Bash, &user_dir).unwrap(),
            Path::new("/b/completions/ssokey")
        );
    }

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
