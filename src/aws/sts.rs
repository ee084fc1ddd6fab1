//! STS through the official SDK, signed with role credentials: `AssumeRole`
//! for one hop of a role chain, and `GetCallerIdentity` for the name of the
//! session that signs it. The client is built from the run's SDK
//! configuration, so it honours what the other clients do: the
//! `AWS_ENDPOINT_URL_STS` and `AWS_ENDPOINT_URL` overrides, the HTTP client
//! (proxies, CA bundles), FIPS and dual-stack.

use aws_config::SdkConfig;
use aws_sdk_sts::config::{Credentials, Region};

use super::sdk::{CallError, InsecureEndpoint, check_secure, configured_endpoint};
use crate::credentials::RoleCredentials;

/// STS's global endpoint, for `sts_regional_endpoints = legacy`.
const GLOBAL_ENDPOINT: &str = "https://sts.amazonaws.com";

/// The regions that `sts_regional_endpoints = legacy` sends to the global
/// endpoint (botocore's `_LEGACY_GLOBAL_STS_REGIONS`).
const LEGACY_GLOBAL_REGIONS: [&str; 16] = [
    "ap-northeast-1",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "aws-global",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// One `AssumeRole` request.
#[derive(Debug)]
pub struct AssumeRequest<'a> {
    pub role_arn: &'a str,
    pub session_name: &'a str,
    pub external_id: Option<&'a str>,
    pub duration_seconds: Option<u32>,
    /// The MFA device's serial number and the code it shows.
    pub mfa: Option<(&'a str, &'a str)>,
}

/// An STS client that signs with one set of role credentials.
pub struct StsClient {
    client: aws_sdk_sts::Client,
}

impl StsClient {
    /// A client for `region` that signs with `credentials`; with `legacy`
    /// (`sts_regional_endpoints = legacy`), the regions that botocore sends to
    /// the global endpoint go there too, unless an endpoint is configured.
    /// Fails when the configured endpoint is plain http to anything but
    /// loopback.
    pub fn new(
        config: &SdkConfig,
        region: &str,
        legacy: bool,
        credentials: &RoleCredentials,
    ) -> Result<Self, InsecureEndpoint> {
        let configured = configured_endpoint(config, "STS");
        if let Some(endpoint) = &configured {
            check_secure(endpoint)?;
        }
        let signing_credentials = Credentials::new(
            credentials.access_key_id.clone(),
            credentials.secret_access_key.expose().to_owned(),
            Some(credentials.session_token.expose().to_owned()),
            None,
            "ssokey",
        );
        let mut builder = aws_sdk_sts::config::Builder::from(config)
            .region(Region::new(region.to_owned()))
            .credentials_provider(signing_credentials);
        if configured.is_none() && legacy && LEGACY_GLOBAL_REGIONS.contains(&region) {
            builder = builder
                .region(Region::new("us-east-1"))
                .endpoint_url(GLOBAL_ENDPOINT);
        }
        Ok(Self {
            client: aws_sdk_sts::Client::from_conf(builder.build()),
        })
    }

    /// The ARN of the session that signs: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub async fn caller_arn(&self) -> Result<String, CallError> {
        let answer = self
            .client
            .get_caller_identity()
            .send()
            .await
            .map_err(|err| CallError::from_sdk("GetCallerIdentity", &err))?;
        answer.arn.ok_or_else(|| CallError::Malformed {
            op: "GetCallerIdentity",
            cause: "the answer names no Arn".to_owned(),
        })
    }

    /// The credentials of the role that `request` asks for, checked as the
    /// portal's are.
    pub async fn assume_role(
        &self,
        request: &AssumeRequest<'_>,
    ) -> Result<RoleCredentials, CallError> {
        let mut call = self
            .client
            .assume_role()
            .role_arn(request.role_arn)
            .role_session_name(request.session_name)
            .set_external_id(request.external_id.map(str::to_owned))
            .set_duration_seconds(
                request
                    .duration_seconds
                    .and_then(|secs| i32::try_from(secs).ok()),
            );
        if let Some((serial, code)) = request.mfa {
            call = call.serial_number(serial).token_code(code);
        }
        let answer = call
            .send()
            .await
            .map_err(|err| CallError::from_sdk("AssumeRole", &err))?;
        let malformed = |cause: &str| CallError::Malformed {
            op: "AssumeRole",
            cause: cause.to_owned(),
        };
        let credentials = answer
            .credentials
            .ok_or_else(|| malformed("the answer holds no credentials"))?;
        let expiration = credentials
            .expiration
            .to_millis()
            .map_err(|_| malformed("the expiration is not a time ssokey can use"))?;
        RoleCredentials::from_response(
            Some(&credentials.access_key_id),
            Some(&credentials.secret_access_key),
            Some(&credentials.session_token),
            expiration,
        )
        .map_err(malformed)
    }
}
