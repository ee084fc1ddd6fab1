//! The form encoding (`application/x-www-form-urlencoded`) as STS's Query protocol and the
//! federation endpoint send it: percent-decoding, the `key=value` pairs, and the `Action` that
//! names the operation.

use axum::http::{Method, Uri};

/// Decodes `%XX` escapes (and `+` as a space in form bodies); malformed escapes stay as they are.
pub(crate) fn percent_decode(text: &str, plus_as_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[i], escaped) {
            (_, Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', None) if plus_as_space => {
                out.push(b' ');
                i += 1;
            }
            (byte, None) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `key=value` pairs of a form, still encoded; a pair without `=` has an empty value.
pub(crate) fn pairs(form: &str) -> impl Iterator<Item = (&str, &str)> {
    form.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

/// The first value of `name` in a form, decoded.
fn param(form: &str, name: &str) -> Option<String> {
    pairs(form).find_map(|(key, value)| {
        (percent_decode(key, true) == name).then(|| percent_decode(value, true))
    })
}

/// The `Action` of a Query-protocol request: from the form body of a POST, else the query.
pub(crate) fn action(method: &Method, uri: &Uri, body: &[u8]) -> Option<String> {
    param_of(method, uri, body, "Action")
}

/// A parameter of a Query-protocol request: from the form body of a POST, else the query.
pub(crate) fn param_of(method: &Method, uri: &Uri, body: &[u8], name: &str) -> Option<String> {
    let from_body = if method == Method::POST {
        std::str::from_utf8(body)
            .ok()
            .and_then(|form| param(form, name))
    } else {
        None
    };
    from_body.or_else(|| uri.query().and_then(|query| param(query, name)))
}
