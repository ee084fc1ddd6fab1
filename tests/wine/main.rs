//! The Windows build of ssokey, run end to end under Wine (issue #13): the
//! whole daily flow against the local emulator on loopback, with Wine's
//! Credential Manager as the keychain.
//!
//! `tests/wine/build` makes the Windows build (release profile, LTO off), the
//! ProcessPrng DLL beside it, and prints where they are; `.ci/run` runs it and
//! then this test with `SSOKEY_WINE_EXE` (and `SSOKEY_WINE`) set and
//! `SSOKEY_WINE_REQUIRED=1`, so that in CI a missing exe or Wine fails the test.
//! Anywhere else, without `SSOKEY_WINE_EXE`, the test prints why it is skipped
//! and passes:
//!
//! ```text
//! eval "$(tests/wine/build)"
//! SSOKEY_WINE="$WINE" SSOKEY_WINE_EXE="$SSOKEY_EXE" cargo test --test wine -- --nocapture
//! ```
//!
//! Each run makes its own Wine prefix (`wineboot --init`) and HOME in a
//! temporary directory, and stops its `wineserver` when it ends, passing or
//! not.
//!
//! **A release build, not a debug one.** A dev build panics in
//! windows-native-keyring-store's credential enumeration with "misaligned
//! pointer dereference": Wine 8's `CredEnumerateW` packs the `CREDENTIALW`
//! records it returns without 8-byte alignment (its
//! `registry_enumerate_credentials` advances the buffer by each record's length
//! without rounding), and Rust's debug assertions check the alignment of the
//! pointer. That is Wine's bug, so the test runs a build in which that check
//! does not fire: `tests/wine/build`'s default release profile. (A dev build
//! with `CARGO_PROFILE_DEV_DEBUG_ASSERTIONS=false` should do too; not tried.)
//!
//! **What Wine cannot show.**
//! - Ctrl-C under a real Windows console: Wine's stdio here are Unix pipes,
//!   not a console, so `exec`'s leaving Ctrl-C to the command is not tested.
//! - The real Windows Credential Manager: Wine's stores a credential in its
//!   registry (`HKCU\Software\Wine\Credential Manager`), with its own limits
//!   and none of Windows' (the 2,560-byte blob limit, roaming, a locked
//!   profile); the split into pieces is proved on Linux against that limit.
//! - PowerShell itself: none can be installed here, so the PowerShell lines are
//!   checked by a parser of PowerShell's single-quoted strings below. The cmd
//!   lines are run by Wine's cmd, which is Wine's reimplementation of cmd.exe,
//!   and checked by a parser too.
//! - The MSVC build that Windows users get from cargo install: the GNU target
//!   compiles the same `cfg(windows)` code, with mingw's C runtime.
#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;
use sso_emulator::{Config, Emulator, IssuedRoleCredentials};
use ssokey::output::render::{self, CREDENTIAL_VARIABLES};

const START_URL: &str = "https://ssokey-test.awsapps.com/start";
const REGION: &str = "us-east-1";
const SESSION: &str = "ssokey-test";
const ACCOUNT: &str = "100000000001";
const ROLE: &str = "Admin";
/// A run of ssokey (or cmd) under Wine that takes longer fails the test.
const LIMIT: Duration = Duration::from_mins(3);

/// Prints past libtest's capture, so that a skip's reason and the timings
/// show in `cargo test`'s output even when the test passes.
fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "wine: {text}");
}

/// Where Wine and the Windows build are, from the environment.
struct Setup {
    wine: PathBuf,
    wineserver: PathBuf,
    exe: PathBuf,
}

