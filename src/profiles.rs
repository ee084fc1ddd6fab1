//! The profiles that ssokey writes into the AWS config file: one per assigned
//! role, named from a template, recognisable by ssokey's own keys and its
//! `credential_process` line.

use std::collections::{BTreeMap, BTreeSet};

use crate::config_file::ConfigFile;
use crate::exit::{Exit, Reported};
use crate::listing::Assignment;

/// The default profile name: the account's name, then the role's.
pub const DEFAULT_TEMPLATE: &str = "{account_name}-{role_name}";

/// The keys that mark a profile as ssokey's, and name its target.
pub const SESSION_KEY: &str = "ssokey_session";
pub const ACCOUNT_KEY: &str = "ssokey_account_id";
pub const ROLE_KEY: &str = "ssokey_role_name";
const CREDENTIAL_PROCESS_KEY: &str = "credential_process";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProfilesError {
    #[error("the name template '{template}' has an unknown placeholder {{{placeholder}}}")]
    UnknownPlaceholder {
        template: String,
        placeholder: String,
    },
    #[error("the name template '{0}' has an unclosed '{{'")]
    Unclosed(String),
    #[error("{} is read-only; ssokey leaves it as it is", .0.display())]
    ReadOnly(std::path::PathBuf),
    #[error("cannot write {}: the directory {} does not exist", .path.display(), .dir.display())]
    NoDirectory {
        path: std::path::PathBuf,
        dir: std::path::PathBuf,
    },
    #[error(
        "the portal lists no roles for you in the session '{session}'; --prune would remove all {count} of its profiles"
    )]
    NothingListed { session: String, count: usize },
}

impl ProfilesError {
    pub fn hint(&self) -> String {
        let placeholders = "{account_name}, {account_id}, {role_name} and {session}";
        match self {
            Self::UnknownPlaceholder { .. } => {
                format!("use {placeholders}, e.g. --name '{{account_name}}-{{role_name}}'")
            }
            Self::Unclosed(_) => {
                format!("close every '{{' with '}}'; the placeholders are {placeholders}")
            }
            Self::ReadOnly(path) => format!(
                "make it writable (chmod u+w {}), or run without --write to see the changes",
                path.display()
            ),
            Self::NoDirectory { dir, .. } => format!(
                "create it (mkdir -p {}), or point AWS_CONFIG_FILE at another file",
                dir.display()
            ),
            Self::NothingListed { .. } => "check with: ssokey list --refresh; if every role really was taken away, delete the profiles yourself".to_owned(),
        }
    }
}

/// A profile to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned<'a> {
    pub name: String,
    pub assignment: &'a Assignment,
}

/// Fills the template's placeholders.
pub fn render_name(
    template: &str,
    assignment: &Assignment,
    session: &str,
) -> Result<String, ProfilesError> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| ProfilesError::Unclosed(template.to_owned()))?;
        let value = match &after[..close] {
            "account_name" => assignment.account_name.as_str(),
            "account_id" => assignment.account_id.as_str(),
            "role_name" => assignment.role_name.as_str(),
            "session" => session,
            other => {
                return Err(ProfilesError::UnknownPlaceholder {
                    template: template.to_owned(),
                    placeholder: other.to_owned(),
                });
            }
        };
        out.push_str(value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(sanitize(&out))
}

/// A name that shells, `AWS_PROFILE` and the AWS CLI all take as it is:
/// letters, digits, `.`, `_` and `-`; anything else becomes `-`, runs of `-`
/// become one, and none is left at either end.
pub fn sanitize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for ch in name.chars() {
        let ch = if ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-') {
            ch
        } else {
            '-'
        };
        if !(ch == '-' && out.ends_with('-')) {
            out.push(ch);
        }
    }
    let trimmed = out.trim_matches(|c| c == '-' || c == '.');
    if trimmed.is_empty() {
        "profile".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Whether ssokey never names a profile `name`: `default` (in any case), the
/// profile that the AWS CLI and the SDKs use for every command run without
/// `--profile` or `AWS_PROFILE`. Written as `[profile default]`, a portal's
/// account or role name would decide what all of those commands run as.
/// ssokey writes every other name as `[profile NAME]` with NAME made of
/// letters, digits, `.`, `_` and `-` (see [`sanitize`]), which botocore and
/// the SDKs read as the profile NAME and nothing else.
pub fn is_reserved(name: &str) -> bool {
    name.eq_ignore_ascii_case("default")
}

/// The profiles already in the config file, as [`plan`] sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Existing {
    /// The session's profiles that ssokey wrote, by name, each with the
    /// account id and role name it names.
    pub ours: BTreeMap<String, (String, String)>,
    /// Every other profile: the user's own and those of other sessions.
    pub taken: BTreeSet<String>,
}

