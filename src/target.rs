//! Which role in which account: from `--account` and `--role`, or from a
//! profile of the AWS config file (`--profile`, then `AWS_PROFILE`); and the
//! roles chained on top of it, from `role_arn` and `source_profile` as
//! botocore reads them and from `--assume-role`.

use crate::config_file::ConfigFile;
use crate::exit::{Exit, Reported};

/// An account as the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRef {
    Id(String),
    Name(String),
}

impl AccountRef {
    pub fn parse(value: &str) -> Result<Self, TargetError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(TargetError::BadAccount(value.to_owned()));
        }
        if value.bytes().all(|b| b.is_ascii_digit()) {
            if value.len() == 12 {
                return Ok(Self::Id(value.to_owned()));
            }
            return Err(TargetError::BadAccount(value.to_owned()));
        }
        Ok(Self::Name(value.to_owned()))
    }
}

impl std::fmt::Display for AccountRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => f.write_str(id),
            Self::Name(name) => f.write_str(name),
        }
    }
}

/// A target before its session is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The session named by the profile, if any (`--session` wins over it).
    pub session: Option<String>,
    pub account: AccountRef,
    pub role: String,
    /// The roles assumed, in order, with the role's credentials; none for
    /// the role itself.
    pub chain: Chain,
}

/// The roles that STS assumes one after the other, starting from the
/// credentials of an Identity Center role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chain {
    pub hops: Vec<Hop>,
    /// The `region` of the profile, else of the nearest source profile that
    /// has one: STS's regional endpoint.
    pub region: Option<String>,
    /// `sts_regional_endpoints` of the profile, else of the nearest source
    /// profile that has one: `Some(true)` for `legacy`.
    pub legacy_endpoints: Option<bool>,
}

/// One hop of a chain: a role that STS assumes with the credentials of the
/// hop before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub role_arn: String,
    pub external_id: Option<String>,
    /// `role_session_name`; none for the person's name.
    pub session_name: Option<String>,
    /// `duration_seconds`; none for STS's limit for a chained role.
    pub duration_seconds: Option<u32>,
    /// `mfa_serial`: ask for a code from this device.
    pub mfa_serial: Option<String>,
    /// The profile that names it; none for `--assume-role`.
    pub profile: Option<String>,
}

impl Hop {
    /// The account of the role: the fifth field of its ARN.
    pub fn account_id(&self) -> Option<&str> {
        self.role_arn.split(':').nth(4).filter(|id| !id.is_empty())
    }
}

/// The longest session that STS gives a role assumed with role credentials,
/// and the shortest it gives any role (seconds).
pub const CHAINED_MAX_SECS: u32 = 3600;
pub const MIN_DURATION_SECS: u32 = 900;

impl Chain {
    pub fn is_empty(&self) -> bool {
        self.hops.is_empty()
    }

    /// A stable name for the chain, for its cache entry and lock: a digest
    /// of what each hop asks STS for, so that a changed profile never finds
    /// the credentials of the old one. (Which endpoint answers changes
    /// nothing in the credentials.)
    pub fn id(&self) -> String {
        use sha2::Digest as _;
        use std::fmt::Write as _;
        let mut digest = sha2::Sha256::new();
        let mut field = |value: Option<&str>| {
            let value = value.unwrap_or("\u{0}");
            digest.update(value.len().to_le_bytes());
            digest.update(value.as_bytes());
        };
        for hop in &self.hops {
            field(Some(&hop.role_arn));
            field(hop.external_id.as_deref());
            field(hop.session_name.as_deref());
            field(hop.duration_seconds.map(|d| d.to_string()).as_deref());
            field(hop.mfa_serial.as_deref());
        }
        digest
            .finalize()
            .iter()
            .take(12)
            .fold(String::new(), |mut id, b| {
                let _ = write!(id, "{b:02x}");
                id
            })
    }
}

