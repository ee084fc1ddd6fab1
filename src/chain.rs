//! Role chaining: the roles of a [`Chain`] assumed with STS one after the
//! other, starting from an Identity Center role's credentials, each hop
//! named after the person who signed in.

use crate::aws::sdk::CallError;
use crate::aws::sts::{AssumeRequest, StsClient};
use crate::context::Context;
use crate::credentials::RoleCredentials;
use crate::exit::{Exit, Reported};
use crate::secret::Secret;
use crate::target::{self, CHAINED_MAX_SECS, Chain, Hop};

/// Why a hop of a chain failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("STS refused to let hop {hop} of {hops} assume {role_arn}{}: {message}{}", from_profile(.profile.as_deref()), if *.external_id { " (the external id given may not be the one its trust policy requires)" } else { "" })]
    AccessDenied {
        hop: usize,
        hops: usize,
        role_arn: String,
        profile: Option<String>,
        external_id: bool,
        message: String,
    },
    #[error("hop {hop} of {hops} ({role_arn}) failed")]
    Call {
        hop: usize,
        hops: usize,
        role_arn: String,
        #[source]
        cause: CallError,
    },
    #[error(
        "the role {role_arn} asks for an MFA code (mfa_serial), and there is no terminal to type it on"
    )]
    MfaNeedsTerminal { role_arn: String },
    #[error("could not read the MFA code: {0}")]
    MfaUnread(std::io::Error),
}

fn from_profile(profile: Option<&str>) -> String {
    profile.map_or_else(String::new, |name| format!(" (profile '{name}')"))
}

impl Reported for ChainError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::AccessDenied { external_id: true, .. } => "check the external_id (or --external-id) against the role's trust policy, and that the policy trusts the role of the hop before".to_owned(),
            Self::AccessDenied { hop: 1, .. } => "the role's trust policy must let your Identity Center role assume it (its principal is arn:aws:iam::ACCOUNT:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_...); ask the role's owner".to_owned(),
            Self::AccessDenied { .. } => "the role's trust policy must let the role of the hop before assume it; ask the role's owner".to_owned(),
            Self::Call { cause, .. } => crate::aws::sdk::hint_for(cause),
            Self::MfaNeedsTerminal { .. } => "run the command on a terminal to type the code, or use a profile without mfa_serial".to_owned(),
            Self::MfaUnread(_) => "type the code that the MFA device shows, then press Enter".to_owned(),
        })
    }
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

/// The credentials at the end of `chain`, assumed with `base` (the
/// credentials of the Identity Center role); STS is reached in the chain's
/// region, else `AWS_REGION`, else `fallback_region` (the Identity Center
/// session's), through the HTTP client of that session's `[sso-session]`
/// (`sso_session`, whose `ca_bundle` it trusts). Expires at the earliest of
/// the chain.
pub fn assume(
    ctx: &Context,
    base: &RoleCredentials,
    chain: &Chain,
    fallback_region: &str,
    sso_session: Option<&str>,
) -> anyhow::Result<RoleCredentials> {
    let region = chain
        .region
        .as_deref()
        .or(ctx.aws_region.as_deref())
        .unwrap_or(fallback_region);
    let legacy = chain.legacy_endpoints.unwrap_or_else(|| {
        ctx.sts_regional_endpoints
            .as_deref()
            .is_some_and(|value| value.trim().eq_ignore_ascii_case("legacy"))
    });
    let net = ctx.net(region, sso_session)?;
    let client =
        |credentials: &RoleCredentials| StsClient::new(&net.config, region, legacy, credentials);
    // The person's name, for every hop that names no session of its own.
    let person = if chain.hops.iter().any(|hop| hop.session_name.is_none()) {
        let arn = net
            .block_on(client(base)?.caller_arn())
            .map_err(|cause| ChainError::Call {
                hop: 1,
                hops: chain.hops.len(),
                role_arn: chain.hops[0].role_arn.clone(),
                cause,
            })?;
        Some(session_name_from_arn(&arn))
    } else {
        None
    };
    let mut credentials = base.clone();
    let mut expiration = base.expiration;
    for (i, hop) in chain.hops.iter().enumerate() {
        let session_name = hop
            .session_name
            .clone()
            .or_else(|| person.clone())
            .unwrap_or_else(|| "ssokey".to_owned());
        let code = match &hop.mfa_serial {
            Some(serial) => Some(mfa_code(ctx, serial, &hop.role_arn)?),
            None => None,
        };
        let request = AssumeRequest {
            role_arn: &hop.role_arn,
            session_name: &session_name,
            external_id: hop.external_id.as_deref(),
            duration_seconds: Some(hop.duration_seconds.unwrap_or(CHAINED_MAX_SECS)),
            mfa: hop
                .mfa_serial
                .as_deref()
                .zip(code.as_ref().map(Secret::expose)),
        };
        tracing::debug!(hop = i + 1, role_arn = %hop.role_arn, session_name, "assuming a role");
        credentials = net
            .block_on(client(&credentials)?.assume_role(&request))
            .map_err(|cause| explain(i + 1, chain.hops.len(), hop, cause))?;
        expiration = expiration.min(credentials.expiration);
    }
    credentials.expiration = expiration;
    Ok(credentials)
}

fn explain(hop: usize, hops: usize, wanted: &Hop, cause: CallError) -> ChainError {
    match cause {
        CallError::Service { code, message, .. } if code == "AccessDenied" => {
            ChainError::AccessDenied {
                hop,
                hops,
                role_arn: wanted.role_arn.clone(),
                profile: wanted.profile.clone(),
                external_id: wanted.external_id.is_some(),
                message,
            }
        }
        cause => ChainError::Call {
            hop,
            hops,
            role_arn: wanted.role_arn.clone(),
            cause,
        },
    }
}

/// The session name of `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`:
/// for Identity Center's roles, the person's user name; made valid for STS.
pub fn session_name_from_arn(arn: &str) -> String {
    let session = arn.rsplit('/').next().unwrap_or_default();
    target::session_name_of(session).unwrap_or_else(|| "ssokey".to_owned())
}

/// The code of the MFA device `serial`, typed on the terminal without an
/// echo, as the AWS CLI asks for it.
fn mfa_code(ctx: &Context, serial: &str, role_arn: &str) -> Result<Secret, ChainError> {
    if !(ctx.stdin_is_terminal && ctx.stderr_is_terminal) {
        return Err(ChainError::MfaNeedsTerminal {
            role_arn: role_arn.to_owned(),
        });
    }
    let code = dialoguer::Password::new()
        .with_prompt(format!("Enter MFA code for {}", crate::ui::escape(serial)))
        .interact_on(&dialoguer::console::Term::stderr())
        .map_err(|dialoguer::Error::IO(err)| ChainError::MfaUnread(err))?;
    Ok(Secret::new(code.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_is_named_after_the_person() {
        let name = |arn: &str| session_name_from_arn(arn);
        assert_eq!(
            name(
                "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/jane.doe@example.com"
            ),
            "jane.doe@example.com"
        );
        assert_eq!(
            name("arn:aws:sts::111122223333:assumed-role/R/Jane Doe (ops)"),
            "Jane_Doe__ops_"
        );
        assert_eq!(
            name(&format!("arn:aws:sts::1:assumed-role/R/{}", "x".repeat(80))),
            "x".repeat(64)
        );
        assert_eq!(name("arn:aws:sts::1:assumed-role/R/j"), "ssokey");
    }
}
