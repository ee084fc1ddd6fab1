//! `ssokey doctor`: gathers the facts (the config file, D-Bus, the keychain,
//! the browser opener, each portal's clock, the ssokey on the PATH, the
//! proxy, the CA bundle, whether each portal can be reached) and prints
//! the verdicts of [`crate::doctor`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use crate::aws::portal::PortalClient;
use crate::cli::{DoctorArgs, Output};
use crate::config_file;
use crate::context::Context;
use crate::doctor::{self, BrowserFact, ConfigFact, KeychainFact, PathFact, Verdict};
use crate::output::render;
use crate::session;
use crate::store::choice::Kind;
use crate::store::kernel;
use crate::store::keychain::Keychain;
use crate::store::raw::Usage;

/// The key of the probe entry that checks the keychain.
const PROBE_KEY: &str = "doctor/probe";

pub fn run(
    ctx: &Context,
    session_flag: Option<&str>,
    args: &DoctorArgs,
) -> anyhow::Result<ExitCode> {
    let mut checks = Vec::new();
    let config = match ctx.config() {
        Ok(None) => {
            checks.push(doctor::config(&ctx.aws_config_file, &ConfigFact::Missing));
            None
        }
        Ok(Some(config)) => {
            let fact = ConfigFact::Parsed {
                sessions: config.sso_sessions().len(),
                profiles: config.profile_names().len(),
            };
            checks.push(doctor::config(&ctx.aws_config_file, &fact));
            Some(config)
        }
        Err(err) => {
            let fact = ConfigFact::Broken {
                error: crate::error::one_line(&anyhow::Error::new(err)),
            };
            checks.push(doctor::config(&ctx.aws_config_file, &fact));
            None
        }
    };
    let probed = probe_keychain(ctx);
    if cfg!(target_os = "linux") {
        let socket = Context::var("XDG_RUNTIME_DIR")
            .map(|dir| PathBuf::from(dir).join("bus"))
            .filter(|path| path.exists());
        let address = Context::var("DBUS_SESSION_BUS_ADDRESS");
        let answers = bus_answers(address.as_deref(), socket.as_deref());
        if let Err(err) = &answers {
            tracing::info!(%err, "the D-Bus session bus does not answer");
        }
        checks.push(doctor::dbus(
            address.as_deref(),
            socket.as_deref(),
            probed.as_ref().is_ok_and(|fact| fact.kind == Kind::Kernel),
            answers.is_ok(),
        ));
    }
    checks.push(doctor::keychain(probed));
    checks.push(doctor::browser(&browser_fact(ctx.reach().browser)));

    let mut sessions = session::known(config, ctx.sessions_quietly());
    if let Some(name) = session_flag {
        sessions.retain(|s| s.name == name);
    }
    for session in &sessions {
        checks.push(doctor::clock(&session.name, skew(ctx, session)));
    }
    checks.push(doctor::path(&path_fact(config)));
    checks.push(doctor::proxy(proxy_fact().as_ref()));
    checks.push(doctor::ca_bundle(&trust_fact(ctx)));
    for session in &sessions {
        checks.push(doctor::network(&session.name, &reach(ctx, session)));
    }

    let failed = checks.iter().any(|c| c.verdict == Verdict::Fail);
    let out = match args.output {
        Output::Json => render::json(&checks)?,
        Output::Table => doctor::render(&checks),
    };
    crate::output::print(&out)?;
    Ok(if failed {
        crate::exit::Exit::Failure.into()
    } else {
        ExitCode::SUCCESS
    })
}

/// Whether anything accepts a connection at a D-Bus address (`unix:path=`,
/// `unix:abstract=`, `tcp:host=,port=`; entries separated by `;`, the first
/// that answers wins). A transport that cannot be tried here counts as
/// answering.
#[cfg(target_os = "linux")]
fn bus_answers(address: Option<&str>, socket: Option<&Path>) -> Result<(), String> {
    use std::os::linux::net::SocketAddrExt as _;
    use std::os::unix::net::{SocketAddr, UnixStream};
    let Some(address) = address else {
        return match socket {
            Some(socket) => UnixStream::connect(socket)
                .map(drop)
                .map_err(|err| format!("{}: {err}", socket.display())),
            None => Ok(()),
        };
    };
    let mut last = Err(format!("'{address}' names no transport"));
    for entry in address.split(';').filter(|e| !e.is_empty()) {
        let (transport, rest) = entry.split_once(':').unwrap_or((entry, ""));
        let key = |name: &str| {
            rest.split(',')
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
                .map(unescape)
        };
        let tried = match transport {
            "unix" => {
                if let Some(path) = key("path") {
                    UnixStream::connect(&path).map(drop)
                } else if let Some(name) = key("abstract") {
                    SocketAddr::from_abstract_name(name.as_bytes())
                        .and_then(|addr| UnixStream::connect_addr(&addr))
                        .map(drop)
                } else {
                    return Ok(());
                }
            }
            "tcp" => match (key("host"), key("port").and_then(|p| p.parse::<u16>().ok())) {
                (Some(host), Some(port)) => {
                    std::net::TcpStream::connect((host.as_str(), port)).map(drop)
                }
                _ => return Ok(()),
            },
            _ => return Ok(()),
        };
        match tried {
            Ok(()) => return Ok(()),
            Err(err) => last = Err(format!("{entry}: {err}")),
        }
    }
    last
}

