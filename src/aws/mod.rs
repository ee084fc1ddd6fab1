//! The network edge: the one HTTP client policy, the SDK set-up and its
//! errors, the sign-in service (sso-oidc), the portal (sso), the pacing of a
//! listing's requests, the sign-in service's federation endpoint (for the
//! console), STS (for role chaining), and the lookup of a start URL on a
//! custom domain.

pub mod federation;
pub mod http;
pub mod net;
pub mod oidc;
pub mod pace;
pub mod portal;
pub mod sdk;
pub mod sts;
pub mod vanity;
