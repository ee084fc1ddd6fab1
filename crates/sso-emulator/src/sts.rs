//! STS over the Query protocol: verifying the SigV4 signature of `GetCallerIdentity` and
//! `AssumeRole` against the credentials the emulator issued, the trust policies of
//! `AssumeRole`, and STS's XML answers.

use std::time::SystemTime;

use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use std::time::Duration;

use crate::clock::{HOUR, MINUTE, epoch, epoch_secs};
use crate::config::role_arn;
use crate::error::ApiError;
use crate::form;
use crate::minting::Mint;
use crate::pages::html_escape;
use crate::sigv4::{
    SigV4, canonical_request, constant_time_eq, format_iso8601, parse_amz_date, signature_matches,
    string_to_sign,
};
use crate::state::{Answer, AssumedRole, Inner, Shared};

const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// STS refuses signatures dated further than this from its clock.
const MAX_CLOCK_SKEW_SECS: u64 = 15 * MINUTE;

/// The role session that signed a request: who it is, as STS and trust policies name it.
pub(crate) struct Caller {
    pub(crate) account_id: String,
    pub(crate) role_name: String,
    pub(crate) session_name: String,
}

impl Caller {
    /// `arn:aws:iam::ACCOUNT:role/NAME`, as a trust policy names the role.
    fn role_arn(&self) -> String {
        role_arn(&self.account_id, &self.role_name)
    }

    /// `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`, as STS names the session.
    fn session_arn(&self) -> String {
        format!(
            "arn:aws:sts::{}:assumed-role/{}/{}",
            self.account_id, self.role_name, self.session_name
        )
    }
}

/// STS's shortest and longest `DurationSeconds`, and the longest for a chained role.
const MIN_DURATION_SECS: u64 = 15 * MINUTE;
const CHAINED_MAX_DURATION_SECS: u64 = HOUR;

