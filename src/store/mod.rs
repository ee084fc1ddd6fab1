//! Persistence: the keychain (the OS's store, or the kernel keyring, and
//! the choice between them), the fast tier in front of it, the cache of role
//! credentials, and ssokey's own files and lock files.

pub mod choice;
pub mod fast_tier;
pub mod files;
pub mod kernel;
pub mod keychain;
pub mod keys;
pub mod lock;
pub mod native;
pub mod paths;
pub mod raw;
pub mod role_cache;
pub mod sessions;
