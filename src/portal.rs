//! The user portal (the `sso` service): accounts, roles, role credentials and
//! sign-out, each call authorized by the access token.

use aws_config::SdkConfig;
use serde::{Deserialize, Serialize};

use crate::sdk::CallError;
use crate::secret::Secret;

/// An account assigned to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub account_id: String,
    pub account_name: String,
    pub email_address: String,
}

/// Short-lived credentials for one role in one account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// Seconds since the Unix epoch.
    pub expiration: u64,
}

impl RoleCredentials {
    /// Whether every value holds only the characters that AWS credentials are
    /// made of, so that no shell can read anything else into them.
    pub fn is_well_formed(&self) -> bool {
        let key_id = &self.access_key_id;
        (16..=128).contains(&key_id.len())
            && key_id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && is_base64ish(self.secret_access_key.expose())
            && is_base64ish(self.session_token.expose())
    }
}

fn is_base64ish(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'+' | b'='))
}

/// The most items a listing asks for per page.
const PAGE_SIZE: i32 = 100;

fn next_token(token: Option<&str>) -> Option<String> {
    token.filter(|t| !t.is_empty()).map(str::to_owned)
}

#[derive(Clone)]
pub struct PortalClient {
    client: aws_sdk_sso::Client,
}

impl PortalClient {
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            client: aws_sdk_sso::Client::new(config),
        }
    }

    /// The same client with the SDK's retries off, for callers that pace and
    /// retry many requests themselves.
    pub fn without_retries(config: &SdkConfig) -> Self {
        let config = aws_sdk_sso::config::Builder::from(config)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        Self {
            client: aws_sdk_sso::Client::from_conf(config),
        }
    }

    /// Every account assigned to the user, all pages.
    pub async fn accounts(&self, access_token: &Secret) -> Result<Vec<Account>, CallError> {
        let mut accounts = Vec::new();
        let mut next = None;
        loop {
            let (page, token) = self.accounts_page(access_token, next).await?;
            accounts.extend(page);
            next = token;
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
            .map_err(|err| CallError::from_sdk("ListAccounts", &err))?;
        let accounts = out
            .account_list()
            .iter()
            .filter_map(|a| {
                Some(Account {
                    account_id: a.account_id()?.to_owned(),
                    account_name: a.account_name().unwrap_or_default().to_owned(),
                    email_address: a.email_address().unwrap_or_default().to_owned(),
                })
            })
            .collect();
        Ok((accounts, next_token(out.next_token())))
    }

    /// The names of every role the user has in the account, all pages.
    pub async fn roles(
        &self,
        access_token: &Secret,
        account_id: &str,
    ) -> Result<Vec<String>, CallError> {
        let mut roles = Vec::new();
        let mut next = None;
        loop {
            let (page, token) = self.roles_page(access_token, account_id, next).await?;
            roles.extend(page);
            next = token;
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
            .map_err(|err| CallError::from_sdk("ListAccountRoles", &err))?;
        let roles = out
            .role_list()
            .iter()
            .filter_map(|r| r.role_name().map(str::to_owned))
            .collect();
        Ok((roles, next_token(out.next_token())))
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
            .map_err(|err| CallError::from_sdk(op, &err))?;
        let malformed = |cause: &str| CallError::Malformed {
            op,
            cause: cause.to_owned(),
        };
        let creds = out
            .role_credentials()
            .ok_or_else(|| malformed("it has no roleCredentials"))?;
        let (Some(key_id), Some(secret), Some(token)) = (
            creds.access_key_id(),
            creds.secret_access_key(),
            creds.session_token(),
        ) else {
            return Err(malformed("a credential is missing"));
        };
        let credentials = RoleCredentials {
            access_key_id: key_id.to_owned(),
            secret_access_key: Secret::new(secret),
            session_token: Secret::new(token),
            // The portal gives milliseconds since the epoch.
            expiration: u64::try_from(creds.expiration() / 1000).unwrap_or(0),
        };
        if !credentials.is_well_formed() {
            return Err(malformed(
                "the credentials hold characters that AWS credentials never do",
            ));
        }
        // Handed on, they would fail every request they sign, and be asked for
        // again by every SDK at once.
        if credentials.expiration <= crate::oidc::now_epoch() {
            return Err(malformed(
                "the credentials had expired when they arrived (is this machine's clock right?)",
            ));
        }
        Ok(credentials)
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
            Err(err) => return Err(CallError::from_sdk(op, err)),
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
            .map_err(|err| CallError::from_sdk("Logout", &err))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(key: &str, secret: &str, token: &str) -> RoleCredentials {
        RoleCredentials {
            access_key_id: key.to_owned(),
            secret_access_key: Secret::new(secret),
            session_token: Secret::new(token),
            expiration: 0,
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
}
