//! The user portal (the `sso` service): accounts, roles, role credentials and
//! sign-out, each call authorized by the access token.

use aws_config::SdkConfig;
use aws_sdk_sso::config::http::HttpResponse;
use aws_sdk_sso::error::{ProvideErrorMetadata, SdkError};
use serde::{Deserialize, Serialize};

use crate::aws::sdk::CallError;
use crate::credentials::RoleCredentials;
use crate::secret::Secret;

/// An account assigned to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub account_id: String,
    pub account_name: String,
    pub email_address: String,
}

/// Whether `id` is an AWS account id: 12 ASCII digits.
pub fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `name` is a role (permission set) name as IAM allows it: 1 to 64
/// of letters, digits and `+=,.@_-`. Nothing else is ever a role, so a name
/// outside that set comes from a broken or hostile endpoint and is refused
/// before it reaches a keychain key, a profile or a command line.
pub fn is_role_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

/// The longest account name that AWS Organizations allows, in characters.
pub const MAX_ACCOUNT_NAME: usize = 50;
/// The longest e-mail address of an account that AWS Organizations allows.
pub const MAX_EMAIL_ADDRESS: usize = 64;

/// `text` cut to its first `max` characters, and whether anything was cut.
pub fn clip(text: &str, max: usize) -> (&str, bool) {
    match text.char_indices().nth(max) {
        Some((at, _)) => (&text[..at], true),
        None => (text, false),
    }
}

impl Account {
    /// An account in a ListAccounts answer, checked: its id must be an
    /// account id; the name and e-mail address are free text (a missing one
    /// is empty), cut to the lengths that AWS allows ([`MAX_ACCOUNT_NAME`],
    /// [`MAX_EMAIL_ADDRESS`]), so that a portal cannot fill memory, caches
    /// and tables with them. Returns the account and whether anything was
    /// cut. Pure, for the property tests.
    pub fn from_response(
        account_id: Option<&str>,
        account_name: Option<&str>,
        email_address: Option<&str>,
    ) -> Result<(Self, bool), &'static str> {
        let account_id = account_id
            .filter(|id| is_account_id(id))
            .ok_or("an account has no 12-digit account id")?;
        let (account_name, name_cut) = clip(account_name.unwrap_or_default(), MAX_ACCOUNT_NAME);
        let (email_address, email_cut) = clip(email_address.unwrap_or_default(), MAX_EMAIL_ADDRESS);
        let account = Self {
            account_id: account_id.to_owned(),
            account_name: account_name.to_owned(),
            email_address: email_address.to_owned(),
        };
        Ok((account, name_cut || email_cut))
    }
}

/// Says once per run that the portal sent names longer than AWS allows.
fn warn_of_cut_names() {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        crate::ui::warning(format_args!(
            "the portal sent account names or e-mail addresses longer than AWS allows \
             ({MAX_ACCOUNT_NAME} and {MAX_EMAIL_ADDRESS} characters); ssokey keeps only \
             their beginning"
        ));
    }
}

/// The role names in a ListAccountRoles answer, checked (see [`is_role_name`]).
pub fn roles_from_response<'a>(
    names: impl IntoIterator<Item = Option<&'a str>>,
) -> Result<Vec<String>, &'static str> {
    names
        .into_iter()
        .map(|name| match name {
            Some(name) if is_role_name(name) => Ok(name.to_owned()),
            Some(_) => Err("a role name holds characters that IAM role names never do"),
            None => Err("a role has no name"),
        })
        .collect()
}

/// The page tokens of one paginated listing. A portal that hands back a token
/// it gave before would have the listing loop forever, and so would one that
/// never stops: both are refused.
#[derive(Debug, Default)]
pub struct PageTokens {
    seen: std::collections::HashSet<String>,
}

impl PageTokens {
    /// The most pages one listing takes (a million accounts at 100 a page).
    pub const MAX_PAGES: usize = 10_000;

