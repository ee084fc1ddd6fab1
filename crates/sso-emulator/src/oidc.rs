//! `sso-oidc`: client registration, the device authorization flow, and access and refresh
//! tokens, with their request bodies.

use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::clock::epoch_secs;
use crate::error::ApiError;
use crate::minting::Mint;
use crate::state::{
    AccessToken, Answer, Client, Device, DeviceStatus, Inner, RefreshToken, Session,
};
use crate::wire::{ACCOUNT_ACCESS_SCOPE, AUTHORIZATION_CODE_GRANT, DEVICE_CODE_GRANT};

/// The scopes that RegisterClient accepts: IAM Identity Center's documented
/// ones for the portal and for the AWS developer tools.
const KNOWN_SCOPES: &[&str] = &[
    ACCOUNT_ACCESS_SCOPE,
    "codewhisperer:completions",
    "codewhisperer:analysis",
    "codewhisperer:conversations",
    "codewhisperer:transformations",
    "codewhisperer:taskassist",
    "codecatalyst:read_write",
];

impl Inner {
    pub(crate) fn register_client(&mut self, body: &[u8], now: Instant) -> Answer {
        let request: RegisterClientRequest = parse_body(body)?;
        let name = required(request.client_name, "clientName")?;
        let client_type = required(request.client_type, "clientType")?;
        if client_type != "public" {
            return Err(ApiError::new(
                400,
                "InvalidClientMetadataException",
                "invalid_client_metadata",
                "Invalid client type provided",
            ));
        }
        // IAM Identity Center knows its scopes and refuses others, as the
        // model's InvalidScopeException says; these are the documented ones.
        let scopes = request.scopes.unwrap_or_default();
        if let Some(unknown) = scopes
            .iter()
            .find(|scope| !KNOWN_SCOPES.contains(&scope.as_str()))
        {
            return Err(ApiError::new(
                400,
                "InvalidScopeException",
                "invalid_scope",
                format!("Invalid scope requested: {unknown}"),
            ));
        }
        let grant_types = request.grant_types.unwrap_or_default();
        if let Some(unknown) = grant_types.iter().find(|grant| {
            ![DEVICE_CODE_GRANT, AUTHORIZATION_CODE_GRANT, "refresh_token"]
                .contains(&grant.as_str())
        }) {
            return Err(ApiError::new(
                400,
                "InvalidRequestException",
                "invalid_request",
                format!("Invalid grant type: {unknown}"),
            ));
        }
        let redirect_uris = request.redirect_uris.unwrap_or_default();
        if grant_types
            .iter()
            .any(|grant| grant == AUTHORIZATION_CODE_GRANT)
            && (redirect_uris.is_empty() || request.issuer_url.is_none())
        {
            return Err(ApiError::new(
                400,
                "InvalidRequestException",
                "invalid_request",
                "The authorization_code grant needs redirectUris and issuerUrl",
            ));
        }
        if let Some(issuer) = &request.issuer_url {
            self.last_start_url = Some(issuer.clone());
        }
        let client_id = self.mint.client_id();
        let secret = self.secret(Mint::client_secret);
        let ttl = self.config.client_secret_ttl;
        self.client_seq += 1;
        self.clients.insert(
            client_id.clone(),
            Client {
                seq: self.client_seq,
                name,
                secret: secret.clone(),
                scopes,
                grant_types,
                redirect_uris,
                expires_at: now + ttl,
            },
        );
        let issued_at = epoch_secs(SystemTime::now());
        Ok(json!({
            "clientId": client_id,
            "clientSecret": secret,
            "clientIdIssuedAt": issued_at,
            "clientSecretExpiresAt": issued_at + ttl.as_secs(),
        }))
    }

    /// The client id, when the id and secret match a live registration.
    fn check_client(
        &self,
        id: Option<String>,
        secret: Option<String>,
        now: Instant,
    ) -> Result<String, ApiError> {
        let id = required(id, "clientId")?;
        let secret = required(secret, "clientSecret")?;
        match self.clients.get(&id) {
            Some(client) if client.secret == secret && now < client.expires_at => Ok(id),
            _ => Err(ApiError::invalid_client()),
        }
    }

