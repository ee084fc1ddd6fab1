//! A local IAM Identity Center for tests and demos: `sso-oidc`, the `sso` portal and STS
//! `GetCallerIdentity` on loopback.
//!
//! One axum server speaks both REST-JSON protocols exactly as the AWS SDK for Rust and botocore
//! send and parse them, so clients point `AWS_ENDPOINT_URL_SSO_OIDC` and `AWS_ENDPOINT_URL_SSO`
//! at [`Emulator::url`]. Tests script it through [`Config`] and the methods on [`Emulator`]
//! (fail the next calls, slow down polling, approve a device code, expire or revoke tokens) and
//! observe it through per-operation counters and the list of every secret it issued.
//!
//! The same server answers STS `GetCallerIdentity` and `AssumeRole` (Query protocol, `POST /`)
//! for requests signed with SigV4 by role credentials that `GetRoleCredentials` or `AssumeRole`
//! handed out, verifying the signature for real, so that a real AWS CLI run with
//! `--endpoint-url` proves the credentials ssokey passed on are the ones issued, intact
//! ([`Emulator::last_caller`]). `AssumeRole` applies the trust policies of [`Config::iam_roles`]
//! ([`Emulator::assumed_roles`]).
//!
//! The sign-in service's federation endpoint (`GET /federation`, `getSigninToken` and `login`)
//! takes those role credentials too, so that a console sign-in can be followed to the end
//! ([`Emulator::signin_tokens`], [`Emulator::console_logins`]).
//!
//! Used by ssokey's integration tests and by the `sso-emulator` binary.

pub mod args;
mod authorize;
mod clock;
mod config;
mod emulator;
mod error;
mod federation;
mod form;
mod http;
mod json;
mod minting;
mod oidc;
mod pages;
mod portal;
mod sigv4;
mod state;
mod sts;
mod wire;

pub use config::{Account, Authorize, Config, Fault, IamRole, Op, RateLimit, accounts, role_arn};
pub use emulator::{Emulator, RegisteredClient};
pub use state::{AssumedRole, ConsoleLogin, IssuedRoleCredentials, SigninToken};
pub use wire::{
    ACCOUNT_ACCESS_SCOPE, AUTHORIZATION_CODE_GRANT, DEVICE_CODE_GRANT, ROLE_SESSION_NAME,
    START_URL, STATS_PATH,
};

#[cfg(test)]
mod tests;
