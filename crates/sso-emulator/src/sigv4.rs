//! AWS Signature Version 4 as a server checks it: the `Authorization` header, the canonical
//! request, the signing key and signature, and the `X-Amz-Date` timestamps.

use std::fmt::Write as _;

use axum::http::{HeaderMap, Method, Uri};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::form::{pairs, percent_decode};

/// SigV4's `UriEncode`: every byte but the unreserved `A-Z a-z 0-9 - _ . ~` as `%XX`.
fn uri_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
/// SignedHeaders=a;b, Signature=HEX`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SigV4<'a> {
    pub(crate) access_key_id: &'a str,
    pub(crate) date: &'a str,
    pub(crate) region: &'a str,
    pub(crate) service: &'a str,
    pub(crate) signed_headers: &'a str,
    pub(crate) signature: &'a str,
}

impl<'a> SigV4<'a> {
    pub(crate) fn parse(header: &'a str) -> Option<SigV4<'a>> {
        let rest = header.strip_prefix("AWS4-HMAC-SHA256 ")?;
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (name, value) = part.trim().split_once('=')?;
            let slot = match name {
                "Credential" => &mut credential,
                "SignedHeaders" => &mut signed_headers,
                "Signature" => &mut signature,
                _ => return None,
            };
            *slot = Some(value);
        }
        let scope: Vec<&str> = credential?.split('/').collect();
        let [access_key_id, date, region, service, "aws4_request"] = scope[..] else {
            return None;
        };
        let signed_headers = signed_headers.filter(|headers| !headers.is_empty())?;
        Some(SigV4 {
            access_key_id,
            date,
            region,
            service,
            signed_headers,
            signature: signature?,
        })
    }

    /// The credential scope, `DATE/REGION/SERVICE/aws4_request`.
    pub(crate) fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// SigV4's canonical request: method, URI, query, the signed headers, their names and the
/// payload's hash, one per line.
pub(crate) fn canonical_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    signed_headers: &str,
    body: &[u8],
) -> String {
    let mut out = format!("{method}\n");
    // Services other than S3 encode each path segment once more, as sent.
    let path = uri.path();
    if path.is_empty() {
        out.push('/');
    } else {
        let segments: Vec<String> = path.split('/').map(uri_encode).collect();
        out.push_str(&segments.join("/"));
    }
    out.push('\n');
    let mut query: Vec<(String, String)> = pairs(uri.query().unwrap_or_default())
        .map(|(key, value)| {
            (
                uri_encode(&percent_decode(key, false)),
                uri_encode(&percent_decode(value, false)),
            )
        })
        .collect();
    query.sort();
    let query: Vec<String> = query
        .into_iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    out.push_str(&query.join("&"));
    out.push('\n');
    for name in signed_headers.split(';') {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|value| {
                let value = String::from_utf8_lossy(value.as_bytes());
                value.split_whitespace().collect::<Vec<_>>().join(" ")
            })
            .collect();
        let _ = writeln!(out, "{name}:{}", values.join(","));
    }
    let _ = write!(
        out,
        "\n{signed_headers}\n{}",
        hex::encode(Sha256::digest(body))
    );
    out
}

pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request))
    )
}

fn hmac_sha256(key: &[u8], data: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data.as_bytes());
    mac
}

/// The MAC of `string_to_sign` under the key derived from `secret_access_key` and the scope.
fn signer(secret_access_key: &str, signed: &SigV4<'_>, string_to_sign: &str) -> Hmac<Sha256> {
    let mut key = format!("AWS4{secret_access_key}").into_bytes();
    for part in [signed.date, signed.region, signed.service, "aws4_request"] {
        key = hmac_sha256(&key, part).finalize().into_bytes().to_vec();
    }
    hmac_sha256(&key, string_to_sign)
}

/// The hex signature of `string_to_sign`, as a client computes it.
#[cfg(test)]
pub(crate) fn sign(secret_access_key: &str, signed: &SigV4<'_>, string_to_sign: &str) -> String {
    hex::encode(
        signer(secret_access_key, signed, string_to_sign)
            .finalize()
            .into_bytes(),
    )
}

/// Whether `signed.signature` is right, compared in constant time.
pub(crate) fn signature_matches(
    secret_access_key: &str,
    signed: &SigV4<'_>,
    string_to_sign: &str,
) -> bool {
    hex::decode(signed.signature).is_ok_and(|claimed| {
        signer(secret_access_key, signed, string_to_sign)
            .verify_slice(&claimed)
            .is_ok()
    })
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Seconds since the epoch of an ISO 8601 basic timestamp such as `20150830T123600Z`.
pub(crate) fn parse_amz_date(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = bytes.get(range)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| std::str::from_utf8(part).ok()?.parse().ok())
            .flatten()
    };
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let (month, day) = (digits(4..6)?, digits(6..8)?);
    let (hour, minute, second) = (digits(9..11)?, digits(11..13)?, digits(13..15)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let days = days_from_civil(digits(0..4)?, month, day);
    u64::try_from(days * 86_400 + hour * 3_600 + minute * 60 + second).ok()
}

/// `20150830T123600Z` for `secs` since the epoch.
#[cfg(test)]
pub(crate) fn format_amz_date(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX);
    let (year, month, day) = civil_from_days(days);
    let rest = secs % 86_400;
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `2015-08-30T12:36:00Z` for `secs` since the epoch, as STS writes an expiration.
pub(crate) fn format_iso8601(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX);
    let (year, month, day) = civil_from_days(days);
    let rest = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
