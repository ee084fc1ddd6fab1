//! HTTP on the loopback interface, for ssokey's own listeners: the PKCE
//! sign-in's callback and the credential server. Both are reachable by every
//! process and every web page on the machine, so the rules are the same for
//! both and live here:
//!
//! - the socket binds `127.0.0.1` and nothing else (the AWS CLI's callback
//!   binds every interface);
//! - it is bound synchronously, before anything that may call it (a browser)
//!   is started;
//! - a request whose `Host` (or absolute-form target) is not this address and
//!   port is refused with 403 before a handler sees it, so that a web page on
//!   a rebound DNS name cannot reach the listener;
//! - reading a request's headers is bounded in time and size (16 KB), so a
//!   connection that sends nothing, or too much, cannot hold the listener;
//! - at most [`MAX_CONNECTIONS`] are open: when all are taken, the oldest
//!   that has not sent a request gives way, so that a flood of connections
//!   neither exhausts file handles and memory nor keeps a client out;
//! - a request with two `Host` headers is refused (400);
//! - every refusal (4xx, 5xx) closes its connection, so that a client
//!   without the token cannot keep one open by asking again;
//! - request bodies are never read.
//!
//! The handlers decide everything else: paths, methods, tokens.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};

/// How long a connection may take to send a request's headers.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The most connections open at once. A browser opens up to 6 to one host,
/// and an SDK's pool a few per client; 64 leaves room for a build that runs
/// a dozen SDK clients at once, while a flood of connections costs ssokey at
/// most 64 file handles of its 1,024 and 64 × [`MAX_REQUEST_HEAD`] of
/// memory. When all are taken, the oldest that has not sent a request yet
/// gives way (see `Connections::make_room`).
pub const MAX_CONNECTIONS: usize = 64;

/// The largest request head (request line and headers) read, in bytes: a
/// real one is under 1 KB (a browser's callback, with cookies, a few);
/// beyond it, 431 and the connection is closed.
pub const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// A socket bound to `127.0.0.1`, not yet served.
#[derive(Debug)]
pub struct Listener {
    socket: std::net::TcpListener,
    port: u16,
}

/// Binds `127.0.0.1:port`; port 0 takes an ephemeral one.
pub fn bind(port: u16) -> std::io::Result<Listener> {
    let socket = std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
    socket.set_nonblocking(true)?;
    let port = socket.local_addr()?.port();
    Ok(Listener { socket, port })
}

impl Listener {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}:{}{path}", Ipv4Addr::LOCALHOST, self.port)
    }
}

/// A request, as a handler sees it: no body.
#[derive(Debug)]
pub struct Request {
    pub method: Method,
    pub path: String,
    query: Option<String>,
    pub headers: HeaderMap,
}

impl Request {
    /// A request for `target` (a path and query), for handlers' unit tests.
    #[cfg(test)]
    pub fn for_test(method: Method, target: &str) -> Self {
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path, Some(query.to_owned())),
            None => (target, None),
        };
        Self {
            method,
            path: path.to_owned(),
            query,
            headers: HeaderMap::new(),
        }
    }

    /// The query parameter `name`, decoded, when it is there exactly once: a
    /// parameter given twice is as good as none.
    pub fn query(&self, name: &str) -> Option<String> {
        let mut values = form_urlencoded::parse(self.query.as_deref()?.as_bytes())
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned());
        let value = values.next()?;
        values.next().is_none().then_some(value)
    }

    /// The header `name`, when it is there exactly once and is text.
    pub fn header(&self, name: &header::HeaderName) -> Option<&str> {
        let mut values = self.headers.get_all(name).iter();
        let value = values.next()?;
        if values.next().is_some() {
            return None;
        }
        value.to_str().ok()
    }
}