    pub(crate) fn start_device_authorization(
        &mut self,
        base: &str,
        body: &[u8],
        now: Instant,
    ) -> Answer {
        let request: StartDeviceAuthorizationRequest = parse_body(body)?;
        let client_id = self.check_client(request.client_id, request.client_secret, now)?;
        self.check_grant(&client_id, DEVICE_CODE_GRANT)?;
        let start_url = required(request.start_url, "startUrl")?;
        let user_code = loop {
            let code = self.mint.user_code();
            if !self.devices.values().any(|device| device.user_code == code) {
                break code;
            }
        };
        let device_code = self.secret(Mint::device_code);
        let (auto, after) = (
            self.config.auto_approve,
            self.config.auto_approve_after_polls,
        );
        let interval = self.config.interval;
        let ttl = self.config.device_code_ttl;
        self.device_seq += 1;
        self.devices.insert(
            device_code.clone(),
            Device {
                seq: self.device_seq,
                user_code: user_code.clone(),
                client_id,
                expires_at: now + ttl,
                status: if auto && after == 0 {
                    DeviceStatus::Approved
                } else {
                    DeviceStatus::Pending
                },
                pending_answers: 0,
                interval: Duration::from_secs(interval.into()),
                last_poll: None,
            },
        );
        self.last_user_code = Some(user_code.clone());
        self.last_start_url = Some(start_url);
        Ok(json!({
            "deviceCode": device_code,
            "userCode": user_code,
            "verificationUri": format!("{base}/device"),
            "verificationUriComplete": format!("{base}/device?user_code={user_code}"),
            "expiresIn": ttl.as_secs(),
            "interval": interval,
        }))
    }

    pub(crate) fn create_token(&mut self, body: &[u8], now: Instant) -> Answer {
        let request: CreateTokenRequest = parse_body(body)?;
        let client_id = self.check_client(request.client_id, request.client_secret, now)?;
        match required(request.grant_type, "grantType")?.as_str() {
            DEVICE_CODE_GRANT => {
                let device_code = required(request.device_code, "deviceCode")?;
                self.redeem_device_code(&client_id, &device_code, now)
            }
            AUTHORIZATION_CODE_GRANT => {
                self.check_grant(&client_id, AUTHORIZATION_CODE_GRANT)?;
                let code = required(request.code, "code")?;
                let verifier = required(request.code_verifier, "codeVerifier")?;
                let redirect_uri = required(request.redirect_uri, "redirectUri")?;
                self.redeem_authorization_code(&client_id, &code, &verifier, &redirect_uri, now)
            }
            "refresh_token" => {
                let refresh_token = required(request.refresh_token, "refreshToken")?;
                self.redeem_refresh_token(&client_id, &refresh_token, now)
            }
            _ => Err(ApiError::new(
                400,
                "UnsupportedGrantTypeException",
                "unsupported_grant_type",
                "Unsupported grant type provided",
            )),
        }
    }

    fn redeem_device_code(&mut self, client_id: &str, device_code: &str, now: Instant) -> Answer {
        let config = &self.config;
        let (auto, after, never) = (
            config.auto_approve,
            config.auto_approve_after_polls,
            config.device_code_never_expires,
        );
        let enforce_interval = config.enforce_interval;
        let Some(device) = self
            .devices
            .get_mut(device_code)
            .filter(|device| device.client_id == client_id)
        else {
            return Err(ApiError::invalid_grant("Invalid device code provided"));
        };
        if self.slow_downs > 0 {
            self.slow_downs -= 1;
            return Err(ApiError::slow_down());
        }
        let previous_poll = device.last_poll.replace(now);
        if enforce_interval
            && previous_poll.is_some_and(|previous| now.duration_since(previous) < device.interval)
        {
            device.interval += Duration::from_secs(5);
            return Err(ApiError::slow_down());
        }
        match device.status {
            DeviceStatus::Redeemed => {
                return Err(ApiError::invalid_grant("Invalid device code provided"));
            }
            _ if !never && now >= device.expires_at => {
                return Err(ApiError::new(
                    400,
                    "ExpiredTokenException",
                    "expired_token",
                    "Device code has expired",
                ));
            }
            DeviceStatus::Denied => {
                return Err(ApiError::new(
                    400,
                    "AccessDeniedException",
                    "access_denied",
                    "Access denied",
                ));
            }
            DeviceStatus::Pending if !(auto && device.pending_answers >= after) => {
                device.pending_answers += 1;
                return Err(ApiError::new(
                    400,
                    "AuthorizationPendingException",
                    "authorization_pending",
                    "Authorization is still pending",
                ));
            }
            DeviceStatus::Pending | DeviceStatus::Approved => {
                device.status = DeviceStatus::Redeemed;
            }
        }
        Ok(self.start_session(client_id, DEVICE_CODE_GRANT, now))
    }

