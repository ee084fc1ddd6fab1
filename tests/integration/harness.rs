//! The test environment: a throwaway HOME, a private D-Bus session with an
//! unlocked gnome-keyring (or, headless, no D-Bus at all, and optionally a
//! throwaway user), the local Identity Center emulator, and the real ssokey
//! binary pointed at them through the standard AWS endpoint variables.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::time::{Duration, Instant};

use sso_emulator::Emulator;

pub const REGION: &str = "us-east-1";
pub const START_URL: &str = "https://ssokey-test.awsapps.com/start";
/// The session name that ssokey derives from START_URL.
pub const SESSION: &str = "ssokey-test";

/// `credential-process --account ACCOUNT --role ROLE EXTRA...`, as arguments.
pub fn credential_process_args<'a>(
    account: &'a str,
    role: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec!["credential-process", "--account", account, "--role", role];
    args.extend(extra);
    args
}

/// A sign-in that prints its code and waits for the approval.
pub const LOGIN_WITHOUT_BROWSER: &[&str] = &[
    "login",
    "--start-url",
    START_URL,
    "--region",
    REGION,
    "--no-browser",
];

/// gnome-keyring's Secret Service inside a private `dbus-run-session`.
pub struct Keyring {
    child: Child,
    stdin: Option<ChildStdin>,
    pub bus: String,
}

impl Keyring {
    pub fn start(home: &Path, runtime_dir: &Path) -> Keyring {
        // The shell runs the daemon in the foreground (so its pid is known and
        // it never forks away), waits until it owns its bus name, reports the
        // bus address, then waits for its stdin to close: dropping the Keyring,
        // or the test process dying however it dies, ends the daemon and the
        // session with it.
        let script = "printf test-password | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 & \
                      pid=$!; tries=0; \
                      until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
                            org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | \
                            grep -q 'boolean true'; do \
                        tries=$((tries + 1)); \
                        if [ $tries -gt 1000 ] || ! kill -0 $pid 2>/dev/null; then kill $pid 2>/dev/null; exit 1; fi; \
                        sleep 0.01; \
                      done; \
                      echo \"$DBUS_SESSION_BUS_ADDRESS\"; cat >/dev/null; kill $pid 2>/dev/null; wait $pid";
        let mut child = Command::new("dbus-run-session")
            .args(["--", "sh", "-c", script])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_RUNTIME_DIR", runtime_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-run-session must be installed (apt-get install dbus gnome-keyring); .ci/run installs it");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let bus = line.trim().to_owned();
        assert!(
            bus.starts_with("unix:"),
            "gnome-keyring-daemon did not start in the private D-Bus session (got {line:?})"
        );
        let stdin = child.stdin.take();
        Keyring { child, stdin, bus }
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for TestEnv {
    /// Takes this environment's keys out of the fast tier, and its entries
    /// out of the kernel keychain: the kernel would keep them until they
    /// expire, and for a user other than root they would fill the key quota
    /// of later tests. A throwaway user's keyrings are emptied.
    fn drop(&mut self) {
        // No test may start a browser of the machine's: only the scripts
        // that BROWSER names. Said once, by a test that has not failed yet.
        let decoys = self.decoy_runs();
        assert!(
            decoys.is_empty() || std::thread::panicking(),
            "ssokey started a browser of the machine's: {decoys:?}"
        );
        if let Some(uid) = self.uid {
            let _ = TestEnv::as_user(uid, "keyctl clear @u; keyctl session - sh -c 'keyctl clear $(keyctl get_persistent @s)'")
                .output();
            return;
        }
        self.clear_kernel_store();
        if let Some(tier) = self.fast_tier() {
            tier.delete_where(|_| true);
        }
    }
}

/// How the browser that ssokey opens behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    /// Loads the verification page, as a person who approves does.
    Approve,
    /// Loads the page with the deny action.
    Deny,
    /// No browser can be started.
    Missing,
    /// Notes the URL and loads nothing: the test plays the browser.
    Record,
}

