use super::{Config, DEVICE_CODE_GRANT, Emulator, Fault, Op, RateLimit, START_URL, accounts};
use aws_sdk_sso::error::ProvideErrorMetadata;
use std::time::{Duration, Instant};

fn oidc(emulator: &Emulator) -> aws_sdk_ssooidc::Client {
    use aws_sdk_ssooidc::config::{BehaviorVersion, Region, retry::RetryConfig};
    let config = aws_sdk_ssooidc::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(emulator.url())
        .retry_config(RetryConfig::standard().with_initial_backoff(Duration::from_millis(1)))
        .build();
    aws_sdk_ssooidc::Client::from_conf(config)
}

fn portal(emulator: &Emulator) -> aws_sdk_sso::Client {
    use aws_sdk_sso::config::{BehaviorVersion, Region, retry::RetryConfig};
    let config = aws_sdk_sso::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(emulator.url())
        .retry_config(RetryConfig::standard().with_initial_backoff(Duration::from_millis(1)))
        .build();
    aws_sdk_sso::Client::from_conf(config)
}

/// Registers (with the account-access scope), starts a device authorization and returns
/// `(client_id, client_secret, device_code, user_code)`.
async fn start(emulator: &Emulator) -> (String, String, String, String) {
    let oidc = oidc(emulator);
    let client = oidc
        .register_client()
        .client_name("ssokey-test")
        .client_type("public")
        .scopes("sso:account:access")
        .send()
        .await
        .expect("RegisterClient");
    let (id, secret) = (client.client_id.unwrap(), client.client_secret.unwrap());
    let device = oidc
        .start_device_authorization()
        .client_id(&id)
        .client_secret(&secret)
        .start_url(START_URL)
        .send()
        .await
        .expect("StartDeviceAuthorization");
    assert_eq!(device.interval, 1);
    let user_code = device.user_code.unwrap();
    assert_eq!(
        device.verification_uri_complete.unwrap(),
        format!("{}/device?user_code={user_code}", emulator.url())
    );
    (id, secret, device.device_code.unwrap(), user_code)
}