    /// The token of the next page, `None` after the last page (no token, or
    /// an empty one).
    pub fn next(&mut self, token: Option<&str>) -> Result<Option<String>, &'static str> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        if self.seen.len() >= Self::MAX_PAGES {
            return Err("the listing has more pages than any portal serves");
        }
        if !self.seen.insert(token.to_owned()) {
            return Err("the portal handed out the same page token twice");
        }
        Ok(Some(token.to_owned()))
    }
}

/// The most items a listing asks for per page.
const PAGE_SIZE: i32 = 100;

#[derive(Clone)]
pub struct PortalClient {
    client: aws_sdk_sso::Client,
    /// The host the calls go to, for the error when it cannot be reached.
    host: Option<String>,
}

/// The base URL of the portal, as the SDK resolves it for its calls:
/// `AWS_ENDPOINT_URL_SSO` (or `endpoint_url` in the profile's services
/// section), else `AWS_ENDPOINT_URL`, else the region's endpoint; none when
/// it cannot be resolved (the calls then fail as they would).
pub async fn endpoint(config: &SdkConfig) -> Option<String> {
    use aws_sdk_sso::config::endpoint::{DefaultResolver, ResolveEndpoint as _};
    let params = endpoint_params(config)?;
    let resolved = DefaultResolver::new()
        .resolve_endpoint(&params)
        .await
        .ok()?;
    Some(resolved.url().to_owned())
}

/// What the SDK's endpoint resolver takes for the portal.
fn endpoint_params(config: &SdkConfig) -> Option<aws_sdk_sso::config::endpoint::Params> {
    aws_sdk_sso::config::endpoint::Params::builder()
        .set_region(config.region().map(ToString::to_string))
        .use_fips(config.use_fips().unwrap_or(false))
        .use_dual_stack(config.use_dual_stack().unwrap_or(false))
        .set_endpoint(super::sdk::configured_endpoint(config, "SSO"))
        .build()
        .ok()
}

/// The portal's host, for the error when it cannot be reached.
fn endpoint_host(config: &SdkConfig) -> Option<String> {
    use aws_sdk_sso::config::endpoint::{DefaultResolver, ResolveEndpoint as _};
    let params = endpoint_params(config)?;
    super::sdk::resolved_host(DefaultResolver::new().resolve_endpoint(&params))
}

