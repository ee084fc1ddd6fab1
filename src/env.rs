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
}

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
        Ok(Self {
            config_dir,
            cache_dir,
            aws_config_file,
            stderr_is_terminal,
        })
    }
}