impl Existing {
    /// Sorts the profiles of `config`. Ours are those that ssokey wrote for
    /// the session: its `ssokey_session`, an account, a role, and the
    /// `credential_process` line that [`keys`] writes. A profile that the
    /// user wrote with ssokey's keys (for `--profile NAME`, or with a
    /// `credential_process` of their own) is theirs.
    pub fn read(config: &ConfigFile, session: &str) -> Self {
        let mut existing = Self {
            ours: BTreeMap::new(),
            taken: config.profile_names().into_iter().collect(),
        };
        for name in config.profiles_where(SESSION_KEY, session) {
            let Some(profile) = config.profile(&name) else {
                continue;
            };
            let written = profile.get(CREDENTIAL_PROCESS_KEY) == Some(&credential_process(&name));
            if let (true, Some(account), Some(role)) =
                (written, profile.get(ACCOUNT_KEY), profile.get(ROLE_KEY))
            {
                existing.taken.remove(&name);
                existing
                    .ours
                    .insert(name, (account.to_owned(), role.to_owned()));
            }
        }
        existing
    }
}

/// Names every assignment, so that a name never moves from one account or
/// role to another, and names never collide.
///
/// An assignment that a profile of ours already names keeps that profile's
/// name (when several do: the one the template names, else the first). The
/// others, in the listing's order, get the template's name unless a profile
/// has it (one of ours, even one whose role is gone, or one that ssokey does
/// not manage), an earlier assignment took it, or it is [reserved](is_reserved):
/// then the account id is appended, then a number. A profile of ours with a
/// reserved name (written by an older ssokey) names nothing any more: see
/// [`stale`]. Returns the plan and one line per name that had to change.
pub fn plan<'a>(
    assignments: &'a [Assignment],
    template: &str,
    session: &str,
    existing: &Existing,
) -> Result<(Vec<Planned<'a>>, Vec<String>), ProfilesError> {
    let bases = assignments
        .iter()
        .map(|assignment| render_name(template, assignment, session))
        .collect::<Result<Vec<_>, _>>()?;
    let mut claimed: BTreeSet<&str> = BTreeSet::new();
    let kept: Vec<Option<&str>> = assignments
        .iter()
        .zip(&bases)
        .map(|(assignment, base)| {
            let names: Vec<&str> = existing
                .ours
                .iter()
                .filter(|(name, (account, role))| {
                    *account == assignment.account_id
                        && *role == assignment.role_name
                        && !claimed.contains(name.as_str())
                        && !is_reserved(name)
                })
                .map(|(name, _)| name.as_str())
                .collect();
            let name = names
                .iter()
                .find(|name| **name == base.as_str())
                .or(names.first())
                .copied();
            claimed.extend(name);
            name
        })
        .collect();

    let mut used: BTreeSet<String> = existing.ours.keys().cloned().collect();
    let mut planned = Vec::with_capacity(assignments.len());
    let mut notes = Vec::new();
    for ((assignment, base), kept) in assignments.iter().zip(bases).zip(kept) {
        if let Some(name) = kept {
            planned.push(Planned {
                name: name.to_owned(),
                assignment,
            });
            continue;
        }
        let free = |name: &str| {
            !used.contains(name) && !existing.taken.contains(name) && !is_reserved(name)
        };
        let mut name = base.clone();
        if !free(&name) {
            name = sanitize(&format!("{base}-{}", assignment.account_id));
            let mut n = 2;
            while !free(&name) {
                name = sanitize(&format!("{base}-{}-{n}", assignment.account_id));
                n += 1;
            }
            let why = if is_reserved(&base) {
                "the AWS CLI uses a profile of that name for every command without --profile"
            } else if existing.taken.contains(&base) {
                "a profile that ssokey does not manage has that name"
            } else {
                "another role has that name"
            };
            notes.push(format!(
                "'{base}' for {} {} ({}) is named '{name}': {why}",
                assignment.account_id,
                crate::ui::escape(&assignment.account_name),
                assignment.role_name
            ));
        }
        used.insert(name.clone());
        planned.push(Planned { name, assignment });
    }
    Ok((planned, notes))
}