#[cfg(not(target_os = "linux"))]
#[allow(clippy::unnecessary_wraps)] // the same signature as on Linux, where it can fail
fn bus_answers(_address: Option<&str>, _socket: Option<&Path>) -> Result<(), String> {
    Ok(())
}

/// A D-Bus address value with its `%XX` escapes undone.
#[cfg(target_os = "linux")]
fn unescape(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = value
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes, reads back and deletes a probe entry, in the store that a command
/// for no session in particular uses (`SSOKEY_KEYCHAIN`, or `auto`).
fn probe_keychain(ctx: &Context) -> Result<KeychainFact, (String, String)> {
    let describe = |err: crate::store::raw::KeychainError| (err.to_string(), err.hint());
    let keychain = Keychain::open(&ctx.keychain_choice()).map_err(describe)?;
    let value = format!("ssokey doctor {}", std::process::id());
    keychain.write(PROBE_KEY, &value).map_err(describe)?;
    let read = keychain.read(PROBE_KEY).map_err(describe);
    let deleted = keychain.delete(PROBE_KEY).map_err(describe);
    match read? {
        Some(back) if back == value => {}
        _ => {
            return Err((
                "the keychain did not give back what was written to it".to_owned(),
                "restart the keyring daemon, or sign out and in to the desktop".to_owned(),
            ));
        }
    }
    deleted?;
    let kind = keychain.kind().unwrap_or(Kind::Native);
    let kernel = kind == Kind::Kernel;
    Ok(KeychainFact {
        kind,
        fell_back: crate::store::choice::fell_back().map(|cause| {
            tracing::info!(%cause, "no Secret Service answers");
            cause.to_owned()
        }),
        usage: kernel.then(Usage::current).flatten(),
        expiry_secs: kernel.then(kernel::expiry_secs).flatten(),
    })
}

/// `BROWSER`'s first program, or the system's opener; whether one can open
/// is what a sign-in decides (`can_open`).
fn browser_fact(can_open: bool) -> BrowserFact {
    let browser_var = Context::var("BROWSER").filter(|v| !v.trim().is_empty());
    let opener = match &browser_var {
        Some(var) => var
            .split(':')
            .filter_map(|entry| entry.split_whitespace().next())
            .find_map(find_program),
        None => system_openers().iter().copied().find_map(find_program),
    };
    BrowserFact {
        browser_var,
        opener,
        can_open,
    }
}

fn system_openers() -> &'static [&'static str] {
    if cfg!(target_os = "macos") {
        &["/usr/bin/open"]
    } else if cfg!(windows) {
        &["explorer.exe"]
    } else {
        &[
            "xdg-open",
            "gio",
            "wslview",
            "sensible-browser",
            "x-www-browser",
        ]
    }
}

/// `program` as the PATH resolves it (or as given, when it is a path).
fn find_program(program: &str) -> Option<PathBuf> {
    let path = Path::new(program);
    if path.components().count() > 1 {
        return path.is_file().then(|| path.to_path_buf());
    }
    let exts: &[&str] = if cfg!(windows) { &["", ".exe"] } else { &[""] };
    std::env::split_paths(&Context::var("PATH").unwrap_or_default())
        .flat_map(|dir| {
            exts.iter()
                .map(move |ext| dir.join(format!("{program}{ext}")))
        })
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// The proxy of https calls, as the SDK's client reads it, and whether it
/// accepts a connection.
fn proxy_fact() -> Option<doctor::ProxyFact> {
    let (var, shown) = crate::aws::http::proxy_shown(Context::var)?;
    let raw = Context::var(&var).unwrap_or_default();
    let no_proxy = Context::var("NO_PROXY")
        .or_else(|| Context::var("no_proxy"))
        .filter(|v| !v.trim().is_empty());
    Some(doctor::ProxyFact {
        var,
        shown,
        no_proxy,
        answers: connect_to(raw.trim()),
    })
}

/// A TCP connection to the host and port of a proxy URL.
fn connect_to(url: &str) -> Result<(), String> {
    use std::net::ToSocketAddrs as _;
    let with_scheme = if url.contains("://") {
        url.to_owned()
    } else {
        format!("http://{url}")
    };
    let uri: hyper::Uri = with_scheme
        .parse()
        .map_err(|_| "it is not a URL".to_owned())?;
    let host = uri.host().ok_or_else(|| "it names no host".to_owned())?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|err| err.to_string())?
        .collect();
    let mut last = Err("its host has no address".to_owned());
    for addr in addrs {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
            Ok(_) => return Ok(()),
            Err(err) => last = Err(err.to_string()),
        }
    }
    last
}

