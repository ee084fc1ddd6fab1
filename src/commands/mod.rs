//! One module per subcommand, and what they share: the config file and the session.

mod completions;
mod credentials;
mod doctor;
mod list;
mod login;
mod logout;
mod profiles;
mod status;

use std::process::ExitCode;

use crate::aws_config::{self, ConfigFile};
use crate::cli::{Cli, Command};
use crate::env::Env;
use crate::session::{self, Session, State};

pub fn run(cli: Cli, env: &Env) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Login(args) => login::run(env, cli.session, &args),
        Command::Logout(args) => logout::run(env, cli.session.as_deref(), &args),
        Command::Status(args) => status::run(env, cli.session.as_deref(), &args),
        Command::List(args) => list::run(env, cli.session.as_deref(), &args),
        Command::Profiles(args) => profiles::run(env, cli.session.as_deref(), &args),
        Command::Env(args) => credentials::env(env, cli.session.as_deref(), &args),
        Command::CredentialProcess(args) => {
            credentials::credential_process(env, cli.session.as_deref(), &args)
        }
        Command::Exec(args) => credentials::exec(env, cli.session.as_deref(), &args),
        Command::Doctor(args) => doctor::run(env, cli.session.as_deref(), &args),
        Command::Completions(args) => completions::run(args.shell),
    }
}

/// The AWS config file, or `None` when there is none.
fn load_config(env: &Env) -> anyhow::Result<Option<ConfigFile>> {
    Ok(aws_config::load(&env.aws_config_file)?)
}

/// The AWS config file, read at most once per command, and only if asked for.
pub struct LazyConfig<'e> {
    env: &'e Env,
    file: std::cell::OnceCell<Option<ConfigFile>>,
}

impl<'e> LazyConfig<'e> {
    pub fn new(env: &'e Env) -> Self {
        Self {
            env,
            file: std::cell::OnceCell::new(),
        }
    }

    /// The config file, or `None` when there is none.
    pub fn get(&self) -> anyhow::Result<Option<&ConfigFile>> {
        if let Some(file) = self.file.get() {
            return Ok(file.as_ref());
        }
        let file = load_config(self.env)?;
        Ok(self.file.get_or_init(|| file).as_ref())
    }
}

/// The session a command means, with the config file and state it came from.
fn resolve_session(env: &Env, request: &session::Request) -> anyhow::Result<(Session, State)> {
    resolve_session_with(env, request, &LazyConfig::new(env))
}

/// [`resolve_session`] with a config file that the command may have read already.
fn resolve_session_with(
    env: &Env,
    request: &session::Request,
    config: &LazyConfig,
) -> anyhow::Result<(Session, State)> {
    // A start URL on the command line says it all, but the session name taken
    // from it must not contradict the file: that check reads the file at its
    // best, so that a damaged file never blocks a sign-in given in full.
    let config = if request.start_url.is_some() && request.session.is_none() {
        config.get().ok().flatten()
    } else {
        config.get()?
    };
    let state = State::load(&env.config_dir);
    let session = session::resolve(
        request,
        config,
        &env.aws_config_file.display().to_string(),
        &state,
    )?;
    tracing::debug!(
        session = session.name,
        start_url = session.start_url,
        region = session.region,
        origin = ?session.origin,
        "session"
    );
    Ok((session, state))
}