/// The profiles of ours whose account and role are no longer listed, and
/// those with a [reserved](is_reserved) name, in name order. Any other
/// profile of ours for a role that is listed is never stale, whatever its name.
pub fn stale<'e>(existing: &'e Existing, assignments: &[Assignment]) -> Vec<&'e str> {
    let listed: BTreeSet<(&str, &str)> = assignments
        .iter()
        .map(|a| (a.account_id.as_str(), a.role_name.as_str()))
        .collect();
    existing
        .ours
        .iter()
        .filter(|(name, (account, role))| {
            is_reserved(name) || !listed.contains(&(account.as_str(), role.as_str()))
        })
        .map(|(name, _)| name.as_str())
        .collect()
}

/// The `credential_process` line of the profile `name`, as ssokey writes it.
fn credential_process(name: &str) -> String {
    format!("ssokey credential-process --profile {name}")
}

/// Where the region of the written profiles comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionSource {
    /// `--region`.
    Flag,
    /// The `region` setting of the session's `[sso-session]` section.
    SessionSetting,
    /// The region of the Identity Center instance (`sso_region`).
    IdentityCenter,
}

impl RegionSource {
    /// Says where the region came from, for the line after the diff.
    pub fn describe(self, session: &str) -> String {
        match self {
            Self::Flag => "from --region".to_owned(),
            Self::SessionSetting => format!("from region in [sso-session {session}]"),
            Self::IdentityCenter => "the Identity Center region; --region sets another".to_owned(),
        }
    }
}

/// Pure: the region of the written profiles: `--region`, else the `region`
/// setting of the session's `[sso-session]`, else the Identity Center region,
/// so that `aws --profile NAME` works with no `AWS_REGION`.
pub fn region<'a>(
    flag: Option<&'a str>,
    session_setting: Option<&'a str>,
    identity_center: &'a str,
) -> (&'a str, RegionSource) {
    match (flag, session_setting) {
        (Some(flag), _) => (flag, RegionSource::Flag),
        (None, Some(setting)) => (setting, RegionSource::SessionSetting),
        (None, None) => (identity_center, RegionSource::IdentityCenter),
    }
}

/// The keys of a profile, in the order they are written.
pub fn keys(
    name: &str,
    assignment: &Assignment,
    session: &str,
    region: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut keys = vec![
        (CREDENTIAL_PROCESS_KEY, credential_process(name)),
        (SESSION_KEY, session.to_owned()),
        (ACCOUNT_KEY, assignment.account_id.clone()),
        (ROLE_KEY, assignment.role_name.clone()),
    ];
    if let Some(region) = region {
        keys.push(("region", region.to_owned()));
    }
    keys
}

impl Reported for ProfilesError {
    fn hint(&self) -> Option<String> {
        Some(ProfilesError::hint(self))
    }
    fn exit(&self) -> Exit {
        match self {
            ProfilesError::UnknownPlaceholder { .. } | ProfilesError::Unclosed(_) => Exit::Usage,
            ProfilesError::ReadOnly(_)
            | ProfilesError::NoDirectory { .. }
            | ProfilesError::NothingListed { .. } => Exit::Failure,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    use crate::listing::tests::assignment;

    #[test]
    fn the_region_is_the_flag_else_the_sessions_setting_else_identity_centers() {
        use RegionSource::*;
        assert_eq!(region(Some("a"), Some("b"), "c"), ("a", Flag));
        assert_eq!(region(None, Some("b"), "c"), ("b", SessionSetting));
        assert_eq!(region(None, None, "c"), ("c", IdentityCenter));
    }

    #[test]
    fn names_are_safe_for_shells_and_the_cli() {
        assert_eq!(sanitize("Prod Account"), "Prod-Account");
        assert_eq!(sanitize("a'b\"c$(rm -rf)`x`\nz"), "a-b-c-rm-rf-x-z");
        assert_eq!(sanitize("  --Ünïcode--  "), "n-code");
        assert_eq!(sanitize("[]"), "profile");
        assert_eq!(sanitize("dev.team_1-admin"), "dev.team_1-admin");
    }

    #[test]
    fn templates_fill_every_placeholder() {
        let a = assignment("111122223333", "prod", "Admin");
        assert_eq!(
            render_name(DEFAULT_TEMPLATE, &a, "work").unwrap(),
            "prod-Admin"
        );
        assert_eq!(
            render_name("{session}.{account_id}.{role_name}", &a, "work").unwrap(),
            "work.111122223333.Admin"
        );
        assert!(matches!(
            render_name("{account}", &a, "w"),
            Err(ProfilesError::UnknownPlaceholder { .. })
        ));
        assert!(matches!(
            render_name("{role_name", &a, "w"),
            Err(ProfilesError::Unclosed(_))
        ));
    }

    #[test]
    fn collisions_are_resolved_deterministically_and_reported() {
        let assignments = [
            assignment("111111111111", "prod", "Admin"),
            assignment("222222222222", "prod", "Admin"),
            assignment("333333333333", "mine", "Admin"),
        ];
        let existing = Existing {
            taken: BTreeSet::from(["mine-Admin".to_owned()]),
            ..Existing::default()
        };
        let (planned, notes) = plan(&assignments, DEFAULT_TEMPLATE, "w", &existing).unwrap();
        let names: Vec<&str> = planned.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "prod-Admin",
                "prod-Admin-222222222222",
                "mine-Admin-333333333333"
            ]
        );
        assert_eq!(notes.len(), 2);
        assert!(notes[1].contains("does not manage"), "{notes:?}");
        let (again, _) = plan(&assignments, DEFAULT_TEMPLATE, "w", &existing).unwrap();
        assert_eq!(planned, again);
    }

