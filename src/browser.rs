//! Opening a page in the user's browser without putting its address on any
//! command line, where every local user could read it (`/proc/PID/cmdline`):
//! the address goes into a page of its own, 0600 in a 0700 directory of the
//! user's, that sends the browser on to it, and the browser is given that
//! file. A sign-in's `state`, a device code's verification address and the
//! console's sign-in token stay the user's.
//!
//! A page that must outlive nothing ([`hand_off`], the console's): the page
//! holds only a one-time address on a loopback listener of ssokey's, which
//! answers it once with a redirect to the real address; no secret is ever
//! written, and ssokey waits for the browser before it ends.
//!
//! `BROWSER`, when set, is the only browser tried: its entries (separated by
//! `:`) in order, each a command line where `%s` stands for the page, else
//! with the page as the last argument. Without it, the system's opener.
//! What remains: any process of the same user can read the page while it
//! exists, as it can read that user's keychain.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use hyper::header::{self, HeaderValue};
use hyper::{Method, StatusCode};

use crate::exit::{Exit, Reported};
use crate::secret::Secret;

/// How long a page stays when nobody removes it (the console's, whose
/// ssokey ends before the browser has read it): a later run removes it then.
/// The console's sign-in token lasts 15 minutes.
const STALE_AFTER: Duration = Duration::from_mins(15);

/// How long a `BROWSER` command gets to fail before it counts as started.
const START_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("could not write the page for the browser in {}: {source}", .dir.display())]
    Page {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("BROWSER ({0}) names no command that opened the page")]
    Failed(String),
    #[error("could not start the system's browser: {0}")]
    System(std::io::Error),
    #[error("the browser did not load the page within {} seconds", .0.as_secs())]
    NotLoaded(Duration),
}

impl BrowserError {
    pub fn hint(&self) -> String {
        match self {
            Self::Page { .. } => {
                "make the directory named above writable by your user only".to_owned()
            }
            Self::Failed(_) => {
                "set BROWSER to a browser command (with %s where the address goes), or unset it"
                    .to_owned()
            }
            Self::System(_) => {
                "set BROWSER to a browser command, or open the address yourself".to_owned()
            }
            Self::NotLoaded(_) => "check that your browser can open local files (file://), or print the address instead (--print)".to_owned(),
        }
    }
}