impl Setup {
    /// `None` (after saying why) when the Windows build is not set up here,
    /// unless `SSOKEY_WINE_REQUIRED=1` says it must be: then that fails.
    fn from_env() -> Option<Setup> {
        let required = std::env::var("SSOKEY_WINE_REQUIRED").is_ok_and(|v| v == "1");
        let missing = |why: String| {
            assert!(
                !required,
                "SSOKEY_WINE_REQUIRED=1, but {why}; run tests/wine/build and set SSOKEY_WINE_EXE (.ci/run does)"
            );
            say(&format!(
                "SKIPPED: {why}; to run this test: eval \"$(tests/wine/build)\" and set SSOKEY_WINE_EXE=\"$SSOKEY_EXE\""
            ));
            None
        };
        let Some(exe) = std::env::var_os("SSOKEY_WINE_EXE").filter(|v| !v.is_empty()) else {
            return missing("SSOKEY_WINE_EXE is not set".to_owned());
        };
        let exe = PathBuf::from(exe);
        let wine = std::env::var_os("SSOKEY_WINE")
            .filter(|v| !v.is_empty())
            .map_or_else(|| PathBuf::from("/usr/lib/wine/wine64"), PathBuf::from);
        // Named but absent is a mistake, skipped or not.
        assert!(
            exe.is_file(),
            "SSOKEY_WINE_EXE={} is no file",
            exe.display()
        );
        assert!(
            exe.with_file_name("bcryptprimitives.dll").is_file(),
            "no bcryptprimitives.dll beside {}: Wine 8 cannot start Rust's std without it (tests/wine/build puts it there)",
            exe.display()
        );
        if !wine.is_file() {
            return missing(format!(
                "{} is not installed (apt-get install wine64)",
                wine.display()
            ));
        }
        let wineserver = wine.with_file_name("wineserver");
        assert!(wineserver.is_file(), "no {}", wineserver.display());
        Some(Setup {
            wine,
            wineserver,
            exe,
        })
    }
}

/// A throwaway Wine prefix and HOME; its `wineserver`, and every Windows
/// process still running in it, is stopped on drop, however the test ends.
struct Prefix {
    setup: Setup,
    dir: tempfile::TempDir,
    emulator_env: Vec<(&'static str, String)>,
}

impl Prefix {
    fn create(setup: Setup, emulator: &Emulator) -> Prefix {
        let dir = tempfile::Builder::new()
            .prefix("ssokey-wine-")
            .tempdir()
            .unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        let prefix = Prefix {
            setup,
            dir,
            emulator_env: emulator.env().to_vec(),
        };
        let start = Instant::now();
        let out = prefix.wine(&["wineboot", "--init"]);
        assert_eq!(out.code, Some(0), "wineboot --init failed\n{out}");
        assert!(prefix.path().join("drive_c/users").is_dir(), "{out}");
        say(&format!("wineboot --init: {:.1} s", secs(start)));
        prefix
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("prefix")
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The Windows user's profile, `C:\users\NAME`.
    fn profile(&self) -> PathBuf {
        let users = self.path().join("drive_c/users");
        let names: Vec<PathBuf> = std::fs::read_dir(&users)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name() != "Public")
            .map(|e| e.path())
            .collect();
        assert_eq!(names.len(), 1, "one user in {}", users.display());
        names.into_iter().next().unwrap()
    }

    /// A command under Wine in this prefix, with nothing of the test's own
    /// environment but PATH: a throwaway HOME, the emulator's endpoints, and
    /// no display.
    fn command(&self, program: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.home())
            .env("LANG", "C.UTF-8")
            .env("WINEPREFIX", self.path())
            .env("WINEDEBUG", "-all")
            // No Mono or Gecko installer at wineboot.
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            // Windows counts as a machine where a browser opens, so a signed-out
            // credential-process would sign in by itself and wait for Wine's
            // browser; the flow checks exit 3 with auto sign-in off, as the
            // Linux harness does.
            .env("SSOKEY_AUTO_LOGIN", "0")
            .stdin(Stdio::null());
        for (key, value) in &self.emulator_env {
            cmd.env(key, value);
        }
        cmd
    }

    /// `wine64 ARGS`: a Windows program of the prefix (cmd, reg, wineboot).
    fn wine(&self, args: &[&str]) -> Run {
        run(
            self.command(&self.setup.wine, args),
            &format!("wine {}", args.join(" ")),
        )
    }

    /// `ssokey.exe ARGS` under Wine.
    fn ssokey(&self, args: &[&str]) -> Run {
        let mut all = vec![self.setup.exe.to_str().unwrap()];
        all.extend(args);
        run(
            self.command(&self.setup.wine, &all),
            &format!("ssokey {}", args.join(" ")),
        )
    }

    /// `C:\ssokey-wine\NAME` on the Linux side, and as Windows names it.
    fn c_file(&self, name: &str) -> (PathBuf, String) {
        let dir = self.path().join("drive_c/ssokey-wine");
        std::fs::create_dir_all(&dir).unwrap();
        (dir.join(name), format!("C:\\ssokey-wine\\{name}"))
    }

