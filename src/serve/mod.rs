//! The credential server: role credentials over the container credentials
//! protocol that every AWS SDK and the AWS CLI speak
//! (`AWS_CONTAINER_CREDENTIALS_FULL_URI` and
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN`), on loopback, for `ssokey serve` and
//! `ssokey exec --server`.
//!
//! It keeps the credentials it last served in memory and gets new ones
//! through [`crate::fetch::credentials`] (the role cache, then the
//! portal) when they have less than the margin left, one fetch at a time
//! however many requests wait. The token is 32 random bytes, compared in
//! constant time; neither it nor a credential is ever logged.

pub mod child;
#[cfg(target_os = "linux")]
pub mod parent_death;
pub mod signals;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::header::{self, HeaderValue};
use hyper::{Method, StatusCode};

use anyhow::Context as _;

use crate::context::Context;
use crate::credentials::RoleCredentials;
use crate::fetch;
use crate::loopback::{self, Listener, Request, Response};
use crate::output::render;
use crate::role_credentials::Options;
use crate::secret::Secret;
use crate::target::{AccountRef, Target};

/// The variable that gives an SDK the server's URL.
pub const URI_VARIABLE: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
/// The variable that gives an SDK the `Authorization` header to send.
pub const TOKEN_VARIABLE: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
/// The container variables that would take precedence over, or stand
/// beside, the two above: a command run with the server gets none of them.
pub const OTHER_CONTAINER_VARIABLES: [&str; 2] = [
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];
/// The one path the server answers on.
pub const PATH: &str = "/role-credentials";
/// Random bytes in the token.
pub const TOKEN_BYTES: usize = 32;

/// Gets credentials: from the role cache while they have more than the
/// margin left, else new ones. It blocks (the keychain, the portal): the
/// server calls it on a blocking thread.
pub type Fetch = dyn Fn() -> anyhow::Result<RoleCredentials> + Send + Sync;

/// A bound server, not yet serving, with its token.
pub struct Server {
    listener: Listener,
    token: Secret,
    state: Arc<State>,
}

struct State {
    token: Secret,
    fetch: Box<Fetch>,
    margin: Duration,
    account_id: Option<String>,
    /// The credentials served last; the lock is held across a fetch, so that
    /// concurrent requests wait for the one fetch under way.
    current: tokio::sync::Mutex<Option<RoleCredentials>>,
}

impl Server {
    /// Binds `127.0.0.1:port` (0: an ephemeral port) and makes the token.
    /// `first` is served until it has less than `margin` left; `account_id`
    /// goes in the answers when it is known.
    pub fn bind(
        port: u16,
        fetch: Box<Fetch>,
        first: Option<RoleCredentials>,
        margin: Duration,
        account_id: Option<String>,
    ) -> std::io::Result<Server> {
        let listener = loopback::bind(port)?;
        let token = Secret::random_url_safe(TOKEN_BYTES).map_err(std::io::Error::other)?;
        let state = Arc::new(State {
            token: token.clone(),
            fetch,
            margin,
            account_id,
            current: tokio::sync::Mutex::new(first),
        });
        Ok(Server {
            listener,
            token,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.port()
    }

    /// The two variables that point an SDK at this server.
    pub fn variables(&self) -> [(&'static str, Secret); 2] {
        [
            (URI_VARIABLE, Secret::new(self.listener.url(PATH))),
            (TOKEN_VARIABLE, self.token.clone()),
        ]
    }

    /// Serves until `until` completes.
    pub async fn serve(self, until: impl Future<Output = ()>) -> std::io::Result<()> {
        let state = self.state;
        loopback::serve(
            self.listener,
            move |request| {
                let state = Arc::clone(&state);
                async move { state.answer(&request).await }
            },
            until,
        )
        .await
    }
}

/// A server for the target that the command line names, bound to
/// `127.0.0.1:port`, holding its first credentials (fetched now, so that a
/// failure is reported before anything runs), and the target's label. Its
/// later fetches sign in by themselves too, when the sign-in has ended and
/// the user can be reached. `command` names the command to the user.
pub fn for_target(
    ctx: &Context,
    session_flag: Option<&str>,
    wanted: Target,
    options: &Options,
    port: u16,
    command: &str,
) -> anyhow::Result<(Server, String)> {
    let (first, label) = fetch::credentials(ctx, session_flag, &wanted, options, command)?;
    // The account of the credentials served: the chain's last role's, else
    // the target's.
    let account_id = match (wanted.chain.hops.last(), &wanted.account) {
        (Some(last), _) => last.account_id().map(str::to_owned),
        (None, AccountRef::Id(id)) => Some(id.clone()),
        (None, AccountRef::Name(_)) => None,
    };
    let (ctx, session, margin) = (ctx.clone(), session_flag.map(str::to_owned), options.margin);
    let command = command.to_owned();
    let fetch: Box<Fetch> = Box::new(move || {
        let options = Options {
            refresh: false,
            margin,
        };
        // Each fetch reads the files anew: the server may outlive an edit.
        fetch::credentials(
            &ctx.renewed(),
            session.as_deref(),
            &wanted,
            &options,
            &command,
        )
        .map(|(c, _)| c)
    });
    let server = Server::bind(port, fetch, Some(first), margin, account_id)
        .with_context(|| format!("could not listen on 127.0.0.1:{port}"))?;
    Ok((server, label))
}

/// What a request gets, before any credentials are looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No `Authorization` header: 401.
    NoToken,
    /// Another token: 403.
    WrongToken,
    /// Another path: 404.
    NotFound,
    /// Another method on the path: 405.
    NotAllowed,
    /// The credentials.
    Serve,
}

/// Pure: the verdict on a request with this method, path and
/// `Authorization`, for the server's `token`. The token is checked first, so
/// that a caller without it learns nothing, not even the path.
pub fn verdict(
    method: &Method,
    path: &str,
    authorization: Option<&str>,
    token: &Secret,
) -> Verdict {
    let Some(given) = authorization else {
        return Verdict::NoToken;
    };
    if !loopback::constant_time_eq(given.as_bytes(), token.expose().as_bytes()) {
        return Verdict::WrongToken;
    }
    if path != PATH {
        return Verdict::NotFound;
    }
    if method != Method::GET {
        return Verdict::NotAllowed;
    }
    Verdict::Serve
}

/// Pure: the answer's body, as botocore's `ContainerProvider` reads it
/// (`AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration`, and `AccountId`
/// when it is known).
pub fn credentials_json(credentials: &RoleCredentials, account_id: Option<&str>) -> String {
    let mut value = serde_json::json!({
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key.expose(),
        "Token": credentials.session_token.expose(),
        "Expiration": render::rfc3339(credentials.expiration),
    });
    if let Some(id) = account_id {
        value["AccountId"] = serde_json::Value::from(id);
    }
    render::json_line(&value)
}

/// An error's answer; `message` may hold a portal's text, escaped as all of
/// ssokey's JSON is.
fn error_json(message: &str) -> String {
    render::json_line(&serde_json::json!({ "code": "ssokey", "message": message }))
}

impl State {
    async fn answer(self: Arc<Self>, request: &Request) -> Response {
        let verdict = verdict(
            &request.method,
            &request.path,
            request.header(&header::AUTHORIZATION),
            &self.token,
        );
        tracing::debug!(method = %request.method, path = request.path, ?verdict, "a request");
        match verdict {
            Verdict::NoToken => Response::json(
                StatusCode::UNAUTHORIZED,
                error_json("no Authorization header"),
            ),
            Verdict::WrongToken => Response::json(
                StatusCode::FORBIDDEN,
                error_json("the Authorization header is not this server's token"),
            ),
            Verdict::NotFound => Response::json(StatusCode::NOT_FOUND, error_json("no such path")),
            Verdict::NotAllowed => {
                Response::json(StatusCode::METHOD_NOT_ALLOWED, error_json("only GET"))
                    .with_header(header::ALLOW, HeaderValue::from_static("GET"))
            }
            Verdict::Serve => match self.credentials().await {
                Ok(credentials) => Response::json(
                    StatusCode::OK,
                    credentials_json(&credentials, self.account_id.as_deref()),
                ),
                Err(message) => {
                    Response::json(StatusCode::INTERNAL_SERVER_ERROR, error_json(&message))
                }
            },
        }
    }

    /// The credentials to serve: those held while they are fresh, else new
    /// ones, fetched once for every request that waits.
    async fn credentials(self: &Arc<Self>) -> Result<RoleCredentials, String> {
        let mut current = self.current.lock().await;
        if let Some(credentials) = current.as_ref()
            && credentials.is_fresh(crate::clock::now(), self.margin)
        {
            return Ok(credentials.clone());
        }
        tracing::info!("getting new role credentials");
        let state = Arc::clone(self);
        let fetched = tokio::task::spawn_blocking(move || (state.fetch)())
            .await
            .map_err(|err| format!("the fetch failed: {err}"))?;
        match fetched {
            Ok(credentials) => {
                *current = Some(credentials.clone());
                Ok(credentials)
            }
            Err(err) => {
                let (hint, _) = crate::error::classify(&err);
                crate::ui::warning(format_args!(
                    "could not get role credentials: {err:#}{}",
                    hint.map(|h| format!(" ({h})")).unwrap_or_default()
                ));
                Err(format!("ssokey could not get role credentials: {err:#}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Secret {
        Secret::new("the-token-of-this-server")
    }

    #[test]
    fn the_token_comes_first_then_the_path_then_the_method() {
        let t = token();
        let ok = Some("the-token-of-this-server");
        assert_eq!(verdict(&Method::GET, PATH, None, &t), Verdict::NoToken);
        assert_eq!(verdict(&Method::GET, "/x", None, &t), Verdict::NoToken);
        for wrong in [
            "",
            "the-token-of-this-serve",
            "the-token-of-this-server ",
            "Bearer the-token-of-this-server",
        ] {
            assert_eq!(
                verdict(&Method::GET, PATH, Some(wrong), &t),
                Verdict::WrongToken,
                "{wrong:?}"
            );
        }
        assert_eq!(verdict(&Method::GET, "/", ok, &t), Verdict::NotFound);
        assert_eq!(
            verdict(&Method::GET, "/role-credentials/", ok, &t),
            Verdict::NotFound
        );
        for method in [
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::HEAD,
            Method::OPTIONS,
        ] {
            assert_eq!(
                verdict(&method, PATH, ok, &t),
                Verdict::NotAllowed,
                "{method}"
            );
        }
        assert_eq!(verdict(&Method::GET, PATH, ok, &t), Verdict::Serve);
    }

    fn credentials(key: &str, expiration: u64) -> RoleCredentials {
        RoleCredentials {
            access_key_id: key.to_owned(),
            secret_access_key: Secret::new("wJalr/K7MDENG+bPxRfiCY="),
            session_token: Secret::new("IQoJb3JpZ2lu/+="),
            expiration,
        }
    }

    #[test]
    fn a_hundred_waiting_requests_share_one_fetch() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let fetches = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&fetches);
        let fetch: Box<Fetch> = Box::new(move || {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            // Slow, as the portal is: every request arrives meanwhile.
            std::thread::sleep(Duration::from_millis(200));
            Ok(credentials(
                &format!("ASIAFETCHED{n:09}"),
                crate::clock::now() + 3600,
            ))
        });
        // Held credentials past the margin: the first request must fetch.
        let held = credentials("ASIASTALE00000000000", crate::clock::now() + 60);
        let server = Server::bind(0, fetch, Some(held), Duration::from_mins(15), None).unwrap();
        let state = Arc::clone(&server.state);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let keys: Vec<String> = runtime.block_on(async {
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..100 {
                let state = Arc::clone(&state);
                tasks.spawn(async move { state.credentials().await.unwrap().access_key_id });
            }
            tasks.join_all().await
        });
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert_eq!(keys.len(), 100);
        assert!(
            keys.iter().all(|key| key == "ASIAFETCHED000000000"),
            "{keys:?}"
        );
    }

    #[test]
    fn an_error_answer_escapes_hidden_characters() {
        let body = error_json("denied\u{9b}2J\u{202e}");
        assert!(body.contains(r"denied\u009b2J\u202e"), "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["message"], "denied\u{9b}2J\u{202e}");
    }

    #[test]
    fn the_answer_has_the_fields_botocore_reads() {
        let credentials = RoleCredentials {
            access_key_id: "ASIAEXAMPLE123456789".to_owned(),
            secret_access_key: Secret::new("wJalr/K7MDENG+bPxRfiCY="),
            session_token: Secret::new("IQoJb3JpZ2lu/+="),
            expiration: 1_764_000_000,
        };
        let json: serde_json::Value =
            serde_json::from_str(&credentials_json(&credentials, Some("111122223333"))).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "AccessKeyId": "ASIAEXAMPLE123456789",
                "SecretAccessKey": "wJalr/K7MDENG+bPxRfiCY=",
                "Token": "IQoJb3JpZ2lu/+=",
                "Expiration": "2025-11-24T16:00:00Z",
                "AccountId": "111122223333",
            })
        );
        let json: serde_json::Value =
            serde_json::from_str(&credentials_json(&credentials, None)).unwrap();
        assert!(json.get("AccountId").is_none());
    }
}
