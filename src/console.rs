//! The AWS console sign-in, as pure logic: which sign-in endpoint and which
//! console host a region's partition has, the console page to open, and the
//! two federation URLs (the one that trades role credentials for a sign-in
//! token, and the login URL that the browser opens). The HTTP call is in
//! [`crate::aws::federation`].

use std::fmt::Write as _;

use crate::credentials::RoleCredentials;
use crate::exit::{Exit, Reported};
use crate::secret::Secret;

/// The region the console opens in when nothing names one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// An AWS partition: its sign-in and console hosts differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    Aws,
    UsGov,
    China,
    EuropeanSovereign,
}

impl Partition {
    /// Pure: the partition of a region, by its prefix.
    pub fn of(region: &str) -> Partition {
        if region.starts_with("us-gov-") {
            Partition::UsGov
        } else if region.starts_with("cn-") {
            Partition::China
        } else if region.starts_with("eusc-") {
            Partition::EuropeanSovereign
        } else {
            Partition::Aws
        }
    }
}

/// Pure: the sign-in endpoint for `region` (scheme and host, no path). In the
/// `aws` partition it is regional, except for us-east-1, whose endpoint is
/// the global one; the other partitions have one endpoint each.
pub fn signin_endpoint(region: &str) -> String {
    match Partition::of(region) {
        Partition::Aws if region == "us-east-1" => "https://signin.aws.amazon.com".to_owned(),
        Partition::Aws => format!("https://{region}.signin.aws.amazon.com"),
        Partition::UsGov => "https://signin.amazonaws-us-gov.com".to_owned(),
        Partition::China => "https://signin.amazonaws.cn".to_owned(),
        Partition::EuropeanSovereign => "https://signin.amazonaws-eusc.eu".to_owned(),
    }
}

