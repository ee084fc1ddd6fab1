//! The `sso` portal: bearer-token sessions, paged `ListAccounts` and `ListAccountRoles`,
//! `GetRoleCredentials` and `Logout`.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use axum::extract::Query;
use axum::http::{HeaderMap, Uri};
use serde_json::{Value, json};

use crate::clock::epoch;
use crate::config::Op;
use crate::error::ApiError;
use crate::minting::Mint;
use crate::state::{Answer, Inner, IssuedRoleCredentials};

const BEARER_HEADER: &str = "x-amz-sso_bearer_token";

impl Inner {
    pub(crate) fn session_of(&self, token: Option<&str>, now: Instant) -> Result<usize, ApiError> {
        let token = token
            .and_then(|token| self.access.get(token))
            .ok_or_else(ApiError::unauthorized)?;
        if token.expired || now >= token.expires_at || self.sessions[token.session].over(now) {
            return Err(ApiError::unauthorized());
        }
        Ok(token.session)
    }

    fn authorize(&self, headers: &HeaderMap, now: Instant) -> Result<usize, ApiError> {
        let token = headers
            .get(BEARER_HEADER)
            .and_then(|value| value.to_str().ok());
        self.session_of(token, now)
    }

    /// One page of `items`: `max_result` and `next_token` from the query, `scope` tying page
    /// tokens to the listing that made them.
    fn page(
        &mut self,
        items: &[Value],
        query: &HashMap<String, String>,
        scope: &str,
    ) -> Result<(Vec<Value>, Option<String>), ApiError> {
        let max_result = match query.get("max_result") {
            None => self.config.page_size,
            // As the service does: "ResultSize parameter must be within the
            // valid limits of: 1-100" (the model's MaxResultType).
            Some(raw) => match raw.parse::<usize>() {
                Ok(n) if (1..=100).contains(&n) => n,
                _ => {
                    return Err(ApiError::invalid_request(
                        "ResultSize parameter must be within the valid limits of: 1-100",
                    ));
                }
            },
        };
        let size = max_result.min(self.config.page_size).max(1);
        let start = match query.get("next_token").filter(|token| !token.is_empty()) {
            None => 0,
            Some(token) => match self.page_tokens.get(token) {
                Some((owner, offset)) if owner == scope => *offset,
                _ => return Err(ApiError::invalid_request("Invalid next_token")),
            },
        };
        let end = items.len().min(start.saturating_add(size));
        let page = items
            .get(start..end)
            .map(<[Value]>::to_vec)
            .unwrap_or_default();
        let next = (end < items.len() || self.config.endless_pages).then(|| {
            let token = self.mint.page_token();
            self.page_tokens
                .insert(token.clone(), (scope.to_owned(), end));
            token
        });
        Ok((page, next))
    }

    pub(crate) fn list_accounts(&mut self, uri: &Uri, headers: &HeaderMap, now: Instant) -> Answer {
        self.authorize(headers, now)?;
        let query = parse_query(uri)?;
        let items: Vec<Value> = self
            .config
            .accounts
            .iter()
            .map(|account| json!({"accountId": account.id, "accountName": account.name, "emailAddress": account.email}))
            .collect();
        let (page, next) = self.page(&items, &query, "accounts")?;
        Ok(with_next_token(json!({"accountList": page}), next))
    }

    pub(crate) fn list_account_roles(
        &mut self,
        uri: &Uri,
        headers: &HeaderMap,
        now: Instant,
    ) -> Answer {
        if let Some(limit) = self.config.list_roles_rate_limit {
            while self
                .roles_window
                .front()
                .is_some_and(|&at| now.duration_since(at) >= Duration::from_secs(1))
            {
                self.roles_window.pop_front();
            }
            if self.roles_window.len() >= limit {
                self.throttled[Op::ListAccountRoles.index()] += 1;
                return Err(ApiError::injected(Op::ListAccountRoles, 429));
            }
            self.roles_window.push_back(now);
        }
        self.authorize(headers, now)?;
        let query = parse_query(uri)?;
        let account_id = query
            .get("account_id")
            .filter(|id| !id.is_empty())
            .ok_or_else(|| ApiError::invalid_request("account_id is required"))?
            .clone();
        let items: Vec<Value> = self
            .config
            .accounts
            .iter()
            .filter(|account| account.id == account_id)
            .flat_map(|account| &account.roles)
            .map(|role| json!({"roleName": role, "accountId": account_id}))
            .collect();
        let (page, next) = self.page(&items, &query, &format!("roles:{account_id}"))?;
        Ok(with_next_token(json!({"roleList": page}), next))
    }

    pub(crate) fn get_role_credentials(
        &mut self,
        uri: &Uri,
        headers: &HeaderMap,
        now: Instant,
    ) -> Answer {
        self.authorize(headers, now)?;
        let query = parse_query(uri)?;
        let param = |name: &str| {
            query
                .get(name)
                .filter(|value| !value.is_empty())
                .cloned()
                .ok_or_else(|| ApiError::invalid_request(format!("{name} is required")))
        };
        let (role_name, account_id) = (param("role_name")?, param("account_id")?);
        let assigned = self
            .config
            .accounts
            .iter()
            .any(|account| account.id == account_id && account.roles.contains(&role_name));
        if !assigned {
            return Err(ApiError::new(
                403,
                "ForbiddenException",
                "access_denied",
                "No access",
            ));
        }
        let access_key_id = self.mint.access_key_id();
        let secret_access_key = self.secret(Mint::secret_access_key);
        let session_token = self.secret(Mint::session_token);
        let expires = if self.config.role_credentials_already_expired {
            SystemTime::now() - self.config.role_credentials_ttl
        } else {
            SystemTime::now() + self.config.role_credentials_ttl
        };
        let expiration = u64::try_from(epoch(expires).as_millis()).unwrap_or(u64::MAX);
        self.role_credentials.push(IssuedRoleCredentials {
            account_id,
            role_name,
            access_key_id: access_key_id.clone(),
            secret_access_key: secret_access_key.clone(),
            session_token: session_token.clone(),
            expiration,
        });
        Ok(json!({"roleCredentials": {
            "accessKeyId": access_key_id,
            "secretAccessKey": secret_access_key,
            "sessionToken": session_token,
            "expiration": expiration,
        }}))
    }

    pub(crate) fn logout(&mut self, headers: &HeaderMap, now: Instant) -> Answer {
        let session = self.authorize(headers, now)?;
        self.sessions[session].revoked = true;
        for token in self
            .refresh
            .values_mut()
            .filter(|token| token.session == session)
        {
            token.valid = false;
        }
        Ok(Value::Null)
    }
}

fn with_next_token(mut answer: Value, next: Option<String>) -> Value {
    if let Some(next) = next {
        answer["nextToken"] = json!(next);
    }
    answer
}

fn parse_query(uri: &Uri) -> Result<HashMap<String, String>, ApiError> {
    Query::<HashMap<String, String>>::try_from_uri(uri)
        .map(|Query(query)| query)
        .map_err(|_| ApiError::invalid_request("Invalid query string"))
}
