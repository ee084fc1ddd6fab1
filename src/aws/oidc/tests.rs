//! The sign-in service's client: its checks of what the service sends, and
//! the polling interval, against answers made up to break them.

use super::*;

#[test]
fn device_authorizations_refuse_what_cannot_be_shown_or_opened() {
    let ok = |uri: &str| {
        DeviceAuthorization::from_response(Some("d"), Some("ABCD-EFGH"), Some(uri), None, 0, 0)
    };
    let auth = ok("https://device.sso.us-east-1.amazonaws.com/").unwrap();
    assert_eq!(auth.verification_uri_complete, auth.verification_uri);
    assert_eq!(auth.interval, Duration::from_secs(5));
    assert_eq!(auth.expires_in, Duration::from_mins(10));
    ok("http://127.0.0.1:4567/device").unwrap();
    for bad in [
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://evil.example.com/",
        "https://x/ y",
    ] {
        assert_eq!(
            ok(bad).unwrap_err(),
            "verificationUri that is an https URL",
            "{bad}"
        );
    }
    let code = |user: &str| {
        DeviceAuthorization::from_response(Some("d"), Some(user), Some("https://x/"), None, 1, 1)
    };
    for bad in ["", "AB\u{1b}[2J", "AB CD", "ÄBCD"] {
        assert_eq!(
            code(bad).unwrap_err(),
            "userCode of printable characters",
            "{bad:?}"
        );
    }
}

#[test]
fn slow_down_adds_five_seconds_and_pending_keeps_the_pace() {
    let one = Duration::from_secs(1);
    assert_eq!(next_interval(one, &Poll::Pending), one);
    assert_eq!(next_interval(one, &Poll::SlowDown), Duration::from_secs(6));
    assert_eq!(next_interval(Duration::ZERO, &Poll::Pending), one);
    assert_eq!(
        next_interval(Duration::from_hours(1), &Poll::Pending),
        MAX_INTERVAL
    );
}

#[test]
fn registration_is_renewed_a_day_before_it_expires() {
    let scopes = vec!["sso:account:access".to_owned()];
    let reg = Registration {
        client_id: "id".into(),
        client_secret: Secret::new("s"),
        expires_at: 1_000_000,
        scopes: scopes.clone(),
        flow: Flow::DeviceCode,
    };
    let device = Flow::DeviceCode;
    assert!(reg.is_reusable(1_000_000 - 24 * 3600 - 1, &scopes, device));
    assert!(!reg.is_reusable(1_000_000 - 24 * 3600, &scopes, device));
    assert!(!reg.is_reusable(0, &[], device));
    // A device-code registration never serves PKCE, nor the other way round.
    assert!(!reg.is_reusable(0, &scopes, Flow::Pkce));
    let pkce = Registration {
        flow: Flow::Pkce,
        ..reg
    };
    assert!(pkce.is_reusable(0, &scopes, Flow::Pkce));
    assert!(!pkce.is_reusable(0, &scopes, device));
}

