//! Start URLs in every form AWS hands out (those the AWS CLI reads,
//! `awscli/customizations/sso/resolve.py`), the one normal form of each that
//! identifies a portal, and AWS region names:
//! - `https://NAME.awsapps.com/start`, `https://d-XXXXXXXXXX.awsapps.com/start`
//!   and the same on `awsapps.cn`, with or without a trailing `/`, and with the
//!   `#/` or `#/?tab=accounts` that a URL copied from the browser's address
//!   bar carries: the normal form is `https://HOST/start`;
//! - the newer hosts that name their region ([`REGION_HOSTS`]), such as
//!   `https://ssoins-ID.portal.REGION.app.aws` and
//!   `https://ssoins-ID.REGION.portal.amazonaws.com(.cn)`: the normal form is
//!   `https://HOST`;
//! - the issuer form `https://identitycenter.amazonaws.com/ssoins-ID` (and
//!   `.com.cn`, `.eu`, `identitycenter.us-gov.amazonaws.com`), which names no
//!   region, as in the AWS CLI;
//! - a custom domain that the organization set up, and the local emulator on
//!   loopback: kept as typed, less a fragment and a trailing `/`. A close miss
//!   of AWS's own domains (`acme.awsapp.com`) is no custom domain: refused.
//!
//! Only https is accepted, and plain http only on loopback. Pure: no network.

use crate::exit::{Exit, Reported};

/// A start URL or a region that ssokey cannot use.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StartUrlError {
    #[error("'{0}' is not a valid start URL: {1}")]
    BadStartUrl(String, &'static str),
    #[error("'{url}' is not an AWS access portal: its host is a close miss of AWS's own")]
    Typo { url: String, suggestion: String },
    #[error("'{region}' is not an AWS region name")]
    BadRegion {
        region: String,
        suggestion: Option<String>,
    },
}