impl PortalClient {
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            client: aws_sdk_sso::Client::new(config),
            host: endpoint_host(config),
        }
    }

    /// A failed call as a [`CallError`] that names the host called.
    fn failed<E>(&self, op: &'static str, err: &SdkError<E, HttpResponse>) -> CallError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        CallError::from_sdk(op, err).at(self.host.as_deref())
    }

    /// The same client with the SDK's retries off, for callers that pace and
    /// retry many requests themselves.
    pub fn without_retries(config: &SdkConfig) -> Self {
        let host = endpoint_host(config);
        let config = aws_sdk_sso::config::Builder::from(config)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        Self {
            client: aws_sdk_sso::Client::from_conf(config),
            host,
        }
    }

    /// Every account assigned to the user, all pages.
    pub async fn accounts(&self, access_token: &Secret) -> Result<Vec<Account>, CallError> {
        let mut accounts = Vec::new();
        let mut tokens = PageTokens::default();
        let mut next = None;
        loop {
            let (page, token) = self.accounts_page(access_token, next).await?;
            accounts.extend(page);
            next = tokens
                .next(token.as_deref())
                .map_err(|cause| CallError::Malformed {
                    op: "ListAccounts",
                    cause: cause.to_owned(),
                })?;
            if next.is_none() {
                return Ok(accounts);
            }
        }
    }

    /// One page of ListAccounts, and the token of the next page.
    pub async fn accounts_page(
        &self,
        access_token: &Secret,
        next: Option<String>,
    ) -> Result<(Vec<Account>, Option<String>), CallError> {
        tracing::debug!(op = "ListAccounts", "calling the portal");
        let out = self
            .client
            .list_accounts()
            .access_token(access_token.expose())
            .set_next_token(next)
            .max_results(PAGE_SIZE)
            .send()
            .await
            .map_err(|err| self.failed("ListAccounts", &err))?;
        let mut accounts = Vec::with_capacity(out.account_list().len());
        for a in out.account_list() {
            let (account, cut) =
                Account::from_response(a.account_id(), a.account_name(), a.email_address())
                    .map_err(|cause| CallError::Malformed {
                        op: "ListAccounts",
                        cause: cause.to_owned(),
                    })?;
            if cut {
                warn_of_cut_names();
            }
            accounts.push(account);
        }
        Ok((accounts, out.next_token().map(str::to_owned)))
    }

    /// The names of every role the user has in the account, all pages.
    pub async fn roles(
        &self,
        access_token: &Secret,
        account_id: &str,
    ) -> Result<Vec<String>, CallError> {
        let mut roles = Vec::new();
        let mut tokens = PageTokens::default();
        let mut next = None;
        loop {
            let (page, token) = self.roles_page(access_token, account_id, next).await?;
            roles.extend(page);
            next = tokens
                .next(token.as_deref())
                .map_err(|cause| CallError::Malformed {
                    op: "ListAccountRoles",
                    cause: cause.to_owned(),
                })?;
            if next.is_none() {
                return Ok(roles);
            }
        }
    }

    /// One page of ListAccountRoles, and the token of the next page.
    pub async fn roles_page(
        &self,
        access_token: &Secret,
        account_id: &str,
        next: Option<String>,
    ) -> Result<(Vec<String>, Option<String>), CallError> {
        tracing::debug!(op = "ListAccountRoles", account_id, "calling the portal");
        let out = self
            .client
            .list_account_roles()
            .access_token(access_token.expose())
            .account_id(account_id)
            .set_next_token(next)
            .max_results(PAGE_SIZE)
            .send()
            .await
            .map_err(|err| self.failed("ListAccountRoles", &err))?;
        let roles = roles_from_response(out.role_list().iter().map(|r| r.role_name())).map_err(
            |cause| CallError::Malformed {
                op: "ListAccountRoles",
                cause: cause.to_owned(),
            },
        )?;
        Ok((roles, out.next_token().map(str::to_owned)))
    }

    pub async fn role_credentials(
        &self,
        access_token: &Secret,
        account_id: &str,
        role_name: &str,
    ) -> Result<RoleCredentials, CallError> {
        tracing::debug!(
            op = "GetRoleCredentials",
            account_id,
            role_name,
            "calling the portal"
        );
        let op = "GetRoleCredentials";
        let out = self
            .client
            .get_role_credentials()
            .access_token(access_token.expose())
            .account_id(account_id)
            .role_name(role_name)
            .send()
            .await
            .map_err(|err| self.failed(op, &err))?;
        let malformed = |cause: &str| CallError::Malformed {
            op,
            cause: cause.to_owned(),
        };
        let creds = out
            .role_credentials()
            .ok_or_else(|| malformed("it has no roleCredentials"))?;
        RoleCredentials::from_response(
            creds.access_key_id(),
            creds.secret_access_key(),
            creds.session_token(),
            creds.expiration(),
        )
        .map_err(malformed)
        .and_then(|credentials| {
            // Handed on, they would fail every request they sign, and be
            // asked for again by every SDK at once.
            if credentials.expiration <= crate::clock::now() {
                return Err(malformed(
                    "the credentials had expired when they arrived (is this machine's clock right?)",
                ));
            }
            Ok(credentials)
        })
    }

    /// The portal's clock, from the Date header of its answer to a request
    /// that it refuses (ListAccounts with a token that is no token), so that
    /// asking has no side effect.
    pub async fn server_time(&self) -> Result<std::time::SystemTime, CallError> {
        use aws_sdk_sso::error::SdkError;
        let op = "ListAccounts";
        let result = self
            .client
            .list_accounts()
            .access_token("ssokey-doctor-clock-probe")
            .max_results(1)
            .send()
            .await;
        let date = match &result {
            Err(SdkError::ServiceError(err)) => err.raw().headers().get("date"),
            Err(SdkError::ResponseError(err)) => err.raw().headers().get("date"),
            Err(err) => return Err(self.failed(op, err)),
            Ok(_) => None,
        };
        let malformed = |cause: &str| CallError::Malformed {
            op,
            cause: cause.to_owned(),
        };
        let date = date.ok_or_else(|| malformed("the answer has no Date header"))?;
        httpdate::parse_http_date(date)
            .map_err(|_| malformed("the Date header is not an HTTP date"))
    }

    /// Logout ends the whole sign-in session that the access token belongs to.
    pub async fn logout(&self, access_token: &Secret) -> Result<(), CallError> {
        tracing::debug!(op = "Logout", "calling the portal");
        self.client
            .logout()
            .access_token(access_token.expose())
            .send()
            .await
            .map_err(|err| self.failed("Logout", &err))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::MAX_EXPIRATION;

    fn creds(key: &str, secret: &str, token: &str) -> RoleCredentials {
        RoleCredentials {
            access_key_id: key.to_owned(),
            secret_access_key: Secret::new(secret),
            session_token: Secret::new(token),
            expiration: 1_764_000_000,
        }
    }

    #[test]
    fn only_credential_characters_pass() {
        assert!(
            creds(
                "ASIAEXAMPLE1234567",
                "wJalr/K7+MDENG=",
                "IQoJb3JpZ2luX2VjE/+="
            )
            .is_well_formed()
        );
        for (key, secret, token) in [
            ("asiaexample1234567", "s", "t"),
            ("ASIA", "s", "t"),
            ("ASIAEXAMPLE1234567", "s'; rm -rf ~", "t"),
            ("ASIAEXAMPLE1234567", "s", "$(reboot)"),
            ("ASIAEXAMPLE1234567", "s", "a\nb"),
            ("ASIAEXAMPLE1234567", "", "t"),
        ] {
            assert!(!creds(key, secret, token).is_well_formed(), "{key} {token}");
        }
    }

    #[test]
    fn expirations_outside_what_rfc_3339_can_write_are_refused() {
        let valid = |ms| {
            RoleCredentials::from_response(Some("ASIAEXAMPLE1234567"), Some("s"), Some("t"), ms)
        };
        assert_eq!(valid(1_764_000_000_123).unwrap().expiration, 1_764_000_000);
        assert_eq!(
            valid(253_402_300_799_999).unwrap().expiration,
            MAX_EXPIRATION
        );
        for ms in [0, 999, -1, i64::MIN, 253_402_300_800_000, i64::MAX] {
            assert_eq!(
                valid(ms).unwrap_err(),
                "the expiration is not a time ssokey can use",
                "{ms}"
            );
        }
    }

    #[test]
    fn page_tokens_end_at_an_empty_token_and_refuse_a_loop() {
        let mut tokens = PageTokens::default();
        assert_eq!(tokens.next(Some("a")), Ok(Some("a".to_owned())));
        assert_eq!(tokens.next(Some("b")), Ok(Some("b".to_owned())));
        assert_eq!(tokens.next(Some("")), Ok(None));
        assert_eq!(tokens.next(None), Ok(None));
        assert_eq!(
            tokens.next(Some("a")),
            Err("the portal handed out the same page token twice")
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;
        use crate::credentials::MAX_EXPIRATION;
        use crate::output::render::{self, Shell};

        /// Cases per property; they are cheap, so many.
        const CASES: u32 = 5000;

        /// [`MAX_EXPIRATION`] as the portal's number type.
        const MAX_MILLIS_SECONDS: i64 = 253_402_300_799;

        #[test]
        fn the_bound_is_the_one_ssokey_uses() {
            assert_eq!(u64::try_from(MAX_MILLIS_SECONDS).unwrap(), MAX_EXPIRATION);
        }

        /// Strings as a broken or hostile endpoint might send them: any
        /// text, shell syntax, and values that are nearly credentials.
        fn hostile() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                "[A-Z0-9]{14,20}",
                "[A-Za-z0-9/+=]{1,40}",
                "[A-Za-z0-9/+= '\"$`();|&<>\\\n%!^-]{0,40}",
                Just("$(touch /tmp/pwned)".to_owned()),
                Just(String::new()),
            ]
        }

        fn millis() -> impl Strategy<Value = i64> {
            prop_oneof![
                any::<i64>(),
                0..=MAX_MILLIS_SECONDS * 1000 + 2000,
                Just(i64::MAX),
                Just(i64::MIN),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(CASES))]

            /// Whatever GetRoleCredentials answers: credentials that every
            /// shell and the credential_process JSON can carry, or a typed
            /// refusal, never a panic.
            #[test]
            fn role_credentials_are_checked_or_refused(
                key in proptest::option::of(hostile()),
                secret in proptest::option::of(hostile()),
                token in proptest::option::of(hostile()),
                ms in millis(),
            ) {
                let result = RoleCredentials::from_response(
                    key.as_deref(), secret.as_deref(), token.as_deref(), ms);
                let charset = |v: &Option<String>, key: bool| v.as_deref().is_some_and(|v| {
                    !v.is_empty() && v.bytes().all(|b| if key {
                        b.is_ascii_uppercase() || b.is_ascii_digit()
                    } else {
                        b.is_ascii_alphanumeric() || b"/+=".contains(&b)
                    })
                });
                let expected_ok = charset(&key, true)
                    && (16..=128).contains(&key.as_deref().unwrap_or_default().len())
                    && charset(&secret, false)
                    && charset(&token, false)
                    && ms / 1000 >= 1
                    && ms / 1000 <= MAX_MILLIS_SECONDS;
                prop_assert_eq!(result.is_ok(), expected_ok, "{:?}", result.as_ref().err());
                if let Ok(credentials) = result {
                    prop_assert!(credentials.is_well_formed());
                    prop_assert_eq!(credentials.expiration, u64::try_from(ms / 1000).unwrap());
                    prop_assert_eq!(&credentials.access_key_id, key.as_ref().unwrap());
                    prop_assert_eq!(credentials.secret_access_key.expose(), secret.as_deref().unwrap());
                    let bash = render::exports(Shell::Bash, &credentials);
                    // Each value is a single-quoted word with no quote inside.
                    for line in bash.lines() {
                        let value = line.split_once('=').unwrap().1;
                        prop_assert!(value.starts_with('\'') && value.ends_with('\''));
                        prop_assert!(!value[1..value.len() - 1].contains('\''));
                    }
                    for shell in [Shell::Zsh, Shell::Fish, Shell::Powershell, Shell::Cmd] {
                        prop_assert_eq!(render::exports(shell, &credentials).lines().count(), 4);
                    }
                    let json: serde_json::Value =
                        serde_json::from_str(&render::credential_process_json(&credentials)).unwrap();
                    prop_assert!(json["Expiration"].as_str().unwrap().ends_with('Z'));
                }
            }

            /// Credentials as the portal sends them are taken as they are,
            /// and print as exactly those values in every shell.
            #[test]
            fn real_credentials_are_taken(
                key in "(ASIA|AKIA)[A-Z0-9]{12,40}",
                secret in "[A-Za-z0-9/+]{40}",
                token in "[A-Za-z0-9/+]{100,400}={0,2}",
                ms in 1000..=MAX_MILLIS_SECONDS * 1000 + 999,
            ) {
                let credentials = RoleCredentials::from_response(
                    Some(&key), Some(&secret), Some(&token), ms).unwrap();
                prop_assert_eq!(credentials.expiration, u64::try_from(ms / 1000).unwrap());
                let expiration = render::rfc3339(credentials.expiration);
                prop_assert_eq!(
                    render::exports(Shell::Bash, &credentials),
                    format!("export AWS_ACCESS_KEY_ID='{key}'\nexport AWS_SECRET_ACCESS_KEY='{secret}'\n\
                             export AWS_SESSION_TOKEN='{token}'\nexport AWS_CREDENTIAL_EXPIRATION='{expiration}'\n")
                );
                prop_assert_eq!(
                    render::exports(Shell::Cmd, &credentials),
                    format!("set \"AWS_ACCESS_KEY_ID={key}\"\nset \"AWS_SECRET_ACCESS_KEY={secret}\"\n\
                             set \"AWS_SESSION_TOKEN={token}\"\nset \"AWS_CREDENTIAL_EXPIRATION={expiration}\"\n")
                );
            }

            /// A ListAccounts item is an account only with a 12-digit id;
            /// its name and e-mail address are kept as they came, up to the
            /// lengths AWS allows, and cut there.
            #[test]
            fn accounts_need_an_account_id(
                id in proptest::option::of(prop_oneof![hostile(), "[0-9]{10,14}"]),
                name in proptest::option::of(prop_oneof![hostile(), "[a-zé ]{45,55}"]),
                email in proptest::option::of(prop_oneof![hostile(), "[a-z@.]{60,70}"]),
            ) {
                let result = Account::from_response(id.as_deref(), name.as_deref(), email.as_deref());
                let valid = id.as_deref().is_some_and(|id| id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()));
                prop_assert_eq!(result.is_ok(), valid);
                if let Ok((account, cut)) = result {
                    let name = name.unwrap_or_default();
                    let email = email.unwrap_or_default();
                    let expected_name: String = name.chars().take(MAX_ACCOUNT_NAME).collect();
                    let expected_email: String = email.chars().take(MAX_EMAIL_ADDRESS).collect();
                    prop_assert_eq!(&account.account_name, &expected_name);
                    prop_assert_eq!(&account.email_address, &expected_email);
                    prop_assert_eq!(cut, expected_name != name || expected_email != email);
                }
            }

            /// A ListAccountRoles page is taken only when every role name is
            /// one that IAM allows.
            #[test]
            fn role_pages_hold_only_iam_role_names(
                names in proptest::collection::vec(
                    proptest::option::of(prop_oneof![hostile(), "[A-Za-z0-9+=,.@_-]{1,70}"]), 0..6),
            ) {
                let result = roles_from_response(names.iter().map(Option::as_deref));
                let valid = names.iter().all(|n| n.as_deref().is_some_and(|n| {
                    (1..=64).contains(&n.len())
                        && n.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
                }));
                prop_assert_eq!(result.is_ok(), valid);
                if let Ok(roles) = result {
                    prop_assert_eq!(roles.len(), names.len());
                }
            }

            /// Whatever tokens a portal hands out, page after page, forever:
            /// the listing ends, at the first empty token or at the first
            /// token that comes back, and never later than that.
            #[test]
            fn paging_always_ends(
                tokens in proptest::collection::vec(
                    proptest::option::of(prop_oneof![Just(String::new()), "[a-c]{1,2}"]), 1..30),
            ) {
                let mut pages = PageTokens::default();
                let mut seen = std::collections::HashSet::new();
                // The portal repeats its answers, as a broken one would.
                for (served, token) in tokens.iter().cycle().enumerate() {
                    prop_assert!(served <= tokens.len(), "the listing did not end");
                    match pages.next(token.as_deref()) {
                        Ok(Some(next)) => {
                            prop_assert_eq!(Some(&next), token.as_ref());
                            prop_assert!(seen.insert(next), "a token was taken twice");
                        }
                        Ok(None) => {
                            prop_assert!(token.as_deref().is_none_or(str::is_empty));
                            break;
                        }
                        Err(_) => {
                            prop_assert!(seen.contains(token.as_deref().unwrap()));
                            break;
                        }
                    }
                }
            }
        }
    }
}
