//! The AWS CLI (PyPI's awscli, with the botocore it bundles) in the .venv
//! that tests/setup-awscli creates, for the tests that run it or its Python.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The `aws` executable, installed once per test run if it is not there yet.
pub fn aws() -> &'static PathBuf {
    static AWS: OnceLock<PathBuf> = OnceLock::new();
    AWS.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let out = Command::new(root.join("tests/setup-awscli"))
            .output()
            .expect("tests/setup-awscli runs");
        assert!(
            out.status.success(),
            "tests/setup-awscli could not install the AWS CLI:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}