/// What the command line and the environment said.
#[derive(Debug, Clone, Default)]
pub struct TargetSpec {
    pub account: Option<String>,
    pub role: Option<String>,
    pub profile: Option<String>,
    /// `AWS_PROFILE`, used when nothing else names a target.
    pub env_profile: Option<String>,
    /// `--assume-role`, in order: hops after those of the profile.
    pub assume_roles: Vec<String>,
    /// `--external-id` and `--role-session-name`, for the last hop.
    pub external_id: Option<String>,
    pub role_session_name: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error("no account and role given")]
    Missing,
    #[error("'{0}' is not an account id (12 digits) or an account name")]
    BadAccount(String),
    #[error("'{0}' is not a role name")]
    BadRole(String),
    #[error("the profile '{name}'{} is not in {config}", from_env_note(*.from_env))]
    NoProfile {
        name: String,
        config: String,
        /// Named by `AWS_PROFILE`, not by `--profile`.
        from_env: bool,
    },
    #[error("the profile '{name}'{} names no account and role for ssokey (no {key})", from_env_note(*.from_env))]
    NotOurs {
        name: String,
        key: &'static str,
        from_env: bool,
    },
    #[error("no account named '{name}' is assigned to you{}", suggestions(.close))]
    UnknownAccount { name: String, close: Vec<String> },
    #[error("the account name '{name}' is ambiguous: {}", .ids.join(", "))]
    AmbiguousAccount { name: String, ids: Vec<String> },
    #[error("no role '{role}' is assigned to you in the account {account}{}", suggestions(.close))]
    UnknownRole {
        account: String,
        role: String,
        close: Vec<String>,
    },
    #[error(
        "the profiles' source_profile keys make a loop: {}",
        .visited.join(" -> ")
    )]
    SourceProfileLoop { visited: Vec<String> },
    #[error("the source_profile '{source_profile}' of the profile '{name}' is not in {config}")]
    NoSourceProfile {
        name: String,
        source_profile: String,
        config: String,
    },
    #[error("the profile '{name}' has role_arn but no source_profile{}", if *.credential_source { " (ssokey does not read credential_source)" } else { "" })]
    NoSource {
        name: String,
        credential_source: bool,
    },
    #[error("'{0}' is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)")]
    BadRoleArn(String),
    #[error("'{value}'{} is not a role session name: STS takes 2 to 64 letters, digits and _+=,.@-", in_profile(.profile.as_deref()))]
    BadSessionName {
        value: String,
        profile: Option<String>,
    },
    #[error("duration_seconds = {value}{} is out of range: STS gives a chained role {MIN_DURATION_SECS} to {CHAINED_MAX_SECS} seconds (1 hour at most)", in_profile(.profile.as_deref()))]
    BadDuration {
        value: String,
        profile: Option<String>,
    },
    /// The portal refused credentials (403) for a role that its own listing
    /// says is assigned.
    #[error(
        "the portal refused the role '{role}' in the account {account}, although it lists it as assigned to you ({cause})"
    )]
    RoleRefused {
        account: String,
        role: String,
        cause: String,
    },
}

fn in_profile(profile: Option<&str>) -> String {
    profile.map_or_else(String::new, |name| format!(" (in the profile '{name}')"))
}

fn from_env_note(from_env: bool) -> &'static str {
    if from_env { " (from AWS_PROFILE)" } else { "" }
}

/// What to do about a profile that `AWS_PROFILE` names and that does not serve.
const UNSET_AWS_PROFILE: &str = "AWS_PROFILE is set in your environment (perhaps left from earlier); \
     unset it (bash, zsh: unset AWS_PROFILE; fish: set -e AWS_PROFILE), or name the target with \
     --profile NAME or --account ID --role NAME";

fn suggestions(close: &[String]) -> String {
    if close.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", close.join(", "))
    }
}