/// A handler's answer. Every answer says `Cache-Control: no-store`.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    content_type: &'static str,
    body: String,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Response {
    pub fn text(status: StatusCode, body: impl Into<String>) -> Self {
        Self::new(status, "text/plain; charset=utf-8", body.into())
    }

    pub fn json(status: StatusCode, body: impl Into<String>) -> Self {
        Self::new(status, "application/json", body.into())
    }

    /// An HTML page that may not load or run anything.
    pub fn html(status: StatusCode, body: impl Into<String>) -> Self {
        Self::new(status, "text/html; charset=utf-8", body.into()).with_header(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
        )
    }

    pub fn body(&self) -> &str {
        &self.body
    }

    #[must_use]
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    fn new(status: StatusCode, content_type: &'static str, body: String) -> Self {
        Self {
            status,
            content_type,
            body,
            headers: Vec::new(),
        }
    }

    fn into_hyper(self) -> hyper::Response<Full<Bytes>> {
        let mut response = hyper::Response::new(Full::new(Bytes::from(self.body)));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        // A refusal ends its connection: a client without the token (or the
        // sign-in's state) cannot hold a connection open by asking again.
        if self.status.is_client_error() || self.status.is_server_error() {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// How long connections still open when serving stops get to finish: the
/// answer to the request that ended a wait must reach the browser.
const DRAIN: Duration = Duration::from_secs(1);

/// Serves the listener until `until` completes; each request that passes the
/// `Host` check goes to `handler`. Connections still open then get
/// [`DRAIN`] to finish, and are dropped.
pub async fn serve<H, F>(
    listener: Listener,
    handler: H,
    until: impl Future<Output = ()>,
) -> std::io::Result<()>
where
    H: Fn(Request) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response> + Send + 'static,
{
    serve_with(listener, handler, until, READ_TIMEOUT).await
}

/// One open connection, as the accept loop keeps track of it.
struct Open {
    task: tokio::task::AbortHandle,
    /// Set when a whole request head has come in on it.
    asked: Arc<AtomicBool>,
}

/// The open connections, oldest first (ids only grow), and which of them
/// to shed when a new one comes and all places are taken.
#[derive(Default)]
struct Connections {
    open: BTreeMap<u64, Open>,
    next: u64,
}

impl Connections {
    /// Makes room for one more connection when [`MAX_CONNECTIONS`] are open:
    /// the oldest that has not sent a whole request yet is dropped (a
    /// client's own connection sends its request at once, so the oldest of
    /// those is a flood's, or a slow client's). Returns false when every
    /// open connection has asked something: the new one must wait its turn.
    fn make_room(&mut self) -> bool {
        if self.open.len() < MAX_CONNECTIONS {
            return true;
        }
        // Connections that have ended but are not reaped yet take no place.
        self.open.retain(|_, open| !open.task.is_finished());
        if self.open.len() < MAX_CONNECTIONS {
            return true;
        }
        let oldest_silent = self
            .open
            .iter()
            .find(|(_, open)| !open.asked.load(Ordering::Relaxed))
            .map(|(&id, _)| id);
        let Some(id) = oldest_silent else {
            return false;
        };
        if let Some(open) = self.open.remove(&id) {
            open.task.abort();
        }
        true
    }

    fn add(&mut self, task: tokio::task::AbortHandle, asked: Arc<AtomicBool>) -> u64 {
        let id = self.next;
        self.next += 1;
        self.open.insert(id, Open { task, asked });
        id
    }
}

async fn serve_with<H, F>(
    listener: Listener,
    handler: H,
    until: impl Future<Output = ()>,
    read_timeout: Duration,
) -> std::io::Result<()>
where
    H: Fn(Request) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response> + Send + 'static,
{
    let port = listener.port;
    let socket = tokio::net::TcpListener::from_std(listener.socket)?;
    let mut tasks = tokio::task::JoinSet::new();
    let mut connections = Connections::default();
    tokio::pin!(until);
    loop {
        tokio::select! {
            () = &mut until => {
                let drained = async { while tasks.join_next().await.is_some() {} };
                let _ = tokio::time::timeout(DRAIN, drained).await;
                return Ok(());
            }
            accepted = socket.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(err) => {
                        // Out of file descriptors, say: the next accept may work.
                        tracing::debug!(%err, "could not accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if !connections.make_room() {
                    // Every place is taken by a connection being served:
                    // this one is closed at once, and its client may retry.
                    tracing::debug!("refused a connection: too many are open");
                    let _ = stream.try_write(BUSY);
                    continue;
                }
                let asked = Arc::new(AtomicBool::new(false));
                let on_request = Arc::clone(&asked);
                let handler = handler.clone();
                let next = connections.next;
                let task = tasks.spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        on_request.store(true, Ordering::Relaxed);
                        let handler = handler.clone();
                        async move { Ok::<_, Infallible>(answer(port, request, handler).await) }
                    });
                    let served = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(read_timeout)
                        .max_buf_size(MAX_REQUEST_HEAD)
                        .max_header_size(MAX_REQUEST_HEAD)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                    if let Err(err) = served {
                        tracing::debug!(%err, "a connection ended badly");
                    }
                    next
                });
                connections.add(task, asked);
                // Let the new connection read its request before the next
                // accept: a client's request is there already, and once read
                // its connection never gives way to a flood's.
                tokio::task::yield_now().await;
            }
            // Forget connections as they end.
            Some(ended) = tasks.join_next(), if !tasks.is_empty() => {
                if let Ok(id) = ended {
                    connections.open.remove(&id);
                }
            }
        }
    }
}

/// What a connection that finds no place gets before it is closed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\nretry-after: 1\r\n\r\n";