    #[test]
    fn no_template_names_the_default_profile() {
        // An account name that sanitizes away leaves the role's name alone.
        let assignments = [
            assignment("111111111111", "***", "default"),
            assignment("222222222222", "default", "Admin"),
            assignment("333333333333", "DEFAULT", "Admin"),
        ];
        let (planned, notes) = plan(
            &assignments[..1],
            DEFAULT_TEMPLATE,
            "w",
            &Existing::default(),
        )
        .unwrap();
        assert_eq!(names(&planned), ["default-111111111111"]);
        assert_eq!(
            notes,
            [
                "'default' for 111111111111 *** (default) is named 'default-111111111111': the AWS CLI uses a profile of that name for every command without --profile"
            ]
        );
        let (planned, notes) = plan(
            &assignments[1..],
            "{account_name}",
            "w",
            &Existing::default(),
        )
        .unwrap();
        assert_eq!(
            names(&planned),
            ["default-222222222222", "DEFAULT-333333333333"]
        );
        assert_eq!(notes.len(), 2);
        assert!(is_reserved("default") && is_reserved("Default") && !is_reserved("default-1"));
    }

    #[test]
    fn a_default_profile_that_ssokey_wrote_is_renamed_and_stale() {
        let assignments = [assignment("111111111111", "default", "Admin")];
        let existing = ours(&[("default", "111111111111", "Admin")]);
        let (planned, _) = plan(&assignments, "{account_name}", "w", &existing).unwrap();
        assert_eq!(names(&planned), ["default-111111111111"]);
        assert_eq!(stale(&existing, &assignments), ["default"]);
    }

    fn ours(profiles: &[(&str, &str, &str)]) -> Existing {
        Existing {
            ours: profiles
                .iter()
                .map(|(name, account, role)| {
                    (
                        (*name).to_owned(),
                        ((*account).to_owned(), (*role).to_owned()),
                    )
                })
                .collect(),
            taken: BTreeSet::new(),
        }
    }

