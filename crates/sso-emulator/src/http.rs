//! The one axum handler: routes a request to its operation, counts it, applies rate limits,
//! latency and injected faults, and writes the answer with the service's headers.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use crate::authorize::authorize_page;
use crate::config::{Fault, Op};
use crate::error::ApiError;
use crate::json::json_response;
use crate::pages::{INDEX_PAGE, device_page};
use crate::state::Shared;
use crate::sts::{assume_role_response, caller_identity_response, unknown_sts_action};
use crate::wire::STATS_PATH;

/// Decrements the in-flight gauge of an operation, also when the client hangs up mid-answer.
struct InFlight {
    shared: Arc<Shared>,
    op: Op,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        let gauge = &mut state.in_flight[self.op.index()];
        *gauge = gauge.saturating_sub(1);
    }
}

pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(op) = Op::route(&method, &uri, &body) else {
        return match (method.as_str(), uri.path()) {
            ("GET", "/device") => device_page(&shared, &uri),
            ("GET", "/authorize") => authorize_page(&shared, &uri),
            ("GET", STATS_PATH) => json_response(StatusCode::OK, &shared.lock().stats()),
            ("GET", "/") => Html(INDEX_PAGE).into_response(),
            ("POST", "/") => unknown_sts_action(&shared, &method, &uri, &body),
            _ => not_found(&method, &uri),
        };
    };
    let (admitted, latency, fault) = {
        let mut state = shared.lock();
        let i = op.index();
        state.counts[i] += 1;
        state.in_flight[i] += 1;
        state.max_in_flight[i] = state.max_in_flight[i].max(state.in_flight[i]);
        let admitted = state.admit(op, Instant::now());
        let fault = if admitted {
            state.failures[i].pop_front()
        } else {
            None
        };
        (admitted, state.config.latency, fault)
    };
    let _in_flight = InFlight {
        shared: Arc::clone(&shared),
        op,
    };
    if admitted && !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let status = match fault {
        Some(Fault::Stall(delay)) => {
            tokio::time::sleep(delay).await;
            None
        }
        Some(Fault::Status(status)) => Some((status, None)),
        Some(Fault::StatusWithMessage(status, message)) => Some((status, Some(message))),
        Some(broken) => {
            if shared.lock().config.verbose {
                eprintln!("sso-emulator: {op:?} -> 200 {broken:?}");
            }
            return broken_response(&broken);
        }
        None => None,
    };
    let mut state = shared.lock();
    let answer = match status {
        Some((status, message)) => {
            let mut error = ApiError::injected(op, status);
            if let Some(message) = message {
                error.message = message;
            }
            Err(error)
        }
        None if admitted => state.answer(op, &shared.base, &method, &uri, &headers, &body),
        None => Err(ApiError::injected(op, 429)),
    };
    let verbose = state.config.verbose;
    let clock_offset = state.config.clock_offset_secs;
    let request_id = state.mint.request_id();
    drop(state);
    if verbose {
        match &answer {
            Ok(_) => eprintln!("sso-emulator: {op:?} -> 200"),
            Err(error) => eprintln!(
                "sso-emulator: {op:?} -> {} {}",
                error.status.as_u16(),
                error.code
            ),
        }
    }
    let mut response = respond(op, answer, &request_id);
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-amzn-requestid"), value);
    }
    if clock_offset != 0 {
        let offset = Duration::from_secs(clock_offset.unsigned_abs());
        let now = SystemTime::now();
        let clock = if clock_offset > 0 {
            now + offset
        } else {
            now - offset
        };
        if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(clock)) {
            response
                .headers_mut()
                .insert(axum::http::header::DATE, value);
        }
    }
    response
}

/// The 200 answer of a [`Fault`] that breaks the body.
fn broken_response(fault: &Fault) -> Response {
    let body = match fault {
        Fault::MalformedJson => "{\"roleCredentials\": {\"accessKeyId\": \"ASIA".to_owned(),
        Fault::HugeBody(bytes) => {
            let mut body = String::with_capacity(bytes + 16);
            body.push_str("{\"padding\": \"");
            body.extend(std::iter::repeat_n('x', *bytes));
            body.push_str("\"}");
            body
        }
        Fault::EmptyBody | Fault::Status(_) | Fault::StatusWithMessage(..) | Fault::Stall(_) => {
            String::new()
        }
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// The answer of `op` in its service's shape: STS's XML, a redirect for the
/// console login, JSON otherwise.
fn respond(op: Op, answer: Result<Value, ApiError>, request_id: &str) -> Response {
    match answer {
        Ok(body) if op == Op::AssumeRole => assume_role_response(&body, request_id),
        Ok(body) if op.is_sts() => caller_identity_response(&body, request_id),
        Ok(body) if op == Op::Login => redirect(body["Location"].as_str().unwrap_or("/")),
        Ok(Value::Null) => StatusCode::OK.into_response(),
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(error) => error.into_response(op, request_id),
    }
}

/// `302 Found` to `location`, as the sign-in service sends the browser on to the console.
fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn not_found(method: &Method, uri: &Uri) -> Response {
    let mut response = json_response(
        StatusCode::NOT_FOUND,
        &json!({"message": format!("No operation at {method} {}", uri.path())}),
    );
    response.headers_mut().insert(
        HeaderName::from_static("x-amzn-errortype"),
        HeaderValue::from_static("UnknownOperationException"),
    );
    response
}