impl StartUrlError {
    pub fn hint(&self) -> String {
        match self {
            Self::BadStartUrl(..) => {
                "use the URL of your AWS access portal, like https://NAME.awsapps.com/start or https://ssoins-ID.portal.REGION.app.aws"
                    .to_owned()
            }
            Self::Typo { suggestion, .. } => format!("for AWS's own portal, use {suggestion}"),
            Self::BadRegion {
                suggestion: Some(suggestion),
                ..
            } => format!("did you mean {suggestion}?"),
            Self::BadRegion { .. } => {
                "use a region name such as us-east-1 or eu-west-1".to_owned()
            }
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

/// Every region of every partition (botocore's `endpoints.json`, 2026-08).
const REGIONS: [&str; 46] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "cn-north-1",
    "cn-northwest-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "eu-isoe-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
    "eusc-de-east-1",
];

/// The last region of a known region family that a new one may be: a
/// region `PREFIX-DIRECTION-N` is taken for a new one when `PREFIX-DIRECTION`
/// has regions up to N - AHEAD at least (`ap-southeast-9` with `ap-southeast-7`
/// known; not `us-east-11`).
const AHEAD: u32 = 3;

/// The directions that region names use.
const DIRECTIONS: [&str; 9] = [
    "east",
    "west",
    "north",
    "south",
    "central",
    "northeast",
    "northwest",
    "southeast",
    "southwest",
];

/// Whether `region` has the shape of a region name: lowercase words and a
/// number, `us-east-1`, `us-gov-west-1`.
fn has_region_shape(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty())
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
}

/// Checks that `region` is an AWS region: one of [`REGIONS`], or one that
/// AWS may have opened since, which has their shape: the next few of a
/// known family (`ap-southeast-9`), or the first few of a new family of
/// known directions that is not one edit away from a known region
/// (`nz-north-1`, not `ue-east-1`). Refused, it comes with the closest
/// known region when there is one close.
pub fn validate_region(region: &str) -> Result<(), StartUrlError> {
    if REGIONS.contains(&region) || is_plausible_new_region(region) {
        Ok(())
    } else {
        Err(StartUrlError::BadRegion {
            region: region.to_owned(),
            suggestion: closest_region(region),
        })
    }
}

fn is_plausible_new_region(region: &str) -> bool {
    if !has_region_shape(region) {
        return false;
    }
    let (family, number) = region.rsplit_once('-').expect("the shape has parts");
    let (prefix, direction) = family.rsplit_once('-').expect("the shape has parts");
    let Ok(number) = number.parse::<u32>() else {
        return false;
    };
    if number == 0 || number.to_string().len() != region.len() - family.len() - 1 {
        return false;
    }
    if !DIRECTIONS.contains(&direction) {
        return false;
    }
    let highest = REGIONS
        .iter()
        .filter_map(|known| known.rsplit_once('-'))
        .filter(|(known_family, _)| *known_family == family)
        .filter_map(|(_, n)| n.parse::<u32>().ok())
        .max();
    if let Some(highest) = highest {
        return number <= highest + AHEAD;
    }
    let known_prefix = REGIONS
        .iter()
        .any(|known| known.starts_with(&format!("{prefix}-")));
    (known_prefix || (prefix.len() == 2 && !prefix.contains('-')))
        && number <= AHEAD
        && REGIONS
            .iter()
            .all(|known| strsim::osa_distance(known, region) > 1)
}

/// The known region closest to `region` by edit distance, if close enough
/// to be what was meant.
fn closest_region(region: &str) -> Option<String> {
    let typed = region.trim().to_ascii_lowercase();
    let (distance, closest) = REGIONS
        .iter()
        .map(|known| (strsim::osa_distance(known, &typed), *known))
        .min_by_key(|(distance, _)| *distance)?;
    (distance <= 3).then(|| closest.to_owned())
}

/// A start URL, validated and in its normal form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartUrl {
    normal: String,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// `NAME.awsapps.com` or `NAME.awsapps.cn`, NAME being the portal's name
    /// or its directory id.
    AwsApps { name: String },
    /// A host of [`REGION_HOSTS`], which names the instance and its region.
    Portal { instance: String, region: String },
    /// The issuer form `https://identitycenter.amazonaws.com/ssoins-ID`
    /// (and its other [`ISSUER_HOSTS`]), which names no region.
    Issuer { instance: String },
    /// Another URL on one of AWS's own portal hosts, in no form above: kept
    /// as typed, as the AWS CLI keeps it.
    AwsOwned { host: String },
    /// Any other host: a custom domain, or the emulator on loopback.
    Other { host: String },
}

