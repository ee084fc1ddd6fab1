//! `ssokey doctor`'s judgements: each check turns facts gathered by the
//! command into a verdict, a detail and, when something is wrong, the fix.
//! Pure, so that every verdict is unit-tested.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::store::choice::Kind;
use crate::store::kernel;
use crate::store::raw::Usage;

/// How much clock skew is tolerated: the portal's tokens and the credentials'
/// expiry are judged by the local clock, and SigV4 refuses requests whose
/// time is more than five minutes off.
pub const MAX_SKEW_SECS: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub check: &'static str,
    pub verdict: Verdict,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn ok(check: &'static str, detail: impl Into<String>) -> Self {
        Self {
            check,
            verdict: Verdict::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    fn warn(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            check,
            verdict: Verdict::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn fail(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            check,
            verdict: Verdict::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// What reading the AWS config file gave.
pub enum ConfigFact {
    Missing,
    Parsed { sessions: usize, profiles: usize },
    Broken { error: String },
}

pub fn config(path: &Path, fact: &ConfigFact) -> Check {
    let path = path.display();
    match fact {
        ConfigFact::Missing => Check::ok(
            "config",
            format!("{path} does not exist (sessions come from --start-url)"),
        ),
        ConfigFact::Parsed { sessions, profiles } => Check::ok(
            "config",
            format!("{path}: {sessions} sso-session(s), {profiles} profile(s)"),
        ),
        ConfigFact::Broken { error } => Check::fail(
            "config",
            error.clone(),
            format!("fix the line named above in {path} (AWS_CONFIG_FILE chooses another file)"),
        ),
    }
}

/// The D-Bus session bus on Linux: its address, or the socket where systemd
/// puts it, and whether it answers a connection (`answers`; the error's own
/// words are for -v). None is needed when the kernel keyring keeps the tokens.
pub fn dbus(
    address: Option<&str>,
    runtime_socket: Option<&Path>,
    kernel_serves: bool,
    answers: bool,
) -> Check {
    if !answers
        && let Some(at) = address
            .map(str::to_owned)
            .or_else(|| runtime_socket.map(|s| s.display().to_string()))
    {
        let detail = format!("nothing answers at the session bus address {at}");
        let fix = "start the session bus (log in to a desktop session, or run: dbus-run-session -- $SHELL), \
             or unset DBUS_SESSION_BUS_ADDRESS if it is left from an old session";
        return if kernel_serves {
            Check::warn(
                "d-bus",
                format!("{detail}; the kernel keyring keeps the tokens"),
                fix,
            )
        } else {
            Check::fail("d-bus", detail, fix)
        };
    }
    match (address, runtime_socket) {
        (None, None) if kernel_serves => Check::ok(
            "d-bus",
            "no D-Bus session bus, and none is needed: the kernel keyring keeps the tokens",
        ),
        (Some(address), _) => Check::ok("d-bus", format!("session bus at {address}")),
        (None, Some(socket)) => Check::ok(
            "d-bus",
            format!(
                "session bus at {} (DBUS_SESSION_BUS_ADDRESS unset)",
                socket.display()
            ),
        ),
        (None, None) => Check::fail(
            "d-bus",
            "no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is unset and there is no $XDG_RUNTIME_DIR/bus",
            "log in to a desktop session, or run ssokey under: dbus-run-session -- $SHELL \
             (then unlock the keyring: echo -n PASSWORD | gnome-keyring-daemon --unlock)",
        ),
    }
}

/// The store that a probe entry went to.
pub struct KeychainFact {
    pub kind: Kind,
    /// Why `auto` did not take the Secret Service, when it did not.
    pub fell_back: Option<String>,
    /// The kernel key quota, for the kernel keyring.
    pub usage: Option<Usage>,
    /// `kernel.keys.persistent_keyring_expiry`, for the kernel keyring.
    pub expiry_secs: Option<u64>,
}

/// A write, read and delete of a probe entry: `Err` holds the error and its hint.
pub fn keychain(result: Result<KeychainFact, (String, String)>) -> Check {
    const PROBED: &str = "a probe entry was written, read back and deleted";
    let fact = match result {
        Ok(fact) => fact,
        Err((error, hint)) => return Check::fail("keychain", error, hint),
    };
    if fact.kind == Kind::Native {
        return Check::ok(
            "keychain",
            format!(
                "{} is reachable and unlocked ({PROBED})",
                fact.kind.describe()
            ),
        );
    }
    let mut detail = fact.kind.describe().to_owned();
    if fact.fell_back.is_some() {
        // The bus library's own words are for -v (the command logs them).
        detail.push_str(", since no Secret Service answers");
    }
    let _ = write!(
        detail,
        " ({PROBED}); {}",
        kernel::lifetime_note(fact.expiry_secs)
    );
    match fact.usage {
        Some(usage) => {
            let _ = write!(detail, "; key quota: {}", usage.describe());
            // A sign-in takes some 5,000 bytes: past three quarters of the
            // default 20,000, the next one may not fit.
            if usage.fits_within(0, 0, 3, 4) {
                Check::ok("keychain", detail)
            } else {
                Check::warn(
                    "keychain",
                    detail,
                    format!(
                        "raise the kernel's key quota (as root): {}, or free keys (keyctl show @u)",
                        usage.raise_command()
                    ),
                )
            }
        }
        None => Check::ok("keychain", detail),
    }
}

/// What could open the sign-in page.
pub struct BrowserFact {
    /// `BROWSER`, when set.
    pub browser_var: Option<String>,
    /// The program that `BROWSER` or the system's opener resolves to.
    pub opener: Option<PathBuf>,
    /// Whether a browser can open here, as a sign-in decides it
    /// ([`crate::context::Reach`]).
    pub can_open: bool,
}

/// What a sign-in does where no browser can open.
const DEVICE_CODE: &str = "ssokey login shows a device code to approve on any device";

pub fn browser(fact: &BrowserFact) -> Check {
    match (&fact.browser_var, &fact.opener) {
        (Some(var), None) => Check::fail(
            "browser",
            format!("BROWSER is '{var}', which is not a program on the PATH"),
            "set BROWSER to a browser command, or unset it; or sign in with: ssokey login --no-browser",
        ),
        (_, Some(opener)) if fact.can_open || fact.browser_var.is_some() => Check::ok(
            "browser",
            format!("sign-in pages open with {}", opener.display()),
        ),
        // Nothing is wrong: `ssokey login` falls back to the device code.
        (_, Some(opener)) => Check::ok(
            "browser",
            format!(
                "{} is there, but no browser can open here (over SSH, or DISPLAY and WAYLAND_DISPLAY are unset); {DEVICE_CODE}",
                opener.display()
            ),
        ),
        (None, None) => Check::ok(
            "browser",
            format!("no program to open a browser with (no BROWSER, no xdg-open); {DEVICE_CODE}"),
        ),
    }
}

/// The local clock against the portal's: `skew` is local minus portal, in
/// seconds, for a session.
pub fn clock(session: &str, skew: Result<i64, String>) -> Check {
    match skew {
        Ok(skew) if skew.abs() <= MAX_SKEW_SECS => Check::ok(
            "clock",
            format!("within {}s of the portal of '{session}'", skew.abs().max(1)),
        ),
        Ok(skew) => Check::fail(
            "clock",
            format!(
                "{}s {} the portal of '{session}'",
                skew.abs(),
                if skew > 0 { "ahead of" } else { "behind" }
            ),
            "set the clock right (e.g. enable NTP: timedatectl set-ntp true); tokens and credentials are judged by it",
        ),
        Err(error) => Check::warn(
            "clock",
            format!("could not ask the portal of '{session}' for its time: {error}"),
            "check the network and the session's start URL and region",
        ),
    }
}

/// The proxy that https calls go through, as the environment names it.
pub struct ProxyFact {
    /// The variable that names it (`HTTPS_PROXY`, `https_proxy`, `ALL_PROXY`...).
    pub var: String,
    /// Its URL, any password masked.
    pub shown: String,
    /// `NO_PROXY` (or `no_proxy`), when set.
    pub no_proxy: Option<String>,
    /// Whether the proxy accepts a connection.
    pub answers: Result<(), String>,
}

pub fn proxy(fact: Option<&ProxyFact>) -> Check {
    let Some(fact) = fact else {
        return Check::ok(
            "proxy",
            "none: connections go straight to the services (HTTPS_PROXY and ALL_PROXY are unset)",
        );
    };
    let bypass = fact.no_proxy.as_deref().map_or_else(String::new, |hosts| {
        format!(", except for NO_PROXY={hosts}")
    });
    match &fact.answers {
        Ok(()) => Check::ok("proxy", format!("{}={}{bypass}", fact.var, fact.shown)),
        Err(error) => Check::fail(
            "proxy",
            format!("{}={} does not answer: {error}", fact.var, fact.shown),
            format!(
                "fix or unset {}; NO_PROXY lists the hosts reached without it",
                fact.var
            ),
        ),
    }
}

/// Which certificates the run trusts.
pub enum TrustFact {
    /// The system's store (or `SSL_CERT_FILE` instead of it) alone.
    System { ssl_cert_file: Option<String> },
    /// Plus a CA bundle, named by `source`.
    Bundle {
        path: String,
        source: String,
        ssl_cert_file: Option<String>,
    },
    /// A CA bundle that cannot be used: every call is refused.
    Broken { error: String },
}

pub fn ca_bundle(fact: &TrustFact) -> Check {
    let store = |ssl_cert_file: &Option<String>| {
        ssl_cert_file.as_ref().map_or_else(
            || "the system's certificate store".to_owned(),
            |file| format!("SSL_CERT_FILE={file}"),
        )
    };
    match fact {
        TrustFact::System { ssl_cert_file } => Check::ok(
            "ca-bundle",
            format!(
                "none: {} alone (AWS_CA_BUNDLE and ca_bundle are unset)",
                store(ssl_cert_file)
            ),
        ),
        TrustFact::Bundle {
            path,
            source,
            ssl_cert_file,
        } => Check::ok(
            "ca-bundle",
            format!("{path} ({source}), and {}", store(ssl_cert_file)),
        ),
        TrustFact::Broken { error } => Check::fail(
            "ca-bundle",
            error.clone(),
            "point AWS_CA_BUNDLE (or ca_bundle in the config file) at a PEM file of CA certificates, or unset it",
        ),
    }
}

/// Whether the session's OIDC service and portal answer over TCP and TLS,
/// through the proxy and with the trust above: each endpoint, and what
/// reaching it gave.
pub fn network(session: &str, reached: &[(String, Result<(), String>)]) -> Check {
    let failed: Vec<String> = reached
        .iter()
        .filter_map(|(endpoint, result)| Some(format!("{endpoint}: {}", result.as_ref().err()?)))
        .collect();
    if failed.is_empty() {
        let endpoints: Vec<&str> = reached.iter().map(|(e, _)| e.as_str()).collect();
        Check::ok(
            "network",
            format!("'{session}' reaches {}", endpoints.join(" and ")),
        )
    } else {
        Check::fail(
            "network",
            format!("'{session}' cannot reach {}", failed.join("; ")),
            "check the network, HTTPS_PROXY and NO_PROXY; behind a proxy that inspects TLS, trust its CA with AWS_CA_BUNDLE or ca_bundle",
        )
    }
}

/// Which ssokey the profiles run.
pub struct PathFact {
    /// This program.
    pub current: PathBuf,
    /// `ssokey` as the PATH resolves it.
    pub on_path: Option<PathBuf>,
    /// Each profile whose `credential_process` runs ssokey: its name, the
    /// program as written, and where that resolves to.
    pub profiles: Vec<(String, String, Option<PathBuf>)>,
}

pub fn path(fact: &PathFact) -> Check {
    let missing: Vec<&str> = fact
        .profiles
        .iter()
        .filter(|(_, _, resolved)| resolved.is_none())
        .map(|(name, _, _)| name.as_str())
        .collect();
    if !missing.is_empty() {
        return Check::fail(
            "path",
            format!(
                "the credential_process of {} names an ssokey that is not there",
                list(&missing)
            ),
            "put ssokey on the PATH, or rewrite the profiles with: ssokey profiles --write",
        );
    }
    let other: Vec<&str> = fact
        .profiles
        .iter()
        .filter(|(_, _, resolved)| resolved.as_deref() != Some(fact.current.as_path()))
        .map(|(name, _, _)| name.as_str())
        .collect();
    if !other.is_empty() {
        return Check::warn(
            "path",
            format!(
                "the credential_process of {} runs another ssokey than {}",
                list(&other),
                fact.current.display()
            ),
            "remove the other copy, or put this one first on the PATH",
        );
    }
    match &fact.on_path {
        Some(found) if found == &fact.current => Check::ok(
            "path",
            format!(
                "{} is the ssokey on the PATH{}",
                found.display(),
                match fact.profiles.len() {
                    0 => String::new(),
                    n => format!(" and the one {n} profile(s) run"),
                }
            ),
        ),
        Some(found) => Check::warn(
            "path",
            format!(
                "the ssokey on the PATH is {}, not this one ({})",
                found.display(),
                fact.current.display()
            ),
            "remove the other copy, or put this one first on the PATH",
        ),
        None => Check::warn(
            "path",
            format!(
                "ssokey is not on the PATH (this one is {})",
                fact.current.display()
            ),
            format!(
                "add {} to the PATH: profiles and completion scripts call ssokey by name",
                fact.current.parent().unwrap_or(Path::new("/")).display()
            ),
        ),
    }
}

fn list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    format!(
        "the profile{} {}",
        if names.len() == 1 { "" } else { "s" },
        quoted.join(", ")
    )
}

/// The program that a `credential_process` value runs, when it is ssokey.
pub fn ssokey_program(credential_process: &str) -> Option<String> {
    let line = credential_process.trim();
    let program = if let Some(rest) = line.strip_prefix('"') {
        rest.split('"').next()?
    } else {
        line.split_whitespace().next()?
    };
    // Windows paths too, wherever this runs.
    let base = program.rsplit(['/', '\\']).next()?;
    let base = base
        .strip_suffix(".exe")
        .or_else(|| base.strip_suffix(".EXE"))
        .unwrap_or(base);
    (base == "ssokey").then(|| program.to_owned())
}

/// Pure: the report as a table, with the fix under each problem.
pub fn render(checks: &[Check]) -> String {
    let mut out = String::new();
    for check in checks {
        let verdict = match check.verdict {
            Verdict::Ok => "ok",
            Verdict::Warn => "warn",
            Verdict::Fail => "FAIL",
        };
        // A detail may quote the config file or a portal's answer: shown
        // escaped, as everything from elsewhere is.
        let detail = crate::ui::escape(&check.detail);
        let _ = writeln!(out, "{verdict:<5} {:<9} {detail}", check.check);
        if let Some(fix) = &check.fix {
            let _ = writeln!(out, "{:<15} fix: {}", "", crate::ui::escape(fix));
        }
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_proxy_is_shown_masked_and_must_answer() {
        let fact = |answers| ProxyFact {
            var: "HTTPS_PROXY".to_owned(),
            shown: "http://me:***@proxy:3128".to_owned(),
            no_proxy: Some(".corp".to_owned()),
            answers,
        };
        let ok = proxy(Some(&fact(Ok(()))));
        assert_eq!(ok.verdict, Verdict::Ok);
        assert_eq!(
            ok.detail,
            "HTTPS_PROXY=http://me:***@proxy:3128, except for NO_PROXY=.corp"
        );
        let dead = proxy(Some(&fact(Err("connection refused".to_owned()))));
        assert_eq!(dead.verdict, Verdict::Fail);
        assert!(dead.detail.ends_with("does not answer: connection refused"));
        assert_eq!(proxy(None).verdict, Verdict::Ok);
    }

    #[test]
    fn the_ca_bundle_and_the_network_say_what_they_found() {
        let bundle = ca_bundle(&TrustFact::Bundle {
            path: "/etc/corp.pem".to_owned(),
            source: "AWS_CA_BUNDLE".to_owned(),
            ssl_cert_file: None,
        });
        assert_eq!(
            bundle.detail,
            "/etc/corp.pem (AWS_CA_BUNDLE), and the system's certificate store"
        );
        let broken = ca_bundle(&TrustFact::Broken {
            error: "cannot read".to_owned(),
        });
        assert_eq!(broken.verdict, Verdict::Fail);
        let reached = [
            ("https://oidc.eu-west-1.amazonaws.com".to_owned(), Ok(())),
            (
                "https://portal.sso.eu-west-1.amazonaws.com".to_owned(),
                Err("invalid peer certificate".to_owned()),
            ),
        ];
        let check = network("work", &reached);
        assert_eq!(check.verdict, Verdict::Fail);
        assert_eq!(
            check.detail,
            "'work' cannot reach https://portal.sso.eu-west-1.amazonaws.com: invalid peer certificate"
        );
        assert_eq!(network("work", &reached[..1]).verdict, Verdict::Ok);
    }

    use super::*;

    #[test]
    fn clock_skew_beyond_a_minute_fails() {
        assert_eq!(clock("w", Ok(3)).verdict, Verdict::Ok);
        assert_eq!(clock("w", Ok(-60)).verdict, Verdict::Ok);
        let ahead = clock("w", Ok(600));
        assert_eq!(ahead.verdict, Verdict::Fail);
        assert_eq!(ahead.detail, "600s ahead of the portal of 'w'");
        assert_eq!(clock("w", Ok(-61)).detail, "61s behind the portal of 'w'");
        assert_eq!(clock("w", Err("timeout".into())).verdict, Verdict::Warn);
    }

    #[test]
    fn a_browser_variable_must_name_a_program() {
        let fact = |var: Option<&str>, opener: Option<&str>, can_open| BrowserFact {
            browser_var: var.map(str::to_owned),
            opener: opener.map(PathBuf::from),
            can_open,
        };
        assert_eq!(
            browser(&fact(Some("nope"), None, true)).verdict,
            Verdict::Fail
        );
        assert_eq!(
            browser(&fact(Some("w3m"), Some("/usr/bin/w3m"), false)).verdict,
            Verdict::Ok
        );
        assert_eq!(
            browser(&fact(None, Some("/usr/bin/xdg-open"), true)).verdict,
            Verdict::Ok
        );
        // login falls back to the device code by itself: nothing to warn of.
        for headless in [
            browser(&fact(None, Some("/usr/bin/xdg-open"), false)),
            browser(&fact(None, None, false)),
        ] {
            assert_eq!(headless.verdict, Verdict::Ok);
            assert!(headless.detail.ends_with(DEVICE_CODE), "{headless:?}");
            assert!(!headless.detail.contains("--no-browser"));
        }
    }

    #[test]
    fn profiles_must_run_this_ssokey() {
        let current = PathBuf::from("/opt/bin/ssokey");
        let fact = |on_path: Option<&str>, profiles: Vec<(&str, Option<&str>)>| PathFact {
            current: current.clone(),
            on_path: on_path.map(PathBuf::from),
            profiles: profiles
                .into_iter()
                .map(|(name, resolved)| {
                    (
                        name.to_owned(),
                        "ssokey".to_owned(),
                        resolved.map(PathBuf::from),
                    )
                })
                .collect(),
        };
        let ok = path(&fact(
            Some("/opt/bin/ssokey"),
            vec![("a", Some("/opt/bin/ssokey"))],
        ));
        assert_eq!(ok.verdict, Verdict::Ok, "{ok:?}");
        assert_eq!(
            ok.detail,
            "/opt/bin/ssokey is the ssokey on the PATH and the one 1 profile(s) run"
        );
        let gone = path(&fact(None, vec![("a", None), ("b", None)]));
        assert_eq!(gone.verdict, Verdict::Fail);
        assert_eq!(
            gone.detail,
            "the credential_process of the profiles 'a', 'b' names an ssokey that is not there"
        );
        let other = path(&fact(
            Some("/usr/bin/ssokey"),
            vec![("a", Some("/usr/bin/ssokey"))],
        ));
        assert_eq!(other.verdict, Verdict::Warn);
        assert_eq!(path(&fact(None, vec![])).verdict, Verdict::Warn);
    }

    #[test]
    fn only_ssokey_credential_processes_are_ours() {
        assert_eq!(
            ssokey_program("ssokey credential-process --account 1").as_deref(),
            Some("ssokey")
        );
        assert_eq!(
            ssokey_program("/usr/local/bin/ssokey credential-process").as_deref(),
            Some("/usr/local/bin/ssokey")
        );
        assert_eq!(
            ssokey_program("\"C:\\Program Files\\ssokey.exe\" credential-process").as_deref(),
            Some("C:\\Program Files\\ssokey.exe")
        );
        assert_eq!(ssokey_program("aws-vault export --format=json x"), None);
        assert_eq!(ssokey_program(""), None);
    }

    #[test]
    fn the_kernel_keyring_is_explained_and_a_full_quota_warned_of() {
        let usage = |bytes| Usage {
            uid: 1000,
            keys: 10,
            max_keys: 200,
            bytes,
            max_bytes: 20_000,
        };
        let fact = |bytes| KeychainFact {
            kind: Kind::Kernel,
            fell_back: Some("no bus".to_owned()),
            usage: Some(usage(bytes)),
            expiry_secs: Some(259_200),
        };
        let fine = keychain(Ok(fact(4_000)));
        assert_eq!(fine.verdict, Verdict::Ok);
        assert_eq!(
            fine.detail,
            "the kernel keyring (the user's persistent keyring), since no Secret Service answers \
             (a probe entry was written, read back and deleted); the kernel keyring keeps \
             tokens in memory only, until the machine restarts, or until ssokey has gone unused \
             for 3 days (kernel.keys.persistent_keyring_expiry = 259200 s); key quota: 10 of 200 \
             keys and 4,000 of 20,000 bytes in use"
        );
        let full = keychain(Ok(fact(16_000)));
        assert_eq!(full.verdict, Verdict::Warn);
        assert!(full.fix.unwrap().contains("kernel.keys.maxbytes=100000"));
        // Without a bus, D-Bus is fine when the kernel keyring serves.
        assert_eq!(dbus(None, None, true, false).verdict, Verdict::Ok);
        assert_eq!(dbus(None, None, false, false).verdict, Verdict::Fail);
        // An address where nothing answers is not ok.
        let dead = Some("unix:path=/run/user/1/bus");
        assert_eq!(dbus(dead, None, false, true).verdict, Verdict::Ok);
        assert_eq!(dbus(dead, None, false, false).verdict, Verdict::Fail);
        assert_eq!(dbus(dead, None, true, false).verdict, Verdict::Warn);
    }

    #[test]
    fn the_report_puts_each_fix_under_its_problem() {
        let checks = [
            Check::ok("config", "fine"),
            Check::fail("keychain", "locked", "unlock it"),
        ];
        assert_eq!(
            render(&checks),
            "ok    config    fine\nFAIL  keychain  locked\n                fix: unlock it\n"
        );
    }
}
