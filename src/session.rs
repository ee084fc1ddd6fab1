//! Which portal: `[sso-session]` sections of the AWS config file, and sessions
//! remembered from `--start-url`, with the session used last.

use crate::config_file::{ConfigFile, SsoSession};
use crate::context::Context;
use crate::exit::{Exit, Reported};
use crate::start_url::{StartUrl, StartUrlError, validate_region};
use crate::store::choice::{Choice, Setting};
use crate::store::sessions::{Remembered, Resolved, State};

/// The start URLs on custom domains looked up so far, by normal form.
type Lookups = std::collections::BTreeMap<String, Resolved>;

/// The scope that makes the portal issue refresh tokens.
pub const DEFAULT_SCOPE: &str = "sso:account:access";

/// A portal to sign in to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub name: String,
    pub start_url: String,
    pub region: String,
    pub scopes: Vec<String>,
    pub origin: Origin,
    /// `ssokey_keychain` of its `[sso-session]` section, as written: which
    /// store keeps its tokens (see [`crate::store::choice`]).
    pub keychain: Option<String>,
    /// `ssokey_auto_login` of its `[sso-session]` section, as written.
    pub auto_login: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// An `[sso-session]` section of the AWS config file.
    ConfigFile,
    /// Remembered from an earlier `--start-url`.
    Remembered,
    /// Given with `--start-url` on this command line.
    CommandLine,
}

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct SessionSpec {
    pub session: Option<String>,
    pub start_url: Option<String>,
    pub region: Option<String>,
}