#[test]
fn a_registration_stored_before_flows_is_a_device_code_one() {
    let stored = r#"{"clientId":"id","clientSecret":"s","expiresAt":1,"scopes":[]}"#;
    let reg: Registration = serde_json::from_str(stored).unwrap();
    assert_eq!(reg.flow, Flow::DeviceCode);
    let token: Token =
        serde_json::from_str(r#"{"accessToken":"a","expiresAt":1,"startUrl":"u","region":"r"}"#)
            .unwrap();
    assert_eq!(token.flow, None);
}

#[test]
fn token_freshness() {
    let token = Token {
        access_token: Secret::new("a"),
        expires_at: 10_000,
        refresh_token: None,
        start_url: String::new(),
        region: String::new(),
        issued_at_ms: 0,
        flow: None,
    };
    assert!(!token.needs_refresh(10_000 - 301));
    assert!(token.needs_refresh(10_000 - 300));
    assert!(token.is_usable(10_000 - 31));
    assert!(!token.is_usable(10_000 - 30));
}

#[test]
fn a_refresh_without_a_new_refresh_token_keeps_the_old_one() {
    let granted = Granted {
        access_token: Secret::new("a2"),
        expires_in: Duration::from_hours(1),
        refresh_token: None,
    };
    let token = granted.into_token(100, "u", "r", Some(Secret::new("r1")));
    assert_eq!(token.expires_at, 3700);
    assert_eq!(token.refresh_token.unwrap().expose(), "r1");
}

#[test]
fn stored_tokens_never_show_in_debug() {
    let token = Token {
        access_token: Secret::new("AT-secret"),
        expires_at: 1,
        refresh_token: Some(Secret::new("RT-secret")),
        start_url: "u".into(),
        region: "r".into(),
        issued_at_ms: 0,
        flow: None,
    };
    let debug = format!("{token:?}");
    assert!(!debug.contains("AT-secret") && !debug.contains("RT-secret"));
}

mod properties {
    use proptest::prelude::*;

    use super::super::*;

    const CASES: u32 = 5000;

    fn text() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(prop_oneof![Just(String::new()), any::<String>()])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(CASES))]

        /// CreateToken: a token with a positive lifetime, or the name
        /// of what is missing; never a panic, never a token that is
        /// already expired when it is stored.
        #[test]
        fn granted_tokens_are_checked(
            access in text(),
            expires_in in any::<i32>(),
            refresh in text(),
            now in 0..=crate::credentials::MAX_EXPIRATION,
        ) {
            let result = Granted::from_response(access.as_deref(), expires_in, refresh.as_deref());
            let valid = access.as_deref().is_some_and(|a| !a.is_empty()) && expires_in > 0;
            prop_assert_eq!(result.is_ok(), valid);
            match result {
                Ok(granted) => {
                    prop_assert_eq!(granted.expires_in.as_secs(), u64::try_from(expires_in).unwrap());
                    prop_assert_eq!(
                        granted.refresh_token.is_some(),
                        refresh.as_deref().is_some_and(|r| !r.is_empty())
                    );
                    let token = granted.into_token(now, "u", "r", None);
                    prop_assert!(token.expires_at > now);
                }
                Err(what) => prop_assert!(what == "accessToken" || what == "a positive expiresIn"),
            }
        }

        /// RegisterClient: any expiry is a registration that is reused
        /// only while it is a day from expiring; never a panic.
        #[test]
        fn registrations_are_checked(
            id in text(),
            secret in text(),
            expires_at in any::<i64>(),
            now in 0..=crate::credentials::MAX_EXPIRATION,
        ) {
            let scopes = vec!["sso:account:access".to_owned()];
            let result = Registration::from_response(id.as_deref(), secret.as_deref(), expires_at, &scopes);
            let valid = id.as_deref().is_some_and(|i| !i.is_empty())
                && secret.as_deref().is_some_and(|s| !s.is_empty());
            prop_assert_eq!(result.is_ok(), valid);
            if let Ok(registration) = result {
                let reusable = registration.is_reusable(now, &scopes, Flow::DeviceCode);
                prop_assert_eq!(
                    reusable,
                    i128::from(expires_at) > i128::from(now) + i128::from(Registration::RENEW_BEFORE)
                );
            }
        }

        /// StartDeviceAuthorization: what ssokey shows and opens is a
        /// printable code and web URLs, or the answer is refused.
        #[test]
        fn device_authorizations_show_only_printable_codes_and_web_urls(
            device in text(),
            user in proptest::option::of(prop_oneof![any::<String>(), "[A-Z]{4}-[A-Z]{4}"]),
            uri in proptest::option::of(prop_oneof![
                any::<String>(),
                "(https|http|file|javascript)://[a-z0-9.]{1,12}/[a-z?=&]{0,8}",
                "https://device\\.sso\\.[a-z0-9-]{1,12}\\.amazonaws\\.com/",
            ]),
            complete in proptest::option::of(prop_oneof![
                any::<String>(),
                "https://device\\.sso\\.[a-z0-9-]{1,12}\\.amazonaws\\.com/\\?user_code=[A-Z]{4}-[A-Z]{4}",
                Just("https://x/\u{1b}]0;t\u{7}".to_owned()),
            ]),
            expires_in in any::<i32>(),
            interval in any::<i32>(),
        ) {
            let result = DeviceAuthorization::from_response(
                device.as_deref(), user.as_deref(), uri.as_deref(), complete.as_deref(), expires_in, interval);
            if let Ok(auth) = result {
                prop_assert!(auth.user_code.chars().all(|c| c.is_ascii_graphic()));
                for url in [&auth.verification_uri, &auth.verification_uri_complete] {
                    prop_assert!(crate::start_url::validate(url).is_ok(), "{}", url);
                    prop_assert!(!url.chars().any(char::is_control));
                }
                prop_assert!(auth.interval >= Duration::from_secs(1));
                prop_assert!(auth.expires_in >= Duration::from_secs(1));
            } else {
                let valid_uri = uri.as_deref().is_some_and(|u| crate::start_url::validate(u).is_ok());
                let valid_user = user.as_deref().is_some_and(|u| !u.is_empty() && u.len() <= 64 && u.chars().all(|c| c.is_ascii_graphic()));
                let valid_complete = complete.as_deref().is_none_or(|u| crate::start_url::validate(u).is_ok());
                prop_assert!(
                    device.as_deref().is_none_or(str::is_empty) || !valid_user || !valid_uri || !valid_complete
                );
            }
        }

        /// Device authorization's lifetimes and intervals: any number a
        /// server sends is a wait of at least a second and at most MAX_INTERVAL.
        #[test]
        fn intervals_are_at_least_a_second(value in any::<i32>(), slow in any::<bool>()) {
            let interval = seconds(value, 5);
            prop_assert!(interval >= Duration::from_secs(1));
            let poll = if slow { Poll::SlowDown } else { Poll::Pending };
            let next = next_interval(interval, &poll);
            prop_assert!(next >= interval.min(MAX_INTERVAL) && next <= MAX_INTERVAL);
        }
    }
}

/// An unreachable service is named by the host the calls go to: the
/// region's, the partition's, or the one `AWS_ENDPOINT_URL*` sets.
#[test]
fn the_client_knows_the_host_it_calls() {
    use aws_config::Region;
    for (region, endpoint, host) in [
        ("ap-southeast-9", None, "oidc.ap-southeast-9.amazonaws.com"),
        ("cn-north-1", None, "oidc.cn-north-1.amazonaws.com.cn"),
        (
            "eu-west-1",
            Some("http://127.0.0.1:4567/x"),
            "127.0.0.1:4567",
        ),
    ] {
        let mut config = SdkConfig::builder().region(Region::new(region));
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint);
        }
        let client = OidcClient::new(&config.build());
        assert_eq!(client.host.as_deref(), Some(host), "{region}");
    }
    let err = CallError::Unreachable {
        op: "RegisterClient",
        host: None,
        cause: "dns error".to_owned(),
    }
    .at(Some("oidc.us-east-11.amazonaws.com"));
    assert_eq!(
        err.to_string(),
        "RegisterClient failed: could not reach the service at oidc.us-east-11.amazonaws.com: dns error"
    );
    assert!(crate::aws::sdk::hint_for(&err).starts_with(
        "no address was found for oidc.us-east-11.amazonaws.com: check the session's region"
    ));
}