/// The endpoint variables, as the AWS SDKs read them for the service whose
/// id is `signin`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointVariables {
    /// `AWS_ENDPOINT_URL_SIGNIN`.
    pub signin: Option<String>,
    /// `AWS_ENDPOINT_URL`, for every service.
    pub global: Option<String>,
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`, when it says `true`.
    pub ignore: bool,
}

/// Pure: the endpoint to call, as an SDK would choose it for the service
/// `signin`: the service's variable, else the global one, unless configured
/// endpoints are to be ignored; else the partition's endpoint. Without a
/// trailing slash.
pub fn endpoint(region: &str, vars: &EndpointVariables) -> String {
    let configured = if vars.ignore {
        None
    } else {
        vars.signin
            .as_deref()
            .or(vars.global.as_deref())
            .map(str::trim)
            .filter(|url| !url.is_empty())
    };
    configured.map_or_else(
        || signin_endpoint(region),
        |url| url.trim_end_matches('/').to_owned(),
    )
}

/// The console page to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// The console home.
    Home,
    /// A service's console page (`ec2`, `s3`, `cloudwatch`...).
    Service(String),
    /// A URL given in full.
    Url(String),
}

/// An unusable `--service` or `--destination`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConsoleError {
    #[error("'{0}' is not a console service name")]
    BadService(String),
    #[error("the destination '{0}' is not an https:// URL")]
    BadDestination(String),
    #[error("could not open a browser: {0}")]
    NoBrowser(String),
    #[error("'{0}' is not an AWS region name")]
    BadRegion(String),
}

impl ConsoleError {
    pub fn hint(&self) -> String {
        match self {
            ConsoleError::BadService(_) => {
                "a service is named as in its console URL, in lower case: ec2, s3, cloudwatch, iam"
                    .to_owned()
            }
            ConsoleError::BadDestination(_) => {
                "give a console URL, e.g. --destination https://us-east-1.console.aws.amazon.com/ec2/home"
                    .to_owned()
            }
            ConsoleError::BadRegion(_) => "set the region to a region name such as us-east-1: --region, the profile's region, or AWS_REGION".to_owned(),
            ConsoleError::NoBrowser(_) => {
                "set BROWSER to a browser command, or run again with --print and open the URL yourself"
                    .to_owned()
            }
        }
    }
}

impl Destination {
    /// Pure: the destination of `--service` or `--destination`, checked.
    pub fn from_flags(
        service: Option<&str>,
        destination: Option<&str>,
    ) -> Result<Self, ConsoleError> {
        if let Some(url) = destination {
            let ok = url.starts_with("https://")
                && url.len() > "https://".len()
                && !url.contains(|c: char| c.is_whitespace() || c.is_control());
            return if ok {
                Ok(Destination::Url(url.to_owned()))
            } else {
                Err(ConsoleError::BadDestination(url.to_owned()))
            };
        }
        match service {
            None => Ok(Destination::Home),
            Some(name)
                if !name.is_empty()
                    && name.len() <= 64
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') =>
            {
                Ok(Destination::Service(name.to_owned()))
            }
            Some(name) => Err(ConsoleError::BadService(name.to_owned())),
        }
    }

    /// Pure: the console URL for `region`. The `aws` partition's console is
    /// regional; the other partitions have one console host each.
    pub fn url(&self, region: &str) -> String {
        let host = match Partition::of(region) {
            Partition::Aws => format!("https://{region}.console.aws.amazon.com"),
            Partition::UsGov => "https://console.amazonaws-us-gov.com".to_owned(),
            Partition::China => "https://console.amazonaws.cn".to_owned(),
            Partition::EuropeanSovereign => "https://console.amazonaws-eusc.eu".to_owned(),
        };
        match self {
            Destination::Home => format!("{host}/console/home?region={region}"),
            Destination::Service(service) => format!("{host}/{service}/home?region={region}"),
            Destination::Url(url) => url.clone(),
        }
    }
}

/// Pure: the URL that trades the credentials for a sign-in token. It holds
/// the credentials, so it is a [`Secret`]: it goes over HTTPS to the sign-in
/// service and nowhere else. No `SessionDuration`: the service refuses it for
/// chained role credentials, and for role credentials the console session
/// lasts as long as they do, which the permission set's session duration
/// already chose.
pub fn signin_token_url(endpoint: &str, credentials: &RoleCredentials) -> Secret {
    let session = serde_json::json!({
        "sessionId": credentials.access_key_id,
        "sessionKey": credentials.secret_access_key.expose(),
        "sessionToken": credentials.session_token.expose(),
    })
    .to_string();
    Secret::new(format!(
        "{endpoint}/federation?Action=getSigninToken&Session={}",
        encode(&session)
    ))
}

/// Pure: the login URL, which the browser opens. Whoever holds it has the
/// console until the sign-in token expires: it is a [`Secret`].
pub fn login_url(endpoint: &str, issuer: &str, destination: &str, token: &Secret) -> Secret {
    Secret::new(format!(
        "{endpoint}/federation?Action=login&Issuer={}&Destination={}&SigninToken={}",
        encode(issuer),
        encode(destination),
        encode(token.expose())
    ))
}

/// Pure: `text` as a URL query value: every byte but the unreserved
/// `A-Z a-z 0-9 - _ . ~` as `%XX`.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Pure: the sign-in token in the service's answer, `{"SigninToken": ...}`.
pub fn parse_signin_token(body: &[u8]) -> Option<Secret> {
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "SigninToken")]
        signin_token: Secret,
    }
    serde_json::from_slice::<Answer>(body)
        .ok()
        .map(|answer| answer.signin_token)
        .filter(|token| !token.expose().is_empty())
}

impl Reported for ConsoleError {
    fn hint(&self) -> Option<String> {
        Some(ConsoleError::hint(self))
    }
    fn exit(&self) -> Exit {
        match self {
            ConsoleError::BadService(_)
            | ConsoleError::BadDestination(_)
            | ConsoleError::BadRegion(_) => Exit::Usage,
            ConsoleError::NoBrowser(_) => Exit::Failure,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn each_partition_has_its_sign_in_endpoint() {
        for (region, endpoint) in [
            ("us-east-1", "https://signin.aws.amazon.com"),
            ("eu-west-1", "https://eu-west-1.signin.aws.amazon.com"),
            ("us-east-2", "https://us-east-2.signin.aws.amazon.com"),
            ("us-gov-west-1", "https://signin.amazonaws-us-gov.com"),
            ("cn-north-1", "https://signin.amazonaws.cn"),
            ("eusc-de-east-1", "https://signin.amazonaws-eusc.eu"),
        ] {
            assert_eq!(signin_endpoint(region), endpoint, "{region}");
        }
    }

    #[test]
    fn the_endpoint_variables_win_as_in_the_sdks() {
        let vars = |signin: Option<&str>, global: Option<&str>, ignore| EndpointVariables {
            signin: signin.map(str::to_owned),
            global: global.map(str::to_owned),
            ignore,
        };
        let local = "http://127.0.0.1:4567/";
        assert_eq!(
            endpoint("eu-west-1", &vars(None, None, false)),
            "https://eu-west-1.signin.aws.amazon.com"
        );
        assert_eq!(
            endpoint("eu-west-1", &vars(Some(local), Some("http://x"), false)),
            "http://127.0.0.1:4567"
        );
        assert_eq!(
            endpoint("eu-west-1", &vars(None, Some(local), false)),
            "http://127.0.0.1:4567"
        );
        assert_eq!(
            endpoint("eu-west-1", &vars(Some(local), None, true)),
            "https://eu-west-1.signin.aws.amazon.com"
        );
        assert_eq!(
            endpoint("us-east-1", &vars(Some(" "), None, false)),
            "https://signin.aws.amazon.com"
        );
    }

    #[test]
    fn destinations_are_console_urls_in_the_region() {
        let home = Destination::from_flags(None, None).unwrap();
        assert_eq!(
            home.url("eu-west-1"),
            "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1"
        );
        let ec2 = Destination::from_flags(Some("ec2"), None).unwrap();
        assert_eq!(
            ec2.url("us-east-1"),
            "https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1"
        );
        assert_eq!(
            ec2.url("us-gov-west-1"),
            "https://console.amazonaws-us-gov.com/ec2/home?region=us-gov-west-1"
        );
        assert_eq!(
            ec2.url("cn-north-1"),
            "https://console.amazonaws.cn/ec2/home?region=cn-north-1"
        );
        assert_eq!(
            ec2.url("eusc-de-east-1"),
            "https://console.amazonaws-eusc.eu/ec2/home?region=eusc-de-east-1"
        );
        let url = "https://us-east-1.console.aws.amazon.com/s3/buckets/x";
        assert_eq!(
            Destination::from_flags(Some("ec2"), Some(url))
                .unwrap()
                .url("eu-west-1"),
            url
        );
        for bad in ["EC2", "ec2/../iam", "ec2?x=1", ""] {
            assert_eq!(
                Destination::from_flags(Some(bad), None),
                Err(ConsoleError::BadService(bad.to_owned()))
            );
        }
        for bad in [
            "http://evil.example",
            "javascript:alert(1)",
            "https://",
            "https://a b",
        ] {
            assert!(Destination::from_flags(None, Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_federation_urls_carry_everything_encoded() {
        let credentials = RoleCredentials {
            access_key_id: "ASIAEXAMPLE123456789".to_owned(),
            secret_access_key: Secret::new("wJalr/K7MDENG+bPxRfiCY="),
            session_token: Secret::new("IQoJb3JpZ2lu/+="),
            expiration: 1_764_000_000,
        };
        let url = signin_token_url("https://signin.aws.amazon.com", &credentials);
        assert_eq!(
            url.expose(),
            "https://signin.aws.amazon.com/federation?Action=getSigninToken&Session=\
             %7B%22sessionId%22%3A%22ASIAEXAMPLE123456789%22%2C%22sessionKey%22%3A\
             %22wJalr%2FK7MDENG%2BbPxRfiCY%3D%22%2C%22sessionToken%22%3A%22IQoJb3JpZ2lu%2F%2B%3D%22%7D"
        );
        assert!(!url.expose().contains("SessionDuration"));
        let login = login_url(
            "https://signin.aws.amazon.com",
            "https://acme.awsapps.com/start",
            "https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1",
            &Secret::new("tok+en/="),
        );
        assert_eq!(
            login.expose(),
            "https://signin.aws.amazon.com/federation?Action=login\
             &Issuer=https%3A%2F%2Facme.awsapps.com%2Fstart\
             &Destination=https%3A%2F%2Fus-east-1.console.aws.amazon.com%2Fec2%2Fhome%3Fregion%3Dus-east-1\
             &SigninToken=tok%2Ben%2F%3D"
        );
        assert_eq!(format!("{login:?}"), "<redacted>");
    }

    #[test]
    fn the_sign_in_token_is_read_from_the_answer() {
        assert_eq!(
            parse_signin_token(br#"{"SigninToken":"abc"}"#).map(|t| t.expose().to_owned()),
            Some("abc".to_owned())
        );
        for bad in [&b"{}"[..], b"", b"<html>", br#"{"SigninToken":""}"#] {
            assert!(parse_signin_token(bad).is_none());
        }
    }
}