impl SessionSpec {
    /// The session that `--session` names, or the one to choose when it
    /// names none.
    pub fn named(session: Option<&str>) -> Self {
        Self {
            session: session.map(str::to_owned),
            ..Self::default()
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SessionError {
    #[error("no session is set up yet")]
    NoneKnown,
    #[error("several sessions are known ({}) and none has been used yet", .0.join(", "))]
    Ambiguous(Vec<String>),
    #[error("no session named '{name}' in {config} or among the sessions ssokey remembers")]
    Unknown {
        name: String,
        config: String,
        known: Vec<String>,
    },
    #[error("[sso-session {name}] in {config} has no {key}")]
    Incomplete {
        name: String,
        config: String,
        key: &'static str,
    },
    #[error("--start-url needs --region (the region of your IAM Identity Center instance)")]
    MissingRegion,
    #[error("the start URL {start_url} is a portal in {host}, not in {given}")]
    RegionConflict {
        start_url: String,
        host: String,
        given: String,
    },
    #[error("the start URL {start_url} is a portal in {partition}, which has no region {given}")]
    PartitionConflict {
        start_url: String,
        partition: &'static str,
        prefix: &'static str,
        given: String,
    },
    /// A start URL on a company's own domain whose portal has not been
    /// looked up yet (`login` does that).
    #[error(
        "the start URL {0} is on a custom domain, and ssokey has not yet looked up the AWS access portal it leads to"
    )]
    Unresolved(String),
    #[error(transparent)]
    StartUrl(#[from] StartUrlError),
    #[error("'{0}' is not a usable session name: use letters, digits, '-', '_' and '.'")]
    BadName(String),
    #[error("the session '{name}' in {config} has the start URL {configured}, not {given}")]
    Conflict {
        name: String,
        config: String,
        configured: String,
        given: String,
    },
}

impl SessionError {
    pub fn hint(&self) -> String {
        match self {
            Self::Ambiguous(names) => {
                format!("pick one, e.g.: ssokey login --session {}", names[0])
            }
            Self::Unknown { known, .. } if !known.is_empty() => {
                format!(
                    "known sessions: {}; or run: ssokey login --start-url URL --region REGION",
                    known.join(", ")
                )
            }
            Self::NoneKnown | Self::Unknown { .. } => {
                "run: ssokey login --start-url https://NAME.awsapps.com/start --region REGION"
                    .to_owned()
            }
            Self::Incomplete { name, key, .. } => {
                format!("add '{key} = ...' to [sso-session {name}]")
            }
            Self::MissingRegion => "add --region, e.g. --region us-east-1".to_owned(),
            Self::Unresolved(start_url) => {
                format!("run: ssokey login --start-url {start_url} (it looks the portal up once)")
            }
            Self::RegionConflict { host, .. } => {
                format!("drop --region (or sso_region), or set it to {host}")
            }
            Self::PartitionConflict { prefix, .. } => {
                format!("set --region (or sso_region) to the portal's region, one of {prefix}*")
            }
            Self::StartUrl(err) => err.hint(),
            Self::BadName(_) => "rename the session (--session NAME, or the [sso-session NAME] section of the AWS config file): letters, digits, '-', '_' and '.'".to_owned(),
            Self::Conflict { .. } => {
                "pick another name with --session, or drop --start-url".to_owned()
            }
        }
    }
}

impl Session {
    /// The name of its `[sso-session]` section, when it comes from one.
    pub fn section(&self) -> Option<&str> {
        (self.origin == Origin::ConfigFile).then_some(self.name.as_str())
    }

    /// The choice of the store that keeps this session's tokens:
    /// `SSOKEY_KEYCHAIN`, else its `ssokey_keychain`, else `auto`.
    pub fn keychain_choice(&self, ctx: &Context) -> Choice {
        Choice {
            setting: Setting::Known(self.keychain.clone()),
            ..ctx.keychain_choice()
        }
    }
}

impl State {
    /// Records a session as the one used last, remembering it when it came from
    /// the command line. Returns whether anything changed.
    pub fn record(&mut self, session: &Session) -> bool {
        let mut changed = false;
        if session.origin == Origin::CommandLine {
            let remembered = Remembered {
                start_url: session.start_url.clone(),
                region: session.region.clone(),
                scopes: session.scopes.clone(),
            };
            if self.sessions.get(&session.name) != Some(&remembered) {
                self.sessions.insert(session.name.clone(), remembered);
                changed = true;
            }
        }
        if self.last.as_deref() != Some(&session.name) {
            self.last = Some(session.name.clone());
            changed = true;
        }
        changed
    }
}

/// For `login`: when the session's start URL (`--start-url`, or the
/// `sso_start_url` of the `[sso-session]` that `--session` names) is on a
/// custom domain that has not been looked up yet and no region is given
/// with it, looks up the AWS portal it
/// leads to (one request, through the run's HTTP client) and returns the
/// remembered state with it, saved; `None` when there is nothing to look up.
pub fn look_up_custom_domain(
    ctx: &Context,
    request: &SessionSpec,
) -> anyhow::Result<Option<State>> {
    let config = ctx.config().ok().flatten();
    let section = request
        .session
        .as_deref()
        .and_then(|name| config?.sso_session(name));
    let (typed, region) = match (&request.start_url, &section) {
        (Some(url), _) => (url.clone(), request.region.clone()),
        (None, Some(section)) => match &section.start_url {
            Some(url) => (url.clone(), section.region.clone()),
            None => return Ok(None),
        },
        (None, None) => return Ok(None),
    };
    // A region given with it (--region, sso_region) does not make the URL
    // a portal: it is looked up all the same, as the AWS CLI does, and the
    // region serves only a portal whose host names none.
    // A start URL that does not parse is refused by the resolution.
    let Ok(url) = StartUrl::parse(&typed) else {
        return Ok(None);
    };
    let state = ctx.sessions();
    if !crate::aws::vanity::is_custom_domain(&url) || state.resolved.contains_key(url.as_str()) {
        return Ok(None);
    }
    let policy = ctx.http_policy(section.as_ref().map(|s| s.name.as_str()))?;
    let runtime = crate::aws::sdk::runtime()?;
    let found = runtime.block_on(crate::aws::vanity::resolve(
        &policy,
        &url,
        region.as_deref(),
    ))?;
    crate::ui::say(format_args!(
        "The start URL {} leads to the AWS access portal {} ({}).",
        url.as_str(),
        found.portal_url,
        found.region
    ));
    let mut state = state.clone();
    state.resolved.insert(
        url.as_str().to_owned(),
        Resolved {
            portal_url: found.portal_url,
            region: found.region,
        },
    );
    if let Err(err) = state.save(&ctx.config_dir) {
        crate::ui::warning(format_args!(
            "could not remember where the start URL leads in {}: {err}",
            ctx.config_dir.display()
        ));
    }
    Ok(Some(state))
}

/// Every session that ssokey knows of: the config file's, then remembered ones.
pub fn known(config: Option<&ConfigFile>, state: &State) -> Vec<Session> {
    let mut sessions: Vec<Session> = config
        .map(ConfigFile::sso_sessions)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| from_config(&s, "", &state.resolved).ok())
        .collect();
    for (name, remembered) in &state.sessions {
        if !sessions.iter().any(|s| &s.name == name) {
            sessions.push(from_remembered(name, remembered));
        }
    }
    sessions
}

/// The session a command means, from the config file and the remembered
/// sessions that the run has read (each once).
pub fn resolve_for(ctx: &Context, request: &SessionSpec) -> anyhow::Result<Session> {
    // A start URL on the command line says it all, but the session name taken
    // from it must not contradict the file: that check reads the file at its
    // best, so that a damaged file never blocks a sign-in given in full.
    let config = if request.start_url.is_some() && request.session.is_none() {
        ctx.config().ok().flatten()
    } else {
        ctx.config()?
    };
    let session = resolve(
        request,
        config,
        &ctx.aws_config_file.display().to_string(),
        ctx.sessions(),
    )?;
    tracing::debug!(
        session = session.name,
        start_url = session.start_url,
        region = session.region,
        origin = ?session.origin,
        "session"
    );
    Ok(session)
}

/// Decides which session a command means. Pure: the caller loads the config
/// file and the state, and saves the state afterwards if it wants to.
pub fn resolve(
    request: &SessionSpec,
    config: Option<&ConfigFile>,
    config_path: &str,
    state: &State,
) -> Result<Session, SessionError> {
    if let Some(start_url) = &request.start_url {
        return from_command_line(request, start_url, config, config_path, &state.resolved);
    }
    if let Some(name) = &request.session {
        return by_name(name, config, config_path, state);
    }
    if let Some(last) = &state.last
        && let Ok(session) = by_name(last, config, config_path, state)
    {
        return Ok(session);
    }
    let configured = config.map(ConfigFile::sso_sessions).unwrap_or_default();
    match configured.as_slice() {
        [only] => return from_config(only, config_path, &state.resolved),
        [] => {}
        several => {
            return Err(SessionError::Ambiguous(
                several.iter().map(|s| s.name.clone()).collect(),
            ));
        }
    }
    let mut remembered = state.sessions.iter();
    match (remembered.next(), remembered.next()) {
        (Some((name, only)), None) => Ok(from_remembered(name, only)),
        (None, _) => Err(SessionError::NoneKnown),
        _ => Err(SessionError::Ambiguous(
            state.sessions.keys().cloned().collect(),
        )),
    }
}

fn from_command_line(
    request: &SessionSpec,
    start_url: &str,
    config: Option<&ConfigFile>,
    config_path: &str,
    lookups: &Lookups,
) -> Result<Session, SessionError> {
    let url = StartUrl::parse(start_url)?;
    let (portal_url, region) = portal_of(&url, request.region.as_deref(), lookups)?;
    let name = match &request.session {
        Some(name) => name.clone(),
        None => url.session_name(),
    };
    validate_name(&name)?;
    if let Some(configured) = config.and_then(|c| c.sso_session(&name))
        && let Some(configured_url) = configured.start_url
        && StartUrl::parse(&configured_url).ok().as_ref() != Some(&url)
    {
        return Err(SessionError::Conflict {
            name,
            config: config_path.to_owned(),
            configured: configured_url,
            given: start_url.to_owned(),
        });
    }
    Ok(Session {
        name,
        start_url: portal_url,
        region,
        scopes: vec![DEFAULT_SCOPE.to_owned()],
        origin: Origin::CommandLine,
        keychain: None,
        auto_login: None,
    })
}

/// The start URL that ssokey sends for `url`, and the session's region: for
/// a custom domain, the AWS portal it was found to lead to (its region, or
/// the one given); otherwise `url` itself and [`region_for`].
fn portal_of(
    url: &StartUrl,
    given: Option<&str>,
    lookups: &Lookups,
) -> Result<(String, String), SessionError> {
    if let Some(found) = lookups.get(url.as_str()) {
        let portal = StartUrl::parse(&found.portal_url)?;
        let region = match region_for(&portal, given) {
            Err(SessionError::MissingRegion) => Ok(found.region.clone()),
            other => other,
        }?;
        return Ok((portal.as_str().to_owned(), region));
    }
    match region_for(url, given) {
        Err(SessionError::MissingRegion) if crate::aws::vanity::is_custom_domain(url) => {
            Err(SessionError::Unresolved(url.as_str().to_owned()))
        }
        other => Ok((url.as_str().to_owned(), other?)),
    }
}

/// The session's region: the one given, which must agree with the one the
/// start URL's host names, if it names one; else that one.
fn region_for(url: &StartUrl, given: Option<&str>) -> Result<String, SessionError> {
    if let Some(given) = given {
        validate_region(given)?;
        if let Some((partition, prefix)) = url.partition()
            && !given.starts_with(prefix)
        {
            return Err(SessionError::PartitionConflict {
                start_url: url.as_str().to_owned(),
                partition,
                prefix,
                given: given.to_owned(),
            });
        }
    }
    match (given, url.region()) {
        (Some(given), Some(host)) if given != host => Err(SessionError::RegionConflict {
            start_url: url.as_str().to_owned(),
            host: host.to_owned(),
            given: given.to_owned(),
        }),
        (Some(region), _) | (None, Some(region)) => Ok(region.to_owned()),
        (None, None) => Err(SessionError::MissingRegion),
    }
}

fn by_name(
    name: &str,
    config: Option<&ConfigFile>,
    config_path: &str,
    state: &State,
) -> Result<Session, SessionError> {
    if let Some(section) = config.and_then(|c| c.sso_session(name)) {
        return from_config(&section, config_path, &state.resolved);
    }
    if let Some(remembered) = state.sessions.get(name) {
        return Ok(from_remembered(name, remembered));
    }
    Err(SessionError::Unknown {
        name: name.to_owned(),
        config: config_path.to_owned(),
        known: known(config, state).into_iter().map(|s| s.name).collect(),
    })
}

fn from_config(
    section: &SsoSession,
    config_path: &str,
    lookups: &Lookups,
) -> Result<Session, SessionError> {
    let incomplete = |key| SessionError::Incomplete {
        name: section.name.clone(),
        config: config_path.to_owned(),
        key,
    };
    let start_url = section
        .start_url
        .clone()
        .ok_or_else(|| incomplete("sso_start_url"))?;
    // The name becomes part of keychain keys and of file names (lock files,
    // the listing cache): `[sso-session ../x]` must not reach a path.
    validate_name(&section.name)?;
    let url = StartUrl::parse(&start_url)?;
    let (start_url, region) = match portal_of(&url, section.region.as_deref(), lookups) {
        Err(SessionError::MissingRegion) => Err(incomplete("sso_region")),
        other => other,
    }?;
    let scopes = if section.registration_scopes.is_empty() {
        vec![DEFAULT_SCOPE.to_owned()]
    } else {
        section.registration_scopes.clone()
    };
    Ok(Session {
        name: section.name.clone(),
        start_url,
        region,
        scopes,
        origin: Origin::ConfigFile,
        keychain: section.keychain.clone(),
        auto_login: section.auto_login.clone(),
    })
}

fn from_remembered(name: &str, remembered: &Remembered) -> Session {
    Session {
        name: name.to_owned(),
        // Remembered by an older ssokey, it may be in another form.
        start_url: StartUrl::parse(&remembered.start_url).map_or_else(
            |_| remembered.start_url.clone(),
            |url| url.as_str().to_owned(),
        ),
        region: remembered.region.clone(),
        scopes: if remembered.scopes.is_empty() {
            vec![DEFAULT_SCOPE.to_owned()]
        } else {
            remembered.scopes.clone()
        },
        origin: Origin::Remembered,
        keychain: None,
        auto_login: None,
    }
}

fn validate_name(name: &str) -> Result<(), SessionError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(SessionError::BadName(name.to_owned()))
    }
}

