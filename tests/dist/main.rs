//! The downloadable archives that `.ci/dist` builds into `target/dist/`:
//! what each holds, that `SHA256SUMS` checks them, and that the static Linux
//! binary does the daily flow in an empty root (nothing but the binary and a
//! CA file), against the emulator, with the kernel keyring as its keychain.
//!
//! `.ci/run` runs `.ci/dist`, then this test with `SSOKEY_DIST_DIR` set and
//! `SSOKEY_DIST_REQUIRED=1`, so that in CI missing archives fail the test.
//! Anywhere else, without `SSOKEY_DIST_DIR`, the tests say why they are
//! skipped and pass:
//!
//! ```text
//! .ci/dist && SSOKEY_DIST_DIR=target/dist cargo test --test dist -- --nocapture
//! ```
//!
//! The empty root needs root (`unshare --mount` and `chroot`); ssokey runs
//! there as a throwaway user, whose kernel keyrings are its own.
#![cfg(target_os = "linux")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;
use sso_emulator::{Config, Emulator};

const START_URL: &str = "https://ssokey-test.awsapps.com/start";
const REGION: &str = "us-east-1";
const SESSION: &str = "ssokey-test";
const ACCOUNT: &str = "100000000001";
const ROLE: &str = "Admin";
const VERSION: &str = env!("CARGO_PKG_VERSION");
const STATIC_TARGET: &str = "x86_64-unknown-linux-musl";
/// A run of ssokey that takes longer fails the test.
const LIMIT: Duration = Duration::from_mins(1);

fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "dist: {text}");
}

