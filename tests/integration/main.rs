//! Integration tests: the real ssokey binary against the local Identity Center
//! emulator, with a real Secret Service in a private D-Bus session.

#[path = "../emulator/mod.rs"]
mod emulator;
mod harness;

mod awscli;
mod bad_input;
mod credentials;
mod exit_codes;
mod keychain;
mod list;
mod login;
mod logout;
mod profiles;
mod shells;
mod status;