/// The hosts whose labels name the instance (`{I}`, `ssoins-ID`) and its
/// region (`{R}`): the AWS CLI's `_REGION_PATTERNS`, and
/// `ssoins-ID.portal.REGION.amazonaws.eu`, which ssokey read before.
const REGION_HOSTS: [&str; 7] = [
    "{I}.portal.{R}.app.aws",
    "{I}.{R}.portal.amazonaws.com",
    "{I}.{R}.portal.amazonaws.com.cn",
    "{I}.portal.{R}.app.amazonwebservices.com.cn",
    "{I}.{R}.portal.amazonaws.eu",
    "{I}.portal.{R}.api.amazonwebservices.eu",
    "{I}.portal.{R}.amazonaws.eu",
];
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
    /// Reads a start URL as a user typed or pasted it. A host that is a
    /// close miss of one of AWS's own ([`StartUrlError::Typo`]), or a
    /// portal host that names no AWS region, is refused.
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
        let path = path.trim_end_matches('/');
        // AWS's hosts are matched without the default port and a final `.`.
        let aws_host = host
            .strip_suffix(":443")
            .filter(|_| scheme == "https")
            .unwrap_or(&host)
            .trim_end_matches('.');
        let (kind, normal) = if let Some(name) = awsapps_name(aws_host) {
            let kind = Kind::AwsApps {
                name: name.to_owned(),
            };
            (kind, format!("{scheme}://{aws_host}/start"))
        } else if let Some((instance, region)) = portal_host(aws_host) {
            validate_region(region)?;
            let kind = Kind::Portal {
                instance: instance.to_owned(),
                region: region.to_owned(),
            };
            (kind, format!("{scheme}://{aws_host}"))
        } else if let Some(instance) = issuer_instance(aws_host, path) {
            let kind = Kind::Issuer {
                instance: instance.to_owned(),
            };
            (kind, format!("{scheme}://{aws_host}{path}"))
        } else if is_aws_owned_host(host_without_port(&host)) {
            let normal = format!("{scheme}://{host}{path}");
            (Kind::AwsOwned { host }, normal)
        } else {
            if let Some(suggestion) = typo_of_aws_host(&scheme, &host, path) {
                return Err(StartUrlError::Typo {
                    url: text.to_owned(),
                    suggestion,
                });
            }
            let normal = format!("{scheme}://{host}{path}");
            (Kind::Other { host }, normal)
        };
        Ok(Self { normal, kind })
    }

    /// The normal form: what identifies the portal, and what ssokey sends.
    pub fn as_str(&self) -> &str {
        &self.normal
    }

    /// The region that the host names, for the newer portal hosts.
    pub fn region(&self) -> Option<&str> {
        match &self.kind {
            Kind::Portal { region, .. } => Some(region),
            Kind::AwsApps { .. }
            | Kind::Issuer { .. }
            | Kind::AwsOwned { .. }
            | Kind::Other { .. } => None,
        }
    }

    /// The partition whose regions alone the portal can be in, when its
    /// host says so (`awsapps.cn`, the issuer hosts): as (the partition's
    /// name, the prefix of its region names).
    pub fn partition(&self) -> Option<(&'static str, &'static str)> {
        let host = match &self.kind {
            Kind::AwsApps { .. } | Kind::Issuer { .. } | Kind::AwsOwned { .. } => {
                self.normal.split_once("://")?.1.split(['/', ':']).next()?
            }
            Kind::Portal { .. } | Kind::Other { .. } => return None,
        };
        // The host is in lowercase: its last label is its top-level domain.
        let top = host.rsplit('.').next();
        if top == Some("cn") {
            Some(("AWS China", "cn-"))
        } else if top == Some("eu") {
            Some(("the AWS European Sovereign Cloud", "eusc-"))
        } else if host == "identitycenter.us-gov.amazonaws.com"
            || host.ends_with(".us-gov-home.awsapps.com")
        {
            Some(("AWS GovCloud (US)", "us-gov-"))
        } else {
            None
        }
    }

    /// Whether the host is one of AWS's own portal hosts (every form above
    /// but a custom domain and loopback): what a custom domain must redirect
    /// to.
    pub fn is_aws_owned(&self) -> bool {
        match &self.kind {
            Kind::AwsApps { .. }
            | Kind::Portal { .. }
            | Kind::Issuer { .. }
            | Kind::AwsOwned { .. } => true,
            Kind::Other { .. } => false,
        }
    }

    /// The `d-XXXXXXXXXX` of the AWS GovCloud (US) form
    /// `https://start.us-gov-home.awsapps.com/directory/d-XXXXXXXXXX`.
    fn directory(&self) -> Option<&str> {
        let rest = self.normal.split_once("://")?.1;
        let (host, path) = rest.split_once('/')?;
        let directory = path.strip_prefix("directory/")?;
        (host.ends_with(".awsapps.com") && is_label(directory)).then_some(directory)
    }

    /// The session name a portal gets when none is given: the NAME of
    /// `NAME.awsapps.com`, the `ssoins-ID` of a newer portal host or of the
    /// issuer form, else the host (without its port), cut down to a name's
    /// characters.
    pub fn session_name(&self) -> String {
        let name = match &self.kind {
            Kind::AwsApps { name } => name.as_str(),
            Kind::Portal { instance, .. } | Kind::Issuer { instance } => instance.as_str(),
            Kind::AwsOwned { .. } if let Some(directory) = self.directory() => directory,
            Kind::AwsOwned { host } | Kind::Other { host } => host_without_port(host),
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

/// A host of [`REGION_HOSTS`] as (`ssoins-ID`, REGION); REGION has the
/// shape of a region name, but may not be one.
fn portal_host(host: &str) -> Option<(&str, &str)> {
    let labels: Vec<&str> = host.split('.').collect();
    REGION_HOSTS.iter().find_map(|form| {
        let form: Vec<&str> = form.split('.').collect();
        if form.len() != labels.len() {
            return None;
        }
        let (mut instance, mut region) = (None, None);
        for (want, label) in form.iter().zip(&labels) {
            match *want {
                "{I}" => instance = Some(*label),
                "{R}" => region = Some(*label),
                literal if literal == *label => {}
                _ => return None,
            }
        }
        let (instance, region) = (instance?, region?);
        (is_instance(instance) && has_region_shape(region)).then_some((instance, region))
    })
}

/// The NAME of `NAME.awsapps.com` or `NAME.awsapps.cn`.
fn awsapps_name(host: &str) -> Option<&str> {
    [".awsapps.com", ".awsapps.cn"]
        .iter()
        .find_map(|domain| host.strip_suffix(domain))
        .filter(|name| is_label(name))
}

/// The `ssoins-ID` of the issuer form: an issuer host and the path `/ssoins-ID`.
fn issuer_instance<'p>(host: &str, path: &'p str) -> Option<&'p str> {
    let instance = path.strip_prefix('/')?;
    (ISSUER_HOSTS.contains(&host) && is_instance(instance)).then_some(instance)
}

