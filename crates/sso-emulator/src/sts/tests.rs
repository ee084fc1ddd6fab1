use crate::clock::epoch_secs;
use crate::sigv4::{
    SigV4, canonical_request, format_amz_date, parse_amz_date, sign, signature_matches,
    string_to_sign,
};
use crate::{Config, Emulator, IamRole, IssuedRoleCredentials, Op, role_arn};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::time::{Duration, SystemTime};

const EXAMPLE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// One case of the aws-sig-v4-test-suite (as shipped with aws-sigv4): the request, then the
/// canonical request, string to sign and `Authorization` header AWS publishes for it.
struct Vector {
    name: &'static str,
    method: Method,
    uri: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
    canonical_request: &'static str,
    string_to_sign: &'static str,
    authorization: &'static str,
}

const AUTH_PREFIX: &str =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ";

fn vectors() -> Vec<Vector> {
    vec![
        Vector {
            name: "get-vanilla",
            method: Method::GET,
            uri: "/",
            headers: &[
                ("host", "example.amazonaws.com"),
                ("x-amz-date", "20150830T123600Z"),
            ],
            body: "",
            canonical_request: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            string_to_sign: "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
            authorization: "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        },
        Vector {
            name: "get-vanilla-query-order-key-case",
            method: Method::GET,
            uri: "/?Param2=value2&Param1=value1",
            headers: &[
                ("host", "example.amazonaws.com"),
                ("x-amz-date", "20150830T123600Z"),
            ],
            body: "",
            canonical_request: "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            string_to_sign: "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
            authorization: "SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        },
        Vector {
            name: "get-header-value-trim",
            method: Method::GET,
            uri: "/",
            headers: &[
                ("host", "example.amazonaws.com"),
                ("my-header1", " value1"),
                ("my-header2", " \"a   b   c\""),
                ("x-amz-date", "20150830T123600Z"),
            ],
            body: "",
            canonical_request: "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            string_to_sign: "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\na726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
            authorization: "SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
        },
        Vector {
            name: "get-vanilla-with-session-token",
            method: Method::GET,
            uri: "/",
            headers: &[
                ("host", "example.amazonaws.com"),
                (
                    "x-amz-security-token",
                    "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
                ),
                ("x-amz-date", "20150830T123600Z"),
            ],
            body: "",
            canonical_request: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            string_to_sign: "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b",
            authorization: "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
        },
        Vector {
            name: "post-x-www-form-urlencoded-parameters",
            method: Method::POST,
            uri: "/",
            headers: &[
                (
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
                ("host", "example.amazonaws.com"),
                ("content-length", "13"),
                ("x-amz-date", "20150830T123600Z"),
                (
                    "x-amz-content-sha256",
                    "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
                ),
            ],
            body: "Param1=value1",
            canonical_request: "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\nhost:example.amazonaws.com\nx-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\nx-amz-date:20150830T123600Z\n\ncontent-length;content-type;host;x-amz-content-sha256;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
            string_to_sign: "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\na89f1a5b53e37702ee6363ce1da3ce8f54386f3c8f352ae652153c2982a0bc4d",
            authorization: "SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422",
        },
    ]
}

fn header_map(headers: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

#[test]
fn sigv4_matches_the_aws_test_suite() {
    for vector in vectors() {
        let name = vector.name;
        let authorization = format!("{AUTH_PREFIX}{}", vector.authorization);
        let signed = SigV4::parse(&authorization).expect(name);
        assert_eq!(
            (signed.access_key_id, signed.region, signed.service),
            ("AKIDEXAMPLE", "us-east-1", "service"),
            "{name}"
        );
        let uri: Uri = vector.uri.parse().unwrap();
        let canonical = canonical_request(
            &vector.method,
            &uri,
            &header_map(vector.headers),
            signed.signed_headers,
            vector.body.as_bytes(),
        );
        assert_eq!(canonical, vector.canonical_request, "{name}");
        let to_sign = string_to_sign("20150830T123600Z", &signed.scope(), &canonical);
        assert_eq!(to_sign, vector.string_to_sign, "{name}");
        assert_eq!(sign(EXAMPLE_SECRET, &signed, &to_sign), signed.signature);
        assert!(
            signature_matches(EXAMPLE_SECRET, &signed, &to_sign),
            "{name}"
        );
        assert!(!signature_matches("wrong", &signed, &to_sign), "{name}");
        let tampered = to_sign.replace("20150830T123600Z", "20150830T123601Z");
        assert!(!signature_matches(EXAMPLE_SECRET, &signed, &tampered));
    }
}

#[test]
fn authorization_headers_that_do_not_parse() {
    for header in [
        "",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA1 Credential=AKID/20150830/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request, SignedHeaders=host",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request/x, SignedHeaders=host, Signature=00",
    ] {
        assert_eq!(SigV4::parse(header), None, "{header:?}");
    }
}

#[test]
fn amz_dates() {
    assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
    assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
    assert_eq!(format_amz_date(1_440_938_160), "20150830T123600Z");
    assert_eq!(format_amz_date(951_782_400), "20000229T000000Z");
    for bad in [
        "2015-08-30T12:36:00Z",
        "20150830T123600",
        "20151330T123600Z",
        "+0150830T123600Z",
    ] {
        assert_eq!(parse_amz_date(bad), None, "{bad}");
    }
    let now = epoch_secs(SystemTime::now());
    assert_eq!(parse_amz_date(&format_amz_date(now)), Some(now));
}

/// A request signed the way botocore signs `aws sts get-caller-identity`.
struct Request {
    method: Method,
    target: String,
    body: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    amz_date: String,
}

impl Request {
    fn post(credentials: &IssuedRoleCredentials) -> Request {
        Request {
            method: Method::POST,
            target: "/".to_owned(),
            body: "Action=GetCallerIdentity&Version=2011-06-15".to_owned(),
            access_key_id: credentials.access_key_id.clone(),
            secret_access_key: credentials.secret_access_key.clone(),
            session_token: Some(credentials.session_token.clone()),
            amz_date: format_amz_date(epoch_secs(SystemTime::now())),
        }
    }

    /// Signs and sends it; returns the status and the body.
    fn send(&self, emulator: &Emulator) -> (u16, String) {
        let host = emulator.addr().to_string();
        let mut headers = vec![("host", host), ("x-amz-date", self.amz_date.clone())];
        if self.method == Method::POST {
            headers.push((
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
            ));
        }
        if let Some(token) = &self.session_token {
            headers.push(("x-amz-security-token", token.clone()));
        }
        let mut names: Vec<&str> = headers.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        let signed_headers = names.join(";");
        let date = &self.amz_date[..8];
        let mut signed = SigV4 {
            access_key_id: &self.access_key_id,
            date,
            region: "us-east-1",
            service: "sts",
            signed_headers: &signed_headers,
            signature: "",
        };
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        let uri: Uri = self.target.parse().unwrap();
        let canonical = canonical_request(
            &self.method,
            &uri,
            &header_map(&pairs),
            &signed_headers,
            self.body.as_bytes(),
        );
        let to_sign = string_to_sign(&self.amz_date, &signed.scope(), &canonical);
        let signature = sign(&self.secret_access_key, &signed, &to_sign);
        signed.signature = &signature;
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}",
            signed.access_key_id,
            signed.scope(),
            signed.signed_headers,
            signed.signature
        );
        let mut request = format!("{} {} HTTP/1.1\r\n", self.method, self.target);
        for (name, value) in &headers {
            let _ = write!(request, "{name}: {value}\r\n");
        }
        let _ = write!(
            request,
            "authorization: {authorization}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
            self.body.len(),
            self.body
        );
        raw(emulator, &request)
    }
}

fn raw(emulator: &Emulator, request: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(emulator.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    if status != 404 {
        assert!(
            head.to_lowercase().contains("content-type: text/"),
            "{head}"
        );
    }
    (status, body.to_owned())
}

fn error_code(body: &str) -> &str {
    let start = body.find("<Code>").expect(body) + "<Code>".len();
    &body[start..start + body[start..].find("</Code>").unwrap()]
}

fn issue(emulator: &Emulator, account: &str, role: &str) -> IssuedRoleCredentials {
    let mut state = emulator.state();
    let key = state.mint.access_key_id();
    let secret = state.secret(crate::minting::Mint::secret_access_key);
    let token = state.secret(crate::minting::Mint::session_token);
    let expiration =
        u64::try_from(crate::clock::epoch(SystemTime::now() + Duration::from_hours(1)).as_millis())
            .unwrap();
    let issued = IssuedRoleCredentials {
        account_id: account.to_owned(),
        role_name: role.to_owned(),
        access_key_id: key,
        secret_access_key: secret,
        session_token: token,
        expiration,
    };
    state.role_credentials.push(issued.clone());
    issued
}

#[test]
fn get_caller_identity_verifies_the_signature() {
    let emulator = Emulator::start(Config::default());
    let admin = issue(&emulator, "100000000002", "AdministratorAccess");
    let reader = issue(&emulator, "100000000003", "ReadOnlyAccess");

    let (status, body) = Request::post(&admin).send(&emulator);
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    ));
    assert!(
        body.contains(
            "<Arn>arn:aws:sts::100000000002:assumed-role/AdministratorAccess/ssokey</Arn>"
        )
    );
    assert!(body.contains("<Account>100000000002</Account>"));
    let user_id = &body[body.find("<UserId>").unwrap() + 8..body.find("</UserId>").unwrap()];
    assert!(
        user_id.starts_with("AROA") && user_id.ends_with(":ssokey"),
        "{user_id}"
    );
    assert_eq!(user_id.len(), "AROA".len() + 17 + ":ssokey".len());
    assert!(body.contains("<RequestId>"));
    assert_eq!(
        emulator.last_caller(),
        Some(("100000000002".to_owned(), "AdministratorAccess".to_owned()))
    );

    let get = Request {
        method: Method::GET,
        target: "/?Action=GetCallerIdentity&Version=2011-06-15".to_owned(),
        body: String::new(),
        ..Request::post(&reader)
    };
    let (status, body) = get.send(&emulator);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        emulator.last_caller(),
        Some(("100000000003".to_owned(), "ReadOnlyAccess".to_owned()))
    );

    let failures = [
        (
            Request {
                secret_access_key: reader.secret_access_key.clone(),
                ..Request::post(&admin)
            },
            "SignatureDoesNotMatch",
        ),
        (
            Request {
                access_key_id: "ASIAUNKNOWNUNKNOWN00".to_owned(),
                ..Request::post(&admin)
            },
            "InvalidClientTokenId",
        ),
        (
            Request {
                session_token: Some(reader.session_token.clone()),
                ..Request::post(&admin)
            },
            "InvalidClientTokenId",
        ),
        (
            Request {
                session_token: None,
                ..Request::post(&admin)
            },
            "InvalidClientTokenId",
        ),
        (
            Request {
                amz_date: "20150830T123600Z".to_owned(),
                ..Request::post(&admin)
            },
            "SignatureDoesNotMatch",
        ),
    ];
    for (request, code) in &failures {
        let (status, body) = request.send(&emulator);
        assert_eq!((status, error_code(&body)), (403, *code), "{body}");
        assert!(body.contains("<Type>Sender</Type>"), "{body}");
    }
    assert_eq!(
        emulator
            .last_caller()
            .map(|(account, _)| account)
            .as_deref(),
        Some("100000000003"),
        "failures leave the last caller alone"
    );

    emulator.fail_next(Op::GetCallerIdentity, 500, 1);
    let (status, body) = Request::post(&admin).send(&emulator);
    assert_eq!((status, error_code(&body)), (500, "InternalFailure"));
    assert!(body.contains("<Type>Receiver</Type>"), "{body}");

    emulator.expire_role_credentials();
    let (status, body) = Request::post(&admin).send(&emulator);
    assert_eq!((status, error_code(&body)), (403, "ExpiredToken"), "{body}");
    emulator.expect(Op::GetCallerIdentity, 2 + failures.len() + 2);
}

