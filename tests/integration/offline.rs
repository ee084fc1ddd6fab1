//! The offline trial of the guide (docs/offline.md) runs as written: the emulator started with
//! the guide's flags, the one line it prints, and the guide's commands in
//! bash, ending with the real AWS CLI's `sts get-caller-identity`, signed with
//! the credentials ssokey handed out and verified by the emulator.

use sso_emulator::Emulator;
use sso_emulator::args::{self, Args};

use crate::harness::TestEnv;

/// Where the guide is, and its heading.
const GUIDE: (&str, &str) = ("docs/offline.md", "# Try it offline, against the emulator");

/// The `sh` code blocks of the guide's section, in order.
fn blocks() -> Vec<String> {
    let (file, heading) = GUIDE;
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
        .unwrap();
    let section = &text[text.find(heading).expect("the guide's heading")..];
    let section = &section[heading.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    section
        .split("```sh\n")
        .skip(1)
        .map(|block| block[..block.find("```").unwrap()].to_owned())
        .collect()
}

#[test]
fn the_offline_guide_runs_as_written() {
    let blocks = blocks();
    assert_eq!(blocks.len(), 2, "{blocks:?}");
    // The emulator, with the guide's flags (on a free port, not the guide's).
    let (command, flags) = blocks[0].trim().split_once(" -- ").unwrap();
    assert_eq!(command, "cargo run -p sso-emulator");
    let flags: Vec<String> = flags.split_whitespace().map(str::to_owned).collect();
    let parsed = args::parse(flags.into_iter()).unwrap();
    let guide_url = format!("http://127.0.0.1:{}", parsed.port);
    let emulator = Emulator::start_on(parsed.config(), 0).unwrap();
    // What it prints is the guide's first line.
    let exports = Args::exports(&guide_url);
    assert!(blocks[1].starts_with(&exports), "{exports} / {}", blocks[1]);

    let env = TestEnv::new();
    let ssokey = std::path::Path::new(env!("CARGO_BIN_EXE_ssokey"));
    let aws = crate::awscli::aws();
    let script = format!(
        "set -e\n\
         # A user's shell: no endpoint but the guide's, ssokey and aws on PATH.\n\
         unset AWS_ENDPOINT_URL_SSO AWS_ENDPOINT_URL_SSO_OIDC AWS_ENDPOINT_URL_STS AWS_REGION AWS_DEFAULT_REGION\n\
         export PATH='{}':'{}':\"$PATH\"\n{}",
        ssokey.parent().unwrap().display(),
        aws.parent().unwrap().display(),
        blocks[1].replace(&guide_url, &emulator.url())
    );
    let run = env.shell("bash", &script);
    run.success();
    let identity: serde_json::Value =
        serde_json::from_str(&run.stdout[run.stdout.find('{').expect("the identity's JSON")..])
            .unwrap();
    assert_eq!(identity["Account"], "100000000001", "{run}");
    assert_eq!(
        emulator.last_caller(),
        Some(("100000000001".to_owned(), "AdministratorAccess".to_owned()))
    );
}