impl Reported for BrowserError {
    fn hint(&self) -> Option<String> {
        Some(BrowserError::hint(self))
    }
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

/// A page written for the browser; it is removed when dropped, unless kept.
#[derive(Debug)]
pub struct Page {
    path: PathBuf,
    keep: bool,
}

impl Page {
    /// The page's address, for the browser.
    pub fn url(&self) -> String {
        file_url(&self.path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Leaves the page for the browser after this process ends; a later run
    /// removes it once it is stale.
    pub fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Writes the page that sends the browser to `url` in `dir` (created 0700),
/// and opens it: with `BROWSER` alone when `browser_var` is set, else with
/// the system's opener.
pub fn open(url: &Secret, dir: &Path, browser_var: Option<&str>) -> Result<Page, BrowserError> {
    let page = write_page(url, dir).map_err(|source| BrowserError::Page {
        dir: dir.to_owned(),
        source,
    })?;
    let target = page.url();
    tracing::debug!(page = %page.path.display(), "opening the browser");
    open_target(browser_var, &target)?;
    Ok(page)
}

/// The path under which a hand-off is answered.
const HAND_OFF_PATH: &str = "/open/";

/// Opens `url` in the browser through a one-time address on loopback: the
/// page ssokey writes holds only that address, the listener answers it once
/// with a redirect to `url` (and any other request with 404), and the page
/// is removed when the browser has come, or after `wait`.
pub fn hand_off(
    url: &Secret,
    dir: &Path,
    browser_var: Option<&str>,
    wait: Duration,
) -> Result<(), BrowserError> {
    let system = |err: std::io::Error| BrowserError::System(err);
    let listener = crate::loopback::bind(0).map_err(system)?;
    let nonce = Secret::random_url_safe(32)
        .map_err(std::io::Error::other)
        .map_err(system)?;
    let path = format!("{HAND_OFF_PATH}{}", nonce.expose());
    let one_time = Secret::new(listener.url(&path));
    let page = write_page(&one_time, dir).map_err(|source| BrowserError::Page {
        dir: dir.to_owned(),
        source,
    })?;
    let target = page.url();
    let browser_var = browser_var.map(str::to_owned);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(system)?;
    let location =
        HeaderValue::from_str(url.expose()).map_err(|err| system(std::io::Error::other(err)))?;
    let result = runtime.block_on(async move {
        let (sender, mut loaded) = tokio::sync::mpsc::channel::<()>(1);
        let handler = move |request: crate::loopback::Request| {
            let (sender, path, location) = (sender.clone(), path.clone(), location.clone());
            async move {
                if request.method != Method::GET || request.path != path {
                    return crate::loopback::Response::text(StatusCode::NOT_FOUND, "not found\n");
                }
                // Once only: the second request finds the channel full.
                if sender.try_send(()).is_err() {
                    return crate::loopback::Response::text(StatusCode::GONE, "gone\n");
                }
                crate::loopback::Response::text(StatusCode::FOUND, "")
                    .with_header(header::LOCATION, location)
                    .with_header(
                        header::REFERRER_POLICY,
                        HeaderValue::from_static("no-referrer"),
                    )
            }
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(crate::loopback::serve(listener, handler, async {
            let _ = stopped.await;
        }));
        let opened =
            tokio::task::spawn_blocking(move || open_target(browser_var.as_deref(), &target))
                .await
                .unwrap_or_else(|err| Err(BrowserError::System(std::io::Error::other(err))));
        let result = match opened {
            Ok(()) => tokio::select! {
                Some(()) = loaded.recv() => Ok(()),
                () = tokio::time::sleep(wait) => Err(BrowserError::NotLoaded(wait)),
            },
            Err(err) => Err(err),
        };
        let _ = stop.send(());
        let _ = serving.await;
        result
    });
    drop(page);
    result
}

/// Opens `target` (a page's address) with `BROWSER` alone when it is set,
/// else with the system's opener.
fn open_target(browser_var: Option<&str>, target: &str) -> Result<(), BrowserError> {
    match browser_var.map(str::trim).filter(|v| !v.is_empty()) {
        Some(var) => open_with_browser_var(var, target),
        None => webbrowser::open(target).map_err(BrowserError::System),
    }
}

/// Runs `BROWSER`'s entries in order until one starts: exits 0, or is still
/// running after [`START_WAIT`] (a browser that stays in the foreground).
fn open_with_browser_var(var: &str, target: &str) -> Result<(), BrowserError> {
    let separator = if cfg!(windows) { ';' } else { ':' };
    for entry in var.split(separator).filter(|e| !e.trim().is_empty()) {
        let Some(argv) = browser_command(entry, target) else {
            continue;
        };
        let Some((program, rest)) = argv.split_first() else {
            continue;
        };
        let started = Command::new(program)
            .args(rest)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn();
        let Ok(mut child) = started else {
            tracing::debug!(program, "BROWSER entry could not start");
            continue;
        };
        let since = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => {
                    tracing::debug!(program, %status, "BROWSER entry failed");
                    break;
                }
                Ok(None) if since.elapsed() >= START_WAIT => return Ok(()),
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(_) => break,
            }
        }
    }
    Err(BrowserError::Failed(var.to_owned()))
}

/// Pure: the command line of one `BROWSER` entry for `target`: its words
/// (as a shell splits them), with `%s` replaced by `target` (and `%%` by
/// `%`), or `target` added last when no word holds `%s`.
pub fn browser_command(entry: &str, target: &str) -> Option<Vec<String>> {
    let words = crate::config_file::shell_words(entry)?;
    if words.is_empty() {
        return None;
    }
    let mut placed = false;
    let mut argv: Vec<String> = words
        .into_iter()
        .map(|word| {
            if word.contains("%s") {
                placed = true;
            }
            word.replace("%s", "\u{0}")
                .replace("%%", "%")
                .replace('\u{0}', target)
        })
        .collect();
    if !placed {
        argv.push(target.to_owned());
    }
    Some(argv)
}

/// Writes a new page in `dir` that sends the browser on to `url`, after
/// removing the stale pages of earlier runs.
fn write_page(url: &Secret, dir: &Path) -> std::io::Result<Page> {
    crate::store::files::create_private_dir(dir)?;
    remove_stale(dir, SystemTime::now());
    let name = Secret::random_url_safe(16).map_err(std::io::Error::other)?;
    let path = dir.join(format!("page-{}.html", name.expose()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&path)?;
    let page = Page { path, keep: false };
    file.write_all(redirect_page(url.expose()).as_bytes())?;
    Ok(page)
}

/// Removes the pages in `dir` older than [`STALE_AFTER`].
fn remove_stale(dir: &Path, now: SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_page = name.to_str().is_some_and(|n| {
            n.starts_with("page-")
                && Path::new(n)
                    .extension()
                    .is_some_and(|ext| ext.eq_ignore_ascii_case("html"))
        });
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if is_page && stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Pure: the page that sends a browser on to `url` at once, with no script.
pub fn redirect_page(url: &str) -> String {
    let url = crate::loopback::escape_html(url);
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <meta http-equiv=\"refresh\" content=\"0;url={url}\">\
         <title>ssokey</title></head>\n\
         <body><p><a href=\"{url}\">Continue</a></p></body></html>\n"
    )
}

/// Pure: the `file://` address of an absolute path, with what a URL cannot
/// hold percent-encoded.
pub fn file_url(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut out = String::from("file://");
    if !text.starts_with('/') {
        out.push('/');
    }
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~:".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_puts_the_page_where_percent_s_says_or_last() {
        assert_eq!(
            browser_command("firefox --new-tab", "file:///p").unwrap(),
            ["firefox", "--new-tab", "file:///p"]
        );
        assert_eq!(
            browser_command("'my browser' --url=%s --x", "file:///p").unwrap(),
            ["my browser", "--url=file:///p", "--x"]
        );
        assert_eq!(
            browser_command("w3m %s 100%%", "file:///p").unwrap(),
            ["w3m", "file:///p", "100%"]
        );
        assert_eq!(browser_command("  ", "file:///p"), None);
        assert_eq!(browser_command("'unclosed", "file:///p"), None);
    }

    #[test]
    fn the_page_holds_the_address_escaped_and_no_script() {
        let page = redirect_page("https://x/a?b=1&c=\"<2>\"");
        assert!(page.contains("content=\"0;url=https://x/a?b=1&amp;c=&quot;&lt;2&gt;&quot;\""));
        assert!(!page.contains("<script"));
    }

    #[test]
    fn file_urls_are_encoded() {
        assert_eq!(
            file_url(Path::new("/run/user/1000/ssokey/page-a b.html")),
            "file:///run/user/1000/ssokey/page-a%20b.html"
        );
        assert_eq!(
            file_url(Path::new("C:\\Users\\me\\page.html")),
            "file:///C:/Users/me/page.html"
        );
    }

    #[test]
    fn a_page_is_private_and_gone_when_dropped_unless_kept() {
        let dir = tempfile::tempdir().unwrap();
        let pages = dir.path().join("pages");
        let page = write_page(&Secret::new("https://example.com/?state=s"), &pages).unwrap();
        let text = std::fs::read_to_string(page.path()).unwrap();
        assert!(text.contains("https://example.com/?state=s"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(page.path()), 0o600);
            assert_eq!(mode(&pages), 0o700);
        }
        let path = page.path().to_owned();
        drop(page);
        assert!(!path.exists());
        let kept = write_page(&Secret::new("https://example.com/"), &pages).unwrap();
        let path = kept.path().to_owned();
        kept.keep();
        assert!(path.exists());
        remove_stale(
            &pages,
            SystemTime::now() + STALE_AFTER + Duration::from_secs(1),
        );
        assert!(!path.exists());
    }

    #[test]
    fn a_failing_browser_variable_is_an_error_and_nothing_else_is_tried() {
        let err = open_with_browser_var("/no/such/browser:false", "file:///p").unwrap_err();
        assert!(matches!(err, BrowserError::Failed(_)), "{err}");
        open_with_browser_var("/no/such/browser:true", "file:///p").unwrap();
    }
}
