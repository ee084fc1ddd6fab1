//! The one HTTP client policy of every call ssokey makes (the SDK's clients,
//! the console's sign-in token, the lookup of a vanity start URL): the SDK's
//! own client (aws-smithy-http-client), with the proxy that the environment
//! names and the trust store of the run.
//!
//! Proxy: `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`, in either
//! case, as the SDK reads them. Trust: the system's roots (or those of
//! `SSL_CERT_FILE`), plus the certificates of one CA bundle: `AWS_CA_BUNDLE`,
//! else the `ca_bundle` of the profile, else that of the `[sso-session]`.

use std::path::PathBuf;
use std::time::Duration;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, Connector};
use aws_smithy_runtime_api::client::http::{
    HttpConnector as _, HttpConnectorSettings, SharedHttpClient,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use http_body_util::BodyExt as _;

use crate::exit::{Exit, Reported};
use crate::secret::Secret;

/// How long a connection may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an answer may take to come, once asked for.
pub const READ_TIMEOUT: Duration = Duration::from_secs(20);

/// Where the run's CA bundle was named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaSource {
    /// `AWS_CA_BUNDLE`.
    Env,
    /// `ca_bundle` in the profile of that name.
    Profile(String),
    /// `ca_bundle` in the `[sso-session]` of that name.
    SsoSession(String),
}

impl std::fmt::Display for CaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CaSource::Env => f.write_str("AWS_CA_BUNDLE"),
            CaSource::Profile(name) => write!(f, "ca_bundle of [profile {name}]"),
            CaSource::SsoSession(name) => write!(f, "ca_bundle of [sso-session {name}]"),
        }
    }
}

/// A CA bundle that a setting names, not yet read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaBundle {
    pub path: PathBuf,
    pub source: CaSource,
}

/// Pure: the CA bundle that wins, by botocore's precedence: the
/// environment, then the profile, then the `[sso-session]` section. An empty
/// value is no value.
pub fn choose_ca_bundle(
    env: Option<&str>,
    profile: Option<(&str, &str)>,
    sso_session: Option<(&str, &str)>,
) -> Option<CaBundle> {
    let given = |value: &str| !value.trim().is_empty();
    if let Some(path) = env.filter(|v| given(v)) {
        return Some(CaBundle {
            path: expand_home(path.trim()),
            source: CaSource::Env,
        });
    }
    for (source, value) in [
        profile.map(|(name, value)| (CaSource::Profile(name.to_owned()), value)),
        sso_session.map(|(name, value)| (CaSource::SsoSession(name.to_owned()), value)),
    ]
    .into_iter()
    .flatten()
    {
        if given(value) {
            return Some(CaBundle {
                path: expand_home(value.trim()),
                source,
            });
        }
    }
    None
}

/// `~/x` as botocore expands it (`os.path.expanduser`).
fn expand_home(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => dirs::home_dir().map_or_else(|| PathBuf::from(path), |home| home.join(rest)),
        None => PathBuf::from(path),
    }
}

/// A CA bundle that cannot be used: the run stops before any call, as the
/// AWS CLI does, rather than trust less than the user asked for.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("cannot read the CA bundle {path} ({source_name}): {cause}")]
    Unreadable {
        path: String,
        source_name: String,
        cause: String,
    },
    #[error("the CA bundle {path} ({source_name}) holds no certificate ssokey can use")]
    NoCertificate { path: String, source_name: String },
}

impl Reported for TrustError {
    fn hint(&self) -> Option<String> {
        Some(
            "point AWS_CA_BUNDLE (or ca_bundle in the config file) at a PEM file of CA certificates, or unset it"
                .to_owned(),
        )
    }
    fn exit(&self) -> Exit {
        Exit::Usage
    }
}

/// The HTTP client policy of a run: its proxy (from the environment) and its
/// trust store.
#[derive(Debug, Clone)]
pub struct Policy {
    tls: TlsContext,
    /// The bundle whose certificates are trusted besides the system's.
    pub ca_bundle: Option<CaBundle>,
}