/// The CA bundle of the run (`AWS_CA_BUNDLE`, else the profile's
/// `ca_bundle`), and whether it can be used.
fn trust_fact(ctx: &Context) -> doctor::TrustFact {
    let ssl_cert_file = Context::var("SSL_CERT_FILE").filter(|v| !v.is_empty());
    match ctx.http_policy(None) {
        Ok(policy) => match policy.ca_bundle {
            Some(bundle) => doctor::TrustFact::Bundle {
                path: bundle.path.display().to_string(),
                source: bundle.source.to_string(),
                ssl_cert_file,
            },
            None => doctor::TrustFact::System { ssl_cert_file },
        },
        Err(err) => doctor::TrustFact::Broken {
            error: err.to_string(),
        },
    }
}

/// Each endpoint of the session (the OIDC service, the portal), and whether
/// a connection to it, through the run's HTTP client (proxy, trust),
/// completes TCP and TLS: one HEAD request that carries nothing, answered
/// with any status.
fn reach(ctx: &Context, session: &session::Session) -> Vec<(String, Result<(), String>)> {
    let failed = |what: &str, err: String| vec![(what.to_owned(), Err(err))];
    let policy = match ctx.http_policy(session.section()) {
        Ok(policy) => policy,
        Err(err) => return failed("its endpoints", err.to_string()),
    };
    let net = match ctx.net(&session.region, session.section()) {
        Ok(net) => net,
        Err(err) => return failed("its endpoints", crate::error::one_line(&err)),
    };
    let endpoints = net.block_on(async {
        [
            crate::aws::oidc::endpoint(&net.config).await.ok(),
            crate::aws::portal::endpoint(&net.config).await,
        ]
    });
    endpoints
        .into_iter()
        .flatten()
        .map(|endpoint| {
            let url = crate::secret::Secret::new(endpoint.clone());
            let result = net
                .block_on(policy.send("HEAD", &url, 1024))
                .map(drop)
                .map_err(|err| match err {
                    crate::aws::http::SendError::Unreachable { cause, .. } => cause,
                    other => other.to_string(),
                });
            (crate::aws::http::host_of(&endpoint), result)
        })
        .collect()
}

/// Local time minus the portal's, in seconds, from the Date header of an
/// answer (to a request that the portal refuses: no side effect).
fn skew(ctx: &Context, session: &session::Session) -> Result<i64, String> {
    let net = ctx
        .net(&session.region, session.section())
        .map_err(|err| crate::error::one_line(&err))?;
    let portal = PortalClient::new(&net.config);
    let before = SystemTime::now();
    let server = net
        .block_on(portal.server_time())
        .map_err(|err| err.to_string())?;
    let after = SystemTime::now();
    // The server stamped its answer somewhere between the two.
    let local = before + after.duration_since(before).unwrap_or_default() / 2;
    Ok(match local.duration_since(server) {
        Ok(ahead) => secs(ahead),
        Err(behind) => -secs(behind.duration()),
    })
}

fn secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

fn path_fact(config: Option<&config_file::ConfigFile>) -> PathFact {
    let canonical = |p: PathBuf| std::fs::canonicalize(&p).unwrap_or(p);
    let current = std::env::current_exe().map(canonical).unwrap_or_default();
    let on_path = find_program("ssokey").map(canonical);
    let profiles = config
        .map(|config| {
            config
                .profile_names()
                .into_iter()
                .filter_map(|name| {
                    let line = config.profile(&name)?.get("credential_process")?.to_owned();
                    let program = doctor::ssokey_program(&line)?;
                    let resolved = find_program(&program).map(canonical);
                    Some((name, program, resolved))
                })
                .collect()
        })
        .unwrap_or_default();
    PathFact {
        current,
        on_path,
        profiles,
    }
}