impl Inner {
    /// Checks the request's SigV4 signature as STS would, against the role credentials that
    /// `GetRoleCredentials` handed out, and names the role they belong to.
    pub(crate) fn get_caller_identity(
        &mut self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Answer {
        let caller = self.verify(method, uri, headers, body)?;
        let role_id = self.mint.role_id(&caller.account_id, &caller.role_name);
        self.last_caller = Some((caller.account_id.clone(), caller.role_name.clone()));
        Ok(json!({
            "Arn": caller.session_arn(),
            "UserId": format!("{role_id}:{}", caller.session_name),
            "Account": caller.account_id,
        }))
    }

    /// `AssumeRole`, signed by role credentials that the emulator issued: the role's trust
    /// policy must name the caller's role and, if it asks for one, the same external id; every
    /// caller is a role session, so the one-hour limit of role chaining applies.
    pub(crate) fn assume_role(
        &mut self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Answer {
        let caller = self.verify(method, uri, headers, body)?;
        let param = |name: &str| form::param_of(method, uri, body, name);
        let validation = |message: String| ApiError::sts(400, "ValidationError", message);
        let role_arn = param("RoleArn").ok_or_else(|| {
            validation(
                "1 validation error detected: Value null at 'roleArn' failed to satisfy \
                        constraint: Member must not be null"
                    .to_owned(),
            )
        })?;
        let session_name = param("RoleSessionName").unwrap_or_default();
        if !is_role_session_name(&session_name) {
            return Err(validation(format!(
                "1 validation error detected: Value '{session_name}' at 'roleSessionName' failed \
                 to satisfy constraint: Member must satisfy regular expression pattern: \
                 [\\w+=,.@-]* and have length between 2 and 64"
            )));
        }
        let duration_seconds = match param("DurationSeconds") {
            None => None,
            Some(text) => match text.parse::<u64>() {
                Ok(secs) if secs >= MIN_DURATION_SECS => Some(secs),
                _ => {
                    return Err(validation(format!(
                        "1 validation error detected: Value '{text}' at 'durationSeconds' failed \
                         to satisfy constraint: Member must have value greater than or equal to 900"
                    )));
                }
            },
        };
        let external_id = param("ExternalId");
        let denied = || {
            ApiError::sts(
                403,
                "AccessDenied",
                format!(
                    "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                    caller.session_arn()
                ),
            )
        };
        let role = self
            .config
            .iam_roles
            .iter()
            .find(|role| role.arn == role_arn)
            .ok_or_else(denied)?;
        if !role.trusted.contains(&caller.role_arn()) || role.external_id != external_id {
            return Err(denied());
        }
        let token_code = param("TokenCode");
        if let Some(serial) = &role.mfa_serial {
            let code_ok = token_code
                .as_deref()
                .is_some_and(|code| code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
            if param("SerialNumber").as_ref() != Some(serial) || !code_ok {
                return Err(denied());
            }
        }
        let duration = duration_seconds.unwrap_or(HOUR);
        if duration > CHAINED_MAX_DURATION_SECS {
            return Err(validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed \
                 by role chaining."
                    .to_owned(),
            ));
        }
        if duration > role.max_session_duration.as_secs() {
            return Err(validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                    .to_owned(),
            ));
        }
        let (account_id, role_name) = split_role_arn(&role_arn).ok_or_else(denied)?;
        let access_key_id = self.mint.access_key_id();
        let secret_access_key = self.secret(Mint::secret_access_key);
        let session_token = self.secret(Mint::session_token);
        let expires = SystemTime::now() + Duration::from_secs(duration);
        let role_id = self.mint.role_id(account_id, role_name);
        let answer = json!({
            "AssumedRoleId": format!("{role_id}:{session_name}"),
            "Arn": format!("arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}"),
            "AccessKeyId": access_key_id,
            "SecretAccessKey": secret_access_key,
            "SessionToken": session_token,
            "Expiration": format_iso8601(epoch_secs(expires)),
        });
        self.assumed.push(AssumedRole {
            role_arn: role_arn.clone(),
            session_name,
            source_arn: caller.role_arn(),
            external_id,
            duration_seconds,
            token_code,
            access_key_id,
            secret_access_key,
            session_token,
            expiration: u64::try_from(epoch(expires).as_millis()).unwrap_or(u64::MAX),
        });
        Ok(answer)
    }

    /// Checks the request's SigV4 signature as STS would, against the credentials that
    /// `GetRoleCredentials` or `AssumeRole` handed out, and names the session they belong to.
    fn verify(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Caller, ApiError> {
        let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        let authorization = header("authorization").ok_or_else(|| {
            ApiError::sts(
                403,
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            )
        })?;
        let signed = SigV4::parse(authorization).ok_or_else(|| {
            ApiError::incomplete_signature(
                "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' \
                 parameters, and a credential scope DATE/REGION/SERVICE/aws4_request.",
            )
        })?;
        let amz_date = header("x-amz-date").ok_or_else(|| {
            ApiError::incomplete_signature(
                "Authorization header requires existence of a 'X-Amz-Date' header.",
            )
        })?;
        let signed_at = parse_amz_date(amz_date).ok_or_else(|| {
            ApiError::incomplete_signature("X-Amz-Date must be in the ISO 8601 basic format.")
        })?;
        if signed.service != "sts" {
            return Err(ApiError::signature_does_not_match(
                "Credential should be scoped to correct service: 'sts'.",
            ));
        }
        if !amz_date.starts_with(signed.date) {
            return Err(ApiError::signature_does_not_match(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
                 from HTTP: '{}' != '{}'",
                signed.date,
                &amz_date[..8]
            )));
        }
        if signed_at.abs_diff(epoch_secs(SystemTime::now())) > MAX_CLOCK_SKEW_SECS {
            return Err(ApiError::signature_does_not_match(format!(
                "Signature expired or not yet current: {amz_date} is more than 15 minutes away \
                 from the server's clock"
            )));
        }
        let (caller, secret, session_token, expiration) = self
            .issued_session(signed.access_key_id)
            .ok_or_else(ApiError::invalid_client_token_id)?;
        let token = header("x-amz-security-token").unwrap_or_default();
        if !constant_time_eq(token.as_bytes(), session_token.as_bytes()) {
            return Err(ApiError::invalid_client_token_id());
        }
        let now_ms = u64::try_from(epoch(SystemTime::now()).as_millis()).unwrap_or(u64::MAX);
        if now_ms >= expiration
            || self
                .expired_access_keys
                .iter()
                .any(|key| key == signed.access_key_id)
        {
            return Err(ApiError::sts(
                403,
                "ExpiredToken",
                "The security token included in the request is expired",
            ));
        }
        let canonical = canonical_request(method, uri, headers, signed.signed_headers, body);
        let to_sign = string_to_sign(amz_date, &signed.scope(), &canonical);
        if !signature_matches(secret, &signed, &to_sign) {
            return Err(ApiError::signature_does_not_match(
                "The request signature we calculated does not match the signature you provided. \
                 Check your AWS Secret Access Key and signing method. Consult the service \
                 documentation for details.",
            ));
        }
        Ok(caller)
    }

    /// The session of the credentials whose access key id is `access_key_id`, with their secret
    /// key, session token and expiration (epoch milliseconds).
    pub(crate) fn issued_session(&self, access_key_id: &str) -> Option<(Caller, &str, &str, u64)> {
        if let Some(issued) = self
            .role_credentials
            .iter()
            .find(|issued| issued.access_key_id == access_key_id)
        {
            let caller = Caller {
                account_id: issued.account_id.clone(),
                role_name: issued.role_name.clone(),
                session_name: self.config.user_name.clone(),
            };
            return Some((
                caller,
                &issued.secret_access_key,
                &issued.session_token,
                issued.expiration,
            ));
        }
        let assumed = self
            .assumed
            .iter()
            .find(|assumed| assumed.access_key_id == access_key_id)?;
        let (account_id, role_name) = split_role_arn(&assumed.role_arn)?;
        let caller = Caller {
            account_id: account_id.to_owned(),
            role_name: role_name.to_owned(),
            session_name: assumed.session_name.clone(),
        };
        Some((
            caller,
            &assumed.secret_access_key,
            &assumed.session_token,
            assumed.expiration,
        ))
    }
}

/// The account and the role name (without its path) of `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
fn split_role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path = resource.strip_prefix("role/")?;
    let name = path.rsplit('/').next()?;
    (!account.is_empty() && !name.is_empty()).then_some((account, name))
}