impl Reported for SessionError {
    fn hint(&self) -> Option<String> {
        Some(SessionError::hint(self))
    }
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn config(text: &str) -> ConfigFile {
        ConfigFile::parse(text).unwrap()
    }

    #[test]
    fn a_configured_session_name_that_could_reach_a_path_is_refused() {
        let config = config(
            "[sso-session ../x]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n",
        );
        let request = SessionSpec {
            session: Some("../x".to_owned()),
            ..SessionSpec::default()
        };
        let err = resolve(&request, Some(&config), "cfg", &State::default()).unwrap_err();
        assert!(
            matches!(&err, SessionError::BadName(name) if name == "../x"),
            "{err:?}"
        );
        // Nor is it offered as the only session.
        let err = resolve(
            &SessionSpec::default(),
            Some(&config),
            "cfg",
            &State::default(),
        )
        .unwrap_err();
        assert!(matches!(&err, SessionError::BadName(_)), "{err:?}");
    }

    fn request(
        session: Option<&str>,
        start_url: Option<&str>,
        region: Option<&str>,
    ) -> SessionSpec {
        SessionSpec {
            session: session.map(str::to_owned),
            start_url: start_url.map(str::to_owned),
            region: region.map(str::to_owned),
        }
    }

    const TWO: &str = "[sso-session work]\nsso_start_url = https://work.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n\n[sso-session play]\nsso_start_url = https://play.awsapps.com/start/\nsso_region = us-east-1\n";