impl Policy {
    /// The policy that trusts the system's roots and, when one is named, the
    /// certificates of `ca_bundle`, each of which must parse (the SDK's
    /// client would stop the process on one that does not).
    pub fn new(ca_bundle: Option<CaBundle>) -> Result<Self, TrustError> {
        let mut store = TrustStore::default();
        if let Some(bundle) = &ca_bundle {
            store = store.with_pem_certificate(read_bundle(bundle)?);
        }
        let tls = TlsContext::builder()
            .with_trust_store(store)
            .build()
            .expect("a trust store alone is a valid TLS context");
        Ok(Self { tls, ca_bundle })
    }

    /// A connector of this policy, for the SDK's settings (timeouts) or the
    /// run's own: the SDK's own HTTPS connector, its proxy read from the
    /// environment.
    fn connector(&self, settings: Option<&HttpConnectorSettings>) -> Connector {
        let mut builder = Connector::builder();
        builder.set_connector_settings(settings.cloned());
        builder
            .proxy_config(ProxyConfig::from_env())
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .tls_context(self.tls.clone())
            .build()
    }

    /// The HTTP client that the SDK's clients are given.
    pub fn sdk_client(&self) -> SharedHttpClient {
        let policy = self.clone();
        Builder::new()
            .build_with_connector_fn(move |settings, _components| policy.connector(settings))
    }

    /// Sends `method url` with no body through this policy's client, and
    /// the answer's status, `Location` and body (at most `max_body` bytes).
    /// The URL may carry a secret: no error names more than its host.
    pub async fn send(
        &self,
        method: &str,
        url: &Secret,
        max_body: usize,
    ) -> Result<Answer, SendError> {
        let host = host_of(url.expose());
        let mut request = HttpRequest::new(SdkBody::empty());
        request
            .set_uri(url.expose())
            .map_err(|_| SendError::BadUrl { host: host.clone() })?;
        request
            .set_method(method)
            .map_err(|_| SendError::BadUrl { host: host.clone() })?;
        request
            .headers_mut()
            .insert("user-agent", concat!("ssokey/", env!("CARGO_PKG_VERSION")));
        let settings = HttpConnectorSettings::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .build();
        let connector = self.connector(Some(&settings));
        let call = async {
            let response = connector
                .call(request)
                .await
                .map_err(|err| SendError::Unreachable {
                    host: host.clone(),
                    cause: cause_of(&err),
                })?;
            let status = response.status().as_u16();
            let location = response.headers().get("location").map(str::to_owned);
            let body = http_body_util::Limited::new(response.into_body(), max_body)
                .collect()
                .await
                .map_err(|_| SendError::Malformed { host: host.clone() })?
                .to_bytes()
                .to_vec();
            Ok(Answer {
                status,
                location,
                body,
            })
        };
        tokio::time::timeout(CONNECT_TIMEOUT + READ_TIMEOUT, call)
            .await
            .map_err(|_| SendError::Unreachable {
                host: host.clone(),
                cause: "the request timed out".to_owned(),
            })?
    }
}

/// The bundle's PEM text, every certificate of which parses as a trust
/// anchor.
fn read_bundle(bundle: &CaBundle) -> Result<Vec<u8>, TrustError> {
    let shown = || (bundle.path.display().to_string(), bundle.source.to_string());
    let bytes = std::fs::read(&bundle.path).map_err(|err| {
        let (path, source_name) = shown();
        TrustError::Unreadable {
            path,
            source_name,
            cause: err.to_string(),
        }
    })?;
    if usable_certificates(&bytes) == 0 {
        let (path, source_name) = shown();
        return Err(TrustError::NoCertificate { path, source_name });
    }
    Ok(bytes)
}

/// Pure: how many certificates of a PEM text can be trusted, or 0 when any
/// of them cannot.
fn usable_certificates(pem: &[u8]) -> usize {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let Ok(certs) = CertificateDer::pem_slice_iter(pem).collect::<Result<Vec<_>, _>>() else {
        return 0;
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in &certs {
        if roots.add(cert.clone()).is_err() {
            return 0;
        }
    }
    certs.len()
}

/// The answer to [`Policy::send`].
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// A request that got no usable answer. Errors name the host only.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{host} is not a URL ssokey can call")]
    BadUrl { host: String },
    #[error("could not reach {host}: {cause}")]
    Unreachable { host: String, cause: String },
    #[error("{host} sent an answer ssokey cannot read")]
    Malformed { host: String },
}