fn unsigned_post(emulator: &Emulator, body: &str) -> (u16, String) {
    raw(
        emulator,
        &format!(
            "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

#[test]
fn other_requests_to_the_root() {
    let emulator = Emulator::start(Config::default());
    let (status, body) = unsigned_post(&emulator, "Action=GetSessionToken&Version=2011-06-15");
    assert_eq!(
        (status, error_code(&body)),
        (400, "InvalidAction"),
        "{body}"
    );
    let (status, body) = unsigned_post(&emulator, "Action=GetCallerIdentity&Version=2011-06-15");
    assert_eq!(
        (status, error_code(&body)),
        (403, "MissingAuthenticationToken"),
        "{body}"
    );
    let (status, body) = raw(
        &emulator,
        "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);
    assert!(body.contains("Identity Center emulator"));
    emulator.expect(Op::GetCallerIdentity, 1);
    assert_eq!(emulator.last_caller(), None);
}

/// A signed `AssumeRole` of `role` by `credentials`, with these extra parameters.
fn assume(
    emulator: &Emulator,
    credentials: &IssuedRoleCredentials,
    role: &str,
    extra: &str,
) -> (u16, String) {
    let body = format!(
        "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName=jane.doe%40example.com{extra}",
        role.replace(':', "%3A").replace('/', "%2F")
    );
    Request {
        body,
        ..Request::post(credentials)
    }
    .send(emulator)
}

fn member<'a>(body: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let start = body.find(&open).expect(body) + open.len();
    &body[start..start + body[start..].find(&format!("</{name}>")).unwrap()]
}

/// The credentials in an `AssumeRole` answer, as the next hop signs with them.
fn credentials_in(body: &str, role: &str) -> IssuedRoleCredentials {
    IssuedRoleCredentials {
        account_id: String::new(),
        role_name: role.to_owned(),
        access_key_id: member(body, "AccessKeyId").to_owned(),
        secret_access_key: member(body, "SecretAccessKey").to_owned(),
        session_token: member(body, "SessionToken").to_owned(),
        expiration: 0,
    }
}

const DEPLOY: &str = "arn:aws:iam::100000000002:role/Deploy";
const AUDIT: &str = "arn:aws:iam::100000000003:role/Audit";
const GLASS: &str = "arn:aws:iam::100000000003:role/BreakGlass";
const MFA: &str = "arn:aws:iam::100000000001:mfa/jane";

/// An emulator where the portal's AdministratorAccess may assume Deploy, and Deploy may assume
/// Audit with an external id; with credentials of AdministratorAccess and ReadOnlyAccess.
fn chain_emulator() -> (Emulator, IssuedRoleCredentials, IssuedRoleCredentials) {
    let emulator = Emulator::start(Config {
        iam_roles: vec![
            IamRole::new(DEPLOY, &[&role_arn("100000000001", "AdministratorAccess")]),
            IamRole::new(AUDIT, &[DEPLOY]).with_external_id("s3cr3t-id"),
            IamRole::new(GLASS, &[&role_arn("100000000001", "AdministratorAccess")]).with_mfa(MFA),
        ],
        ..Config::default()
    });
    let admin = issue(&emulator, "100000000001", "AdministratorAccess");
    let reader = issue(&emulator, "100000000001", "ReadOnlyAccess");
    (emulator, admin, reader)
}

#[test]
fn assume_role_chains_two_hops() {
    let (emulator, admin, _) = chain_emulator();
    let (deploy, audit) = (DEPLOY, AUDIT);
    // One hop, then a second signed with the first hop's credentials.
    let (status, body) = assume(&emulator, &admin, deploy, "");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.starts_with(
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        )
    );
    assert_eq!(
        member(&body, "Arn"),
        "arn:aws:sts::100000000002:assumed-role/Deploy/jane.doe@example.com"
    );
    let expiration = member(&body, "Expiration");
    assert_eq!(
        (expiration.len(), &expiration[10..11]),
        (20, "T"),
        "{expiration}"
    );
    let first = credentials_in(&body, "Deploy");
    let (status, body) = assume(
        &emulator,
        &first,
        audit,
        "&ExternalId=s3cr3t-id&DurationSeconds=900",
    );
    assert_eq!(status, 200, "{body}");
    let second = credentials_in(&body, "Audit");
    let (status, body) = Request::post(&second).send(&emulator);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        member(&body, "Arn"),
        "arn:aws:sts::100000000003:assumed-role/Audit/jane.doe@example.com"
    );
    let assumed = emulator.assumed_roles();
    assert_eq!(assumed.len(), 2);
    assert_eq!(
        (
            assumed[1].source_arn.as_str(),
            assumed[1].external_id.as_deref(),
            assumed[1].duration_seconds
        ),
        (
            "arn:aws:iam::100000000002:role/Deploy",
            Some("s3cr3t-id"),
            Some(900)
        )
    );
    assert_eq!(assumed[1].access_key_id, second.access_key_id);

    emulator.expect(Op::AssumeRole, 2);
}

#[test]
fn assume_role_follows_the_trust_policies() {
    let (emulator, admin, reader) = chain_emulator();
    let (deploy, audit) = (DEPLOY, AUDIT);
    let (_, body) = assume(&emulator, &admin, deploy, "");
    let first = credentials_in(&body, "Deploy");
    let failures = [
        // The trust policy names another role.
        (assume(&emulator, &reader, deploy, ""), 403, "AccessDenied"),
        // Deploy trusts the portal role, not itself.
        (assume(&emulator, &first, deploy, ""), 403, "AccessDenied"),
        // No external id, and the wrong one.
        (assume(&emulator, &first, audit, ""), 403, "AccessDenied"),
        (
            assume(&emulator, &first, audit, "&ExternalId=guess"),
            403,
            "AccessDenied",
        ),
        // No such role.
        (
            assume(&emulator, &admin, "arn:aws:iam::100000000002:role/Nope", ""),
            403,
            "AccessDenied",
        ),
        // Past the one-hour limit of role chaining, and short of STS's minimum.
        (
            assume(&emulator, &admin, deploy, "&DurationSeconds=3601"),
            400,
            "ValidationError",
        ),
        (
            assume(&emulator, &admin, deploy, "&DurationSeconds=899"),
            400,
            "ValidationError",
        ),
        // Signed with a key that it never issued.
        (
            Request {
                body: "Action=AssumeRole&Version=2011-06-15&RoleArn=x&RoleSessionName=ab"
                    .to_owned(),
                secret_access_key: reader.secret_access_key.clone(),
                ..Request::post(&admin)
            }
            .send(&emulator),
            403,
            "SignatureDoesNotMatch",
        ),
    ];
    for ((status, body), want_status, want_code) in &failures {
        assert_eq!(
            (*status, error_code(body)),
            (*want_status, *want_code),
            "{body}"
        );
    }
    let (_, denied) = &failures[0].0;
    assert!(
        denied.contains(
            "User: arn:aws:sts::100000000001:assumed-role/ReadOnlyAccess/ssokey is not authorized \
             to perform: sts:AssumeRole on resource: arn:aws:iam::100000000002:role/Deploy"
        ),
        "{denied}"
    );
    assert!(
        failures[5].0.1.contains("1 hour session limit"),
        "{}",
        failures[5].0.1
    );
    assert_eq!(
        emulator.assumed_roles().len(),
        1,
        "a refused call issues nothing"
    );
    emulator.expect(Op::AssumeRole, 1 + failures.len());
}

/// `getSigninToken` for `credentials`, with `extra` query parameters; the status.
fn signin_token(emulator: &Emulator, credentials: &IssuedRoleCredentials, extra: &str) -> u16 {
    let session = format!(
        "{{\"sessionId\":\"{}\",\"sessionKey\":\"{}\",\"sessionToken\":\"{}\"}}",
        credentials.access_key_id, credentials.secret_access_key, credentials.session_token
    );
    let encoded: String = form_urlencoded::byte_serialize(session.as_bytes()).collect();
    let mut stream = std::net::TcpStream::connect(emulator.addr()).unwrap();
    write!(
        stream,
        "GET /federation?Action=getSigninToken&Session={encoded}{extra} HTTP/1.1\r\nhost: x\r\n\
         connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response[9..12].parse().unwrap()
}

#[test]
fn the_federation_endpoint_takes_chained_credentials_without_a_session_duration() {
    let (emulator, admin, _) = chain_emulator();
    let (_, body) = assume(&emulator, &admin, DEPLOY, "");
    let chained = credentials_in(&body, "Deploy");
    assert_eq!(
        signin_token(&emulator, &admin, "&SessionDuration=3600"),
        200
    );
    assert_eq!(
        signin_token(&emulator, &chained, "&SessionDuration=3600"),
        400
    );
    assert_eq!(signin_token(&emulator, &chained, ""), 200);
    let tokens = emulator.signin_tokens();
    assert_eq!(
        (tokens[1].account_id.as_str(), tokens[1].role_name.as_str()),
        ("100000000002", "Deploy")
    );
}

#[test]
fn assume_role_asks_for_the_mfa_code_the_trust_policy_requires() {
    let (emulator, admin, _) = chain_emulator();
    let serial = "&SerialNumber=arn%3Aaws%3Aiam%3A%3A100000000001%3Amfa%2Fjane";
    for (extra, status) in [
        ("", 403),
        (serial, 403),
        (&format!("{serial}&TokenCode=12345")[..], 403),
        ("&SerialNumber=other&TokenCode=123456", 403),
        (&format!("{serial}&TokenCode=123456")[..], 200),
    ] {
        let (got, body) = assume(&emulator, &admin, GLASS, extra);
        assert_eq!(got, status, "{extra}: {body}");
    }
    assert_eq!(
        emulator.assumed_roles()[0].token_code.as_deref(),
        Some("123456")
    );
}
