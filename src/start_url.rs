//! Start URLs in every form AWS hands out, and the one normal form of each
//! that identifies a portal:
//! - `https://NAME.awsapps.com/start` and `https://d-XXXXXXXXXX.awsapps.com/start`,
//!   with or without a trailing `/`, and with the `#/` or `#/?tab=accounts`
//!   that a URL copied from the browser's address bar carries: the normal form
//!   is `https://HOST/start`;
//! - the newer `https://ssoins-ID.portal.REGION.app.aws` and
//!   `https://ssoins-ID.portal.REGION.amazonaws.eu`, whose host names the
//!   region: the normal form is `https://HOST`;
//! - a custom domain that the organization set up, and the local emulator on
//!   loopback: kept as typed, less a fragment and a trailing `/`.
//!
//! Only https is accepted, and plain http only on loopback. Pure: no network.

use crate::exit::{Exit, Reported};

/// A start URL or a region that ssokey cannot use.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StartUrlError {
    #[error("'{0}' is not a valid start URL: {1}")]
    BadStartUrl(String, &'static str),
    #[error("'{0}' is not an AWS region name")]
    BadRegion(String),
}

impl StartUrlError {
    pub fn hint(&self) -> String {
        match self {
            Self::BadStartUrl(..) => {
                "use the URL of your AWS access portal, like https://NAME.awsapps.com/start or https://ssoins-ID.portal.REGION.app.aws"
                    .to_owned()
            }
            Self::BadRegion(_) => "use a region name such as us-east-1 or eu-west-1".to_owned(),
        }
    }
}

impl Reported for StartUrlError {
    fn hint(&self) -> Option<String> {
        Some(StartUrlError::hint(self))
    }
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

/// Checks that `region` has the shape of an AWS region name.
pub fn validate_region(region: &str) -> Result<(), StartUrlError> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty())
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(StartUrlError::BadRegion(region.to_owned()))
    }
}

/// A start URL, validated and in its normal form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartUrl {
    normal: String,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// `NAME.awsapps.com`, NAME being the portal's name or its directory id.
    AwsApps { name: String },
    /// `ssoins-ID.portal.REGION.app.aws` or `….amazonaws.eu`.
    Portal { instance: String, region: String },
    /// Any other host: a custom domain, or the emulator on loopback.
    Other { host: String },
}

/// The parent domains of the newer portal hosts, after `portal.REGION.`.
const PORTAL_DOMAINS: [&str; 2] = ["app.aws", "amazonaws.eu"];

/// The domains under which every host is AWS's own portal (the AWS CLI's
/// `_AWS_OWNED_SUFFIXES`, `awscli/customizations/sso/resolve.py`), and
/// `amazonaws.eu`, the parent of the `….portal.REGION.amazonaws.eu` form.
const AWS_OWNED_DOMAINS: [&str; 9] = [
    "app.aws",
    "portal.amazonaws.com",
    "portal.amazonaws.com.cn",
    "app.amazonwebservices.com.cn",
    "portal.amazonaws.eu",
    "api.amazonwebservices.eu",
    "awsapps.com",
    "awsapps.cn",
    "amazonaws.eu",
];

/// The hosts of the issuer form `https://HOST/ssoins-ID` (the AWS CLI's
/// `_AWS_OWNED_EXACT`).
const ISSUER_HOSTS: [&str; 4] = [
    "identitycenter.amazonaws.com",
    "identitycenter.amazonaws.com.cn",
    "identitycenter.amazonaws.eu",
    "identitycenter.us-gov.amazonaws.com",
];

/// Whether `host` (without a port) is one of AWS's own portal hosts, as
/// the AWS CLI decides it: a domain of [`AWS_OWNED_DOMAINS`], a host under
/// one, or an issuer host. A trailing `.` and capitals make no difference.
fn is_aws_owned_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    ISSUER_HOSTS.contains(&host.as_str())
        || AWS_OWNED_DOMAINS.iter().any(|domain| {
            host == *domain
                || host
                    .strip_suffix(domain)
                    .is_some_and(|rest| rest.ends_with('.'))
        })
}

