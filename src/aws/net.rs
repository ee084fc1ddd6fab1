//! The network client of a run: a runtime and the SDK's configuration for a
//! region, whose sso-oidc and portal endpoints are checked before any call
//! (https, or plain http only to loopback).

use aws_config::SdkConfig;

use super::http::Policy;
use super::sdk::{InsecureEndpoint, check_secure, load, runtime};
use crate::exit::{Exit, Reported};

/// Why a command's network set-up failed.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("could not start the network runtime: {0}")]
    Runtime(#[from] std::io::Error),
    #[error(transparent)]
    Insecure(#[from] InsecureEndpoint),
}

/// The runtime and SDK configuration that a command's network calls share.
#[derive(Debug)]
pub struct Net {
    runtime: tokio::runtime::Runtime,
    pub config: SdkConfig,
}

impl Net {
    /// The runtime and the SDK configuration for `region`, whose endpoints
    /// for the OIDC service and the portal (as the SDK resolves them from
    /// the `AWS_ENDPOINT_URL*` variables and the config file) are checked
    /// by [`check_secure`] before any call.
    pub fn new(region: &str, policy: &Policy) -> Result<Self, NetError> {
        let runtime = runtime()?;
        let config = runtime.block_on(load(region, policy));
        let endpoints = runtime.block_on(async {
            [
                super::oidc::endpoint(&config).await.ok(),
                super::portal::endpoint(&config).await,
            ]
        });
        for endpoint in endpoints.iter().flatten() {
            check_secure(endpoint)?;
        }
        Ok(Self { runtime, config })
    }

    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl Reported for NetError {
    fn hint(&self) -> Option<String> {
        match self {
            NetError::Runtime(err) => Some(crate::exit::io_hint(err)),
            NetError::Insecure(err) => err.hint(),
        }
    }
    fn exit(&self) -> Exit {
        match self {
            NetError::Runtime(_) => Exit::Failure,
            NetError::Insecure(err) => err.exit(),
        }
    }
}