/// Shell lines that set `$url` to where the page in `$1` sends a browser,
/// as a browser reads ssokey's page (`file://`, a meta refresh), and where a
/// one-time address on ssokey's loopback listener sends it (the console's
/// hand-off); another `$1` is taken as the address itself.
pub const FOLLOW_PAGE: &str = "url=\"$1\"\ncase \"$url\" in file://*) \
    url=$(sed -n 's/.*http-equiv=\"refresh\" content=\"0;url=\\([^\"]*\\)\".*/\\1/p' \"${url#file://}\" | \
    sed -e 's/&quot;/\"/g' -e \"s/&#39;/'/g\" -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\\&/g');; esac\n\
    case \"$url\" in http://127.0.0.1:*/open/*) \
    url=$(printf 'url = \"%s\"\\n' \"$url\" | curl -s -o /dev/null -w '%{redirect_url}' -K -);; esac\n";

/// The machine's browsers and openers that ssokey (or the webbrowser crate)
/// could start: each has a recording stand-in first on every test's PATH.
pub const DECOYS: [&str; 12] = [
    "xdg-open",
    "gio",
    "wslview",
    "sensible-browser",
    "x-www-browser",
    "www-browser",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "firefox",
    "epiphany",
    "kde-open",
];

pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
    pub emulator: Emulator,
    keyring: Option<Keyring>,
    browser: Browser,
    env: Vec<(String, String)>,
    /// The throwaway user that ssokey runs as, if not this process's.
    uid: Option<u32>,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        TestEnv::with_config(config())
    }

    pub fn with_config(config: sso_emulator::Config) -> TestEnv {
        TestEnv::build(config, true, None)
    }

    /// A machine without D-Bus: no bus address, no bus socket, no Secret
    /// Service; ssokey runs as `uid` when one is given (a throwaway user,
    /// whose keyrings the kernel keeps apart, with the default key quota),
    /// and that user owns the whole test directory.
    pub fn headless(config: sso_emulator::Config, uid: Option<u32>) -> TestEnv {
        TestEnv::build(config, false, uid)
    }

    fn build(config: sso_emulator::Config, keyring: bool, uid: Option<u32>) -> TestEnv {
        let dir = tempfile::Builder::new()
            .prefix("ssokey-test-")
            .tempdir()
            .unwrap();
        let home = dir.path().join("home");
        for sub in ["home", "run", "tmp", "home/.aws"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                dir.path().join("run"),
                std::fs::Permissions::from_mode(0o700),
            )
            .unwrap();
        }
        let keyring = keyring.then(|| Keyring::start(&home, &dir.path().join("run")));
        let emulator = Emulator::start(config);
        let env = TestEnv {
            dir,
            home,
            emulator,
            keyring,
            browser: Browser::Approve,
            env: Vec::new(),
            uid,
        };
        env.write_browser_scripts();
        if let Some(uid) = uid {
            let status = Command::new("chown")
                .args(["-R", &format!("{uid}:{uid}")])
                .arg(env.dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "chown the test directory to {uid}");
        }
        env
    }

    /// `sh -c script` as `uid` (setpriv, from util-linux), with PATH alone.
    pub fn as_user(uid: u32, script: &str) -> Command {
        let mut command = Command::new("setpriv");
        command
            .args([
                &format!("--reuid={uid}"),
                &format!("--regid={uid}"),
                "--clear-groups",
                "--",
                "sh",
                "-c",
                script,
            ])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        command
    }

    /// `sh -c script` as the user that ssokey runs as, in an anonymous
    /// session keyring of its own, with keyutils' `keyctl` at hand.
    pub fn keyctl_shell(&self, script: &str) -> String {
        let script = format!("keyctl session - sh -c '{}'", script.replace('\'', r"'\''"));
        let output = match self.uid {
            Some(uid) => TestEnv::as_user(uid, &script).output(),
            None => Command::new("sh").args(["-c", &script]).output(),
        }
        .expect("keyctl must be installed (apt-get install keyutils); .ci/run installs it");
        assert!(
            output.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The description prefix of this environment's entries in the kernel
    /// keychain.
    pub fn kernel_prefix(&self) -> String {
        format!(
            "ssokey-store:{}:",
            ssokey::store::fast_tier::namespace(&self.home.join(".config/ssokey"))
        )
    }

    /// This environment's entries in the kernel keychain (the persistent
    /// keyring of the user that ssokey runs as), by name, as keyutils lists them.
    pub fn kernel_store_keys(&self) -> Vec<String> {
        let listing = self.keyctl_shell(
            "p=$(keyctl get_persistent @s) && for k in $(keyctl rlist $p); do keyctl rdescribe $k; echo; done",
        );
        let prefix = self.kernel_prefix();
        let mut keys: Vec<String> = listing
            .lines()
            .filter_map(|line| line.splitn(5, ';').nth(4))
            .filter_map(|description| description.strip_prefix(&prefix))
            .map(str::to_owned)
            .collect();
        keys.sort();
        keys
    }

    /// The key quota of the user that ssokey runs as, and its use now.
    pub fn key_usage(&self) -> Option<ssokey::store::raw::Usage> {
        let table = std::fs::read_to_string("/proc/key-users").unwrap();
        ssokey::store::raw::Usage::parse(&table, self.uid.unwrap_or(0))
    }

    /// Invalidates this environment's entries in root's persistent keyring.
    #[cfg(target_os = "linux")]
    fn clear_kernel_store(&self) {
        use linux_keyutils::{KeyRing, KeyRingIdentifier};
        let prefix = self.kernel_prefix();
        let Ok(keyring) = KeyRing::get_persistent(KeyRingIdentifier::Process) else {
            return;
        };
        let Ok(links) = keyring.get_links(100_000) else {
            return;
        };
        for key in links.iter().filter_map(linux_keyutils::LinkNode::as_key) {
            if key
                .metadata()
                .is_ok_and(|m| m.get_description().starts_with(&prefix))
            {
                let _ = key.invalidate();
            }
        }
    }

    /// The machine's browsers and openers that were started: the stand-ins
    /// on PATH record each call (there must be none).
    pub fn decoy_runs(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("decoy-runs"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// What the browser scripts were given, one per run: the page that
    /// ssokey wrote, never the address itself.
    pub fn browser_args(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("browser-args"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The URLs the browser scripts were sent to, one per run.
    pub fn browser_runs(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("browser-runs"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    pub fn browser(mut self, browser: Browser) -> Self {
        self.browser = browser;
        self
    }

    /// Sets (or overrides) an environment variable for every later run.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    /// Takes `key` out of the environment that ssokey is given.
    pub fn unset_env(&mut self, key: &str) {
        self.env.retain(|(k, _)| k != key);
    }

    /// Ends the private D-Bus session: no keychain can be reached any more.
    pub fn stop_keyring(&mut self) {
        self.keyring = None;
    }

    /// Starts the keyring again after [`Self::stop_keyring`], in a new D-Bus
    /// session, with what it held before (its files are in HOME).
    pub fn restart_keyring(&mut self) {
        assert!(self.keyring.is_none(), "the keyring is running");
        self.keyring = Some(Keyring::start(&self.home, &self.dir.path().join("run")));
    }

    /// This environment's fast tier (the user keyring, with the namespace of
    /// its ssokey config dir), where the kernel offers one.
    pub fn fast_tier(&self) -> Option<ssokey::store::fast_tier::FastTier> {
        ssokey::store::fast_tier::FastTier::open(&self.home.join(".config/ssokey"))
    }

    /// The keys that the kernel holds in this environment's fast tier.
    pub fn fast_tier_keys(&self) -> Vec<String> {
        let mut keys = self.fast_tier().map(|tier| tier.keys()).unwrap_or_default();
        keys.sort();
        keys
    }

    /// Puts the directory of the binary under test first on PATH, for the
    /// scripts and shells that call `ssokey` by name.
    pub fn put_ssokey_on_path(&mut self) {
        let bin = Path::new(env!("CARGO_BIN_EXE_ssokey")).parent().unwrap();
        let path = format!(
            "{}:{}",
            bin.display(),
            self.path_with_decoys().to_string_lossy()
        );
        self.set_env("PATH", &path);
    }

    /// PATH with the stand-ins for the machine's browsers first.
    pub fn path_with_decoys(&self) -> std::ffi::OsString {
        let mut dirs = vec![self.dir.path().join("decoys")];
        dirs.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        std::env::join_paths(dirs).unwrap()
    }

    /// The test's root directory: HOME, the XDG dirs and TMPDIR are inside.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_file(&self) -> PathBuf {
        self.home.join(".aws/config")
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config_file(), text).unwrap();
    }

    fn write_browser_scripts(&self) {
        // ssokey hands a browser a page of its own (file://) that sends it on
        // to the address: each script reads it as a browser does, records
        // what it was given in browser-args and the address in browser-runs,
        // so that tests count the tabs opened and read the addresses.
        let follow = format!(
            "#!/bin/sh\nhere=$(dirname \"$0\")\necho \"$1\" >> \"$here/browser-args\"\n{FOLLOW_PAGE}\
             echo \"$url\" >> \"$here/browser-runs\"\n"
        );
        // curl -L follows the portal's redirect to ssokey's PKCE callback.
        let approve = format!(
            "{follow}# A person's browser: load the page, which approves the sign-in.\n\
             (sleep 0.2; curl -fsSL -o /dev/null \"$url\") >/dev/null 2>&1 &\n"
        );
        let deny = format!(
            "{follow}(sleep 0.2; curl -fsSL -o /dev/null \"$url&action=deny\") >/dev/null 2>&1 &\n"
        );
        let record = follow.clone();
        // Stand-ins for the machine's browsers and openers, first on PATH:
        // a test that starts one fails (see Drop).
        let decoy =
            "#!/bin/sh\necho \"$(basename \"$0\") $*\" >> \"$(dirname \"$0\")/../decoy-runs\"\n";
        std::fs::create_dir_all(self.dir.path().join("decoys")).unwrap();
        let mut scripts = vec![
            ("approve-browser".to_owned(), approve),
            ("deny-browser".to_owned(), deny),
            ("record-browser".to_owned(), record),
        ];
        for name in DECOYS {
            scripts.push((format!("decoys/{name}"), decoy.to_owned()));
        }
        for (name, text) in scripts {
            let path = self.dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
    }

    /// The ssokey binary with this environment and nothing inherited but PATH
    /// (run by setpriv as the throwaway user, when there is one).
    pub fn command(&self, args: &[&str]) -> Command {
        let root = self.dir.path();
        let mut cmd = match self.uid {
            Some(uid) => {
                let mut cmd = Command::new("setpriv");
                cmd.args([
                    &format!("--reuid={uid}"),
                    &format!("--regid={uid}"),
                    "--clear-groups",
                    "--",
                    env!("CARGO_BIN_EXE_ssokey"),
                ]);
                cmd
            }
            None => Command::new(env!("CARGO_BIN_EXE_ssokey")),
        };
        cmd.args(args)
            .env_clear()
            .env("PATH", self.path_with_decoys())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_CACHE_HOME", self.home.join(".cache"))
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("XDG_STATE_HOME", self.home.join(".local/state"))
            .env("XDG_RUNTIME_DIR", root.join("run"))
            .env("TMPDIR", root.join("tmp"))
            .env("AWS_CONFIG_FILE", self.config_file())
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.home.join(".aws/credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            // Commands sign in by themselves only in the tests of that
            // (sign_ins_auto.rs), which turn it on with set_env.
            .env("SSOKEY_AUTO_LOGIN", "0")
            .env(
                "BROWSER",
                match self.browser {
                    Browser::Approve => root.join("approve-browser"),
                    Browser::Deny => root.join("deny-browser"),
                    Browser::Missing => root.join("no-such-browser"),
                    Browser::Record => root.join("record-browser"),
                },
            )
            .stdin(Stdio::null());
        for (key, value) in self.emulator.env() {
            cmd.env(key, value);
        }
        if let Some(keyring) = &self.keyring {
            cmd.env("DBUS_SESSION_BUS_ADDRESS", &keyring.bus);
        }
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        cmd
    }

    /// Runs `script` with `shell -c`, in this environment, with `$SSOKEY`
    /// naming the binary under test.
    pub fn shell(&self, shell: &str, script: &str) -> Run {
        let base = self.command(&[]);
        let mut command = Command::new(shell);
        command.env_clear();
        for (key, value) in base.get_envs() {
            if let Some(value) = value {
                command.env(key, value);
            }
        }
        command
            .env("SSOKEY", base.get_program())
            .args(["-c", script]);
        let output = command
            .output()
            .unwrap_or_else(|err| panic!("{shell} must be installed (.ci/run installs it): {err}"));
        Run::from(&output, &[shell, "-c", script])
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(&self.command(args).output().unwrap(), args)
    }

    /// Runs ssokey, which must finish within `limit`: a run that hangs is
    /// killed and fails the test.
    #[track_caller]
    pub fn run_within(&self, limit: Duration, args: &[&str]) -> Run {
        let mut child = self.spawn(args);
        let deadline = Instant::now() + limit;
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let run = Run::from_child(child, args);
                panic!("ssokey {} hung for {limit:?}\n{run}", args.join(" "));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Run::from_child(child, args)
    }

    /// `spawn`, with SIGINT, SIGQUIT, SIGTERM and SIGHUP at their default
    /// action whatever the test runner ignores (tests/default-signals), for
    /// the tests that send them.
    pub fn spawn_with_default_signals(&self, args: &[&str]) -> Child {
        self.wrapped("tests/default-signals", args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// `ssokey exec --server --account ACCOUNT --role ReadOnly EXTRA... -- sh
    /// -c SCRIPT`, not yet run.
    pub fn exec_server(&self, account: &str, extra: &[&str], script: &str) -> Command {
        let mut args = vec![
            "exec",
            "--server",
            "--account",
            account,
            "--role",
            "ReadOnly",
        ];
        args.extend(extra);
        args.extend(["--", "sh", "-c", script]);
        self.command(&args)
    }

    /// `ssokey ARGS` with this environment, run by `wrapper` (a path in the
    /// repository) as `wrapper ssokey ARGS`.
    pub fn wrapped(&self, wrapper: &str, args: &[&str]) -> Command {
        let base = self.command(args);
        let mut command = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join(wrapper));
        command
            .env_clear()
            .arg(base.get_program())
            .args(base.get_args());
        for (key, value) in base.get_envs() {
            if let Some(value) = value {
                command.env(key, value);
            }
        }
        command
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// `ssokey login --start-url ... --region ...`, approved in the browser:
    /// the PKCE flow, as BROWSER is set.
    pub fn login(&self) -> Run {
        self.run(&["login", "--start-url", START_URL, "--region", REGION])
    }

    /// The same with `--device-code`: the browser script approves the code.
    pub fn login_with_device_code(&self) -> Run {
        self.run(&[
            "login",
            "--start-url",
            START_URL,
            "--region",
            REGION,
            "--device-code",
        ])
    }

    /// Every ssokey item in the Secret Service, by its `username` attribute.
    pub fn keychain_items(&self) -> Vec<(String, String)> {
        let keyring = self.keyring.as_ref().expect("the keyring is running");
        let out = Command::new("secret-tool")
            .args(["search", "--all", "--unlock", "service", "ssokey"])
            .env("DBUS_SESSION_BUS_ADDRESS", &keyring.bus)
            .output()
            .expect("secret-tool must be installed (apt-get install libsecret-tools)");
        // secret-tool prints the attributes on stderr and the rest on stdout;
        // the label that ssokey's store gives an item names its user.
        let text = String::from_utf8_lossy(&out.stdout);
        let mut items = Vec::new();
        let mut user = None;
        for line in text.lines() {
            if let Some(label) = line.strip_prefix("label = keyring:") {
                user = label.strip_suffix("@ssokey").map(str::to_owned);
            } else if let Some(secret) = line.strip_prefix("secret = ") {
                items.push((
                    user.take().expect("a label before the secret"),
                    secret.to_owned(),
                ));
            }
        }
        items.sort();
        items
    }

    /// Stores an item in the Secret Service as another program would.
    pub fn store_item(&self, username: &str, secret: &str) {
        let keyring = self.keyring.as_ref().expect("the keyring is running");
        let mut child = Command::new("secret-tool")
            .args([
                "store",
                "--label",
                &format!("keyring:{username}@ssokey"),
                "service",
                "ssokey",
                "username",
                username,
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &keyring.bus)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), secret.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success());
    }

    /// Deletes an item from the Secret Service as another program would.
    pub fn clear_item(&self, username: &str) {
        let keyring = self.keyring.as_ref().expect("the keyring is running");
        let status = Command::new("secret-tool")
            .args(["clear", "service", "ssokey", "username", username])
            .env("DBUS_SESSION_BUS_ADDRESS", &keyring.bus)
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Locks the collection that ssokey's items are in (gnome-keyring's
    /// `login`), as the screen lock or `secret-tool lock` would.
    pub fn lock_keyring(&self) {
        let keyring = self.keyring.as_ref().expect("the keyring is running");
        let out = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.secrets",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.Lock",
                "array:objpath:/org/freedesktop/secrets/collection/login",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &keyring.bus)
            .output()
            .unwrap();
        assert!(
            out.status.success()
                && String::from_utf8_lossy(&out.stdout).contains("collection/login"),
            "the login collection was not locked:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Asserts that no secret the emulator issued stands in any file under the
    /// test's root (HOME, the XDG dirs, TMPDIR) or in any of `outputs`.
    /// Returns what it scanned, for the test to report.
    pub fn assert_no_secret_leaked(&self, outputs: &[&str]) -> Scanned {
        let secrets = self.emulator.issued_secrets();
        assert!(
            !secrets.is_empty(),
            "the emulator issued no secret to look for"
        );
        let mut files = Vec::new();
        collect_files(self.dir.path(), &mut files);
        for file in &files {
            let bytes = std::fs::read(file).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            for secret in &secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "a secret stands in {}",
                    file.display()
                );
            }
        }
        for (i, output) in outputs.iter().enumerate() {
            for secret in &secrets {
                assert!(
                    !output.contains(secret.as_str()),
                    "a secret stands in output #{i}:\n{output}"
                );
            }
        }
        Scanned {
            secrets: secrets.len(),
            files: files.len(),
            outputs: outputs.len(),
        }
    }
}

/// What [`TestEnv::assert_no_secret_leaked`] scanned.
#[derive(Debug, Clone, Copy)]
pub struct Scanned {
    /// Distinct secrets looked for.
    pub secrets: usize,
    /// Files read under the test's root.
    pub files: usize,
    /// Outputs (stdout or stderr of a run) searched.
    pub outputs: usize,
}

/// Every regular file under `dir`, recursively.
pub fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => collect_files(&path, out),
            Ok(t) if t.is_file() => out.push(path),
            _ => {}
        }
    }
}

/// The emulator configuration most tests use: fast polling, two accounts.
pub fn config() -> sso_emulator::Config {
    sso_emulator::Config {
        accounts: sso_emulator::accounts(2, &["Admin", "ReadOnly"]),
        interval: 1,
        ..sso_emulator::Config::default()
    }
}

/// A finished run of ssokey, with its output shown when an assertion fails.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    args: String,
}

impl Run {
    pub fn from(output: &Output, args: &[&str]) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            args: args.join(" "),
        }
    }

    pub fn from_child(child: Child, args: &[&str]) -> Run {
        Run::from(&child.wait_with_output().unwrap(), args)
    }

    #[track_caller]
    pub fn success(&self) -> &Run {
        assert_eq!(self.code, Some(0), "ssokey {} failed\n{self}", self.args);
        self
    }

    /// Asserts a failure with the given exit code, nothing on stdout, and an
    /// error and a hint on stderr.
    #[track_caller]
    pub fn failure(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            Some(code),
            "ssokey {}: unexpected exit code\n{self}",
            self.args
        );
        assert_eq!(
            self.stdout, "",
            "a failed command printed on stdout\n{self}"
        );
        assert!(
            self.stderr.contains("ssokey: error: "),
            "no error line\n{self}"
        );
        assert!(self.stderr.contains("\nhint: "), "no hint line\n{self}");
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{self}"
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|err| panic!("stdout is not JSON ({err})\n{self}"))
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--- exit code: {:?}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Waits for `child` for at most `limit`; a child that is still running then
/// is killed and the test fails, so that no test hangs.
#[track_caller]
pub fn wait_within(mut child: Child, limit: Duration, what: &str) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!("{what} still ran after {limit:?}: {output:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Sends the signal `name` (`TERM`, `STOP`...) to `child`.
pub fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Polls `condition` until it holds, for at most `timeout`.
#[track_caller]
pub fn wait_until(timeout: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
