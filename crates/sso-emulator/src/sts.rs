//! STS over the Query protocol: verifying `GetCallerIdentity`'s SigV4 signature against the
//! role credentials the portal issued, and STS's XML answers.

use std::time::SystemTime;

use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::clock::{MINUTE, epoch, epoch_secs};
use crate::error::ApiError;
use crate::form;
use crate::pages::html_escape;
use crate::sigv4::{
    SigV4, canonical_request, constant_time_eq, parse_amz_date, signature_matches, string_to_sign,
};
use crate::state::{Answer, Inner, Shared};
use crate::wire::ROLE_SESSION_NAME;

const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// STS refuses signatures dated further than this from its clock.
const MAX_CLOCK_SKEW_SECS: u64 = 15 * MINUTE;

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
        let issued = self
            .role_credentials
            .iter()
            .find(|issued| issued.access_key_id == signed.access_key_id)
            .ok_or_else(ApiError::invalid_client_token_id)?;
        let token = header("x-amz-security-token").unwrap_or_default();
        if !constant_time_eq(token.as_bytes(), issued.session_token.as_bytes()) {
            return Err(ApiError::invalid_client_token_id());
        }
        let now_ms = u64::try_from(epoch(SystemTime::now()).as_millis()).unwrap_or(u64::MAX);
        if now_ms >= issued.expiration || self.expired_access_keys.contains(&issued.access_key_id) {
            return Err(ApiError::sts(
                403,
                "ExpiredToken",
                "The security token included in the request is expired",
            ));
        }
        let canonical = canonical_request(method, uri, headers, signed.signed_headers, body);
        let to_sign = string_to_sign(amz_date, &signed.scope(), &canonical);
        if !signature_matches(&issued.secret_access_key, &signed, &to_sign) {
            return Err(ApiError::signature_does_not_match(
                "The request signature we calculated does not match the signature you provided. \
                 Check your AWS Secret Access Key and signing method. Consult the service \
                 documentation for details.",
            ));
        }
        let (account, role) = (issued.account_id.clone(), issued.role_name.clone());
        let role_id = self.mint.role_id(&account, &role);
        self.last_caller = Some((account.clone(), role.clone()));
        Ok(json!({
            "Arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{ROLE_SESSION_NAME}"),
            "UserId": format!("{role_id}:{ROLE_SESSION_NAME}"),
            "Account": account,
        }))
    }
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

/// `POST /` with an `Action` other than `GetCallerIdentity`: STS's answer, not counted.
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
