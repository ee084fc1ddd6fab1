//! Which role in which account: from `--account` and `--role`, or from a
//! profile of the AWS config file (`--profile`, then `AWS_PROFILE`).

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
}

/// What the command line and the environment said.
#[derive(Debug, Clone, Default)]
pub struct TargetSpec {
    pub account: Option<String>,
    pub role: Option<String>,
    pub profile: Option<String>,
    /// `AWS_PROFILE`, used when nothing else names a target.
    pub env_profile: Option<String>,
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
    if let (Some(account), Some(role)) = (&request.account, &request.role) {
        return Ok(Target {
            session: None,
            account: AccountRef::parse(account)?,
            role: check_role(role)?,
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
    })
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