    /// The targets of every generic credential in Wine's Credential Manager,
    /// as `reg query` (a Windows program in the prefix) reads them from the
    /// running wineserver.
    fn credentials(&self) -> Vec<String> {
        let out = self.wine(&[
            "reg",
            "query",
            r"HKCU\Software\Wine\Credential Manager",
            "/s",
        ]);
        // Before anything was stored the key may not exist at all.
        if out.code != Some(0) {
            return Vec::new();
        }
        let prefix = r"HKEY_CURRENT_USER\Software\Wine\Credential Manager\Generic: ";
        let mut targets: Vec<String> = out
            .stdout
            .lines()
            .filter_map(|line| line.trim_end_matches('\r').strip_prefix(prefix))
            .map(str::to_owned)
            .collect();
        targets.sort();
        targets
    }

    /// The same, from the registry file that wineserver writes: it waits for
    /// the wineserver to exit (`wineserver -w`), which saves the registry.
    fn credentials_on_disk(&self) -> Vec<String> {
        let out = run(
            self.command(&self.setup.wineserver, &["-w"]),
            "wineserver -w",
        );
        assert_eq!(out.code, Some(0), "{out}");
        let text = std::fs::read_to_string(self.path().join("user.reg")).unwrap();
        let prefix = r"[Software\\Wine\\Credential Manager\\Generic: ";
        let mut targets: Vec<String> = text
            .lines()
            .filter_map(|line| line.strip_prefix(prefix))
            .filter_map(|rest| rest.rsplit_once("] ").map(|(target, _)| target.to_owned()))
            .collect();
        targets.sort();
        targets
    }
}

impl Drop for Prefix {
    fn drop(&mut self) {
        let _ = self
            .command(&self.setup.wineserver, &["-k"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A finished run, shown whole when an assertion fails.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    what: String,
}

impl Run {
    #[track_caller]
    fn success(&self) -> &Run {
        assert_eq!(self.code, Some(0), "{} failed\n{self}", self.what);
        self
    }

    #[track_caller]
    fn stderr_has(&self, needle: &str) -> &Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{self}"
        );
        self
    }

    /// stdout as lines, without Windows' `\r`.
    fn lines(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .map(|l| l.trim_end_matches('\r'))
            .collect()
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--- {}\n--- exit code: {:?}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.what, self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `command`, which must end within [`LIMIT`]: one that hangs is killed
/// and fails the test. Its stdout and stderr go to files, not pipes: the
/// helper processes that Wine starts with the first program of a session
/// (services, winedevice) inherit its stdio and keep a pipe open until the
/// wineserver exits, 3 s after the last program, which would make every run
/// wait that long for the end of its output.
#[track_caller]
fn run(mut command: Command, what: &str) -> Run {
    use std::io::{Read, Seek};
    let mut stdout = tempfile::tempfile().unwrap();
    let mut stderr = tempfile::tempfile().unwrap();
    let mut child = command
        .stdout(stdout.try_clone().unwrap())
        .stderr(stderr.try_clone().unwrap())
        .spawn()
        .unwrap_or_else(|err| panic!("{what}: {err}"));
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still ran after {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |file: &mut std::fs::File| {
        let mut buf = Vec::new();
        file.rewind().unwrap();
        file.read_to_end(&mut buf).unwrap();
        String::from_utf8_lossy(&buf).into_owned()
    };
    Run {
        code: status.code(),
        stdout: read(&mut stdout),
        stderr: read(&mut stderr),
        what: what.to_owned(),
    }
}

fn secs(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// The four variables with the values the emulator issued, in `env`'s order.
fn expected_variables(issued: &IssuedRoleCredentials) -> Vec<(String, String)> {
    let values = [
        issued.access_key_id.clone(),
        issued.secret_access_key.clone(),
        issued.session_token.clone(),
        render::rfc3339(issued.expiration / 1000),
    ];
    CREDENTIAL_VARIABLES
        .iter()
        .zip(values)
        .map(|(name, value)| ((*name).to_owned(), value))
        .collect()
}

fn is_variable_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The quotes that PowerShell takes for a single quote: `'` and the
/// typographic ones.
fn is_powershell_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}')
}

/// One `$Env:NAME = '...'` line as PowerShell reads it: in a single-quoted
/// string a quote is written twice and nothing else is special, so the value
/// is the text between the quotes with every doubled quote made one. Any
/// other line, or a quote that ends the string before the line does, is an
/// error.
fn parse_powershell(line: &str) -> Result<(String, String), String> {
    let rest = line
        .strip_prefix("$Env:")
        .ok_or_else(|| format!("not $Env: {line:?}"))?;
    let (name, quoted) = rest
        .split_once(" = ")
        .ok_or_else(|| format!("no ' = ': {line:?}"))?;
    if !is_variable_name(name) {
        return Err(format!("bad name {name:?}"));
    }
    let mut chars = quoted.chars().peekable();
    if !chars.next().is_some_and(is_powershell_quote) {
        return Err(format!("no opening quote: {line:?}"));
    }
    let mut value = String::new();
    loop {
        match chars.next() {
            None => return Err(format!("no closing quote: {line:?}")),
            Some(c) if is_powershell_quote(c) => {
                if chars.peek().copied().is_some_and(is_powershell_quote) {
                    value.push(c);
                    chars.next();
                } else if chars.next().is_none() {
                    return Ok((name.to_owned(), value));
                } else {
                    return Err(format!("text after the closing quote: {line:?}"));
                }
            }
            Some(c) => value.push(c),
        }
    }
}

/// One `set "NAME=value"` line as a batch file reads it, with ssokey's
/// escaping (`render::cmd_escape`) undone: `%%` is `%`, `^^` is `^` and `^!`
/// is `!`. A lone `%` (which cmd would expand), a lone `^` or `!`, a `"` in the
/// value, or any other line is an error.
fn parse_cmd(line: &str) -> Result<(String, String), String> {
    let inner = line
        .strip_prefix("set \"")
        .and_then(|rest| rest.strip_suffix('"'))
        .ok_or_else(|| format!("not set \"...\": {line:?}"))?;
    let (name, escaped) = inner
        .split_once('=')
        .ok_or_else(|| format!("no '=': {line:?}"))?;
    if !is_variable_name(name) {
        return Err(format!("bad name {name:?}"));
    }
    let mut value = String::new();
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => match chars.next() {
                Some('%') => value.push('%'),
                _ => return Err(format!("a lone % would expand: {line:?}")),
            },
            '^' => match chars.next() {
                Some(next @ ('^' | '!')) => value.push(next),
                _ => return Err(format!("a lone ^: {line:?}")),
            },
            '!' | '"' | '\r' | '\n' => return Err(format!("unescaped {c:?}: {line:?}")),
            _ => value.push(c),
        }
    }
    Ok((name.to_owned(), value))
}

fn parse_all(
    text: &str,
    parse: fn(&str) -> Result<(String, String), String>,
) -> Vec<(String, String)> {
    text.lines()
        .map(|line| parse(line).unwrap_or_else(|err| panic!("{err}\nin:\n{text}")))
        .collect()
}

/// Every regular file under `dir`, without following symbolic links.
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        match entry.file_type() {
            Ok(t) if t.is_dir() => collect_files(&entry.path(), out),
            Ok(t) if t.is_file() => out.push(entry.path()),
            _ => {}
        }
    }
}

