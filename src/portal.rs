//! The user portal (the `sso` service): sign-out now; accounts, roles and role
//! credentials build on it.

use aws_config::SdkConfig;

use crate::sdk::CallError;
use crate::secret::Secret;

pub struct PortalClient {
    client: aws_sdk_sso::Client,
}

impl PortalClient {
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            client: aws_sdk_sso::Client::new(config),
        }
    }

    /// Logout ends the whole sign-in session that the access token belongs to.
    pub async fn logout(&self, access_token: &Secret) -> Result<(), CallError> {
        self.client
            .logout()
            .access_token(access_token.expose())
            .send()
            .await
            .map_err(|err| CallError::from_sdk("Logout", &err))?;
        Ok(())
    }
}