impl TargetError {
    pub fn hint(&self) -> String {
        match self {
            Self::Missing => "give --account ID --role NAME, or --profile NAME (or set AWS_PROFILE); on a terminal, ssokey env and ssokey exec without them let you pick a role".to_owned(),
            Self::BadAccount(_) => "an account id has 12 digits, e.g. --account 111122223333".to_owned(),
            Self::BadRole(_) => "give the role (permission set) name, e.g. --role AdministratorAccess".to_owned(),
            Self::NoProfile { from_env: true, .. } | Self::NotOurs { from_env: true, .. } => {
                UNSET_AWS_PROFILE.to_owned()
            }
            Self::NoProfile { .. } => "check the profile name, or write profiles with: ssokey profiles --write".to_owned(),
            Self::NotOurs { .. } => "add ssokey_account_id and ssokey_role_name to the profile, or use --account and --role".to_owned(),
            Self::UnknownAccount { .. } | Self::UnknownRole { .. } => "see what is assigned to you with: ssokey list --refresh".to_owned(),
            Self::AmbiguousAccount { .. } => "use the account id instead of its name".to_owned(),
            Self::SourceProfileLoop { .. } => "change the source_profile of one of these profiles so that the chain ends at a profile with ssokey_account_id and ssokey_role_name (or sso_account_id and sso_role_name)".to_owned(),
            Self::NoSourceProfile { source_profile, .. } => format!("add a [profile {source_profile}] section, or point source_profile at an existing profile (see: ssokey profiles)"),
            Self::NoSource { .. } => "add source_profile = NAME, naming a profile that ssokey signs in for (with ssokey_account_id and ssokey_role_name)".to_owned(),
            Self::BadRoleArn(_) => "give the role's ARN, e.g. arn:aws:iam::111122223333:role/Deploy".to_owned(),
            Self::BadSessionName { .. } => "use a name such as jane.doe@example.com, or leave role_session_name out to use your Identity Center user name".to_owned(),
            Self::BadDuration { .. } => "set duration_seconds between 900 and 3600, or leave it out for an hour".to_owned(),
            Self::RoleRefused { .. } => "a new or changed assignment can take a few minutes to reach the portal: try again shortly; if it goes on, ask your administrator to check the permission set and its assignment".to_owned(),
        }
    }
}

/// Decides the target. Pure: the caller passes in the parsed config file.
pub fn resolve(
    request: &TargetSpec,
    config: Option<&ConfigFile>,
    config_path: &str,
) -> Result<Target, TargetError> {
    let mut wanted = base(request, config, config_path)?;
    let count = request.assume_roles.len();
    for (i, role_arn) in request.assume_roles.iter().enumerate() {
        let last = i + 1 == count;
        wanted.chain.hops.push(Hop {
            role_arn: role_arn.trim().to_owned(),
            external_id: request.external_id.clone().filter(|_| last),
            session_name: request.role_session_name.clone().filter(|_| last),
            duration_seconds: None,
            mfa_serial: None,
            profile: None,
        });
    }
    for hop in &wanted.chain.hops {
        check_hop(hop)?;
    }
    Ok(wanted)
}

