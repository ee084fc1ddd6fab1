//! Integration tests: the real ssokey binary against the local Identity Center
//! emulator, with a real Secret Service in a private D-Bus session.

mod harness;

mod awscli;
mod bad_input;
mod credentials;
mod doctor;
mod exit_codes;
mod faults;
mod hygiene;
mod keychain;
mod leaks;
mod list;
mod load;
#[cfg(unix)]
mod locks;
mod login;
mod logout;
mod profiles;
mod shells;
mod sign_ins;
mod status;
mod terminal;
mod tls;
mod verbose;
