//! Floods: a portal with listings that page without end and names of a
//! megabyte, each ending in a clear error or a small answer; and a flood of
//! connections on the credential server, which keeps serving its client.

use std::io::Write as _;
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::harness::TestEnv;
use crate::server::Serving;
use sso_emulator::{Account, Op};

fn signed_in(config: sso_emulator::Config) -> TestEnv {
    let env = TestEnv::with_config(config);
    env.login().success();
    env
}

/// Listings whose every page hands out a next token: the listing stops at
/// its page budget, a small multiple of what two accounts need, with an
/// error that says so, and nothing is cached.
#[test]
fn endless_pages_end_in_a_clear_error() {
    let env = signed_in(sso_emulator::Config {
        accounts: sso_emulator::accounts(2, &["Admin"]),
        endless_pages: true,
        ..crate::harness::config()
    });
    let run = env.run_within(Duration::from_mins(2), &["list", "--refresh"]);
    run.failure(1).stderr_has("pages");
    let pages = env.emulator.count(Op::ListAccounts) + env.emulator.count(Op::ListAccountRoles);
    eprintln!("flood: an endless listing stopped after {pages} pages\n{run}");
    assert!(pages < 200, "{pages} pages for 2 accounts");
    assert!(
        !env.home
            .join(".cache/ssokey")
            .read_dir()
            .is_ok_and(|mut d| {
                d.any(|e| e.unwrap().file_name().to_string_lossy().contains("listing"))
            })
    );
}

/// An account name and an e-mail address of a megabyte each: cut to what AWS
/// allows, with a warning, and the table stays as narrow as real names make
/// it.
#[test]
fn huge_names_are_cut_and_tables_stay_narrow() {
    let huge = "x".repeat(1 << 20);
    let mut hostile = Account::new("100000000001", &huge, &["Admin"]);
    hostile.email = format!("{huge}@example.com");
    let env = signed_in(sso_emulator::Config {
        accounts: vec![hostile, Account::new("100000000002", "prod", &["Admin"])],
        ..crate::harness::config()
    });
    let run = env.run(&["list", "--refresh"]);
    run.success().stderr_has("longer than AWS allows");
    eprintln!("flood: list printed {} bytes", run.stdout.len());
    assert!(run.stdout.len() < 1000, "{} bytes", run.stdout.len());
    assert_eq!(run.stdout.lines().count(), 3);

    let run = env.run(&["list", "--output", "json"]);
    run.success();
    let json = run.json();
    let name = json[1]["accountName"].as_str().unwrap();
    assert_eq!(name, "x".repeat(50));
    assert_eq!(json[1]["emailAddress"].as_str().unwrap(), "x".repeat(64));
}

/// This process's soft limit on open files, raised to its hard limit first:
/// the flood below needs a few thousand sockets.
fn raise_file_limit() -> u64 {
    let hard = std::fs::read_to_string("/proc/self/limits")
        .unwrap()
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(4).map(str::to_owned))
        .unwrap();
    let _ = Command::new("prlimit")
        .args([
            "--pid",
            &std::process::id().to_string(),
            &format!("--nofile={hard}:"),
        ])
        .status();
    std::fs::read_to_string("/proc/self/limits")
        .unwrap()
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3)?.parse().ok())
        .unwrap_or(1024)
}

/// The resident memory of process `pid`, in KB.
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Connects to the server, giving up after a second.
fn connect(port: u16) -> Option<TcpStream> {
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let stream = TcpStream::connect_timeout(&address, Duration::from_secs(1)).ok()?;
    stream
        .set_write_timeout(Some(Duration::from_secs(1)))
        .ok()?;
    Some(stream)
}

/// What the flood did, for the report.
#[derive(Default)]
struct Flooded {
    connections: AtomicUsize,
    requests: AtomicUsize,
}

