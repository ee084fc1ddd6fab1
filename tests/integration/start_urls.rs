//! Every start URL form AWS hands out, signed in to with the real binary
//! (the emulator stands in for every host through AWS_ENDPOINT_URL_SSO*),
//! and the typos of AWS's domains and regions that are refused before any
//! call.

use sso_emulator::Op;

use crate::harness::{Run, TestEnv};

/// The session `name` as `ssokey status --output json` lists it.
fn listed(env: &TestEnv, name: &str) -> serde_json::Value {
    let status = env.run(&["status", "--output", "json"]).success().json();
    status
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["session"] == name)
        .unwrap_or_else(|| panic!("no session {name} in {status}"))
        .clone()
}

#[test]
fn a_host_that_names_its_region_signs_in_with_no_region() {
    let env = TestEnv::new();
    for (typed, normal, session, region) in [
        (
            "https://ssoins-11aa.us-west-2.portal.amazonaws.com/#/",
            "https://ssoins-11aa.us-west-2.portal.amazonaws.com",
            "ssoins-11aa",
            "us-west-2",
        ),
        (
            "https://ssoins-22bb.cn-northwest-1.portal.amazonaws.com.cn/",
            "https://ssoins-22bb.cn-northwest-1.portal.amazonaws.com.cn",
            "ssoins-22bb",
            "cn-northwest-1",
        ),
        (
            "https://ssoins-33cc.portal.cn-north-1.app.amazonwebservices.com.cn",
            "https://ssoins-33cc.portal.cn-north-1.app.amazonwebservices.com.cn",
            "ssoins-33cc",
            "cn-north-1",
        ),
        (
            "https://ssoins-44dd.eusc-de-east-1.portal.amazonaws.eu",
            "https://ssoins-44dd.eusc-de-east-1.portal.amazonaws.eu",
            "ssoins-44dd",
            "eusc-de-east-1",
        ),
        (
            "https://SSOINS-55EE.portal.eusc-de-east-1.api.amazonwebservices.eu:443/",
            "https://ssoins-55ee.portal.eusc-de-east-1.api.amazonwebservices.eu",
            "ssoins-55ee",
            "eusc-de-east-1",
        ),
        (
            "https://ssoins-66ff.us-gov-west-1.portal.amazonaws.com",
            "https://ssoins-66ff.us-gov-west-1.portal.amazonaws.com",
            "ssoins-66ff",
            "us-gov-west-1",
        ),
    ] {
        env.run(&["login", "--start-url", typed])
            .success()
            .stderr_has(&format!(
                "Signing in to '{session}' ({normal}, {region}) in the browser."
            ));
        assert_eq!(env.emulator.last_start_url().as_deref(), Some(normal));
        let row = listed(&env, session);
        assert_eq!(row["startUrl"], normal, "{row}");
        assert_eq!(row["region"], region, "{row}");
        assert_eq!(row["signedIn"], true, "{row}");
    }
}

#[test]
fn the_china_awsapps_and_issuer_forms_name_no_region_as_in_the_aws_cli() {
    let env = TestEnv::new();
    for (typed, normal, session, region) in [
        (
            "https://acme.awsapps.cn/start/#/",
            "https://acme.awsapps.cn/start",
            "acme",
            "cn-north-1",
        ),
        (
            "https://identitycenter.amazonaws.com/ssoins-77aa/",
            "https://identitycenter.amazonaws.com/ssoins-77aa",
            "ssoins-77aa",
            "us-east-2",
        ),
        (
            "https://identitycenter.amazonaws.com.cn/ssoins-88bb",
            "https://identitycenter.amazonaws.com.cn/ssoins-88bb",
            "ssoins-88bb",
            "cn-northwest-1",
        ),
        (
            "https://identitycenter.amazonaws.eu/ssoins-99cc#/",
            "https://identitycenter.amazonaws.eu/ssoins-99cc",
            "ssoins-99cc",
            "eusc-de-east-1",
        ),
    ] {
        env.run(&["login", "--start-url", typed])
            .failure(2)
            .stderr_has("--start-url needs --region")
            .stderr_has("hint: add --region");
        env.run(&["login", "--start-url", typed, "--region", region])
            .success()
            .stderr_has(&format!(
                "Signing in to '{session}' ({normal}, {region}) in the browser."
            ));
        assert_eq!(env.emulator.last_start_url().as_deref(), Some(normal));
        let row = listed(&env, session);
        assert_eq!(row["startUrl"], normal, "{row}");
        assert_eq!(row["region"], region, "{row}");
    }
    // A China or sovereign portal is in no other partition's region.
    env.run(&[
        "login",
        "--start-url",
        "https://other.awsapps.cn/start",
        "--region",
        "us-east-1",
    ])
    .failure(2)
    .stderr_has("is a portal in AWS China, which has no region us-east-1")
    .stderr_has("hint: set --region (or sso_region) to the portal's region, one of cn-*");
}