impl StartUrl {
    /// Reads a start URL as a user typed or pasted it.
    pub fn parse(text: &str) -> Result<Self, StartUrlError> {
        validate(text)?;
        let (scheme, rest) = text.split_once("://").expect("validated");
        let rest = rest.split('#').next().unwrap_or_default();
        let (authority, path) = match rest.find(['/', '?']) {
            Some(at) => rest.split_at(at),
            None => (rest, ""),
        };
        let host = authority.to_ascii_lowercase();
        let scheme = scheme.to_ascii_lowercase();
        let (kind, path) = if let Some(name) = host.strip_suffix(".awsapps.com")
            && is_label(name)
        {
            let kind = Kind::AwsApps {
                name: name.to_owned(),
            };
            (kind, "/start".to_owned())
        } else if let Some((instance, region)) = portal_host(&host) {
            let kind = Kind::Portal {
                instance: instance.to_owned(),
                region: region.to_owned(),
            };
            (kind, String::new())
        } else {
            let kind = Kind::Other { host: host.clone() };
            (kind, path.trim_end_matches('/').to_owned())
        };
        Ok(Self {
            normal: format!("{scheme}://{host}{path}"),
            kind,
        })
    }

    /// The normal form: what identifies the portal, and what ssokey sends.
    pub fn as_str(&self) -> &str {
        &self.normal
    }

    /// The region that the host names, for the newer portal hosts.
    pub fn region(&self) -> Option<&str> {
        match &self.kind {
            Kind::Portal { region, .. } => Some(region),
            Kind::AwsApps { .. } | Kind::Other { .. } => None,
        }
    }

    /// Whether the host is one of AWS's own portal hosts (every form above
    /// but a custom domain and loopback): what a custom domain must redirect
    /// to.
    pub fn is_aws_owned(&self) -> bool {
        match &self.kind {
            Kind::AwsApps { .. } | Kind::Portal { .. } => true,
            Kind::Other { host } => is_aws_owned_host(host_without_port(host)),
        }
    }

    /// The session name a portal gets when none is given: the NAME of
    /// `NAME.awsapps.com`, the `ssoins-ID` of a newer portal host, else the
    /// host (without its port), cut down to a name's characters.
    pub fn session_name(&self) -> String {
        let name = match &self.kind {
            Kind::AwsApps { name } => name.as_str(),
            Kind::Portal { instance, .. } => instance.as_str(),
            Kind::Other { host } => host_without_port(host),
        };
        let out: String = name
            .chars()
            .map(|ch| {
                if ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.') {
                    ch
                } else {
                    '-'
                }
            })
            .collect();
        if out.is_empty() {
            "portal".to_owned()
        } else {
            out
        }
    }
}

/// `ssoins-ID.portal.REGION.app.aws` (or `.amazonaws.eu`) as (`ssoins-ID`, REGION).
fn portal_host(host: &str) -> Option<(&str, &str)> {
    let (instance, rest) = host.split_once(".portal.")?;
    let (region, domain) = rest.split_once('.')?;
    let id = instance.strip_prefix("ssoins-")?;
    let ok = !id.is_empty()
        && id.chars().all(|c| c.is_ascii_alphanumeric())
        && PORTAL_DOMAINS.contains(&domain)
        && validate_region(region).is_ok();
    ok.then_some((instance, region))
}

/// Whether `name` is one DNS label: the NAME of `NAME.awsapps.com`.
fn is_label(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn host_without_port(host: &str) -> &str {
    if host.starts_with('[') {
        host.split(']').next().map_or(host, |h| &h[1..])
    } else {
        host.split(':').next().unwrap_or(host)
    }
}

/// The host part of a URL's authority (after any `user@`).
fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    Some(authority.rsplit('@').next().unwrap_or(authority))
}

/// A start URL must be https; plain http is allowed only on the loopback
/// interface, where the local emulator runs. Also used for the verification
/// URLs the sign-in service sends, which a browser opens.
pub fn validate(url: &str) -> Result<(), StartUrlError> {
    let bad = |why| StartUrlError::BadStartUrl(url.to_owned(), why);
    let (scheme, _) = url
        .split_once("://")
        .ok_or_else(|| bad("it has no scheme"))?;
    let host = host_of(url).unwrap_or_default();
    let hostname = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or_default()
    };
    if hostname.is_empty() {
        return Err(bad("it has no host"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("it contains spaces or control characters"));
    }
    // Browsers and URL parsers read `\` as `/`, so `http://evil\@127.0.0.1/`
    // is a URL of the host `evil`, where this reading would see loopback.
    if url.contains('\\') {
        return Err(bad("it contains a backslash"));
    }
    // A user name or password in the URL is nothing a portal asks for, and
    // `https://acme.awsapps.com@evil.example/` reads as acme's to a person.
    if url.split_once("://").is_some_and(|(_, rest)| {
        rest.split(['/', '?', '#'])
            .next()
            .is_some_and(|a| a.contains('@'))
    }) && !is_loopback(hostname)
    {
        return Err(bad("it names a user before the host"));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if is_loopback(hostname) => Ok(()),
        "http" => Err(bad("it must use https")),
        _ => Err(bad("it must be an https URL")),
    }
}

pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn normal(text: &str) -> String {
        StartUrl::parse(text).unwrap().as_str().to_owned()
    }

    #[test]
    fn every_form_of_an_awsapps_portal_is_one_portal() {
        for typed in [
            "https://acme.awsapps.com/start",
            "https://acme.awsapps.com/start/",
            "https://acme.awsapps.com/start#/",
            "https://acme.awsapps.com/start/#/?tab=accounts",
            "https://ACME.awsapps.com/start",
            "HTTPS://acme.awsapps.com/start",
            "https://acme.awsapps.com",
        ] {
            let url = StartUrl::parse(typed).unwrap();
            assert_eq!(url.as_str(), "https://acme.awsapps.com/start", "{typed:?}");
            assert_eq!(url.session_name(), "acme");
            assert_eq!(url.region(), None);
        }
        let url = StartUrl::parse("https://d-9067abcdef.awsapps.com/start#/").unwrap();
        assert_eq!(url.as_str(), "https://d-9067abcdef.awsapps.com/start");
        assert_eq!(url.session_name(), "d-9067abcdef");
    }

    #[test]
    fn the_newer_portal_hosts_name_their_region() {
        for (typed, normal, region) in [
            (
                "https://ssoins-7223a8e3a2b1c4d5.portal.eu-west-1.app.aws",
                "https://ssoins-7223a8e3a2b1c4d5.portal.eu-west-1.app.aws",
                "eu-west-1",
            ),
            (
                "https://ssoins-7223a8e3a2b1c4d5.portal.eu-west-1.app.aws/#/",
                "https://ssoins-7223a8e3a2b1c4d5.portal.eu-west-1.app.aws",
                "eu-west-1",
            ),
            (
                "https://ssoins-1234.portal.eusc-de-east-1.amazonaws.eu/",
                "https://ssoins-1234.portal.eusc-de-east-1.amazonaws.eu",
                "eusc-de-east-1",
            ),
        ] {
            let url = StartUrl::parse(typed).unwrap();
            assert_eq!(url.as_str(), normal, "{typed}");
            assert_eq!(url.region(), Some(region), "{typed}");
            assert!(url.session_name().starts_with("ssoins-"));
        }
        // Not quite a portal host: another domain, or no region in it.
        for other in [
            "https://ssoins-1234.portal.eu-west-1.example.com",
            "https://ssoins-1234.portal.app.aws",
            "https://ssoins-.portal.eu-west-1.app.aws",
            "https://ssoins-1234.portal.amazonaws.com/",
        ] {
            assert_eq!(StartUrl::parse(other).unwrap().region(), None, "{other}");
        }
    }

    #[test]
    fn aws_owned_hosts_are_the_aws_clis() {
        for owned in [
            "https://acme.awsapps.com/start",
            "https://ssoins-1234.portal.eu-west-1.app.aws",
            "https://ssoins-1234.portal.eusc-de-east-1.amazonaws.eu",
            "https://ssoins-1234.us-west-2.portal.amazonaws.com",
            "https://ssoins-1234.cn-north-1.portal.amazonaws.com.cn",
            "https://ssoins-1234.portal.cn-north-1.app.amazonwebservices.com.cn",
            "https://ssoins-1234.eusc-de-east-1.portal.amazonaws.eu",
            "https://ssoins-1234.portal.eusc-de-east-1.api.amazonwebservices.eu",
            "https://d-1234.awsapps.cn/start",
            "https://awsapps.com",
            "https://identitycenter.amazonaws.com/ssoins-1234",
            "https://identitycenter.amazonaws.com./ssoins-1234",
            "https://identitycenter.amazonaws.com.cn/ssoins-1234",
            "https://identitycenter.amazonaws.eu/ssoins-1234",
            "https://identitycenter.us-gov.amazonaws.com/ssoins-1234",
            "https://ACME.AWSAPPS.COM:443/start",
        ] {
            assert!(StartUrl::parse(owned).unwrap().is_aws_owned(), "{owned}");
        }
        for other in [
            "https://aws.mycompany.com",
            "https://awsapps.com.evil.net",
            "https://evil-awsapps.com",
            "https://x.app.aws.example.com",
            "https://amazonaws.com.example.net",
            "https://portal.amazonaws.com.evil.net",
            "https://notidentitycenter.amazonaws.com",
            "https://example.com",
            "https://awsapps.cn.evil.net",
            "https://evil-awsapps.cn",
            "http://127.0.0.1:4567/start",
            "http://localhost/start",
        ] {
            assert!(!StartUrl::parse(other).unwrap().is_aws_owned(), "{other}");
        }
    }

    #[test]
    fn a_custom_domain_is_kept_as_typed() {
        assert_eq!(
            normal("https://sso.example.com/Portal/Start/#/"),
            "https://sso.example.com/Portal/Start"
        );
        assert_eq!(
            normal("https://sso.example.com/start?x=1"),
            "https://sso.example.com/start?x=1"
        );
        let url = StartUrl::parse("https://sso.example.com/").unwrap();
        assert_eq!(url.as_str(), "https://sso.example.com");
        assert_eq!(url.session_name(), "sso.example.com");
        assert_eq!(
            StartUrl::parse("http://127.0.0.1:4567/start")
                .unwrap()
                .session_name(),
            "127.0.0.1"
        );
        assert_eq!(
            StartUrl::parse("https://ssoins-1234.portal.amazonaws.com/")
                .unwrap()
                .session_name(),
            "ssoins-1234.portal.amazonaws.com"
        );
    }

    #[test]
    fn start_urls_must_be_https_except_on_loopback() {
        for ok in [
            "https://acme.awsapps.com/start",
            "http://127.0.0.1:4567/start",
            "http://localhost/start",
            "http://[::1]:80/start",
        ] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://acme.awsapps.com/start",
            "ftp://acme/start",
            "acme.awsapps.com",
            "https:///start",
            "https://a b/start",
            "http://evil.example.com\\@127.0.0.1/start",
            "http://127.0.0.1\\.evil.example.com/start",
            "http://127.0.0.1:80@evil.example.com/start",
            "http://localhost.evil.example.com/start",
            "https://acme.awsapps.com@evil.example.com/start",
            "javascript:alert(1)",
        ] {
            assert!(validate(bad).is_err(), "{bad}");
            assert!(StartUrl::parse(bad).is_err(), "{bad}");
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(5000))]

            /// Any text: refused, or an https URL, or a plain http one whose
            /// host (as a browser reads it) is loopback; never a panic.
            #[test]
            fn only_https_or_loopback_start_urls_pass(url in prop_oneof![
                any::<String>(),
                "(https?|ftp|HTTP|file|javascript)://[a-z0-9.:@\\\\/\\[\\] -]{0,30}",
                "http://(127\\.0\\.0\\.1|localhost|\\[::1\\])[:@\\\\./a-z0-9]{0,20}",
            ]) {
                if validate(&url).is_ok() {
                    let (scheme, rest) = url.split_once("://").unwrap();
                    prop_assert!(!url.contains(['\\', ' ', '\n']));
                    if !scheme.eq_ignore_ascii_case("https") {
                        prop_assert!(scheme.eq_ignore_ascii_case("http"));
                        let authority = rest.split(['/', '?', '#']).next().unwrap();
                        let host = authority.rsplit('@').next().unwrap();
                        let host = host.strip_prefix("[::1]").map_or_else(
                            || host.split(':').next().unwrap().to_owned(),
                            |_| "::1".to_owned(),
                        );
                        prop_assert!(is_loopback(&host), "{} passed", url);
                    }
                }
            }

            /// The normal form is a fixed point, and is itself a valid start
            /// URL that names the same session and region.
            #[test]
            fn the_normal_form_is_stable(url in prop_oneof![
                "https://[a-z0-9-]{1,12}\\.awsapps\\.com(/start)?/?(#/(\\?tab=accounts)?)?",
                "https://ssoins-[0-9a-f]{4,16}\\.portal\\.(us|eu|ap)-(east|west)-[1-3]\\.(app\\.aws|amazonaws\\.eu)/?(#/)?",
                "https://[a-z]{1,8}\\.example\\.com(/[A-Za-z]{0,6}){0,2}/?(#/)?",
            ]) {
                let first = StartUrl::parse(&url).unwrap();
                let again = StartUrl::parse(first.as_str()).unwrap();
                prop_assert_eq!(&again, &first);
                prop_assert!(!first.as_str().contains('#'));
                prop_assert!(!first.as_str().ends_with('/'));
            }
        }
    }

    #[test]
    fn regions_are_checked() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "eu-central-2",
            "ap-southeast-4",
        ] {
            assert_eq!(validate_region(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "us_east_1",
            "us-east-1; rm",
            "useast1",
        ] {
            assert!(validate_region(bad).is_err(), "{bad}");
        }
    }
}