    #[test]
    fn start_url_alone_names_the_session_after_the_portal() {
        let session = resolve(
            &request(
                None,
                Some("https://acme.awsapps.com/start"),
                Some("us-east-2"),
            ),
            None,
            "~/.aws/config",
            &State::default(),
        )
        .unwrap();
        assert_eq!(session.name, "acme");
        assert_eq!(session.region, "us-east-2");
        assert_eq!(session.scopes, [DEFAULT_SCOPE]);
        assert_eq!(session.origin, Origin::CommandLine);
    }

    #[test]
    fn start_url_needs_a_region() {
        let err = resolve(
            &request(None, Some("https://acme.awsapps.com/start"), None),
            None,
            "c",
            &State::default(),
        )
        .unwrap_err();
        assert_eq!(err, SessionError::MissingRegion);
    }

    #[test]
    fn session_flag_reads_the_config_section() {
        let session = resolve(
            &request(Some("work"), None, None),
            Some(&config(TWO)),
            "c",
            &State::default(),
        )
        .unwrap();
        assert_eq!(session.start_url, "https://work.awsapps.com/start");
        assert_eq!(session.region, "eu-west-1");
        assert_eq!(session.origin, Origin::ConfigFile);
    }

    #[test]
    fn with_no_flags_the_last_session_wins_then_the_only_one() {
        let cfg = config(TWO);
        let err = resolve(&SessionSpec::default(), Some(&cfg), "c", &State::default()).unwrap_err();
        assert_eq!(
            err,
            SessionError::Ambiguous(vec!["work".into(), "play".into()])
        );
        let state = State {
            last: Some("play".into()),
            ..State::default()
        };
        let session = resolve(&SessionSpec::default(), Some(&cfg), "c", &state).unwrap();
        assert_eq!(session.name, "play");
        let one = config(
            "[sso-session only]\nsso_start_url = https://only.awsapps.com/start\nsso_region = us-west-2\n",
        );
        let session = resolve(&SessionSpec::default(), Some(&one), "c", &State::default()).unwrap();
        assert_eq!(session.name, "only");
    }

