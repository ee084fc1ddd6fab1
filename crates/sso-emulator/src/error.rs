//! [`ApiError`]: an error answer in the service's own shape, `sso-oidc`'s OAuth-style JSON or
//! the portal's, and the errors that `fail_next` injects.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;

use crate::config::Op;
use crate::json::json_response;

const OIDC_ERROR_NAMESPACE: &str = "http://internal.amazon.com/coral/com.amazonaws.sso.oidc/";

/// An error answer in the service's own shape.
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    /// The OAuth `error` member of `sso-oidc` bodies.
    pub(crate) oauth: &'static str,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(
        status: u16,
        code: &'static str,
        oauth: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            oauth,
            message: message.into(),
        }
    }

    pub(crate) fn invalid_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "InvalidRequestException", "invalid_request", message)
    }

    pub(crate) fn invalid_client() -> ApiError {
        ApiError::new(
            401,
            "InvalidClientException",
            "invalid_client",
            "Invalid client provided",
        )
    }

    pub(crate) fn invalid_grant(message: &str) -> ApiError {
        ApiError::new(400, "InvalidGrantException", "invalid_grant", message)
    }

    pub(crate) fn slow_down() -> ApiError {
        ApiError::new(
            400,
            "SlowDownException",
            "slow_down",
            "Client is polling too quickly",
        )
    }

    /// An STS error: its XML body has no OAuth member.
    pub(crate) fn sts(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(status, code, "", message)
    }

    pub(crate) fn invalid_client_token_id() -> ApiError {
        ApiError::sts(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    }

    pub(crate) fn signature_does_not_match(message: impl Into<String>) -> ApiError {
        ApiError::sts(403, "SignatureDoesNotMatch", message)
    }

    pub(crate) fn incomplete_signature(message: &str) -> ApiError {
        ApiError::sts(400, "IncompleteSignature", message)
    }

    pub(crate) fn unauthorized() -> ApiError {
        ApiError::new(
            401,
            "UnauthorizedException",
            "unauthorized_client",
            "Session token not found or invalid",
        )
    }

    /// The error `fail_next` injects for `status` on `op`.
    pub(crate) fn injected(op: Op, status: u16) -> ApiError {
        if op.is_sts() {
            let (code, message) = match status {
                401 | 403 => ("AccessDenied", "Access denied"),
                429 => ("Throttling", "Rate exceeded"),
                503 => ("ServiceUnavailable", "Service unavailable"),
                500..=599 => ("InternalFailure", "An internal error occurred"),
                _ => ("InvalidParameterValue", "Injected failure"),
            };
            return ApiError::sts(status, code, message);
        }
        let (code, oauth, message) = match status {
            400 => (
                "InvalidRequestException",
                "invalid_request",
                "Invalid request",
            ),
            401 if op.is_oidc() => (
                "InvalidClientException",
                "invalid_client",
                "Invalid client provided",
            ),
            401 => (
                "UnauthorizedException",
                "unauthorized_client",
                "Session token not found or invalid",
            ),
            // The OIDC service models both as HTTP 400: it throttles with
            // SlowDownException, never with a 429.
            403 if op.is_oidc() => {
                return ApiError::new(
                    400,
                    "AccessDeniedException",
                    "access_denied",
                    "Access denied",
                );
            }
            429 if op.is_oidc() => return ApiError::slow_down(),
            403 => ("ForbiddenException", "access_denied", "No access"),
            404 => ("ResourceNotFoundException", "invalid_request", "Not found"),
            429 => ("TooManyRequestsException", "slow_down", "Rate exceeded"),
            503 => (
                "ServiceUnavailableException",
                "temporarily_unavailable",
                "Service unavailable",
            ),
            500..=599 => (
                "InternalServerException",
                "server_error",
                "An internal error occurred",
            ),
            _ => (
                "InvalidRequestException",
                "invalid_request",
                "Injected failure",
            ),
        };
        ApiError::new(status, code, oauth, message)
    }

    pub(crate) fn into_response(self, op: Op, request_id: &str) -> Response {
        if op.is_sts() {
            return self.into_sts_response(request_id);
        }
        let (error_type, body) = if op.is_oidc() {
            (
                format!("{}:{OIDC_ERROR_NAMESPACE}", self.code),
                json!({"error": self.oauth, "error_description": self.message}),
            )
        } else {
            (self.code.to_owned(), json!({"message": self.message}))
        };
        let mut response = json_response(self.status, &body);
        if let Ok(value) = HeaderValue::from_str(&error_type) {
            response
                .headers_mut()
                .insert(HeaderName::from_static("x-amzn-errortype"), value);
        }
        response
    }
}
