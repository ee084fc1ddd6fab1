//! Start URLs on a company's own domain (`https://sso.example.com`), which
//! redirect to the AWS access portal: looked up once, as the AWS CLI does
//! (awscli/customizations/sso/resolve.py): one request (HEAD, or GET when
//! HEAD is refused), at most one redirect, https only, and it must end on a
//! host of AWS's, whose name gives the region.

use crate::aws::http::{Policy, SendError};
use crate::exit::{Exit, Reported};
use crate::secret::Secret;
use crate::start_url::{StartUrl, is_loopback};

/// The statuses that redirect.
const REDIRECTS: [u16; 5] = [301, 302, 303, 307, 308];
/// The statuses of a server that does not take HEAD: ask again with GET.
const NO_HEAD: [u16; 2] = [405, 501];
/// The most of an answer read: only its status and `Location` matter.
const MAX_BODY: usize = 64 * 1024;

/// A start URL on a company's own domain: neither a host of AWS's nor
/// loopback (the emulator).
pub fn is_custom_domain(url: &StartUrl) -> bool {
    !url.is_aws_owned() && !is_loopback(host(url.as_str()))
}

/// The host of a URL, without port or brackets.
fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    }
}

/// Where a start URL on a company's own domain leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The AWS portal's start URL, in its normal form.
    pub portal_url: String,
    /// Its region: the one its host names, else the one given.
    pub region: String,
}

/// Why a start URL on a company's own domain leads to no AWS portal.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VanityError {
    #[error("could not look up the start URL {start_url}: {cause}")]
    Unreachable { start_url: String, cause: String },
    #[error("looking up the start URL {start_url} failed: HTTP {status}")]
    Status { start_url: String, status: u16 },
    #[error("the start URL {start_url} redirects without saying where (no Location)")]
    NoLocation { start_url: String },
    #[error(
        "the start URL {start_url} does not lead to an AWS access portal: it ends at {final_url}, which is not a host of AWS (ssokey follows one redirect)"
    )]
    NotAws {
        start_url: String,
        final_url: String,
    },
    #[error("the start URL {start_url} redirects to {final_url}, which is not https")]
    NotHttps {
        start_url: String,
        final_url: String,
    },
    #[error("the start URL {start_url} leads to {final_url}, whose host does not name its region")]
    NoRegion {
        start_url: String,
        final_url: String,
    },
}

impl Reported for VanityError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            VanityError::Unreachable { .. } => {
                "check your network connection and any HTTPS_PROXY, NO_PROXY or AWS_CA_BUNDLE, then try again".to_owned()
            }
            VanityError::NoRegion { final_url, .. } => {
                format!("sign in to that portal with its region: ssokey login --start-url {final_url} --region REGION")
            }
            _ => "use the URL of your AWS access portal itself, like https://NAME.awsapps.com/start or https://ssoins-ID.portal.REGION.app.aws (your administrator has it)".to_owned(),
        })
    }
    fn exit(&self) -> Exit {
        match self {
            VanityError::Unreachable { .. } | VanityError::Status { .. } => Exit::Failure,
            _ => Exit::Usage,
        }
    }
}

/// Looks up where `start_url` (a custom domain's) leads, through the run's
/// HTTP client: HEAD, or GET when HEAD is refused; one redirect at most.
pub async fn resolve(
    policy: &Policy,
    start_url: &StartUrl,
    given_region: Option<&str>,
) -> Result<Found, VanityError> {
    let typed = start_url.as_str();
    let url = Secret::new(typed.to_owned());
    let unreachable = |err: SendError| VanityError::Unreachable {
        start_url: typed.to_owned(),
        cause: err.to_string(),
    };
    tracing::debug!(start_url = typed, "looking up where the start URL leads");
    let mut answer = policy
        .send("HEAD", &url, MAX_BODY)
        .await
        .map_err(unreachable)?;
    if NO_HEAD.contains(&answer.status) {
        answer = policy
            .send("GET", &url, MAX_BODY)
            .await
            .map_err(unreachable)?;
    }
    let final_url = follow(typed, answer.status, answer.location.as_deref())?;
    tracing::debug!(start_url = typed, final_url, "the start URL leads there");
    judge(typed, &final_url, given_region)
}

/// Pure: the URL that one answer to `typed` leads to: a redirect's
/// `Location` (relative to `typed`), or `typed` itself.
fn follow(typed: &str, status: u16, location: Option<&str>) -> Result<String, VanityError> {
    if REDIRECTS.contains(&status) {
        let location = location
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .ok_or_else(|| VanityError::NoLocation {
                start_url: typed.to_owned(),
            })?;
        return Ok(join(typed, location));
    }
    if (200..300).contains(&status) {
        return Ok(typed.to_owned());
    }
    Err(VanityError::Status {
        start_url: typed.to_owned(),
        status,
    })
}