/// Holds `slots` keep-alive connections to the server that each send a
/// request without the token every 5 s (and connect again when the server
/// closed them), until `deadline`.
fn token_less(port: u16, slots: usize, deadline: Instant, flooded: &Flooded) {
    let request = format!("GET /role-credentials HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    let mut held: Vec<Option<TcpStream>> = (0..slots).map(|_| None).collect();
    while Instant::now() < deadline {
        let round = Instant::now();
        for slot in &mut held {
            if Instant::now() >= deadline {
                break;
            }
            let sent = slot
                .as_mut()
                .is_some_and(|stream| stream.write_all(request.as_bytes()).is_ok());
            if !sent {
                *slot = connect(port);
                flooded.connections.fetch_add(1, Ordering::Relaxed);
                if let Some(stream) = slot.as_mut() {
                    let _ = stream.write_all(request.as_bytes());
                }
            }
            flooded.requests.fetch_add(1, Ordering::Relaxed);
        }
        let rest = Duration::from_secs(5).saturating_sub(round.elapsed());
        std::thread::sleep(rest.min(deadline.saturating_duration_since(Instant::now())));
    }
}

/// Opens connections that send 390 KB of a header and never end it, holding `slots` of them, until `deadline`.
fn huge_headers(port: u16, slots: usize, deadline: Instant, flooded: &Flooded) {
    let mut unfinished =
        format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Fill: ").into_bytes();
    // Just under hyper's default buffer (about 400 KB), which would end it.
    unfinished.resize(390 * 1024, b'a');
    let mut held: Vec<TcpStream> = Vec::new();
    while Instant::now() < deadline {
        if let Some(mut stream) = connect(port) {
            flooded.connections.fetch_add(1, Ordering::Relaxed);
            // The server stops reading (and closes) at its limit: the rest
            // of the write fails, which is the point.
            let _ = stream.write_all(&unfinished);
            held.push(stream);
            if held.len() > slots {
                held.remove(0);
            }
        }
    }
}

/// Opens a connection every 2 ms that sends nothing, holding the last
/// `slots` of them, until `deadline`.
fn silent(port: u16, slots: usize, deadline: Instant, flooded: &Flooded) {
    let mut held = std::collections::VecDeque::new();
    while Instant::now() < deadline {
        if let Some(stream) = connect(port) {
            flooded.connections.fetch_add(1, Ordering::Relaxed);
            held.push_back(stream);
            if held.len() > slots {
                held.pop_front();
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// One request by curl with the `Authorization` header in the file
/// `header`: whether it got credentials, how long it took, and what curl
/// said.
fn curl(header: &std::path::Path, url: &str) -> (bool, Duration, String) {
    let started = Instant::now();
    let output = Command::new("curl")
        .args(["-sS", "--max-time", "10", "-w", "\n%{http_code}", "-H"])
        .arg(format!("@{}", header.display()))
        .arg(url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let ok = text.ends_with("\n200") && text.contains("\"AccessKeyId\":\"ASIA");
    let said = format!("{text} {}", String::from_utf8_lossy(&output.stderr));
    (ok, started.elapsed(), said)
}

/// A flood of connections from another process of the machine: 2,000
/// keep-alive connections that ask without the token every 5 s, 300
/// connections that send 390 KB of headers and never finish, and connections that send
/// nothing at all, for 12 s, against `ssokey serve` limited to 1,024 file
/// handles. A real client (curl) gets its credentials every time
/// throughout, and ssokey's memory stays bounded.
#[test]
fn a_flood_of_connections_neither_keeps_clients_out_nor_fills_memory() {
    const FLOOD: Duration = Duration::from_secs(12);
    let limit = raise_file_limit();
    let env = signed_in(crate::harness::config());
    let server = Serving::start(&env, &[]);
    let pid = server.pid();
    let limited = Command::new("prlimit")
        .args(["--pid", &pid.to_string(), "--nofile=1024:1024"])
        .status()
        .unwrap();
    assert!(limited.success());
    let header = env.root().join("tmp/authorization");
    std::fs::write(&header, format!("Authorization: {}\n", server.token)).unwrap();
    let url = format!("http://127.0.0.1:{}/role-credentials", server.port);
    let ask = || curl(&header, &url);
    let (ok, _, text) = ask();
    assert!(ok, "before the flood: {text}");
    let before = rss_kb(pid);

    // 2,000 keep-alive connections where this process may open them.
    let keep_alive = 2000.min(usize::try_from(limit).unwrap_or(1024).saturating_sub(700));
    let flooded = Arc::new(Flooded::default());
    let deadline = Instant::now() + FLOOD;
    let port = server.port;
    let mut threads = Vec::new();
    for _ in 0..8 {
        let flooded = Arc::clone(&flooded);
        threads.push(std::thread::spawn(move || {
            token_less(port, keep_alive / 8, deadline, &flooded);
        }));
    }
    for _ in 0..3 {
        let flooded = Arc::clone(&flooded);
        threads.push(std::thread::spawn(move || {
            huge_headers(port, 100, deadline, &flooded);
        }));
    }
    {
        let flooded = Arc::clone(&flooded);
        threads.push(std::thread::spawn(move || {
            silent(port, 200, deadline, &flooded);
        }));
    }

    let mut asked = 0;
    let mut slowest = Duration::ZERO;
    let mut peak = before;
    let mut failures = Vec::new();
    std::thread::sleep(Duration::from_secs(1));
    while Instant::now() + Duration::from_secs(1) < deadline {
        let (ok, took, said) = ask();
        asked += 1;
        slowest = slowest.max(took);
        if !ok {
            failures.push(format!("after {took:?}: {said}"));
        }
        peak = peak.max(rss_kb(pid));
        std::thread::sleep(Duration::from_millis(100));
    }
    for thread in threads {
        thread.join().unwrap();
    }
    peak = peak.max(rss_kb(pid));
    let (ok, _, text) = ask();
    assert!(ok, "after the flood: {text}");
    eprintln!(
        "flood: {} connections and {} requests in {FLOOD:?} ({keep_alive} keep-alive); \
         curl asked {asked} times, {} failed, the slowest took {slowest:?}; \
         ssokey's memory {} MB before, {} MB at most",
        flooded.connections.load(Ordering::Relaxed),
        flooded.requests.load(Ordering::Relaxed),
        failures.len(),
        before / 1024,
        peak / 1024
    );
    assert!(
        failures.is_empty(),
        "{} of {asked} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(asked >= 20, "curl asked only {asked} times");
    assert!(
        slowest < Duration::from_secs(3),
        "the slowest answer took {slowest:?}"
    );
    assert!(
        peak < before + 40 * 1024,
        "{before} KB before, {peak} KB at most"
    );
    server.stop().success();
}