#[test]
fn the_parsers_undo_exactly_what_ssokey_prints() {
    for value in [
        "ASIAEXAMPLE",
        "wJalr/K7+MDENG=",
        "it's",
        "\u{2019}\u{2018}''",
        "50% ^x! a=b",
        "",
    ] {
        let ps = format!("$Env:X = {}", render::powershell_quote(value));
        assert_eq!(
            parse_powershell(&ps),
            Ok(("X".to_owned(), value.to_owned()))
        );
        let cmd = format!("set \"X={}\"", render::cmd_escape(value));
        assert_eq!(parse_cmd(&cmd), Ok(("X".to_owned(), value.to_owned())));
    }
    // And they can fail.
    for bad in [
        "$Env:X = 'a'b'",
        "$Env:X = 'a",
        "$Env:X = a",
        "export X='a'",
    ] {
        assert!(parse_powershell(bad).is_err(), "{bad}");
    }
    for bad in ["set \"X=5%\"", "set \"X=a\"b\"", "set X=a", "set \"X=a!\""] {
        assert!(parse_cmd(bad).is_err(), "{bad}");
    }
}

/// The daily flow, step by step, as a Windows user runs it.
#[test]
fn the_daily_flow_runs_under_wine() {
    let Some(setup) = Setup::from_env() else {
        return;
    };
    let started = Instant::now();
    let emulator = Emulator::start(Config {
        accounts: sso_emulator::accounts(2, &["Admin", "ReadOnly"]),
        interval: 1,
        auto_approve: true,
        ..Config::default()
    });
    let wine = Prefix::create(setup, &emulator);
    let flow = Instant::now();
    sign_in_and_look(&wine);
    let process = credential_process(&wine, &emulator);
    let expected = expected_variables(&emulator.last_role_credentials().unwrap());
    env_lines(&wine, &expected);
    exec(&wine, &expected);
    let signed_in = credential_manager_while_signed_in(&wine);
    no_secret_in_the_profile(&wine, &emulator, &process);
    logout(&wine, &signed_in);
    let flow_secs = secs(flow);
    say(&format!(
        "the flow: {flow_secs:.1} s; in all, with wineboot and the wait for wineserver: {:.1} s",
        secs(started)
    ));
    drop(wine);
    drop(emulator);
}