/// The target of the flags, else of the profile with the chain that its
/// `source_profile` keys make.
fn base(
    request: &TargetSpec,
    config: Option<&ConfigFile>,
    config_path: &str,
) -> Result<Target, TargetError> {
    if let (Some(account), Some(role)) = (&request.account, &request.role) {
        return Ok(Target {
            session: None,
            account: AccountRef::parse(account)?,
            role: check_role(role)?,
            chain: Chain::default(),
        });
    }
    let Some(name) = request.profile.as_ref().or(request.env_profile.as_ref()) else {
        return Err(TargetError::Missing);
    };
    let from_env = request.profile.is_none();
    let profile = config
        .and_then(|c| c.profile(name))
        .ok_or_else(|| TargetError::NoProfile {
            name: name.clone(),
            config: config_path.to_owned(),
            from_env,
        })?;
    // As botocore does: a profile with role_arn is assumed with the
    // credentials of its source_profile, which may itself be chained.
    let mut visited = vec![name.clone()];
    let mut hops = Vec::new();
    let mut region = None;
    let mut legacy = None;
    let mut profile = profile;
    loop {
        region = region.or_else(|| profile.get("region").map(str::to_owned));
        legacy = legacy.or_else(|| {
            profile
                .get("sts_regional_endpoints")
                .map(|v| v.trim() == "legacy")
        });
        let Some(role_arn) = profile.get("role_arn") else {
            break;
        };
        let current = visited.last().cloned().unwrap_or_default();
        hops.push(hop_of(&profile, &current, role_arn)?);
        let Some(source) = profile.get("source_profile").map(|s| s.trim().to_owned()) else {
            return Err(TargetError::NoSource {
                name: current,
                credential_source: profile.get("credential_source").is_some(),
            });
        };
        // A profile may name itself as its source when it also names an
        // Identity Center role (botocore: when it has static keys).
        if source == current
            && profile
                .get("ssokey_account_id")
                .or_else(|| profile.get("sso_account_id"))
                .is_some()
        {
            break;
        }
        if visited.contains(&source) {
            visited.push(source);
            return Err(TargetError::SourceProfileLoop { visited });
        }
        profile = config.and_then(|c| c.profile(&source)).ok_or_else(|| {
            TargetError::NoSourceProfile {
                name: current.clone(),
                source_profile: source.clone(),
                config: config_path.to_owned(),
            }
        })?;
        visited.push(source);
    }
    hops.reverse();
    let name = visited.last().cloned().unwrap_or_default();
    let from_env = from_env && hops.is_empty();
    // ssokey's own keys first; the AWS CLI's SSO keys also name a target.
    let get = |ours: &str, theirs: &str| profile.get(ours).or_else(|| profile.get(theirs));
    let account = get("ssokey_account_id", "sso_account_id").ok_or(TargetError::NotOurs {
        name: name.clone(),
        key: "ssokey_account_id",
        from_env,
    })?;
    let role = get("ssokey_role_name", "sso_role_name").ok_or(TargetError::NotOurs {
        name: name.clone(),
        key: "ssokey_role_name",
        from_env,
    })?;
    Ok(Target {
        session: get("ssokey_session", "sso_session").map(str::to_owned),
        account: AccountRef::parse(account)?,
        role: check_role(role)?,
        chain: Chain {
            hops,
            region,
            legacy_endpoints: legacy,
        },
    })
}

/// The hop that the profile `name`'s `role_arn` and its keys make.
fn hop_of(
    profile: &crate::config_file::Profile,
    name: &str,
    role_arn: &str,
) -> Result<Hop, TargetError> {
    let value = |key: &str| {
        profile
            .get(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let duration_seconds = match value("duration_seconds") {
        None => None,
        Some(text) => Some(text.parse::<u32>().map_err(|_| TargetError::BadDuration {
            value: text.clone(),
            profile: Some(name.to_owned()),
        })?),
    };
    Ok(Hop {
        role_arn: role_arn.trim().to_owned(),
        external_id: value("external_id"),
        session_name: value("role_session_name"),
        duration_seconds,
        mfa_serial: value("mfa_serial"),
        profile: Some(name.to_owned()),
    })
}

/// Refuses, before any call, what STS would refuse.
fn check_hop(hop: &Hop) -> Result<(), TargetError> {
    if !is_role_arn(&hop.role_arn) {
        return Err(TargetError::BadRoleArn(hop.role_arn.clone()));
    }
    if let Some(name) = &hop.session_name
        && !is_role_session_name(name)
    {
        return Err(TargetError::BadSessionName {
            value: name.clone(),
            profile: hop.profile.clone(),
        });
    }
    if let Some(secs) = hop.duration_seconds
        && !(MIN_DURATION_SECS..=CHAINED_MAX_SECS).contains(&secs)
    {
        return Err(TargetError::BadDuration {
            value: secs.to_string(),
            profile: hop.profile.clone(),
        });
    }
    Ok(())
}

/// `arn:PARTITION:iam::ACCOUNT:role/NAME`, with a 12-digit account.
fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if partition.starts_with("aws")
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty() && !name.contains(char::is_whitespace)))
}