fn device_token(
    oidc: &aws_sdk_ssooidc::Client,
    id: &str,
    secret: &str,
    device_code: &str,
) -> aws_sdk_ssooidc::operation::create_token::builders::CreateTokenFluentBuilder {
    oidc.create_token()
        .client_id(id)
        .client_secret(secret)
        .grant_type(DEVICE_CODE_GRANT)
        .device_code(device_code)
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one scenario, start to finish
async fn device_flow_portal_refresh_and_logout() {
    let emulator = Emulator::start(Config {
        accounts: accounts(5, &["Admin", "ReadOnly", "Billing"]),
        page_size: 2,
        ..Config::default()
    });
    let (id, secret, device_code, user_code) = start(&emulator).await;
    let oidc = oidc(&emulator);

    let pending = device_token(&oidc, &id, &secret, &device_code)
        .send()
        .await
        .unwrap_err();
    assert!(
        pending
            .into_service_error()
            .is_authorization_pending_exception()
    );
    emulator.slow_down_next(1);
    let slow = device_token(&oidc, &id, &secret, &device_code)
        .send()
        .await
        .unwrap_err();
    assert!(slow.into_service_error().is_slow_down_exception());

    assert_eq!(
        emulator.last_user_code().as_deref(),
        Some(user_code.as_str())
    );
    emulator.approve(&user_code.to_lowercase().replace('-', ""));
    let token = device_token(&oidc, &id, &secret, &device_code)
        .send()
        .await
        .unwrap();
    assert_eq!(token.token_type.as_deref(), Some("Bearer"));
    assert_eq!(token.expires_in, 3600);
    let access = token.access_token.unwrap();
    let refresh = token.refresh_token.unwrap();
    assert!(access.len() > 900 && refresh.len() > 900);
    let again = device_token(&oidc, &id, &secret, &device_code)
        .send()
        .await
        .unwrap_err();
    assert!(again.into_service_error().is_invalid_grant_exception());

    let portal = portal(&emulator);
    emulator.fail_next(Op::ListAccounts, 429, 1);
    let listed: Vec<_> = portal
        .list_accounts()
        .access_token(&access)
        .max_results(100)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    assert_eq!(listed.len(), 5);
    assert_eq!(listed[4].account_id(), Some("100000000005"));
    assert_eq!(listed[4].account_name(), Some("account-005"));
    assert_eq!(listed[4].email_address(), Some("account-005@example.com"));
    // One throttled and retried call, then three pages of two.
    assert_eq!(emulator.count(Op::ListAccounts), 4);
    // As the service, a page of more than 100 is refused.
    let too_many = portal
        .list_accounts()
        .access_token(&access)
        .max_results(101)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(too_many.is_invalid_request_exception(), "{too_many:?}");

    let roles: Vec<_> = portal
        .list_account_roles()
        .access_token(&access)
        .account_id("100000000003")
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    let names: Vec<_> = roles.iter().filter_map(|role| role.role_name()).collect();
    assert_eq!(names, ["Admin", "ReadOnly", "Billing"]);

    let credentials = portal
        .get_role_credentials()
        .access_token(&access)
        .account_id("100000000003")
        .role_name("ReadOnly")
        .send()
        .await
        .unwrap()
        .role_credentials
        .unwrap();
    let key_id = credentials.access_key_id.unwrap();
    assert!(key_id.starts_with("ASIA") && key_id.len() == 20);
    assert_eq!(
        credentials.secret_access_key.as_deref().map(str::len),
        Some(40)
    );
    let expiration = credentials.expiration;
    let in_an_hour = i64::try_from(
        crate::clock::epoch(std::time::SystemTime::now() + Duration::from_secs(crate::clock::HOUR))
            .as_millis(),
    )
    .unwrap();
    assert!(
        (expiration - in_an_hour).abs() < 60_000,
        "expiration is in epoch milliseconds"
    );
    let issued = emulator.issued_secrets();
    assert!(issued.contains(&credentials.session_token.unwrap()));
    assert!(issued.contains(&access) && issued.contains(&refresh) && issued.contains(&secret));

    let forbidden = portal
        .get_role_credentials()
        .access_token(&access)
        .account_id("100000000003")
        .role_name("Nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(forbidden.code(), Some("ForbiddenException"));
    assert_eq!(forbidden.message(), Some("No access"));

    let refreshed = oidc
        .create_token()
        .client_id(&id)
        .client_secret(&secret)
        .grant_type("refresh_token")
        .refresh_token(&refresh)
        .send()
        .await
        .unwrap();
    let new_refresh = refreshed.refresh_token.unwrap();
    assert_ne!(new_refresh, refresh);
    let stale = oidc
        .create_token()
        .client_id(&id)
        .client_secret(&secret)
        .grant_type("refresh_token")
        .refresh_token(&refresh)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(stale.is_invalid_grant_exception());

    let new_access = refreshed.access_token.unwrap();
    portal
        .logout()
        .access_token(&new_access)
        .send()
        .await
        .unwrap();
    let gone = portal
        .list_accounts()
        .access_token(&access)
        .send()
        .await
        .unwrap_err();
    assert!(gone.into_service_error().is_unauthorized_exception());
    let revoked = oidc
        .create_token()
        .client_id(&id)
        .client_secret(&secret)
        .grant_type("refresh_token")
        .refresh_token(&new_refresh)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(revoked.is_invalid_grant_exception());
    emulator.expect(Op::Logout, 1);
}

#[tokio::test]
async fn denied_expired_and_invalid_client() {
    let emulator = Emulator::start(Config::default());
    let oidc = oidc(&emulator);
    let (id, secret, device_code, user_code) = start(&emulator).await;
    emulator.deny(&user_code);
    let denied = device_token(&oidc, &id, &secret, &device_code)
        .send()
        .await
        .unwrap_err();
    assert!(denied.into_service_error().is_access_denied_exception());

    emulator.update_config(|config| config.device_code_ttl = Duration::ZERO);
    let device_code = oidc
        .start_device_authorization()
        .client_id(&id)
        .client_secret(&secret)
        .start_url(START_URL)
        .send()
        .await
        .unwrap()
        .device_code
        .unwrap();
    let expired = device_token(&oidc, &id, &secret, &device_code)
        .send()
        .await
        .unwrap_err();
    assert!(expired.into_service_error().is_expired_token_exception());

    emulator.invalidate_clients();
    let invalid = device_token(&oidc, &id, &secret, &device_code)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        invalid.raw_response().map(|raw| raw.status().as_u16()),
        Some(401)
    );
    assert!(invalid.into_service_error().is_invalid_client_exception());
}

/// The device page and `approve` find a code the same way: in any case, with or without its dash.
#[tokio::test]
async fn the_device_page_takes_a_user_code_as_a_person_types_it() {
    let emulator = Emulator::start(Config::default());
    let (_, _, _, user_code) = start(&emulator).await;
    let typed = user_code.to_lowercase().replace('-', "");
    let (head, body) = raw_get(&emulator, &format!("/device?user_code={typed}"));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(body.contains("<h1>Request approved</h1>"), "{body}");
    let (_, body) = raw_get(&emulator, &format!("/device?user_code={typed}"));
    assert!(body.contains("This request was already approved"), "{body}");
    let (head, body) = raw_get(&emulator, "/device?user_code=NOPE-NOPE");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    assert!(body.contains("Unknown code"), "{body}");
}

#[tokio::test]
async fn auto_approve_expire_and_revoke() {
    let emulator = Emulator::start(Config {
        auto_approve: true,
        auto_approve_after_polls: 2,
        ..Config::default()
    });
    let oidc = oidc(&emulator);
    let (id, secret, device_code, _) = start(&emulator).await;
    for _ in 0..2 {
        let pending = device_token(&oidc, &id, &secret, &device_code)
            .send()
            .await
            .unwrap_err();
        assert!(
            pending
                .into_service_error()
                .is_authorization_pending_exception()
        );
    }
    let token = device_token(&oidc, &id, &secret, &device_code)
        .send()
        .await
        .unwrap();
    let access = token.access_token.unwrap();
    assert!(emulator.access_token_is_valid(&access));

    let portal = portal(&emulator);
    emulator.expire_access_tokens();
    let expired = portal
        .list_accounts()
        .access_token(&access)
        .send()
        .await
        .unwrap_err();
    assert!(expired.into_service_error().is_unauthorized_exception());
    let refresh = token.refresh_token.unwrap();
    let refreshed = oidc
        .create_token()
        .client_id(&id)
        .client_secret(&secret)
        .grant_type("refresh_token")
        .refresh_token(&refresh)
        .send()
        .await
        .unwrap();
    let access = refreshed.access_token.unwrap();
    portal
        .list_accounts()
        .access_token(&access)
        .send()
        .await
        .unwrap();

    emulator.revoke_all();
    let revoked = portal
        .list_accounts()
        .access_token(&access)
        .send()
        .await
        .unwrap_err();
    assert!(revoked.into_service_error().is_unauthorized_exception());

    // A fault can carry the service's message: hostile text, as a client
    // must be ready for.
    emulator.fault_next(
        Op::ListAccounts,
        &Fault::StatusWithMessage(400, "no \u{1b}]0;x\u{7}".to_owned()),
        1,
    );
    let refused = portal
        .list_accounts()
        .access_token(&access)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(refused.is_invalid_request_exception(), "{refused:?}");
    assert_eq!(refused.message(), Some("no \u{1b}]0;x\u{7}"));

    emulator.fail_next(Op::RegisterClient, 500, 3);
    let failed = oidc
        .register_client()
        .client_name("x")
        .client_type("public")
        .send()
        .await
        .unwrap_err();
    assert!(failed.into_service_error().is_internal_server_exception());
    assert_eq!(
        emulator.count(Op::RegisterClient),
        4,
        "one success, then three attempts"
    );
}

#[tokio::test]
async fn pacing_knobs() {
    let emulator = Emulator::start(Config {
        enforce_interval: true,
        device_code_never_expires: true,
        device_code_ttl: Duration::ZERO,
        list_roles_rate_limit: Some(1),
        ..Config::default()
    });
    let oidc = oidc(&emulator);
    let (id, secret, device_code, user_code) = start(&emulator).await;
    assert_eq!(emulator.wait_for_user_code(Duration::ZERO), Some(user_code));
    let first = device_token(&oidc, &id, &secret, &device_code)
        .send()
        .await
        .unwrap_err();
    assert!(
        first
            .into_service_error()
            .is_authorization_pending_exception()
    );
    let hasty = device_token(&oidc, &id, &secret, &device_code)
        .send()
        .await
        .unwrap_err();
    assert!(hasty.into_service_error().is_slow_down_exception());

    emulator.update_config(|config| config.auto_approve = true);
    let portal = portal(&emulator);
    let listing = || {
        portal
            .list_account_roles()
            .access_token("unknown")
            .account_id("100000000001")
            .send()
    };
    // The first call passes the limiter (and fails on the token); the next ones in the same
    // second are throttled, retried and throttled again.
    assert!(
        listing()
            .await
            .unwrap_err()
            .into_service_error()
            .is_unauthorized_exception()
    );
    assert!(
        listing()
            .await
            .unwrap_err()
            .into_service_error()
            .is_too_many_requests_exception()
    );
    assert!(emulator.throttled(Op::ListAccountRoles) >= 1);
}

#[test]
fn token_buckets_fill_at_their_rate_up_to_the_burst() {
    let limit = RateLimit {
        per_second: 8.0,
        burst: 3.0,
    };
    let start = Instant::now();
    let at = |micros| start + Duration::from_micros(micros);
    let mut bucket = crate::state::Bucket::full(limit, start);
    let taken: Vec<bool> = (0..4).map(|_| bucket.take(start)).collect();
    assert_eq!(
        taken,
        [true, true, true, false],
        "a full bucket lets the burst through"
    );
    assert!(!bucket.take(at(62_500)), "half a token is not enough");
    assert!(bucket.take(at(125_000)), "one token after 1/8 s");
    assert!(!bucket.take(at(125_000)));
    assert!(
        !bucket.take(at(100_000)),
        "a clock that steps back earns nothing"
    );
    let later: Vec<bool> = (0..4).map(|_| bucket.take(at(60_000_000))).collect();
    assert_eq!(
        later,
        [true, true, true, false],
        "a quiet minute refills only the burst"
    );
}

#[test]
fn rate_limits_and_operations_parse() {
    let parse = |text: &str| text.parse::<RateLimit>();
    assert_eq!(parse("20"), Ok(RateLimit::per_second(20.0)));
    assert_eq!(
        parse("20/40"),
        Ok(RateLimit {
            per_second: 20.0,
            burst: 40.0
        })
    );
    assert_eq!(
        parse("0.5"),
        Ok(RateLimit {
            per_second: 0.5,
            burst: 1.0
        })
    );
    for bad in ["", "x", "-1", "20/", "20/0.5", "inf", "1/2/3"] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
    assert_eq!("listaccountroles".parse(), Ok(Op::ListAccountRoles));
    for op in Op::ALL {
        assert_eq!(op.name().parse(), Ok(op));
        assert_eq!(op.name(), format!("{op:?}"));
    }
    assert!(
        "ListRoles"
            .parse::<Op>()
            .unwrap_err()
            .contains("ListAccountRoles")
    );
}

#[tokio::test]
async fn an_empty_bucket_answers_429_at_once_and_counts_it() {
    use aws_sdk_sso::config::{BehaviorVersion, Region, retry::RetryConfig};
    use std::io::{Read as _, Write as _};
    let latency = Duration::from_millis(500);
    let emulator = Emulator::start(Config {
        latency,
        rate_limits: [(
            Op::ListAccountRoles,
            RateLimit {
                per_second: 0.0,
                burst: 2.0,
            },
        )]
        .into(),
        ..Config::default()
    });
    let portal = aws_sdk_sso::Client::from_conf(
        aws_sdk_sso::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(emulator.url())
            .retry_config(RetryConfig::disabled())
            .build(),
    );
    let listing = || async {
        let started = Instant::now();
        let error = portal
            .list_account_roles()
            .access_token("unknown")
            .account_id("100000000001")
            .send()
            .await
            .unwrap_err();
        (error.code().map(str::to_owned), started.elapsed())
    };
    // The burst: both pass the bucket, wait out the latency and fail on the token.
    let (first, second) = tokio::join!(listing(), listing());
    for (code, elapsed) in [first, second] {
        assert_eq!(code.as_deref(), Some("UnauthorizedException"));
        assert!(elapsed >= latency);
    }
    let (code, elapsed) = listing().await;
    assert_eq!(code.as_deref(), Some("TooManyRequestsException"));
    assert!(elapsed < latency / 2, "throttled in {elapsed:?}");
    assert_eq!(emulator.count(Op::ListAccountRoles), 3);
    assert_eq!(emulator.throttled(Op::ListAccountRoles), 1);
    assert_eq!(emulator.throttled(Op::ListAccounts), 0);

    // A new limit starts with a full bucket.
    emulator.update_config(|config| {
        config
            .rate_limits
            .insert(Op::ListAccountRoles, RateLimit::per_second(0.0));
    });
    let (code, _) = listing().await;
    assert_eq!(code.as_deref(), Some("UnauthorizedException"));
    let (code, _) = listing().await;
    assert_eq!(code.as_deref(), Some("TooManyRequestsException"));
    emulator.update_config(|config| config.rate_limits.clear());
    let (code, _) = listing().await;
    assert_eq!(code.as_deref(), Some("UnauthorizedException"));

    let mut stream = std::net::TcpStream::connect(emulator.addr()).unwrap();
    write!(
        stream,
        "GET {} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        super::STATS_PATH
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let stats: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(stats, emulator.stats());
    assert_eq!(stats["requests"]["ListAccountRoles"], 6);
    assert_eq!(stats["throttled"]["ListAccountRoles"], 2);
    assert_eq!(stats["requests"]["ListAccounts"], 0);
    assert_eq!(stats["requests"].as_object().unwrap().len(), Op::ALL.len());
    assert_eq!(stats["max_concurrent"]["ListAccountRoles"], 2);
}

#[test]
fn the_handle_can_be_shared_with_an_approving_thread() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Emulator>();
}

#[test]
fn accounts_helper_and_unique_secrets() {
    let made = accounts(12, &["Admin"]);
    assert_eq!(made[6].id, "100000000007");
    assert_eq!(made[6].name, "account-007");
    let mut mint = crate::minting::Mint::new();
    let a = mint.access_token();
    let b = mint.access_token();
    assert_ne!(a, b);
    assert!(mint.client_secret().len() >= 1400);
}

/// `GET path` over a plain connection: the head and the body of the answer.
fn raw_get(emulator: &Emulator, path: &str) -> (String, String) {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(emulator.addr()).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.to_owned(), body.to_owned())
}