impl Reported for SendError {
    fn hint(&self) -> Option<String> {
        Some(
            "check your network connection and any HTTPS_PROXY, NO_PROXY or AWS_CA_BUNDLE, then try again"
                .to_owned(),
        )
    }
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

/// The scheme and host of `url`, for messages: never its path or query.
pub fn host_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    format!("{scheme}://{host}")
}

/// The error and its sources, by `Display` only, each said once: the SDK's
/// `Debug` forms are for developers.
pub fn cause_of(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = String::new();
    let mut next = Some(err);
    while let Some(err) = next {
        let part = err.to_string();
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
        next = err.source();
    }
    text
}

/// The proxy that the environment names for https, as ssokey would show
/// it: the password masked. `None` when no proxy is set.
pub fn proxy_shown(var: impl Fn(&str) -> Option<String>) -> Option<(String, String)> {
    for name in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        if let Some(value) = var(name).filter(|v| !v.trim().is_empty()) {
            return Some((name.to_owned(), mask_password(value.trim())));
        }
    }
    None
}

/// Pure: a proxy URL with the password of its user info replaced by `***`
/// (a user name alone is kept).
pub fn mask_password(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let masked = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{masked}{tail}"),
        None => format!("{masked}{tail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_wins_then_the_profile_then_the_sso_session() {
        let env = Some("/etc/env.pem");
        let profile = Some(("work", "/etc/profile.pem"));
        let session = Some(("corp", "/etc/session.pem"));
        let chosen = |e, p, s| choose_ca_bundle(e, p, s).map(|b| (b.path, b.source));
        assert_eq!(
            chosen(env, profile, session),
            Some((PathBuf::from("/etc/env.pem"), CaSource::Env))
        );
        assert_eq!(
            chosen(Some(" "), profile, session),
            Some((
                PathBuf::from("/etc/profile.pem"),
                CaSource::Profile("work".to_owned())
            ))
        );
        assert_eq!(
            chosen(None, Some(("work", "")), session),
            Some((
                PathBuf::from("/etc/session.pem"),
                CaSource::SsoSession("corp".to_owned())
            ))
        );
        assert_eq!(chosen(None, None, None), None);
    }

    #[test]
    fn proxy_passwords_are_masked() {
        for (url, shown) in [
            ("http://proxy:3128", "http://proxy:3128"),
            ("http://me:s3cret@proxy:3128", "http://me:***@proxy:3128"),
            ("http://me:s3:cr@t@proxy:3128/", "http://me:***@proxy:3128/"),
            ("http://me@proxy:3128", "http://me@proxy:3128"),
            ("me:s3cret@proxy:3128", "me:***@proxy:3128"),
        ] {
            assert_eq!(mask_password(url), shown, "{url}");
        }
        let env = |name: &str| (name == "https_proxy").then(|| "http://u:pw@p:1".to_owned());
        assert_eq!(
            proxy_shown(env),
            Some(("https_proxy".to_owned(), "http://u:***@p:1".to_owned()))
        );
    }

    #[test]
    fn a_bundle_with_a_broken_certificate_is_not_usable() {
        assert_eq!(usable_certificates(b""), 0);
        assert_eq!(usable_certificates(b"not pem"), 0);
        assert_eq!(
            usable_certificates(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            0
        );
    }

    #[test]
    fn messages_name_the_host_only() {
        assert_eq!(
            host_of("https://signin.aws.amazon.com/federation?Action=getSigninToken&Session=x"),
            "https://signin.aws.amazon.com"
        );
        assert_eq!(
            host_of("http://127.0.0.1:4567?Session=x"),
            "http://127.0.0.1:4567"
        );
        assert_eq!(host_of("https://u:p@h/x"), "https://h");
    }
}