/// A typo's refusal: a usage error, before any call, naming the URL meant.
#[track_caller]
fn refused(run: &Run, suggestion: &str) {
    run.failure(2)
        .stderr_has("is not an AWS access portal: its host is a close miss of AWS's own")
        .stderr_has(&format!("hint: for AWS's own portal, use {suggestion}\n"));
}

#[test]
fn a_typo_of_an_aws_domain_is_refused_with_the_url_meant() {
    let mut env = TestEnv::new();
    for (typed, suggestion) in [
        (
            "https://acme.awsapp.com/start",
            "https://acme.awsapps.com/start",
        ),
        (
            "https://acme.awsaps.com/start/#/",
            "https://acme.awsapps.com/start",
        ),
        ("https://acme.awsapps.co", "https://acme.awsapps.com/start"),
        (
            "https://ssoins-1234.portal.eu-west-1.app.aw",
            "https://ssoins-1234.portal.eu-west-1.app.aws",
        ),
        (
            "https://ssoins-1234.us-west-2.portal.amazonaws.co",
            "https://ssoins-1234.us-west-2.portal.amazonaws.com",
        ),
        (
            "https://identitycenter.amazonaws.co/ssoins-1234",
            "https://identitycenter.amazonaws.com/ssoins-1234",
        ),
    ] {
        refused(
            &env.run(&["login", "--start-url", typed, "--region", "us-east-1"]),
            suggestion,
        );
    }
    // In the config file, too.
    env.write_config("[sso-session work]\nsso_start_url = https://work.awsapp.com/start\nsso_region = us-east-1\n");
    refused(
        &env.run(&["login", "--session", "work"]),
        "https://work.awsapps.com/start",
    );
    assert_eq!(env.emulator.count(Op::RegisterClient), 0);
    // A custom domain is still one: not refused as a typo, but looked up
    // (tests/integration/proxy.rs follows such lookups). Here the lookup
    // goes to a proxy that is not there, so that nothing leaves the machine.
    env.write_config("");
    env.set_env("HTTPS_PROXY", "http://127.0.0.1:9");
    let run = env.run(&[
        "login",
        "--start-url",
        "https://sso.example.com/start/",
        "--region",
        "eu-west-1",
    ]);
    run.failure(1).stderr_has("https://sso.example.com/start");
    assert!(!run.stderr.contains("did you mean"), "{run}");
    assert!(run.stdout.is_empty(), "{run}");
    assert_eq!(env.emulator.count(Op::RegisterClient), 0);
}

#[test]
fn a_region_aws_does_not_have_is_refused_with_the_closest() {
    let env = TestEnv::new();
    let start_url = "https://acme.awsapps.com/start";
    env.run(&["login", "--start-url", start_url, "--region", "us-east-11"])
        .failure(2)
        .stderr_has("'us-east-11' is not an AWS region name")
        .stderr_has("hint: did you mean us-east-1?");
    env.run(&[
        "login",
        "--start-url",
        "https://ssoins-1234.portal.eu-wset-1.app.aws",
    ])
    .failure(2)
    .stderr_has("'eu-wset-1' is not an AWS region name")
    .stderr_has("hint: did you mean eu-west-1?");
    env.run(&["profiles", "--region", "us-east-11"])
        .failure(2)
        .stderr_has("did you mean us-east-1?");
    assert_eq!(env.emulator.count(Op::RegisterClient), 0);
    // A region AWS may have opened since: taken.
    env.run(&[
        "login",
        "--start-url",
        "https://ssoins-1234.portal.ap-southeast-9.app.aws",
    ])
    .success();
    assert_eq!(listed(&env, "ssoins-1234")["region"], "ap-southeast-9");
}

#[test]
fn a_region_that_cannot_be_reached_is_named_by_its_host() {
    let env = TestEnv::new();
    // No endpoint override: the SDK calls the region's own host, through a
    // proxy that is not there, so that nothing leaves this machine.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let args = [
        "login",
        "--start-url",
        "https://ssoins-1234.portal.ap-southeast-9.app.aws",
    ];
    let output = env
        .command(&args)
        .env_remove("AWS_ENDPOINT_URL_SSO_OIDC")
        .env_remove("AWS_ENDPOINT_URL_SSO")
        .env("HTTPS_PROXY", &proxy)
        .env("https_proxy", &proxy)
        .output()
        .unwrap();
    Run::from(&output, &args).failure(1).stderr_has(
        "RegisterClient failed: could not reach the service at oidc.ap-southeast-9.amazonaws.com: ",
    );
    assert_eq!(env.emulator.count(Op::RegisterClient), 0);
}