/// STS's rule for a role session name: `[\w+=,.@-]`, 2 to 64 characters.
pub fn is_role_session_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

/// A role session name made of `name`: what STS does not take becomes `_`,
/// and it is cut to 64 characters; a name too short for STS is none.
pub fn session_name_of(name: &str) -> Option<String> {
    let mut valid: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    valid.truncate(64);
    is_role_session_name(&valid).then_some(valid)
}

fn check_role(role: &str) -> Result<String, TargetError> {
    let role = role.trim();
    if crate::aws::portal::is_role_name(role) {
        Ok(role.to_owned())
    } else {
        Err(TargetError::BadRole(role.to_owned()))
    }
}

/// The candidates closest to `wanted`: the same ignoring case, containing it,
/// or within a few edits; at most three, best first.
pub fn close_matches<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let wanted_lower = wanted.to_lowercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|candidate| {
            let lower = candidate.to_lowercase();
            let score = if lower == wanted_lower {
                0
            } else if lower.contains(&wanted_lower) || wanted_lower.contains(&lower) {
                1
            } else {
                let distance = edit_distance(&lower, &wanted_lower);
                if distance > 3.max(wanted.chars().count() / 3) {
                    return None;
                }
                1 + distance
            };
            Some((score, candidate))
        })
        .collect();
    scored.sort_unstable();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, c)| c.to_owned())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(previous + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}

