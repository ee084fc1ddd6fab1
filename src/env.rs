//! The process environment, read once at start-up so that commands never
//! read `std::env` themselves.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context as _;

use crate::aws_config;

#[derive(Debug, Clone)]
pub struct Env {
    /// ssokey's own configuration directory (the remembered sessions).
    pub config_dir: PathBuf,
    /// ssokey's cache directory (lock files).
    pub cache_dir: PathBuf,
    /// The AWS config file: `AWS_CONFIG_FILE`, or `~/.aws/config`.
    pub aws_config_file: PathBuf,
    pub stderr_is_terminal: bool,
    /// Whether stdout may carry colour: a terminal, and `NO_COLOR` unset or empty.
    pub stdout_color: bool,
    /// `AWS_PROFILE`: the target when no other is given.
    pub aws_profile: Option<String>,
    /// Whether the fast tier may serve cached role credentials
    /// (`SSOKEY_FAST_TIER=off` turns it off: for measuring, or by choice).
    pub fast_tier: bool,
    /// The target of the `ssokey exec` that this process runs inside, if any.
    pub exec_target: Option<String>,
}

/// Set by `ssokey exec` in the command's environment, to notice nesting.
pub const EXEC_TARGET_VAR: &str = "SSOKEY_EXEC_TARGET";

impl Env {
    pub fn from_process() -> anyhow::Result<Self> {
        let home = dirs::home_dir().context("cannot find your home directory (set HOME)")?;
        let config_dir = dirs::config_dir()
            .unwrap_or_else(|| home.join(".config"))
            .join("ssokey");
        let cache_dir = dirs::cache_dir()
            .unwrap_or_else(|| home.join(".cache"))
            .join("ssokey");
        let aws_config_file =
            aws_config::config_path(std::env::var_os("AWS_CONFIG_FILE").as_deref(), &home);
        let stderr_is_terminal = std::io::stderr().is_terminal();
        let non_empty = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Ok(Self {
            config_dir,
            cache_dir,
            aws_config_file,
            stderr_is_terminal,
            stdout_color: std::io::stdout().is_terminal() && non_empty("NO_COLOR").is_none(),
            aws_profile: non_empty("AWS_PROFILE"),
            exec_target: non_empty(EXEC_TARGET_VAR),
            fast_tier: !non_empty("SSOKEY_FAST_TIER").is_some_and(|v| {
                matches!(
                    v.to_ascii_lowercase().as_str(),
                    "0" | "off" | "false" | "no"
                )
            }),
        })
    }

    /// The name of the parent process (the shell that runs ssokey, usually).
    pub fn parent_process() -> Option<String> {
        parent_process()
    }
}

#[cfg(target_os = "linux")]
fn parent_process() -> Option<String> {
    let ppid = std::os::unix::process::parent_id();
    let comm = std::fs::read_to_string(format!("/proc/{ppid}/comm")).ok()?;
    Some(comm.trim().to_owned())
}

#[cfg(all(unix, not(target_os = "linux")))]
fn parent_process() -> Option<String> {
    let ppid = std::os::unix::process::parent_id();
    let out = std::process::Command::new("ps")
        .args(["-o", "comm=", "-p", &ppid.to_string()])
        .output()
        .ok()?;
    let name = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!name.is_empty()).then_some(name)
}

#[cfg(not(unix))]
fn parent_process() -> Option<String> {
    None
}