/// `target/dist/`, from `SSOKEY_DIST_DIR`; `None` (after saying why) when it
/// is not set, unless `SSOKEY_DIST_REQUIRED=1`: then that fails.
fn dist_dir() -> Option<PathBuf> {
    let required = std::env::var("SSOKEY_DIST_REQUIRED").is_ok_and(|v| v == "1");
    let Some(dir) = std::env::var_os("SSOKEY_DIST_DIR").filter(|v| !v.is_empty()) else {
        assert!(
            !required,
            "SSOKEY_DIST_REQUIRED=1, but SSOKEY_DIST_DIR is not set; run .ci/dist and set it (.ci/run does)"
        );
        say(
            "SKIPPED: SSOKEY_DIST_DIR is not set; to run this test: .ci/dist, then SSOKEY_DIST_DIR=target/dist",
        );
        return None;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    assert!(
        dir.join("SHA256SUMS").is_file(),
        "no SHA256SUMS in {}",
        dir.display()
    );
    Some(dir)
}

/// The archive names that `.ci/dist --list` says it makes.
fn archive_names() -> Vec<String> {
    let out =
        run_ok(Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/dist")).arg("--list"));
    out.lines().map(str::to_owned).collect()
}

fn run_ok(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("{command:?}: {err}"));
    assert!(
        output.status.success(),
        "{command:?}: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The files every archive holds, under its one folder.
fn expected_entries(target: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let binary = if target.contains("windows") {
        "ssokey.exe"
    } else {
        "ssokey"
    };
    let mut entries = vec![
        binary.to_owned(),
        "README.md".to_owned(),
        "LICENSE-MIT".to_owned(),
        "LICENSE-APACHE".to_owned(),
    ];
    for dir in ["man", "completions"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            entries.push(format!("{dir}/{name}"));
        }
    }
    let mut entries: Vec<String> = entries
        .into_iter()
        .map(|e| format!("ssokey-{VERSION}-{target}/{e}"))
        .collect();
    entries.sort();
    entries
}

#[test]
fn each_archive_holds_the_binary_its_documents_and_a_checksum() {
    let Some(dir) = dist_dir() else {
        return;
    };
    let names = archive_names();
    assert_eq!(names.len(), 3, "{names:?}");
    // SHA256SUMS names exactly the archives, and checks them.
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    let mut listed: Vec<&str> = sums
        .lines()
        .map(|line| line.split_once("  ").expect("sha256sum's two spaces").1)
        .collect();
    listed.sort_unstable();
    let mut sorted: Vec<&str> = names.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    assert_eq!(listed, sorted);
    run_ok(
        Command::new("sha256sum")
            .args(["-c", "--strict", "SHA256SUMS"])
            .current_dir(&dir),
    );

    for name in &names {
        let path = dir.join(name);
        let (target, listing) = if let Some(stem) = name.strip_suffix(".tar.gz") {
            let listing = run_ok(Command::new("tar").arg("-tzf").arg(&path));
            (stem, listing)
        } else {
            let stem = name.strip_suffix(".zip").expect("a .tar.gz or a .zip");
            let script =
                "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))";
            let listing = run_ok(Command::new("python3").args(["-c", script]).arg(&path));
            (stem, listing)
        };
        let target = target
            .strip_prefix(&format!("ssokey-{VERSION}-"))
            .expect("ssokey-VERSION-TARGET");
        let mut files: Vec<String> = listing
            .lines()
            .filter(|line| !line.ends_with('/'))
            .map(str::to_owned)
            .collect();
        files.sort();
        assert_eq!(files, expected_entries(target), "{name}");
        say(&format!(
            "{name}: {} bytes",
            std::fs::metadata(&path).unwrap().len()
        ));
    }
}

/// An empty root: the static binary, unpacked from its archive, a CA file, and
/// the throwaway user's HOME (empty).
struct EmptyRoot {
    dir: tempfile::TempDir,
    uid: u32,
}

impl EmptyRoot {
    fn unpack(archive: &Path) -> EmptyRoot {
        let dir = tempfile::Builder::new()
            .prefix("ssokey-empty-root-")
            .tempdir()
            .unwrap();
        let unpacked = dir.path().join("unpacked");
        std::fs::create_dir(&unpacked).unwrap();
        run_ok(
            Command::new("tar")
                .arg("-xzf")
                .arg(archive)
                .arg("-C")
                .arg(&unpacked),
        );
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("etc/ssl/certs")).unwrap();
        std::fs::create_dir(root.join("home")).unwrap();
        std::fs::rename(
            unpacked.join(format!("ssokey-{VERSION}-{STATIC_TARGET}/ssokey")),
            root.join("ssokey"),
        )
        .unwrap();
        std::fs::copy(
            "/etc/ssl/certs/ca-certificates.crt",
            root.join("etc/ssl/certs/ca-certificates.crt"),
        )
        .expect("a CA file (apt-get install ca-certificates)");
        std::fs::remove_dir_all(&unpacked).unwrap();
        // A user id that nothing else on the machine uses: its kernel
        // keyrings are its own.
        let uid = 0x3b00_0000 + (std::process::id() & 0xffff);
        run_ok(
            Command::new("chown")
                .arg("-R")
                .arg(format!("{uid}:{uid}"))
                .arg(root.join("home")),
        );
        EmptyRoot { dir, uid }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn binary(&self) -> PathBuf {
        self.root().join("ssokey")
    }

    /// `/ssokey ARGS` in the root, in a mount namespace of its own (with
    /// nothing mounted: no /proc, no /dev), as the throwaway user, with the
    /// emulator's endpoints and nothing of the test's environment.
    fn ssokey(&self, emulator: &Emulator, args: &[&str]) -> Run {
        // By absolute path: the PATH given is the root's.
        let mut command = Command::new("/usr/bin/unshare");
        command
            .args(["--mount", "--propagation", "private", "/usr/sbin/chroot"])
            .arg(format!("--userspec={0}:{0}", self.uid))
            .arg(self.root())
            .arg("/ssokey")
            .args(args)
            .env_clear()
            .env("PATH", "/")
            .env("HOME", "/home")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("SSOKEY_AUTO_LOGIN", "0")
            .envs(emulator.env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = command
            .spawn()
            .expect("unshare and chroot (util-linux, coreutils)");
        Run::from(&wait_within(child, args), args)
    }

    /// ssokey's entries in the throwaway user's persistent kernel keyring.
    fn kernel_keys(&self) -> Vec<String> {
        let prefix = format!(
            "ssokey-store:{}:",
            ssokey::store::fast_tier::namespace(Path::new("/home/.config/ssokey"))
        );
        let script = "keyctl session - sh -c 'p=$(keyctl get_persistent @s) && for k in $(keyctl rlist $p); do keyctl rdescribe $k; echo; done'";
        let listing = run_ok(
            Command::new("setpriv")
                .arg(format!("--reuid={}", self.uid))
                .arg(format!("--regid={}", self.uid))
                .args(["--clear-groups", "--", "sh", "-c", script])
                .env_clear()
                .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin"),
        );
        let mut keys: Vec<String> = listing
            .lines()
            .filter_map(|line| line.splitn(5, ';').nth(4))
            .filter_map(|description| description.strip_prefix(&prefix))
            .map(str::to_owned)
            .collect();
        keys.sort();
        keys
    }
}

impl Drop for EmptyRoot {
    /// The throwaway user's persistent keyring goes with the test, passing or
    /// not (a failed logout would leave keys there).
    fn drop(&mut self) {
        let _ = Command::new("setpriv")
            .arg(format!("--reuid={}", self.uid))
            .arg(format!("--regid={}", self.uid))
            .args(["--clear-groups", "--", "sh", "-c"])
            .arg("keyctl session - sh -c 'keyctl clear $(keyctl get_persistent @s)'")
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Waits for `child`; kills it past [`LIMIT`].
fn wait_within(mut child: std::process::Child, args: &[&str]) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "ssokey {args:?} took longer than {LIMIT:?}\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

struct Run {
    args: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from(output: &Output, args: &[&str]) -> Run {
        Run {
            args: args.join(" "),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    #[track_caller]
    fn code(&self, code: i32) -> &Run {
        assert_eq!(self.code, Some(code), "{self}");
        self
    }

    #[track_caller]
    fn success(&self) -> &Run {
        self.code(0)
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ssokey {}: exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.args, self.code, self.stdout, self.stderr
        )
    }
}

#[test]
fn the_static_binary_signs_in_and_hands_out_credentials_in_an_empty_root() {
    let Some(dir) = dist_dir() else {
        return;
    };
    let archive = dir.join(format!("ssokey-{VERSION}-{STATIC_TARGET}.tar.gz"));
    let root = EmptyRoot::unpack(&archive);

    // Not dynamic: no program interpreter, no shared library.
    let ldd = Command::new("ldd").arg(root.binary()).output().unwrap();
    let ldd_says = String::from_utf8_lossy(&ldd.stdout) + String::from_utf8_lossy(&ldd.stderr);
    assert!(
        ldd_says.contains("not a dynamic executable") || ldd_says.contains("statically linked"),
        "ldd: {ldd_says}"
    );
    static_pie(&root.binary());
    say(&format!("ldd: {}", ldd_says.trim()));

    let emulator = Emulator::start(Config {
        accounts: sso_emulator::accounts(2, &["Admin", "ReadOnly"]),
        interval: 1,
        auto_approve: true,
        ..Config::default()
    });
    let started = Instant::now();

    let version = root.ssokey(&emulator, &["--version"]);
    let lines: Vec<&str> = version.success().stdout.lines().collect();
    assert_eq!(lines[0], format!("ssokey {VERSION}"), "{version}");
    assert!(
        lines.contains(&format!("target: {STATIC_TARGET}").as_str()),
        "{version}"
    );

    // 1. login: a device code that the emulator approves by itself.
    assert_eq!(root.kernel_keys(), Vec::<String>::new());
    let login = root.ssokey(
        &emulator,
        &[
            "login",
            "--start-url",
            START_URL,
            "--region",
            REGION,
            "--no-browser",
        ],
    );
    login.success();
    assert!(
        login.stderr.contains(&format!("Signed in to '{SESSION}'")),
        "{login}"
    );
    let keys = root.kernel_keys();
    assert!(
        keys.contains(&format!("session/{SESSION}/token")),
        "the token is in the kernel keyring: {keys:?}\n{login}"
    );

    // 2. list
    let list = root.ssokey(&emulator, &["list"]);
    assert_eq!(
        list.success().stdout.lines().collect::<Vec<_>>(),
        [
            "ACCOUNT ID    ACCOUNT NAME  ROLE",
            "100000000001  account-001   Admin",
            "100000000001  account-001   ReadOnly",
            "100000000002  account-002   Admin",
            "100000000002  account-002   ReadOnly",
        ],
        "{list}"
    );

    // 3. credential-process: what the portal issued.
    let target = ["--account", ACCOUNT, "--role", ROLE];
    let process = root.ssokey(&emulator, &[&["credential-process"][..], &target].concat());
    process.success();
    let issued = emulator.last_role_credentials().expect("role credentials");
    let json: serde_json::Value = serde_json::from_str(&process.stdout)
        .unwrap_or_else(|err| panic!("not JSON ({err})\n{process}"));
    assert_eq!(
        json["AccessKeyId"],
        issued.access_key_id.as_str(),
        "{process}"
    );
    assert_eq!(
        json["SessionToken"],
        issued.session_token.as_str(),
        "{process}"
    );

    // 4. exec: the only program in the root is ssokey itself; its exit
    // status comes back through exec.
    let exec = |command: &[&str]| {
        let args = [&["exec"][..], &target, &["--"], command].concat();
        root.ssokey(&emulator, &args)
    };
    let child = exec(&["/ssokey", "--version"]);
    assert!(
        child
            .success()
            .stdout
            .starts_with(&format!("ssokey {VERSION}\n")),
        "{child}"
    );
    exec(&["/ssokey", "no-such-command"]).code(2);

    // 5. logout: nothing left in the keyring, and no more credentials.
    root.ssokey(&emulator, &["logout"]).success();
    assert_eq!(root.kernel_keys(), Vec::<String>::new());
    root.ssokey(&emulator, &[&["credential-process"][..], &target].concat())
        .code(3);
    say(&format!(
        "the flow in the empty root: {:.1} s",
        started.elapsed().as_secs_f64()
    ));
}

/// The arm64 build cannot run here; its headers say what it is: a static
/// PIE for AArch64, with no program interpreter and no shared library.
#[test]
fn the_arm64_binary_is_static_too() {
    let Some(dir) = dist_dir() else {
        return;
    };
    let target = "aarch64-unknown-linux-musl";
    let unpacked = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("tar")
            .arg("-xzf")
            .arg(dir.join(format!("ssokey-{VERSION}-{target}.tar.gz")))
            .arg("-C")
            .arg(unpacked.path()),
    );
    let binary = unpacked
        .path()
        .join(format!("ssokey-{VERSION}-{target}/ssokey"));
    let headers = static_pie(&binary);
    assert!(headers.contains("AArch64"), "{headers}");
}

/// The ELF headers of `binary`, which must be a static PIE: no program
/// interpreter, no shared library, and loaded at a random address (ASLR),
/// as the glibc build is.
fn static_pie(binary: &Path) -> String {
    let headers = run_ok(Command::new("readelf").args(["-hldW"]).arg(binary));
    assert!(!headers.contains("INTERP"), "{headers}");
    assert!(!headers.contains("(NEEDED)"), "{headers}");
    assert!(
        headers.contains("DYN (Position-Independent Executable file)"),
        "{headers}"
    );
    headers
}