impl Reported for TargetError {
    fn hint(&self) -> Option<String> {
        Some(TargetError::hint(self))
    }
    fn exit(&self) -> Exit {
        match self {
            // Not the user's words: the portal's answer.
            TargetError::RoleRefused { .. } => Exit::Failure,
            _ => Exit::Usage,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn request(
        account: Option<&str>,
        role: Option<&str>,
        profile: Option<&str>,
        env: Option<&str>,
    ) -> TargetSpec {
        TargetSpec {
            account: account.map(str::to_owned),
            role: role.map(str::to_owned),
            profile: profile.map(str::to_owned),
            env_profile: env.map(str::to_owned),
            ..TargetSpec::default()
        }
    }

    const CONFIG: &str = "[profile ours]\nssokey_session = work\nssokey_account_id = 111122223333\nssokey_role_name = Admin\n\n[profile cli]\nsso_session = work\nsso_account_id = 444455556666\nsso_role_name = ReadOnly\n\n[profile plain]\nregion = eu-west-1\n";

    #[test]
    fn flags_name_the_target() {
        let wanted = resolve(
            &request(Some("111122223333"), Some("Admin"), None, Some("ours")),
            None,
            "c",
        )
        .unwrap();
        assert_eq!(wanted.account, AccountRef::Id("111122223333".into()));
        assert_eq!(wanted.role, "Admin");
        assert_eq!(wanted.session, None);
        let by_name =
            resolve(&request(Some("prod"), Some("Admin"), None, None), None, "c").unwrap();
        assert_eq!(by_name.account, AccountRef::Name("prod".into()));
    }

    #[test]
    fn profiles_name_the_target_and_the_session() {
        let config = ConfigFile::parse(CONFIG).unwrap();
        let ours = resolve(&request(None, None, Some("ours"), None), Some(&config), "c").unwrap();
        assert_eq!(ours.session.as_deref(), Some("work"));
        assert_eq!(ours.account, AccountRef::Id("111122223333".into()));
        let cli = resolve(&request(None, None, None, Some("cli")), Some(&config), "c").unwrap();
        assert_eq!(cli.role, "ReadOnly");
        let err = resolve(
            &request(None, None, Some("plain"), None),
            Some(&config),
            "c",
        )
        .unwrap_err();
        assert!(matches!(err, TargetError::NotOurs { .. }));
        let err =
            resolve(&request(None, None, Some("nope"), None), Some(&config), "c").unwrap_err();
        assert!(matches!(err, TargetError::NoProfile { .. }));
        assert_eq!(
            resolve(&TargetSpec::default(), Some(&config), "c").unwrap_err(),
            TargetError::Missing
        );
    }

    const CHAINS: &str = "[profile base]\nsso_session = work\nsso_account_id = 111122223333\nsso_role_name = Admin\nregion = eu-west-1\n\n[profile deploy]\nrole_arn = arn:aws:iam::222233334444:role/Deploy\nsource_profile = base\nduration_seconds = 1800\nsts_regional_endpoints = legacy\n\n[profile audit]\nrole_arn = arn:aws:iam::555566667777:role/Audit\nsource_profile = deploy\nexternal_id = x-1\nrole_session_name = auditor\nregion = us-west-2\n\n[profile self]\nrole_arn = arn:aws:iam::222233334444:role/Deploy\nsource_profile = self\nssokey_account_id = 111122223333\nssokey_role_name = Admin\n\n[profile a]\nrole_arn = arn:aws:iam::222233334444:role/Deploy\nsource_profile = b\n\n[profile b]\nrole_arn = arn:aws:iam::222233334444:role/Deploy\nsource_profile = c\n\n[profile c]\nrole_arn = arn:aws:iam::222233334444:role/Deploy\nsource_profile = a\n\n[profile me]\nrole_arn = arn:aws:iam::222233334444:role/Deploy\nsource_profile = me\n\n[profile orphan]\nrole_arn = arn:aws:iam::222233334444:role/Deploy\nsource_profile = gone\n\n[profile keyless]\nrole_arn = arn:aws:iam::222233334444:role/Deploy\ncredential_source = Environment\n";

    fn profile(name: &str) -> Result<Target, TargetError> {
        let config = ConfigFile::parse(CHAINS).unwrap();
        resolve(&request(None, None, Some(name), None), Some(&config), "c")
    }

    #[test]
    fn source_profiles_chain_down_to_an_identity_center_role() {
        let audit = profile("audit").unwrap();
        assert_eq!(
            (
                audit.session.as_deref(),
                &audit.account,
                audit.role.as_str()
            ),
            (
                Some("work"),
                &AccountRef::Id("111122223333".into()),
                "Admin"
            )
        );
        let arns: Vec<&str> = audit
            .chain
            .hops
            .iter()
            .map(|h| h.role_arn.as_str())
            .collect();
        assert_eq!(
            arns,
            [
                "arn:aws:iam::222233334444:role/Deploy",
                "arn:aws:iam::555566667777:role/Audit"
            ]
        );
        let (deploy, last) = (&audit.chain.hops[0], &audit.chain.hops[1]);
        assert_eq!(deploy.duration_seconds, Some(1800));
        assert_eq!(deploy.profile.as_deref(), Some("deploy"));
        assert_eq!(last.external_id.as_deref(), Some("x-1"));
        assert_eq!(last.session_name.as_deref(), Some("auditor"));
        // The profile's own region and endpoint setting first, then the chain's.
        assert_eq!(audit.chain.region.as_deref(), Some("us-west-2"));
        assert_eq!(audit.chain.legacy_endpoints, Some(true));
        assert_eq!(profile("self").unwrap().chain.legacy_endpoints, None);
        assert_eq!(
            profile("deploy").unwrap().chain.region.as_deref(),
            Some("eu-west-1")
        );
        // A profile may be its own source when it names an Identity Center role.
        let own = profile("self").unwrap();
        assert_eq!((own.role.as_str(), own.chain.hops.len()), ("Admin", 1));
        // Another chain, another cache entry.
        assert_ne!(audit.chain.id(), profile("deploy").unwrap().chain.id());
        assert_eq!(audit.chain.id(), profile("audit").unwrap().chain.id());
        assert!(profile("base").unwrap().chain.is_empty());
    }

    #[test]
    fn loops_and_missing_sources_are_named() {
        assert_eq!(
            profile("a").unwrap_err(),
            TargetError::SourceProfileLoop {
                visited: vec!["a".into(), "b".into(), "c".into(), "a".into()]
            }
        );
        assert_eq!(
            profile("me").unwrap_err().to_string(),
            "the profiles' source_profile keys make a loop: me -> me"
        );
        assert!(matches!(
            profile("orphan").unwrap_err(),
            TargetError::NoSourceProfile { source_profile, .. } if source_profile == "gone"
        ));
        assert!(matches!(
            profile("keyless").unwrap_err(),
            TargetError::NoSource {
                credential_source: true,
                ..
            }
        ));
        for err in [profile("a"), profile("orphan"), profile("keyless")] {
            assert_eq!(err.unwrap_err().exit(), Exit::Usage);
        }
    }

    #[test]
    fn hops_that_sts_would_refuse_are_refused_first() {
        let config = ConfigFile::parse(CHAINS).unwrap();
        let with = |arns: &[&str], name: Option<&str>| {
            let spec = TargetSpec {
                assume_roles: arns.iter().map(|a| (*a).to_owned()).collect(),
                role_session_name: name.map(str::to_owned),
                ..request(None, None, Some("base"), None)
            };
            resolve(&spec, Some(&config), "c")
        };
        let deploy = "arn:aws:iam::222233334444:role/Deploy";
        assert_eq!(with(&[deploy], None).unwrap().chain.hops.len(), 1);
        for bad in [
            "Deploy",
            "arn:aws:iam::2222:role/Deploy",
            "arn:aws:iam::222233334444:user/x",
        ] {
            assert_eq!(
                with(&[bad], None).unwrap_err(),
                TargetError::BadRoleArn(bad.into())
            );
        }
        assert!(matches!(
            with(&[deploy], Some("a b")).unwrap_err(),
            TargetError::BadSessionName { .. }
        ));
        for secs in ["899", "3601", "soon"] {
            let text = CHAINS.replace(
                "duration_seconds = 1800",
                &format!("duration_seconds = {secs}"),
            );
            let config = ConfigFile::parse(&text).unwrap();
            let err = resolve(
                &request(None, None, Some("deploy"), None),
                Some(&config),
                "c",
            )
            .unwrap_err();
            assert!(
                matches!(err, TargetError::BadDuration { .. }),
                "{secs}: {err}"
            );
        }
    }

    #[test]
    fn session_names_are_made_valid_for_sts() {
        assert_eq!(
            session_name_of("jane.doe@example.com").as_deref(),
            Some("jane.doe@example.com")
        );
        assert_eq!(session_name_of("Jane Doe").as_deref(), Some("Jane_Doe"));
        assert_eq!(session_name_of(&"y".repeat(99)).map(|n| n.len()), Some(64));
        assert_eq!(session_name_of("j"), None);
    }

    #[test]
    fn bad_accounts_and_roles_are_refused() {
        for bad in ["12345", "1234567890123", ""] {
            assert!(AccountRef::parse(bad).is_err(), "{bad}");
        }
        for bad in ["", "a b", "x$(id)", "a'b", &"r".repeat(65)] {
            assert!(
                resolve(
                    &request(Some("111122223333"), Some(bad), None, None),
                    None,
                    "c"
                )
                .is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn close_matches_rank_the_likely_ones() {
        let roles = [
            "AdministratorAccess",
            "ReadOnlyAccess",
            "Billing",
            "PowerUserAccess",
        ];
        assert_eq!(
            close_matches("administratoraccess", roles),
            ["AdministratorAccess"]
        );
        assert_eq!(close_matches("ReadOnly", roles), ["ReadOnlyAccess"]);
        assert_eq!(close_matches("Biling", roles), ["Billing"]);
        assert!(close_matches("zzz", roles).is_empty());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