/// Pure: `location` read relative to `base`, as a browser reads it.
fn join(base: &str, location: &str) -> String {
    let (scheme, rest) = base.split_once("://").unwrap_or(("https", base));
    if location.contains("://") {
        location.to_owned()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let path = location.trim_start_matches('/');
        format!("{scheme}://{authority}/{path}")
    }
}

/// Pure: the portal that `final_url` is, when it is an https host of AWS's
/// (its query and fragment dropped), with its region.
fn judge(typed: &str, final_url: &str, given_region: Option<&str>) -> Result<Found, VanityError> {
    let shown = final_url
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned();
    let not_aws = || VanityError::NotAws {
        start_url: typed.to_owned(),
        final_url: shown.clone(),
    };
    let (scheme, _) = shown.split_once("://").ok_or_else(not_aws)?;
    if !scheme.eq_ignore_ascii_case("https") {
        return Err(VanityError::NotHttps {
            start_url: typed.to_owned(),
            final_url: shown,
        });
    }
    let portal = StartUrl::parse(&shown).ok().filter(StartUrl::is_aws_owned);
    let Some(portal) = portal else {
        return Err(not_aws());
    };
    let region = portal
        .region()
        .or(given_region)
        .ok_or_else(|| VanityError::NoRegion {
            start_url: typed.to_owned(),
            final_url: shown.clone(),
        })?
        .to_owned();
    Ok(Found {
        portal_url: portal.as_str().to_owned(),
        region,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPED: &str = "https://sso.example.com";

    #[test]
    fn only_a_custom_domain_is_looked_up() {
        for (url, custom) in [
            ("https://sso.example.com", true),
            ("https://sso.example.com/start", true),
            ("https://acme.awsapps.com/start", false),
            ("https://ssoins-1234.portal.eu-west-1.app.aws", false),
            ("http://127.0.0.1:4000", false),
            ("http://localhost:4000/start", false),
        ] {
            assert_eq!(
                is_custom_domain(&StartUrl::parse(url).unwrap()),
                custom,
                "{url}"
            );
        }
    }

    #[test]
    fn one_redirect_to_an_https_portal_of_aws_gives_its_url_and_region() {
        let to = "https://ssoins-7223abcd.portal.eu-central-1.app.aws/?x=1";
        let final_url = follow(TYPED, 302, Some(to)).unwrap();
        assert_eq!(
            judge(TYPED, &final_url, None),
            Ok(Found {
                portal_url: "https://ssoins-7223abcd.portal.eu-central-1.app.aws".to_owned(),
                region: "eu-central-1".to_owned(),
            })
        );
        // A portal whose host names no region takes the one given.
        let found = judge(TYPED, "https://acme.awsapps.com/start#/", Some("us-west-2"));
        assert_eq!(found.unwrap().region, "us-west-2");
        assert!(matches!(
            judge(TYPED, "https://acme.awsapps.com/start", None),
            Err(VanityError::NoRegion { .. })
        ));
    }

    #[test]
    fn everything_else_is_refused_naming_the_final_url() {
        // No redirect: the custom domain itself is where it ends.
        let final_url = follow(TYPED, 200, None).unwrap();
        assert_eq!(
            judge(TYPED, &final_url, Some("us-east-1")),
            Err(VanityError::NotAws {
                start_url: TYPED.to_owned(),
                final_url: TYPED.to_owned(),
            })
        );
        // A redirect to another custom domain (which may redirect again).
        let final_url = follow(TYPED, 301, Some("https://login.example.net/next")).unwrap();
        let err = judge(TYPED, &final_url, None).unwrap_err();
        assert!(
            err.to_string()
                .contains("ends at https://login.example.net/next"),
            "{err}"
        );
        // Plain http, even to a host of AWS's.
        let final_url = follow(TYPED, 302, Some("http://acme.awsapps.com/start")).unwrap();
        assert!(matches!(
            judge(TYPED, &final_url, Some("us-east-1")),
            Err(VanityError::NotHttps { .. })
        ));
        assert!(matches!(
            follow(TYPED, 302, None),
            Err(VanityError::NoLocation { .. })
        ));
        assert!(matches!(
            follow(TYPED, 404, None),
            Err(VanityError::Status { status: 404, .. })
        ));
        assert_eq!(
            join("https://sso.example.com/start", "/elsewhere"),
            "https://sso.example.com/elsewhere"
        );
        assert_eq!(
            join("https://sso.example.com", "//acme.awsapps.com/start"),
            "https://acme.awsapps.com/start"
        );
    }
}
