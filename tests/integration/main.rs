//! Integration tests: the real ssokey binary against the local Identity Center
//! emulator, with a real Secret Service in a private D-Bus session, or with
//! none and the kernel keyring.

mod harness;

mod awscli;
mod bad_input;
mod credentials;
mod doctor;
mod exit_codes;
mod faults;
mod hygiene;
mod kernel;
mod keychain;
mod leaks;
mod list;
mod load;
mod login;
mod logout;
mod profiles;
mod shells;
mod status;
mod terminal;
mod tls;
mod verbose;
