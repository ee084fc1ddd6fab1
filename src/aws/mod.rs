//! The network edge: the SDK set-up and its errors, the sign-in service
//! (sso-oidc), the portal (sso), and the pacing of a listing's requests.

pub mod oidc;
pub mod pace;
pub mod portal;
pub mod sdk;
