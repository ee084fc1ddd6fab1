//! The pages a browser sees: the index and the device page that approves or denies a sign-in.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Instant;

use axum::extract::Query;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

use crate::state::{DeviceStatus, Shared};

pub(crate) const INDEX_PAGE: &str = "<!doctype html><title>Identity Center emulator</title>\
    <h1>Identity Center emulator</h1><p>Serves sso-oidc, the sso portal and STS \
    GetCallerIdentity and AssumeRole. Counters: <a href=\"/_emulator/stats\">/_emulator/stats</a>. \
    Approve a sign-in at <a href=\"/device\">/device</a>.</p>";

/// The browser side of the device flow: `GET /device?user_code=CODE[&action=deny]`.
pub(crate) fn device_page(shared: &Shared, uri: &Uri) -> Response {
    let query = Query::<HashMap<String, String>>::try_from_uri(uri)
        .map(|Query(query)| query)
        .unwrap_or_default();
    let Some(code) = query.get("user_code").filter(|code| !code.is_empty()) else {
        return Html(
            "<!doctype html><title>Authorize request</title><h1>Authorize request</h1>\
             <form method=\"get\" action=\"/device\"><label>Code <input name=\"user_code\"></label>\
             <button>Allow</button></form>",
        )
        .into_response();
    };
    let deny = query.get("action").is_some_and(|action| action == "deny");
    let mut state = shared.lock();
    let now = Instant::now();
    let never = state.config.device_code_never_expires;
    let expired = state
        .device_by_user_code(code)
        .map(|device| !never && now >= device.expires_at);
    let (status, heading) = match expired {
        None => (StatusCode::NOT_FOUND, "Unknown code".to_owned()),
        Some(true) => (StatusCode::BAD_REQUEST, "This code has expired".to_owned()),
        Some(false) => match state.decide(code, !deny) {
            Some(DeviceStatus::Pending) if deny => (StatusCode::OK, "Request denied".to_owned()),
            Some(DeviceStatus::Pending) => (StatusCode::OK, "Request approved".to_owned()),
            Some(before) => (
                StatusCode::OK,
                format!("This request was already {}", describe(before)),
            ),
            None => (StatusCode::NOT_FOUND, "Unknown code".to_owned()),
        },
    };
    drop(state);
    let mut page = String::from("<!doctype html><title>Identity Center emulator</title>");
    let _ = write!(page, "<h1>{heading}</h1><p>Code: {}</p>", html_escape(code));
    (status, Html(page)).into_response()
}

fn describe(status: DeviceStatus) -> &'static str {
    match status {
        DeviceStatus::Pending => "pending",
        DeviceStatus::Approved => "approved",
        DeviceStatus::Denied => "denied",
        DeviceStatus::Redeemed => "used",
    }
}

pub(crate) fn html_escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}