/// `--account ACCOUNT --role ROLE` after `args`.
fn with_target(args: &[&'static str]) -> Vec<&'static str> {
    let mut all = args.to_vec();
    all.extend(["--account", ACCOUNT, "--role", ROLE]);
    all
}

/// Steps 1 to 3: `login --no-browser` (the emulator approves the code by
/// itself), `status` and `list`.
fn sign_in_and_look(wine: &Prefix) {
    let step = Instant::now();
    let login = wine.ssokey(&[
        "login",
        "--start-url",
        START_URL,
        "--region",
        REGION,
        "--no-browser",
    ]);
    login
        .success()
        .stderr_has("/device?user_code=")
        .stderr_has(&format!("Signed in to '{SESSION}'"));
    say(&format!("login: {:.1} s", secs(step)));

    let status = wine.ssokey(&["status", "--output", "json"]);
    let json: serde_json::Value = serde_json::from_str(&status.success().stdout)
        .unwrap_or_else(|err| panic!("not JSON ({err})\n{status}"));
    assert_eq!(json[0]["session"], SESSION, "{status}");
    assert_eq!(json[0]["signedIn"], true, "{status}");
    let table = wine.ssokey(&["status"]);
    assert!(
        table.success().lines()[1].starts_with(&format!("{SESSION} *")),
        "{table}"
    );

    let list = wine.ssokey(&["list"]);
    assert_eq!(
        list.success().lines(),
        [
            "ACCOUNT ID    ACCOUNT NAME  ROLE",
            "100000000001  account-001   Admin",
            "100000000001  account-001   ReadOnly",
            "100000000002  account-002   Admin",
            "100000000002  account-002   ReadOnly",
        ]
    );
}

/// Step 4: `credential-process` prints exactly what the portal issued.
/// Returns its output.
fn credential_process(wine: &Prefix, emulator: &Emulator) -> String {
    let step = Instant::now();
    let process = wine.ssokey(&with_target(&["credential-process"]));
    process.success();
    say(&format!("credential-process: {:.1} s", secs(step)));
    let issued = emulator.last_role_credentials().expect("role credentials");
    assert_eq!(
        (issued.account_id.as_str(), issued.role_name.as_str()),
        (ACCOUNT, ROLE)
    );
    let json: serde_json::Value = serde_json::from_str(&process.stdout)
        .unwrap_or_else(|err| panic!("not JSON ({err})\n{process}"));
    assert_eq!(
        json,
        serde_json::json!({
            "Version": 1,
            "AccessKeyId": issued.access_key_id,
            "SecretAccessKey": issued.secret_access_key,
            "SessionToken": issued.session_token,
            "Expiration": render::rfc3339(issued.expiration / 1000),
        })
    );
    process.stdout
}

/// Step 5: `env` for PowerShell and for cmd gives lines of each shell's
/// syntax with the values intact; with no `--shell`, on Windows, PowerShell.
/// Wine's cmd runs the cmd lines from a batch file and has the values.
fn env_lines(wine: &Prefix, expected: &[(String, String)]) {
    let powershell = wine.ssokey(&with_target(&["env", "--shell", "powershell"]));
    assert_eq!(
        parse_all(&powershell.success().stdout, parse_powershell),
        expected
    );
    let cmd = wine.ssokey(&with_target(&["env", "--shell", "cmd"]));
    assert_eq!(parse_all(&cmd.success().stdout, parse_cmd), expected);
    let default = wine.ssokey(&with_target(&["env"]));
    assert_eq!(default.success().stdout, powershell.stdout);

    let (lines, lines_c) = wine.c_file("env.cmd");
    std::fs::write(&lines, cmd.stdout.replace('\n', "\r\n")).unwrap();
    let (show, show_c) = wine.c_file("show.cmd");
    std::fs::write(
        &show,
        format!("@echo off\r\ncall {lines_c}\r\nset AWS_\r\n"),
    )
    .unwrap();
    let set = wine.wine(&["cmd", "/c", &show_c]);
    let seen = variables(set.success());
    for (name, value) in expected {
        assert_eq!(
            seen.get(name.as_str()),
            Some(&value.as_str()),
            "{name}\n{set}"
        );
    }
}

/// `NAME=value` lines (cmd's `set`), by name.
fn variables(run: &Run) -> BTreeMap<&str, &str> {
    run.lines()
        .into_iter()
        .filter_map(|line| line.split_once('='))
        .collect()
}

/// Step 6: `exec` passes the command's exit status through, and the command
/// has the credentials in its environment.
fn exec(wine: &Prefix, expected: &[(String, String)]) {
    let exec = |command: &[&'static str]| {
        let mut args = with_target(&["exec"]);
        args.push("--");
        args.extend(command);
        wine.ssokey(&args)
    };
    let step = Instant::now();
    let exit = exec(&["cmd", "/c", "exit 7"]);
    assert_eq!(exit.code, Some(7), "{exit}");
    say(&format!("exec -- cmd /c exit 7: {:.1} s", secs(step)));
    let echo = exec(&["cmd", "/c", "echo %AWS_ACCESS_KEY_ID%"]);
    assert_eq!(echo.success().lines(), [expected[0].1.as_str()]);
    let set = exec(&["cmd", "/c", "set"]);
    let seen = variables(set.success());
    for (name, value) in expected {
        assert_eq!(seen.get(name.as_str()), Some(&value.as_str()), "{name}");
    }
    assert_eq!(
        seen.get("SSOKEY_EXEC_TARGET"),
        Some(&format!("{SESSION}/{ACCOUNT}/{ROLE}").as_str())
    );
}

/// Step 7, first half: while signed in, the Credential Manager holds the
/// session's token, its client registration and the role credentials, so
/// the check after logout is one that can fail. Returns the targets.
fn credential_manager_while_signed_in(wine: &Prefix) -> Vec<String> {
    let signed_in = wine.credentials();
    for kind in ["token", "client", "role/100000000001/Admin"] {
        let wanted = format!("session/{SESSION}/{kind}.ssokey");
        assert!(signed_in.contains(&wanted), "no {wanted} in {signed_in:#?}");
    }
    assert!(
        signed_in.iter().all(|t| t.ends_with(".ssokey")),
        "{signed_in:#?}"
    );
    signed_in
}

/// No secret in ssokey's files, nor in any other file of the Windows user's
/// profile (`%APPDATA%`, `%LOCALAPPDATA%`) or of the Unix HOME that Wine
/// links into it. `printed` is an output that carries secrets: the scan finds
/// them there, so it is one that can fail.
fn no_secret_in_the_profile(wine: &Prefix, emulator: &Emulator, printed: &str) {
    let secrets = emulator.issued_secrets();
    assert!(secrets.len() >= 6, "{secrets:?}");
    assert!(secrets.iter().any(|s| printed.contains(s.as_str())));
    let profile = wine.profile();
    assert!(
        profile
            .join("AppData/Roaming/ssokey/sessions.json")
            .is_file(),
        "ssokey's config dir is not where the scan looks"
    );
    assert!(profile.join("AppData/Local/ssokey").is_dir());
    let mut files = Vec::new();
    collect_files(&profile, &mut files);
    collect_files(&wine.home(), &mut files);
    let ours = files
        .iter()
        .filter(|f| f.components().any(|c| c.as_os_str() == "ssokey"))
        .count();
    for file in &files {
        let text = String::from_utf8_lossy(&std::fs::read(file).unwrap_or_default()).into_owned();
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a secret stands in {}",
                file.display()
            );
        }
    }
    say(&format!(
        "no secret of {} in {} files of the profile and HOME ({ours} of ssokey's)",
        secrets.len(),
        files.len()
    ));
}

/// Step 7, second half: `logout` takes every ssokey entry out of the
/// Credential Manager: the token, the client registration and the role
/// credentials (the check saw them while signed in). Then
/// `credential-process` exits 3, and the registry that Wine saves to disk
/// says the same.
fn logout(wine: &Prefix, signed_in: &[String]) {
    assert!(!signed_in.is_empty());
    wine.ssokey(&["logout"])
        .success()
        .stderr_has(&format!("Signed out of '{SESSION}'"));
    let signed_out = wine.credentials();
    assert!(
        signed_out.is_empty(),
        "ssokey entries left after logout: {signed_out:#?}"
    );
    let after = wine.ssokey(&with_target(&["credential-process"]));
    assert_eq!(after.code, Some(3), "{after}");
    assert_eq!(after.stdout, "", "{after}");
    after.stderr_has("not signed in");
    assert_eq!(wine.credentials_on_disk(), signed_out);
}
