//! Persistence: the keychain, the fast tier in front of it, the cache of role
//! credentials, and ssokey's own files and lock files.

pub mod fast_tier;
pub mod files;
pub mod keychain;
pub mod keys;
pub mod lock;
pub mod native;
pub mod paths;
pub mod role_cache;
