//! Leveled logging to stderr for `-v`/`--verbose` and `RUST_LOG`, with two
//! guards that keep secrets out of it:
//! - other crates may log at most at `info`: at `trace` the AWS SDK prints
//!   whole requests, with bearer tokens in their headers and client secrets in
//!   their bodies, and at `debug` the raw answer of a call it could not read;
//! - every line is scrubbed of every secret this process has held in a
//!   [`Secret`](crate::secret::Secret) before it is written.
//!
//! With neither `-v` nor `RUST_LOG`, no subscriber is installed and logging
//! costs nothing.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::Level;
use tracing_subscriber::filter::{FilterExt as _, LevelFilter, Targets, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer as _, fmt};

/// Whether secrets are being collected for scrubbing (only while logging).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Every secret seen since logging started.
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The shortest secret that is scrubbed: shorter values (an empty string, a
/// digit) would garble every line without hiding anything worth hiding.
const MIN_SECRET_LEN: usize = 8;

/// Starts logging when `-v` was given (`verbose` times) or `RUST_LOG` is set.
pub fn init(verbose: u8, rust_log: Option<&str>, color: bool) {
    let Some(directives) = directives(verbose, rust_log) else {
        return;
    };
    ACTIVE.store(true, Ordering::SeqCst);
    let own_or_capped =
        filter_fn(|meta| meta.target().starts_with("ssokey") || *meta.level() <= Level::INFO);
    let filter = targets(&directives).and(own_or_capped);
    let layer = fmt::layer()
        .with_writer(Scrubbing)
        .with_ansi(color)
        .with_target(true)
        .with_filter(filter);
    // Another subscriber can only exist in tests; logging is then theirs.
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// Pure: the filter directives for `-v` counts and `RUST_LOG`. `RUST_LOG`
/// wins when it is set (still capped for other crates); `-v` is ssokey at
/// info, `-vv` debug and `-vvv` trace, with other crates at warn, then info.
pub fn directives(verbose: u8, rust_log: Option<&str>) -> Option<String> {
    if let Some(value) = rust_log.filter(|v| !v.trim().is_empty()) {
        return Some(value.to_owned());
    }
    let (own, others) = match verbose {
        0 => return None,
        1 => ("info", "warn"),
        2 => ("debug", "info"),
        _ => ("trace", "info"),
    };
    Some(format!("{others},ssokey={own}"))
}

/// Pure: the filter of `RUST_LOG`-style directives, `target=level` or a bare
/// `level` for every other target, comma-separated. A directive that is not
/// one of these (the span and field filters of tracing's `EnvFilter`, which
/// ssokey does without, and the regex engine they need) is skipped.
pub fn targets(directives: &str) -> Targets {
    let mut targets = Targets::new();
    for directive in directives
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        match directive.split_once('=') {
            Some((target, level)) => {
                if let Ok(level) = level.parse::<LevelFilter>()
                    && !target.is_empty()
                    && target
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == ':' || c == '-')
                {
                    targets = targets.with_target(target, level);
                }
            }
            None => match directive.parse::<LevelFilter>() {
                Ok(level) => targets = targets.with_default(level),
                // A bare target means everything it logs.
                Err(_)
                    if directive
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == ':') =>
                {
                    targets = targets.with_target(directive, LevelFilter::TRACE);
                }
                Err(_) => {}
            },
        }
    }
    targets
}

/// Remembers `value` so that no log line shows it. Called for every secret.
pub fn remember_secret(value: &str) {
    if ACTIVE.load(Ordering::Relaxed) && value.len() >= MIN_SECRET_LEN {
        let mut secrets = SECRETS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !secrets.iter().any(|s| s == value) {
            secrets.push(value.to_owned());
        }
    }
}

/// Pure: `line` with every one of `secrets` replaced by `<redacted>`.
pub fn scrub(line: &str, secrets: &[String]) -> String {
    let mut out = line.to_owned();
    for secret in secrets {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "<redacted>");
        }
    }
    out
}

/// A writer for one log event: it buffers the event, then scrubs and writes it
/// to stderr whole.
struct Scrubbing;

impl<'a> MakeWriter<'a> for Scrubbing {
    type Writer = EventBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        EventBuffer(Vec::new())
    }
}

struct EventBuffer(Vec<u8>);

impl Write for EventBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventBuffer {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        let secrets = SECRETS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let line = scrub(&text, &secrets);
        drop(secrets);
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_maps_to_directives_and_rust_log_wins() {
        assert_eq!(directives(0, None), None);
        assert_eq!(directives(0, Some(" ")), None);
        assert_eq!(directives(1, None).unwrap(), "warn,ssokey=info");
        assert_eq!(directives(2, None).unwrap(), "info,ssokey=debug");
        assert_eq!(directives(5, None).unwrap(), "info,ssokey=trace");
        assert_eq!(directives(1, Some("trace")).unwrap(), "trace");
    }

    #[test]
    fn directives_become_targets_and_the_rest_is_skipped() {
        let t =
            targets("warn,ssokey=trace,aws_smithy_runtime=info,hyper[span{x=1}]=debug,bogus=loud");
        assert!(t.would_enable("ssokey::auth", &Level::TRACE));
        assert!(t.would_enable("aws_smithy_runtime::client", &Level::INFO));
        assert!(!t.would_enable("aws_smithy_runtime::client", &Level::DEBUG));
        assert!(t.would_enable("rustls", &Level::WARN));
        assert!(!t.would_enable("rustls", &Level::INFO));
        assert!(!t.would_enable("hyper", &Level::DEBUG));
        let bare = targets("ssokey");
        assert!(bare.would_enable("ssokey", &Level::TRACE));
        assert!(!bare.would_enable("other", &Level::ERROR));
        assert!(targets("trace").would_enable("anything", &Level::TRACE));
    }

    #[test]
    fn scrub_hides_every_secret() {
        let secrets = vec!["AKIASECRETKEY".to_owned(), "tok/en+value=".to_owned()];
        assert_eq!(
            scrub("a AKIASECRETKEY b tok/en+value= c AKIASECRETKEY", &secrets),
            "a <redacted> b <redacted> c <redacted>"
        );
        assert_eq!(scrub("nothing here", &secrets), "nothing here");
    }
}