    fn names<'a>(planned: &'a [Planned<'_>]) -> Vec<&'a str> {
        planned.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn a_name_stays_with_the_role_it_names() {
        // prod-Admin names the second account; the first, listed before it,
        // must not take the name over.
        let assignments = [
            assignment("111111111111", "prod", "Admin"),
            assignment("222222222222", "prod", "Admin"),
        ];
        let existing = ours(&[("prod-Admin", "222222222222", "Admin")]);
        let (planned, notes) = plan(&assignments, DEFAULT_TEMPLATE, "w", &existing).unwrap();
        assert_eq!(names(&planned), ["prod-Admin-111111111111", "prod-Admin"]);
        assert_eq!(
            notes,
            [
                "'prod-Admin' for 111111111111 prod (Admin) is named 'prod-Admin-111111111111': another role has that name"
            ]
        );

        // A profile whose role is gone keeps its name from a newcomer too.
        let existing = ours(&[("prod-Admin", "999999999999", "Admin")]);
        let (planned, _) = plan(&assignments[..1], DEFAULT_TEMPLATE, "w", &existing).unwrap();
        assert_eq!(names(&planned), ["prod-Admin-111111111111"]);
    }

    #[test]
    fn a_profile_keeps_its_name_whatever_the_template() {
        let assignments = [
            assignment("111111111111", "prod", "Admin"),
            assignment("111111111111", "prod", "ReadOnly"),
        ];
        let existing = ours(&[
            ("old-name", "111111111111", "Admin"),
            // Two profiles for one role: the template's name wins.
            ("111111111111-ReadOnly", "111111111111", "ReadOnly"),
            ("0-first", "111111111111", "ReadOnly"),
        ]);
        let template = "{account_id}-{role_name}";
        let (planned, notes) = plan(&assignments, template, "w", &existing).unwrap();
        assert_eq!(names(&planned), ["old-name", "111111111111-ReadOnly"]);
        assert!(notes.is_empty(), "{notes:?}");
        let (planned, _) = plan(&assignments, "x", "w", &existing).unwrap();
        assert_eq!(names(&planned), ["old-name", "0-first"]);
    }

    #[test]
    fn ours_are_the_profiles_ssokey_wrote_for_the_session() {
        let config = ConfigFile::parse(
            "[default]\nregion = eu-west-1\n\n\
             [profile prod-Admin]\ncredential_process = ssokey credential-process --profile prod-Admin\n\
             ssokey_session = w\nssokey_account_id = 111111111111\nssokey_role_name = Admin\nregion = x\n\n\
             [profile other]\ncredential_process = ssokey credential-process --profile other\n\
             ssokey_session = x\nssokey_account_id = 111111111111\nssokey_role_name = Admin\n\n\
             [profile dev]\nssokey_session = w\nssokey_account_id = 111111111111\nssokey_role_name = Admin\n\n\
             [profile slow]\ncredential_process = ssokey credential-process --profile slow --margin 30m\n\
             ssokey_session = w\nssokey_account_id = 111111111111\nssokey_role_name = Admin\n\n\
             [profile copy]\ncredential_process = ssokey credential-process --profile prod-Admin\n\
             ssokey_session = w\nssokey_account_id = 111111111111\nssokey_role_name = Admin\n\n\
             [profile half]\ncredential_process = ssokey credential-process --profile half\n\
             ssokey_session = w\nssokey_role_name = Admin\n",
        )
        .unwrap();
        let existing = Existing::read(&config, "w");
        assert_eq!(existing, {
            let mut expected = ours(&[("prod-Admin", "111111111111", "Admin")]);
            expected.taken = ["default", "other", "dev", "slow", "copy", "half"]
                .map(str::to_owned)
                .into();
            expected
        });
    }

    #[test]
    fn stale_profiles_are_those_whose_role_is_gone() {
        let existing = ours(&[
            ("prod-Admin", "111111111111", "Admin"),
            ("renamed", "111111111111", "Admin"),
            ("prod-Old", "111111111111", "Old"),
            ("gone-Admin", "222222222222", "Admin"),
        ]);
        let listed = [
            assignment("111111111111", "prod", "Admin"),
            assignment("333333333333", "new", "Old"),
        ];
        assert_eq!(stale(&existing, &listed), ["gone-Admin", "prod-Old"]);
        assert_eq!(stale(&existing, &[]).len(), 4);
    }

    #[test]
    fn profile_keys_call_ssokey_and_never_carry_sso_keys() {
        let a = assignment("111122223333", "prod", "Admin");
        let keys = keys("prod-Admin", &a, "work", Some("eu-west-1"));
        assert_eq!(
            keys,
            [
                (
                    "credential_process",
                    "ssokey credential-process --profile prod-Admin".to_owned()
                ),
                ("ssokey_session", "work".to_owned()),
                ("ssokey_account_id", "111122223333".to_owned()),
                ("ssokey_role_name", "Admin".to_owned()),
                ("region", "eu-west-1".to_owned()),
            ]
        );
        assert!(keys.iter().all(|(k, _)| !k.starts_with("sso_")));
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;
        use crate::config_file::ConfigFile;

        const CASES: u32 = 3000;

        fn account_name() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                "[ a-zA-Z'\"$()`;|&<>\\\n\r\t#=\\[\\]%!^.é名🐱-]{0,20}",
                Just("prod".to_owned()),
                Just("default".to_owned()),
                Just("***".to_owned()),
            ]
        }

        fn assignments() -> impl Strategy<Value = Vec<Assignment>> {
            proptest::collection::vec(
                (
                    "[0-9]{12}",
                    account_name(),
                    prop_oneof![
                        "[A-Za-z0-9+=,.@_-]{1,20}",
                        Just("default".to_owned()),
                        Just("Default".to_owned()),
                    ],
                ),
                1..8,
            )
            .prop_map(|items| {
                items
                    .into_iter()
                    .map(|(id, name, role)| Assignment {
                        account_id: id,
                        account_name: name,
                        email_address: String::new(),
                        role_name: role,
                    })
                    .collect()
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(CASES))]

            /// Whatever the account names: every planned name is unique,
            /// free, made of letters, digits, `.`, `_` and `-`, and its
            /// profile is written and reads back with the role it names.
            #[test]
            fn planned_profiles_are_safe_and_read_back(
                assignments in assignments(),
                template in prop_oneof![
                    Just(DEFAULT_TEMPLATE),
                    Just("{account_name}"),
                    Just("{session}-{account_id}-{role_name}"),
                    Just("x {account_name} y"),
                ],
                session in "[A-Za-z0-9._-]{1,12}",
                taken in proptest::collection::btree_set(
                    prop_oneof![account_name().prop_map(|n| sanitize(&n)), Just("profile".to_owned())],
                    0..4,
                ),
            ) {
                let existing = Existing { taken: taken.clone(), ..Existing::default() };
                let (planned, _) = plan(&assignments, template, &session, &existing).unwrap();
                prop_assert_eq!(planned.len(), assignments.len());
                let config: String = taken
                    .iter()
                    .map(|name| format!("[profile {name}]\nregion = eu-west-1\n"))
                    .collect::<Vec<_>>()
                    .concat();
                let mut file = ConfigFile::parse(&config).unwrap();
                let mut seen = BTreeSet::new();
                for profile in &planned {
                    let name = &profile.name;
                    prop_assert!(seen.insert(name.clone()), "{} twice", name);
                    prop_assert!(!taken.contains(name));
                    prop_assert!(!is_reserved(name), "{}", name);
                    prop_assert!(!name.is_empty());
                    prop_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)), "{}", name);
                    prop_assert!(!name.starts_with(['-', '.']) && !name.ends_with(['-', '.']), "{}", name);
                    let keys = keys(name, profile.assignment, &session, Some("eu-west-1"));
                    let keys: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    prop_assert!(file.upsert_profile(name, &keys));
                }
                let file = ConfigFile::parse(&file.to_string()).unwrap();
                for profile in &planned {
                    let read = file.profile(&profile.name).unwrap();
                    prop_assert_eq!(read.get(ROLE_KEY), Some(profile.assignment.role_name.as_str()));
                    prop_assert_eq!(read.get(ACCOUNT_KEY), Some(profile.assignment.account_id.as_str()));
                    prop_assert_eq!(read.get(SESSION_KEY), Some(session.as_str()));
                }
                for name in &taken {
                    let kept = file.profile(name).unwrap();
                    prop_assert_eq!(kept.get("region"), Some("eu-west-1"));
                }
            }

            /// Whatever roles come and go: a written profile keeps its name
            /// and the role it names, and planning again changes nothing.
            #[test]
            fn names_never_move(
                assignments in assignments(),
                later in assignments(),
                split in 0..8usize,
                template in prop_oneof![Just(DEFAULT_TEMPLATE), Just("{account_name}")],
            ) {
                let write = |file: &mut ConfigFile, planned: &[Planned<'_>]| {
                    for profile in planned {
                        let keys = keys(&profile.name, profile.assignment, "w", None);
                        let keys: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (*k, v.as_str())).collect();
                        file.upsert_profile(&profile.name, &keys);
                    }
                };
                let mut file = ConfigFile::parse("").unwrap();
                let (first, _) = plan(&assignments, template, "w", &Existing::read(&file, "w")).unwrap();
                write(&mut file, &first);
                // Some roles are gone, others are new and listed first.
                let split = split.min(assignments.len());
                let now: Vec<Assignment> = later.iter().chain(&assignments[split..]).cloned().collect();
                let existing = Existing::read(&file, "w");
                let (second, _) = plan(&now, template, "w", &existing).unwrap();
                let target = |p: &Planned<'_>| (p.assignment.account_id.clone(), p.assignment.role_name.clone());
                let mut seen = BTreeSet::new();
                for profile in &second {
                    prop_assert!(seen.insert(profile.name.clone()), "{} twice", profile.name);
                    if let Some(named) = existing.ours.get(&profile.name) {
                        prop_assert_eq!(named, &target(profile), "{} moved", profile.name);
                    }
                }
                for profile in &first[split..] {
                    prop_assert!(second.iter().any(|p| p.name == profile.name), "{} lost", profile.name);
                }
                write(&mut file, &second);
                let (third, _) = plan(&now, template, "w", &Existing::read(&file, "w")).unwrap();
                prop_assert_eq!(second, third);
            }
        }
    }
}