/// Every byte but the unreserved ones as `%XX`, for a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn federation_hands_out_single_use_sign_in_tokens_for_issued_credentials() {
    let emulator = Emulator::start(Config {
        auto_approve: true,
        ..Config::default()
    });
    let (id, secret, device_code, _) = start(&emulator).await;
    let token = device_token(&oidc(&emulator), &id, &secret, &device_code)
        .send()
        .await
        .unwrap();
    let credentials = portal(&emulator)
        .get_role_credentials()
        .access_token(token.access_token.unwrap())
        .account_id("100000000002")
        .role_name("ReadOnlyAccess")
        .send()
        .await
        .unwrap()
        .role_credentials
        .unwrap();
    let session = |secret: &str| {
        serde_json::json!({
            "sessionId": credentials.access_key_id(),
            "sessionKey": secret,
            "sessionToken": credentials.session_token(),
        })
        .to_string()
    };
    let get_token = |session: &str, extra: &str| {
        raw_get(
            &emulator,
            &format!(
                "/federation?Action=getSigninToken{extra}&Session={}",
                encode(session)
            ),
        )
    };

    let (head, _) = get_token(&session("not-the-secret"), "");
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
    let (head, _) = get_token(
        &session(credentials.secret_access_key().unwrap()),
        "&SessionDuration=60",
    );
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    let (head, body) = get_token(&session(credentials.secret_access_key().unwrap()), "");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    let signin_token = answer["SigninToken"].as_str().unwrap().to_owned();
    let issued = emulator.signin_tokens();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].token, signin_token);
    assert_eq!(
        (issued[0].account_id.as_str(), issued[0].role_name.as_str()),
        ("100000000002", "ReadOnlyAccess")
    );
    assert!(emulator.issued_secrets().contains(&signin_token));

    let destination = "https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1";
    let login = format!(
        "/federation?Action=login&Issuer={}&Destination={}&SigninToken={}",
        encode(START_URL),
        encode(destination),
        encode(&signin_token)
    );
    let (head, _) = raw_get(&emulator, &login);
    assert!(head.starts_with("HTTP/1.1 302"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("location: {destination}")),
        "{head}"
    );
    let logins = emulator.console_logins();
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0].destination, destination);
    assert_eq!(logins[0].issuer, START_URL);
    assert_eq!(logins[0].role_name, "ReadOnlyAccess");
    let (head, _) = raw_get(&emulator, &login);
    assert!(head.starts_with("HTTP/1.1 403"), "used twice: {head}");
    assert!(emulator.signin_tokens()[0].used);

    // Expired credentials get no token.
    emulator.expire_role_credentials();
    let (head, _) = get_token(&session(credentials.secret_access_key().unwrap()), "");
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
    assert_eq!(emulator.count(Op::GetSigninToken), 4);
    assert_eq!(emulator.count(Op::Login), 2);
    assert_eq!(emulator.stats()["requests"]["GetSigninToken"], 4);
}
