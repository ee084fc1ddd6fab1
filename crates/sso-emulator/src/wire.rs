//! The fixed values on the wire that the server, its clients and the tests share: the grant
//! types, the scope, the role session name, the start URL and the path of the counters.

/// The start URL the binary prints; the emulator accepts any start URL.
pub const START_URL: &str = "https://emulator.awsapps.com/start";
/// The scope that makes `CreateToken` hand out refresh tokens.
pub const ACCOUNT_ACCESS_SCOPE: &str = "sso:account:access";
/// `grantType` of the device authorization flow.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// `grantType` of the authorization-code flow with PKCE.
pub const AUTHORIZATION_CODE_GRANT: &str = "authorization_code";
/// The role session name in the identities `GetCallerIdentity` answers:
/// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/ssokey`.
pub const ROLE_SESSION_NAME: &str = "ssokey";
/// Every counter as JSON ([`Emulator::stats`](crate::Emulator::stats)), for scripts that run the binary.
pub const STATS_PATH: &str = "/_emulator/stats";
