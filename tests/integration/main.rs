//! Integration tests: the real ssokey binary against the local Identity Center
//! emulator, with a real Secret Service in a private D-Bus session, or with
//! none and the kernel keyring.
//!
//! Linux only: the harness starts gnome-keyring under dbus-run-session, and
//! some tests use Unix files (symlink loops, modes) and the kernel keyring. On
//! Windows and macOS this test binary is empty; .ci/cross still checks the
//! rest of `--all-targets`.
#![cfg(target_os = "linux")]

mod harness;

mod awscli;
mod bad_input;
mod botocore;
mod browsers;
mod chain;
mod config_botocore;
mod console;
mod core_dumps;
mod credentials;
mod docs;
mod doctor;
mod escapes;
mod exit_codes;
mod faults;
mod first_run;
mod flood;
mod hygiene;
mod kernel;
mod keychain;
mod leaks;
mod linking;
mod list;
mod load;
#[cfg(unix)]
mod locks;
mod login;
mod logout;
mod offline;
mod profiles;
mod proxy;
mod server;
mod shells;
mod sign_ins;
mod sign_ins_auto;
mod sign_ins_pkce;
mod start_urls;
mod status;
mod terminal;
mod tls;
mod verbose;
mod version;