/// STS's rule for a role session name: `[\w+=,.@-]`, 2 to 64 characters.
pub(crate) fn is_role_session_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

impl ApiError {
    /// STS's Query-protocol error: `<ErrorResponse><Error><Type><Code><Message>` in XML.
    pub(crate) fn into_sts_response(self, request_id: &str) -> Response {
        let kind = if self.status.is_server_error() {
            "Receiver"
        } else {
            "Sender"
        };
        let body = format!(
            "<ErrorResponse xmlns=\"{STS_NAMESPACE}\">\n  <Error>\n    <Type>{kind}</Type>\n    \
             <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  \
             <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
            self.code,
            html_escape(&self.message),
        );
        xml_response(self.status, body)
    }
}

fn xml_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/xml")], body).into_response()
}

/// The answer of a successful `AssumeRole`, from the members of `assumed`.
pub(crate) fn assume_role_response(assumed: &Value, request_id: &str) -> Response {
    let member = |name: &str| html_escape(assumed[name].as_str().unwrap_or_default());
    let body = format!(
        "<AssumeRoleResponse xmlns=\"{STS_NAMESPACE}\">\n  <AssumeRoleResult>\n    \
         <AssumedRoleUser>\n      <AssumedRoleId>{}</AssumedRoleId>\n      <Arn>{}</Arn>\n    \
         </AssumedRoleUser>\n    <Credentials>\n      <AccessKeyId>{}</AccessKeyId>\n      \
         <SecretAccessKey>{}</SecretAccessKey>\n      <SessionToken>{}</SessionToken>\n      \
         <Expiration>{}</Expiration>\n    </Credentials>\n  </AssumeRoleResult>\n  \
         <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n\
         </AssumeRoleResponse>\n",
        member("AssumedRoleId"),
        member("Arn"),
        member("AccessKeyId"),
        member("SecretAccessKey"),
        member("SessionToken"),
        member("Expiration"),
    );
    xml_response(StatusCode::OK, body)
}

/// The answer of a verified `GetCallerIdentity`, from the `Arn`, `UserId` and `Account` members
/// of `identity`.
pub(crate) fn caller_identity_response(identity: &Value, request_id: &str) -> Response {
    let member = |name: &str| html_escape(identity[name].as_str().unwrap_or_default());
    let body = format!(
        "<GetCallerIdentityResponse xmlns=\"{STS_NAMESPACE}\">\n  <GetCallerIdentityResult>\n    \
         <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{}</Account>\n  \
         </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  \
         </ResponseMetadata>\n</GetCallerIdentityResponse>\n",
        member("Arn"),
        member("UserId"),
        member("Account"),
    );
    xml_response(StatusCode::OK, body)
}

/// `POST /` with an `Action` other than `GetCallerIdentity` and `AssumeRole`: STS's answer, not
/// counted.
pub(crate) fn unknown_sts_action(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    body: &[u8],
) -> Response {
    let action = form::action(method, uri, body).unwrap_or_default();
    let request_id = shared.lock().mint.request_id();
    ApiError::sts(
        400,
        "InvalidAction",
        format!("Could not find operation {action} for version 2011-06-15"),
    )
    .into_sts_response(&request_id)
}

#[cfg(test)]
mod tests;