async fn answer<H, F, B>(
    port: u16,
    request: hyper::Request<B>,
    handler: H,
) -> hyper::Response<Full<Bytes>>
where
    H: Fn(Request) -> F,
    F: Future<Output = Response>,
{
    let (parts, _body) = request.into_parts();
    let mut hosts = parts.headers.get_all(header::HOST).iter();
    let (host, second) = (hosts.next(), hosts.next());
    if second.is_some() {
        tracing::debug!("refused a request with two Host headers");
        return Response::text(StatusCode::BAD_REQUEST, "one Host header, please\n").into_hyper();
    }
    let host = host.and_then(|value| value.to_str().ok());
    let authority = parts
        .uri
        .authority()
        .map(hyper::http::uri::Authority::as_str);
    if !is_own_host(host, port)
        || authority.is_some_and(|authority| !is_own_host(Some(authority), port))
    {
        tracing::debug!(host, "refused a request for another host");
        return Response::text(
            StatusCode::FORBIDDEN,
            "this server answers only to its loopback address\n",
        )
        .into_hyper();
    }
    let request = Request {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
    };
    handler(request).await.into_hyper()
}

/// Pure: `text` for HTML, in an element or a quoted attribute.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Pure: whether a `Host` value names this listener: `127.0.0.1:<port>` or
/// `localhost:<port>`, with the port.
pub fn is_own_host(host: Option<&str>, port: u16) -> bool {
    let Some((name, host_port)) = host.and_then(|host| host.rsplit_once(':')) else {
        return false;
    };
    host_port.parse::<u16>().ok() == Some(port)
        && !host_port.starts_with('0')
        && (name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost"))
}

/// Compares two secrets in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_loopback_address_and_port_are_own_hosts() {
        assert!(is_own_host(Some("127.0.0.1:4242"), 4242));
        assert!(is_own_host(Some("localhost:4242"), 4242));
        assert!(is_own_host(Some("LocalHost:4242"), 4242));
        for other in [
            None,
            Some(""),
            Some("127.0.0.1"),
            Some("localhost"),
            Some("127.0.0.1:4243"),
            Some("127.0.0.1:04242"),
            Some("127.0.0.2:4242"),
            Some("[::1]:4242"),
            Some("evil.example:4242"),
            Some("localhost.evil.example:4242"),
            Some("127.0.0.1.nip.io:4242"),
            Some("127.0.0.1:4242:4242"),
        ] {
            assert!(!is_own_host(other, 4242), "{other:?}");
        }
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"a"));
    }

    fn request(query: &str) -> Request {
        Request {
            method: Method::GET,
            path: "/".to_owned(),
            query: Some(query.to_owned()),
            headers: HeaderMap::new(),
        }
    }

    #[test]
    fn a_query_parameter_counts_only_when_given_once() {
        let request = request("code=a%2Fb&state=1&state=2&empty=");
        assert_eq!(request.query("code").as_deref(), Some("a/b"));
        assert_eq!(request.query("state"), None);
        assert_eq!(request.query("empty").as_deref(), Some(""));
        assert_eq!(request.query("missing"), None);
    }

    #[test]
    fn binds_the_loopback_address_only() {
        let listener = bind(0).unwrap();
        let address = listener.socket.local_addr().unwrap();
        assert_eq!(address.ip(), Ipv4Addr::LOCALHOST);
        assert_ne!(address.port(), 0);
        assert_eq!(
            listener.url("/x"),
            format!("http://127.0.0.1:{}/x", address.port())
        );
    }

    /// Serves `handler` with `read_timeout` while `client` (on its own
    /// thread, given the port) runs; returns what `client` returns.
    fn serve_while<T: Send + 'static>(
        read_timeout: Duration,
        handler: impl Fn(Request) -> Response + Clone + Send + Sync + 'static,
        client: impl FnOnce(u16) -> T + Send + 'static,
    ) -> T {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let listener = bind(0).unwrap();
        let port = listener.port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let client = std::thread::spawn(move || {
            let out = client(port);
            stop.send(()).unwrap();
            out
        });
        let handler = move |request: Request| {
            let answer = handler(request);
            async move { answer }
        };
        runtime
            .block_on(serve_with(
                listener,
                handler,
                async {
                    let _ = stopped.await;
                },
                read_timeout,
            ))
            .unwrap();
        client.join().unwrap()
    }

    /// Connects to the listener; reads give up after 20 s.
    fn connect(port: u16) -> std::net::TcpStream {
        let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream
    }

    /// Sends `request` and reads the whole answer.
    fn ask(port: u16, request: &str) -> String {
        use std::io::{Read as _, Write as _};
        let mut stream = connect(port);
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    #[test]
    fn a_connection_that_sends_nothing_or_half_a_request_is_dropped_and_others_are_served() {
        use std::io::{Read as _, Write as _};
        let ok = |_: Request| Response::text(StatusCode::OK, "ok");
        let (silent_closed, slow_closed, answer) =
            serve_while(Duration::from_millis(300), ok, |port| {
                let mut silent = connect(port);
                let mut slow = connect(port);
                slow.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1")
                    .unwrap();
                // Both are dropped once the read timeout passes: a read sees
                // the end (and not the client's own 20 s timeout).
                let mut rest = Vec::new();
                let silent_closed = silent.read_to_end(&mut rest).is_ok();
                let slow_closed = slow.read_to_end(&mut rest).is_ok();
                // Meanwhile, and after, a whole request is answered.
                let whole = format!(
                    "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
                );
                (silent_closed, slow_closed, ask(port, &whole))
            });
        assert!(silent_closed, "a silent connection was kept open");
        assert!(slow_closed, "half a request kept its connection open");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }

    #[test]
    fn serves_its_handler_and_refuses_other_hosts() {
        let hello = |request: Request| {
            Response::text(
                StatusCode::OK,
                format!("{} {:?}", request.path, request.query("name")),
            )
        };
        let (own, other) = serve_while(READ_TIMEOUT, hello, |port| {
            let get = |host: &str| {
                ask(
                    port,
                    &format!(
                        "GET /hello?name=x HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
                    ),
                )
            };
            (
                get(&format!("127.0.0.1:{port}")),
                get(&format!("rebound.example:{port}")),
            )
        });
        assert!(own.starts_with("HTTP/1.1 200"), "{own}");
        assert!(own.ends_with("/hello Some(\"x\")"), "{own}");
        assert!(own.contains("cache-control: no-store"), "{own}");
        assert!(other.starts_with("HTTP/1.1 403"), "{other}");
        assert!(!other.contains("/hello"), "{other}");
    }

    /// A refusal closes its keep-alive connection (a client without the
    /// token cannot hold one by asking again every few seconds), an answer
    /// does not; a request head over 16 KB gets 431 and is closed.
    #[test]
    fn refusals_and_huge_heads_close_their_connection() {
        use std::io::{Read as _, Write as _};
        let handler = |request: Request| {
            if request.path == "/ok" {
                Response::text(StatusCode::OK, "ok")
            } else {
                Response::text(StatusCode::UNAUTHORIZED, "no")
            }
        };
        let (refused, served, huge) = serve_while(READ_TIMEOUT, handler, |port| {
            let keep_alive = |path: &str, extra: &str| {
                format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n")
            };
            // Each answer is read whole; then the connection is at its end
            // (a read sees EOF) or still open (a short read times out).
            let after = |request: String| {
                let mut stream = connect(port);
                stream.write_all(request.as_bytes()).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_millis(500)))
                    .unwrap();
                let mut answer = Vec::new();
                let mut buf = [0; 4096];
                let closed = loop {
                    match stream.read(&mut buf) {
                        Ok(0) => break true,
                        Ok(n) => answer.extend_from_slice(&buf[..n]),
                        Err(_) => break false,
                    }
                };
                (String::from_utf8_lossy(&answer).into_owned(), closed)
            };
            let filler = format!("X-Fill: {}\r\n", "a".repeat(MAX_REQUEST_HEAD));
            (
                after(keep_alive("/no", "")),
                after(keep_alive("/ok", "")),
                after(keep_alive("/ok", &filler)),
            )
        });
        assert!(refused.0.starts_with("HTTP/1.1 401"), "{}", refused.0);
        assert!(refused.0.contains("connection: close"), "{}", refused.0);
        assert!(refused.1, "a refused keep-alive connection stayed open");
        assert!(served.0.starts_with("HTTP/1.1 200"), "{}", served.0);
        assert!(!served.1, "a served keep-alive connection was closed");
        assert!(huge.0.starts_with("HTTP/1.1 431"), "{}", huge.0);
        assert!(huge.1, "a huge head's connection stayed open");
    }

    /// Two `Host` headers, whichever comes first: the request is refused
    /// with 400, not judged by one of them.
    #[test]
    fn two_host_headers_are_refused() {
        let ok = |_: Request| Response::text(StatusCode::OK, "ok");
        let answers = serve_while(READ_TIMEOUT, ok, |port| {
            let own = format!("127.0.0.1:{port}");
            let other = format!("rebound.example:{port}");
            [(&own, &other), (&other, &own), (&own, &own)].map(|(first, second)| {
                ask(
                    port,
                    &format!(
                        "GET / HTTP/1.1\r\nHost: {first}\r\nHost: {second}\r\nConnection: close\r\n\r\n"
                    ),
                )
            })
        });
        for answer in answers {
            assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
            assert!(!answer.ends_with("ok"), "{answer}");
        }
    }
}