/// Whether `label` is an instance id, `ssoins-` and letters and digits.
fn is_instance(label: &str) -> bool {
    label
        .strip_prefix("ssoins-")
        .is_some_and(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// For a host that is not AWS's but a close miss of one of AWS's portal
/// domains (`acme.awsapp.com`, `….portal.amazonaws.co`, `….app.aw`), the
/// start URL on AWS's domain instead. The host's last labels (one label
/// fewer or more than the domain has, for a dot lost or added) are compared
/// with each domain by edit distance: at most one edit for a short domain,
/// two for a longer one. Loopback and IP addresses are never typos.
fn typo_of_aws_host(scheme: &str, host: &str, path: &str) -> Option<String> {
    let hostname = host_without_port(host).trim_end_matches('.');
    let port = &host[host_without_port(host).len()..];
    if is_loopback(hostname) || hostname.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    let labels: Vec<&str> = hostname.split('.').collect();
    let mut best: Option<(usize, String)> = None;
    for domain in AWS_OWNED_DOMAINS.iter().chain(&ISSUER_HOSTS) {
        let allowed = if domain.len() <= 8 { 1 } else { 2 };
        let count = domain.split('.').count();
        for tail in count.saturating_sub(1).max(1)..=(count + 1).min(labels.len()) {
            let (kept, compared) = labels.split_at(labels.len() - tail);
            let distance = strsim::osa_distance(&compared.join("."), domain);
            if distance == 0
                || distance > allowed
                || best.as_ref().is_some_and(|(d, _)| *d <= distance)
            {
                continue;
            }
            let fixed: Vec<&str> = kept.iter().copied().chain([*domain]).collect();
            best = Some((distance, fixed.join(".")));
        }
    }
    let (_, fixed) = best?;
    let suggestion = format!("{scheme}://{fixed}{port}{path}");
    Some(StartUrl::parse(&suggestion).map_or(suggestion, |url| url.normal))
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

    /// Each form the AWS CLI reads: its normal form, the region its host
    /// names and the session it names.
    #[test]
    fn every_form_the_aws_cli_reads() {
        for (typed, normal, region, session) in [
            (
                "https://ssoins-1234abcd.us-west-2.portal.amazonaws.com/#/",
                "https://ssoins-1234abcd.us-west-2.portal.amazonaws.com",
                Some("us-west-2"),
                "ssoins-1234abcd",
            ),
            (
                "https://ssoins-1234abcd.us-gov-west-1.portal.amazonaws.com",
                "https://ssoins-1234abcd.us-gov-west-1.portal.amazonaws.com",
                Some("us-gov-west-1"),
                "ssoins-1234abcd",
            ),
            (
                "https://SSOINS-1234ABCD.CN-NORTHWEST-1.PORTAL.AMAZONAWS.COM.CN/",
                "https://ssoins-1234abcd.cn-northwest-1.portal.amazonaws.com.cn",
                Some("cn-northwest-1"),
                "ssoins-1234abcd",
            ),
            (
                "https://ssoins-1234abcd.portal.cn-north-1.app.amazonwebservices.com.cn:443/",
                "https://ssoins-1234abcd.portal.cn-north-1.app.amazonwebservices.com.cn",
                Some("cn-north-1"),
                "ssoins-1234abcd",
            ),
            (
                "https://ssoins-1234abcd.eusc-de-east-1.portal.amazonaws.eu",
                "https://ssoins-1234abcd.eusc-de-east-1.portal.amazonaws.eu",
                Some("eusc-de-east-1"),
                "ssoins-1234abcd",
            ),
            (
                "https://ssoins-1234abcd.portal.eusc-de-east-1.api.amazonwebservices.eu/",
                "https://ssoins-1234abcd.portal.eusc-de-east-1.api.amazonwebservices.eu",
                Some("eusc-de-east-1"),
                "ssoins-1234abcd",
            ),
            (
                "https://ssoins-1234abcd.portal.ap-southeast-9.app.aws",
                "https://ssoins-1234abcd.portal.ap-southeast-9.app.aws",
                Some("ap-southeast-9"),
                "ssoins-1234abcd",
            ),
            (
                "https://acme.awsapps.cn/start/#/",
                "https://acme.awsapps.cn/start",
                None,
                "acme",
            ),
            (
                "https://d-9067abcdef.awsapps.cn",
                "https://d-9067abcdef.awsapps.cn/start",
                None,
                "d-9067abcdef",
            ),
            (
                "https://identitycenter.amazonaws.com/ssoins-1234abcd/",
                "https://identitycenter.amazonaws.com/ssoins-1234abcd",
                None,
                "ssoins-1234abcd",
            ),
            (
                "https://IdentityCenter.amazonaws.com.cn./ssoins-1234abcd#/",
                "https://identitycenter.amazonaws.com.cn/ssoins-1234abcd",
                None,
                "ssoins-1234abcd",
            ),
            (
                "https://identitycenter.amazonaws.eu/ssoins-1234abcd",
                "https://identitycenter.amazonaws.eu/ssoins-1234abcd",
                None,
                "ssoins-1234abcd",
            ),
            (
                "https://identitycenter.us-gov.amazonaws.com/ssoins-1234abcd",
                "https://identitycenter.us-gov.amazonaws.com/ssoins-1234abcd",
                None,
                "ssoins-1234abcd",
            ),
            // On AWS's hosts but in no form: kept as typed, as the AWS CLI does.
            (
                "https://identitycenter.amazonaws.com/",
                "https://identitycenter.amazonaws.com",
                None,
                "identitycenter.amazonaws.com",
            ),
        ] {
            let url = StartUrl::parse(typed).unwrap();
            assert_eq!(url.as_str(), normal, "{typed}");
            assert_eq!(url.region(), region, "{typed}");
            assert_eq!(url.session_name(), session, "{typed}");
            assert!(url.is_aws_owned(), "{typed}");
            assert_eq!(StartUrl::parse(normal).unwrap(), url, "{typed}");
        }
    }

    /// A host in a partition of its own allows only that partition's regions.
    #[test]
    fn china_sovereign_and_govcloud_hosts_name_their_partition() {
        for (url, prefix) in [
            ("https://acme.awsapps.cn/start", Some("cn-")),
            (
                "https://identitycenter.amazonaws.com.cn/ssoins-1",
                Some("cn-"),
            ),
            (
                "https://identitycenter.amazonaws.eu/ssoins-1",
                Some("eusc-"),
            ),
            (
                "https://identitycenter.us-gov.amazonaws.com/ssoins-1",
                Some("us-gov-"),
            ),
            (
                "https://start.us-gov-home.awsapps.com/directory/d-9067abcdef#/",
                Some("us-gov-"),
            ),
            ("https://acme.awsapps.com/start", None),
            ("https://identitycenter.amazonaws.com/ssoins-1", None),
            ("https://ssoins-1.cn-north-1.portal.amazonaws.com.cn", None),
            ("https://sso.example.cn/start", None),
            ("http://127.0.0.1:4567/start", None),
        ] {
            let url = StartUrl::parse(url).unwrap();
            assert_eq!(url.partition().map(|(_, prefix)| prefix), prefix, "{url:?}");
        }
        // GovCloud's portal is named by its directory.
        let url = StartUrl::parse("https://start.us-gov-home.awsapps.com/directory/d-9067abcdef/")
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://start.us-gov-home.awsapps.com/directory/d-9067abcdef"
        );
        assert_eq!(url.session_name(), "d-9067abcdef");
        assert!(url.is_aws_owned());
    }

    /// A close miss of one of AWS's portal domains is refused, with the URL
    /// on AWS's domain.
    #[test]
    fn a_typo_of_an_aws_domain_is_no_custom_domain() {
        for (typed, suggestion) in [
            (
                "https://acme.awsapp.com/start",
                "https://acme.awsapps.com/start",
            ),
            (
                "https://acme.awsaps.com/start#/",
                "https://acme.awsapps.com/start",
            ),
            (
                "https://acme.awsapps.co/start",
                "https://acme.awsapps.com/start",
            ),
            ("https://acme.awsapss.com", "https://acme.awsapps.com/start"),
            (
                "https://acme.awsappscom/start",
                "https://acme.awsapps.com/start",
            ),
            ("https://awsaps.com/start", "https://awsapps.com/start"),
            (
                "https://acme.awsaps.cn/start",
                "https://acme.awsapps.cn/start",
            ),
            (
                "https://ssoins-1234.portal.eu-west-1.app.aw",
                "https://ssoins-1234.portal.eu-west-1.app.aws",
            ),
            (
                "https://ssoins-1234.portal.eu-west-1.ap.aws/",
                "https://ssoins-1234.portal.eu-west-1.app.aws",
            ),
            (
                "https://ssoins-1234.us-west-2.portal.amazonaws.co",
                "https://ssoins-1234.us-west-2.portal.amazonaws.com",
            ),
            (
                "https://ssoins-1234.us-west-2.portal.amazonwas.com",
                "https://ssoins-1234.us-west-2.portal.amazonaws.com",
            ),
            (
                "https://ssoins-1234.cn-north-1.portal.amazonaws.com.cm",
                "https://ssoins-1234.cn-north-1.portal.amazonaws.com.cn",
            ),
            (
                "https://ssoins-1234.us-west-2.portl.amazonaws.com",
                "https://ssoins-1234.us-west-2.portal.amazonaws.com",
            ),
            (
                "https://identitycenter.amazonaws.co/ssoins-1234",
                "https://identitycenter.amazonaws.com/ssoins-1234",
            ),
            (
                "https://identitycentre.amazonaws.com/ssoins-1234",
                "https://identitycenter.amazonaws.com/ssoins-1234",
            ),
        ] {
            let err = StartUrl::parse(typed).unwrap_err();
            assert_eq!(
                err,
                StartUrlError::Typo {
                    url: typed.to_owned(),
                    suggestion: suggestion.to_owned()
                },
                "{typed}"
            );
            assert_eq!(
                err.hint(),
                format!("for AWS's own portal, use {suggestion}")
            );
        }
        // Custom domains, however short or AWS-like, are not typos.
        for custom in [
            "https://sso.example.com/start",
            "https://aws.mycompany.com",
            "https://awsapps.example.com/start",
            "https://sso.amazon.com",
            "https://apps.acme.io/start",
            "https://app.acme.com",
            "https://login.aws-sso.example.org",
            "https://x.execute-api.us-east-1.amazonaws.com/prod",
            "https://portal.acme",
            "https://awsappsdemo.com",
            "http://127.0.0.1:4567/start",
            "https://[::1]:4567/start",
        ] {
            let url = StartUrl::parse(custom).unwrap();
            assert!(!url.is_aws_owned(), "{custom}");
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
                "https://ssoins-[0-9a-f]{4,16}\\.(us-east|eu-west|ap-northeast|cn-north)-[1-2]\\.portal\\.amazonaws\\.(com|com\\.cn|eu)/?(#/)?",
                "https://[a-z0-9-]{1,12}\\.awsapps\\.cn(/start)?/?(#/)?",
                "https://identitycenter\\.amazonaws\\.(com|com\\.cn|eu)/ssoins-[0-9a-f]{4,16}/?(#/)?",
            ]) {
                let first = StartUrl::parse(&url).unwrap();
                let again = StartUrl::parse(first.as_str()).unwrap();
                prop_assert_eq!(&again, &first);
                prop_assert!(!first.as_str().contains('#'));
                prop_assert!(!first.as_str().ends_with('/'));
            }

            /// A host near one of AWS's domains is read or refused as a
            /// typo; a typo's suggestion is on AWS's own host, and is read.
            #[test]
            fn a_typo_suggests_an_aws_owned_url(host in prop_oneof![
                "[a-z]{1,6}\\.[a-z]{5,8}\\.(com|cn|co)",
                "ssoins-1\\.us-east-1\\.(portal|portl|prtal)\\.amaz[a-z]{3,5}\\.(com|co|eu)",
                "[a-z]{1,6}\\.(app|ap|apps)\\.(aws|aw|as)",
                "identit[a-z]{4,8}\\.amazonaws\\.(com|co|eu)",
            ]) {
                match StartUrl::parse(&format!("https://{host}/start")) {
                    Ok(_) => {}
                    Err(StartUrlError::Typo { suggestion, .. }) => {
                        let meant = StartUrl::parse(&suggestion);
                        prop_assert!(meant.as_ref().is_ok_and(StartUrl::is_aws_owned), "{} -> {}", host, suggestion);
                    }
                    Err(err) => prop_assert!(false, "{}: {:?}", host, err),
                }
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
            "cn-northwest-1",
            "eusc-de-east-1",
            "us-isof-south-1",
            // Not yet known, but the shape of the next ones AWS opens.
            "ap-southeast-9",
            "us-east-3",
            "ca-west-2",
            "us-gov-north-1",
            "nz-north-1",
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
        for (bad, closest) in [
            ("us-east-11", Some("us-east-1")),
            ("us-east-0", Some("us-east-1")),
            ("us-east-01", Some("us-east-1")),
            ("us-esat-1", Some("us-east-1")),
            ("eu-wset-2", Some("eu-west-2")),
            ("ue-east-1", Some("us-east-1")),
            ("eu-west-9", Some("eu-west-1")),
            ("US-EAST-1", Some("us-east-1")),
            ("useast1", Some("us-east-1")),
            ("ap-southeast-99", Some("ap-southeast-1")),
            ("xx-middle-1", None),
            ("nowhere-at-all-7", None),
            ("us-east-99999999999999999999", None),
        ] {
            let err = validate_region(bad).unwrap_err();
            assert_eq!(
                err,
                StartUrlError::BadRegion {
                    region: bad.to_owned(),
                    suggestion: closest.map(str::to_owned)
                },
                "{bad}"
            );
            if let Some(closest) = closest {
                assert_eq!(err.hint(), format!("did you mean {closest}?"));
            }
        }
        // A portal host names a region that must be one.
        assert_eq!(
            StartUrl::parse("https://ssoins-1234.portal.us-east-11.app.aws"),
            Err(StartUrlError::BadRegion {
                region: "us-east-11".to_owned(),
                suggestion: Some("us-east-1".to_owned())
            })
        );
    }
}