    #[test]
    fn a_remembered_session_serves_later_commands() {
        let mut state = State::default();
        let session = resolve(
            &request(
                None,
                Some("https://acme.awsapps.com/start"),
                Some("us-east-2"),
            ),
            None,
            "c",
            &state,
        )
        .unwrap();
        assert!(state.record(&session));
        assert!(!state.record(&session));
        let again = resolve(&SessionSpec::default(), None, "c", &state).unwrap();
        assert_eq!(again.name, "acme");
        assert_eq!(again.start_url, "https://acme.awsapps.com/start");
        assert_eq!(again.origin, Origin::Remembered);
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<State>(&json).unwrap(), state);
    }

    #[test]
    fn nothing_known_says_how_to_start() {
        let err = resolve(&SessionSpec::default(), None, "c", &State::default()).unwrap_err();
        assert_eq!(err, SessionError::NoneKnown);
        assert!(err.hint().contains("ssokey login --start-url"));
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let err = resolve(
            &request(Some("nope"), None, None),
            Some(&config(TWO)),
            "c",
            &State::default(),
        )
        .unwrap_err();
        assert!(err.hint().contains("work, play"), "{}", err.hint());
    }

    #[test]
    fn incomplete_sections_name_the_missing_key() {
        let cfg = config("[sso-session x]\nsso_start_url = https://x.awsapps.com/start\n");
        let err = resolve(
            &request(Some("x"), None, None),
            Some(&cfg),
            "c",
            &State::default(),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            SessionError::Incomplete {
                key: "sso_region",
                ..
            }
        ));
    }

    #[test]
    fn a_start_url_that_contradicts_the_config_is_refused() {
        let err = resolve(
            &request(
                Some("work"),
                Some("https://other.awsapps.com/start"),
                Some("eu-west-1"),
            ),
            Some(&config(TWO)),
            "c",
            &State::default(),
        )
        .unwrap_err();
        assert!(matches!(err, SessionError::Conflict { .. }));
    }

    #[test]
    fn one_portal_typed_two_ways_is_one_session() {
        let resolved = |url: &str| {
            resolve(
                &request(None, Some(url), Some("us-east-2")),
                None,
                "c",
                &State::default(),
            )
            .unwrap()
        };
        let plain = resolved("https://acme.awsapps.com/start");
        let copied = resolved("https://acme.awsapps.com/start/#/?tab=accounts");
        assert_eq!(copied, plain);
        assert_eq!(plain.start_url, "https://acme.awsapps.com/start");
        // The config file's form of it agrees with any other form.
        let err = resolve(
            &request(
                Some("play"),
                Some("https://play.awsapps.com/start#/"),
                Some("us-east-1"),
            ),
            Some(&config(TWO)),
            "c",
            &State::default(),
        );
        assert_eq!(err.unwrap().start_url, "https://play.awsapps.com/start");
    }

    #[test]
    fn a_custom_domain_takes_the_portal_it_was_found_to_lead_to() {
        let vanity = "https://sso.example.com";
        let from_flag = SessionSpec {
            start_url: Some(vanity.to_owned()),
            ..SessionSpec::default()
        };
        let section = config("[sso-session corp]\nsso_start_url = https://sso.example.com/\n");
        let by_name = SessionSpec::named(Some("corp"));
        // Not looked up yet: login must look it up first.
        let none = State::default();
        for request in [&from_flag, &by_name] {
            assert_eq!(
                resolve(request, Some(&section), "c", &none).unwrap_err(),
                SessionError::Unresolved(vanity.to_owned())
            );
        }
        // Looked up: the portal's URL is sent, its region used, and the
        // session keeps the name of the URL as typed.
        let mut state = State::default();
        state.resolved.insert(
            vanity.to_owned(),
            Resolved {
                portal_url: "https://ssoins-1234.portal.eu-central-1.app.aws".to_owned(),
                region: "eu-central-1".to_owned(),
            },
        );
        let session = resolve(&from_flag, None, "c", &state).unwrap();
        assert_eq!(session.name, "sso.example.com");
        assert_eq!(
            session.start_url,
            "https://ssoins-1234.portal.eu-central-1.app.aws"
        );
        assert_eq!(session.region, "eu-central-1");
        let session = resolve(&by_name, Some(&section), "c", &state).unwrap();
        assert_eq!(
            (session.name.as_str(), session.region.as_str()),
            ("corp", "eu-central-1")
        );
        // A region given that the portal's host contradicts is refused.
        let conflicting = SessionSpec {
            region: Some("us-east-1".to_owned()),
            ..from_flag.clone()
        };
        assert!(matches!(
            resolve(&conflicting, None, "c", &state),
            Err(SessionError::RegionConflict { .. })
        ));
    }

    #[test]
    fn a_portal_host_that_names_its_region_needs_no_region() {
        let url = "https://ssoins-7223a8e3a2b1c4d5.portal.eu-west-1.app.aws/#/";
        let session = resolve(
            &request(None, Some(url), None),
            None,
            "c",
            &State::default(),
        )
        .unwrap();
        assert_eq!(session.region, "eu-west-1");
        assert_eq!(session.name, "ssoins-7223a8e3a2b1c4d5");
        assert_eq!(
            session.start_url,
            "https://ssoins-7223a8e3a2b1c4d5.portal.eu-west-1.app.aws"
        );
        let same = resolve(
            &request(None, Some(url), Some("eu-west-1")),
            None,
            "c",
            &State::default(),
        )
        .unwrap();
        assert_eq!(same, session);
        let err = resolve(
            &request(None, Some(url), Some("us-east-1")),
            None,
            "c",
            &State::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, SessionError::RegionConflict { host, given, .. } if host == "eu-west-1" && given == "us-east-1"),
            "{err:?}"
        );
        assert_eq!(
            err.hint(),
            "drop --region (or sso_region), or set it to eu-west-1"
        );
        // In the config file, sso_region may be left out too.
        let file = config(&format!("[sso-session new]\nsso_start_url = {url}\n"));
        let session = resolve(
            &request(Some("new"), None, None),
            Some(&file),
            "c",
            &State::default(),
        )
        .unwrap();
        assert_eq!(session.region, "eu-west-1");
    }

    #[test]
    fn a_region_outside_the_portals_partition_is_refused() {
        let resolved = |url: &str, region: &str| {
            resolve(
                &request(None, Some(url), Some(region)),
                None,
                "c",
                &State::default(),
            )
        };
        let err = resolved("https://acme.awsapps.cn/start", "us-east-1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the start URL https://acme.awsapps.cn/start is a portal in AWS China, which has no region us-east-1"
        );
        assert_eq!(
            err.hint(),
            "set --region (or sso_region) to the portal's region, one of cn-*"
        );
        assert!(matches!(
            resolved(
                "https://identitycenter.amazonaws.eu/ssoins-1",
                "eu-central-1"
            ),
            Err(SessionError::PartitionConflict {
                prefix: "eusc-",
                ..
            })
        ));
        let session = resolved("https://acme.awsapps.cn/start", "cn-northwest-1").unwrap();
        assert_eq!(session.region, "cn-northwest-1");
        assert_eq!(session.name, "acme");
        let session = resolved(
            "https://identitycenter.us-gov.amazonaws.com/ssoins-1",
            "us-gov-east-1",
        )
        .unwrap();
        assert_eq!(session.name, "ssoins-1");
    }

    #[test]
    fn a_start_url_in_no_known_form_is_refused_with_the_form_to_use() {
        let err = resolve(
            &request(None, Some("acme.awsapps.com/start"), Some("us-east-1")),
            None,
            "c",
            &State::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, SessionError::StartUrl(StartUrlError::BadStartUrl(..))),
            "{err:?}"
        );
        assert!(err.hint().contains("https://NAME.awsapps.com/start"));
    }
}