    /// A new sign-in of the client: its access token, and a refresh token when the client
    /// registered the portal's scope.
    pub(crate) fn start_session(&mut self, client_id: &str, grant: &str, now: Instant) -> Value {
        *self.grants.entry(grant.to_owned()).or_default() += 1;
        let with_refresh = self.clients[client_id]
            .scopes
            .iter()
            .any(|scope| scope == ACCOUNT_ACCESS_SCOPE);
        self.sessions.push(Session {
            revoked: false,
            ends_at: now + self.config.session_ttl,
        });
        let session = self.sessions.len() - 1;
        let mut answer = self.issue_access_token(session, now);
        if with_refresh {
            answer["refreshToken"] = json!(self.issue_refresh_token(session, client_id));
        }
        answer
    }

    /// Refuses a client whose registration named grant types without `grant`.
    pub(crate) fn check_grant(&self, client_id: &str, grant: &str) -> Result<(), ApiError> {
        let named = &self.clients[client_id].grant_types;
        let allowed = if named.is_empty() {
            grant != AUTHORIZATION_CODE_GRANT
        } else {
            named.iter().any(|named| named == grant)
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::new(
                400,
                "UnauthorizedClientException",
                "unauthorized_client",
                format!("The client is not registered for the {grant} grant"),
            ))
        }
    }

    fn redeem_refresh_token(
        &mut self,
        client_id: &str,
        refresh_token: &str,
        now: Instant,
    ) -> Answer {
        let session = match self.refresh.get(refresh_token) {
            Some(token)
                if token.valid
                    && token.client_id == client_id
                    && !self.sessions[token.session].over(now) =>
            {
                token.session
            }
            _ => return Err(ApiError::invalid_grant("Invalid refresh token provided")),
        };
        *self.grants.entry("refresh_token".to_owned()).or_default() += 1;
        let mut answer = self.issue_access_token(session, now);
        let refresh_token = if self.config.rotate_refresh_tokens {
            if let Some(old) = self.refresh.get_mut(refresh_token) {
                old.valid = false;
            }
            self.issue_refresh_token(session, client_id)
        } else {
            refresh_token.to_owned()
        };
        answer["refreshToken"] = json!(refresh_token);
        Ok(answer)
    }

    fn issue_access_token(&mut self, session: usize, now: Instant) -> Value {
        let token = self.secret(Mint::access_token);
        let ttl = self.config.access_token_ttl;
        self.access.insert(
            token.clone(),
            AccessToken {
                session,
                expires_at: now + ttl,
                expired: false,
            },
        );
        json!({"accessToken": token, "tokenType": "Bearer", "expiresIn": ttl.as_secs()})
    }

    fn issue_refresh_token(&mut self, session: usize, client_id: &str) -> String {
        let token = self.secret(Mint::refresh_token);
        self.refresh.insert(
            token.clone(),
            RefreshToken {
                session,
                client_id: client_id.to_owned(),
                valid: true,
            },
        );
        token
    }

    /// Approves or denies a pending device code; `None` when the code is unknown, else the
    /// status it had.
    pub(crate) fn decide(&mut self, user_code: &str, approve: bool) -> Option<DeviceStatus> {
        let device = self.device_by_user_code(user_code)?;
        let before = device.status;
        if before == DeviceStatus::Pending {
            device.status = if approve {
                DeviceStatus::Approved
            } else {
                DeviceStatus::Denied
            };
        }
        Some(before)
    }

    pub(crate) fn pending_user_code(&self, now: Instant) -> Option<String> {
        self.devices
            .values()
            .filter(|device| {
                device.status == DeviceStatus::Pending
                    && (self.config.device_code_never_expires || now < device.expires_at)
            })
            .max_by_key(|device| device.seq)
            .map(|device| device.user_code.clone())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterClientRequest {
    client_name: Option<String>,
    client_type: Option<String>,
    scopes: Option<Vec<String>>,
    grant_types: Option<Vec<String>>,
    redirect_uris: Option<Vec<String>>,
    issuer_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartDeviceAuthorizationRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    start_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateTokenRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    grant_type: Option<String>,
    device_code: Option<String>,
    refresh_token: Option<String>,
    code: Option<String>,
    code_verifier: Option<String>,
    redirect_uri: Option<String>,
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|_| ApiError::invalid_request("Invalid request body"))
}

fn required(value: Option<String>, name: &str) -> Result<String, ApiError> {
    value
        .filter(|value| !value.is_empty())
        .ok_or_else(|| ApiError::invalid_request(format!("{name} is required")))
}
