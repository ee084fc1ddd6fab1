//! The run's context: the process environment, read once at start-up so
//! that commands never read `std::env` themselves, and the files the run
//! reads (the AWS config file, the remembered sessions), each read once and
//! handed down with it.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::Context as _;

use crate::aws::http::{Policy, TrustError, choose_ca_bundle};
use crate::aws::net::Net;
use crate::config_file::{self, ConfigError, ConfigFile};
use crate::store::choice::{Choice, Setting};
use crate::store::sessions::State;
use crate::store::{lock, paths};
use crate::ui::{self, Color};

#[derive(Debug, Clone)]
#[allow(clippy::struct_excessive_bools)] // independent facts of the environment
pub struct Context {
    /// ssokey's own configuration directory (the remembered sessions).
    pub config_dir: PathBuf,
    /// ssokey's cache directory (lock files).
    pub cache_dir: PathBuf,
    /// The AWS config file: `AWS_CONFIG_FILE`, or `~/.aws/config`.
    pub aws_config_file: PathBuf,
    /// Whether that is `~/.aws/config`, `AWS_CONFIG_FILE` being unset.
    pub aws_config_file_is_default: bool,
    pub stderr_is_terminal: bool,
    pub stdin_is_terminal: bool,
    /// Whether stdout may carry colour (see [`ui::use_color`]).
    pub stdout_color: bool,
    /// Whether stderr may carry colour (see [`ui::use_color`]).
    pub stderr_color: bool,
    /// `AWS_PROFILE`: the target when no other is given.
    pub aws_profile: Option<String>,
    /// The run's profile, as botocore takes it: `--profile`, else
    /// `AWS_PROFILE`. Its `ca_bundle` applies to every call of the run.
    pub run_profile: Option<String>,
    /// Whether `AWS_REGION` or `AWS_DEFAULT_REGION` names a region.
    pub aws_region_set: bool,
    /// That region: `AWS_REGION`, else `AWS_DEFAULT_REGION`.
    pub aws_region: Option<String>,
    /// `AWS_STS_REGIONAL_ENDPOINTS`: `legacy` sends a role chain's STS calls
    /// in botocore's legacy regions to the global endpoint, unless the
    /// profile's `sts_regional_endpoints` says otherwise.
    pub sts_regional_endpoints: Option<String>,
    /// `AWS_CA_BUNDLE`: the CA bundle that wins over any `ca_bundle`.
    pub aws_ca_bundle: Option<String>,
    /// `AWS_ENDPOINT_URL_SIGNIN`, `AWS_ENDPOINT_URL` and
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`, for the console's sign-in.
    pub federation_endpoints: crate::console::EndpointVariables,
    /// Whether the fast tier may serve cached role credentials
    /// (`SSOKEY_FAST_TIER=off` turns it off: for measuring, or by choice).
    pub fast_tier: bool,
    /// How long a run waits for a lock that another run holds
    /// (`SSOKEY_LOCK_WAIT`, in seconds; 30 by default): see [`lock_wait`].
    pub lock_wait: Duration,
    /// `SSOKEY_KEYCHAIN`: `auto`, `secret-service` or `kernel` (checked when
    /// a keychain is opened; see [`crate::store::choice`]).
    pub keychain: Option<String>,
    /// The target of the `ssokey exec` that this process runs inside, if any.
    pub exec_target: Option<String>,
    /// When this process started, in milliseconds since the Unix epoch: a
    /// token issued after it was renewed by another run meanwhile.
    pub started_ms: u64,
    /// What the machine offers to reach the user for a sign-in: read from
    /// the environment when first asked (only a sign-in and `doctor` ask).
    reach: std::sync::OnceLock<Reach>,
    /// `SSOKEY_AUTO_LOGIN`, as set: whether commands may sign in by themselves.
    pub auto_login: Option<String>,
    /// `BROWSER`, when set: the only browser that ssokey starts.
    pub browser_var: Option<String>,
    /// Where pages for the browser are written ([`crate::browser`]): ssokey's
    /// directory in `XDG_RUNTIME_DIR`, else in its cache dir.
    pub pages_dir: PathBuf,
    /// What the run reads of its files, each at most once: shared by every
    /// part of the run, auto sign-in included.
    reads: Arc<Reads>,
}

/// What a network client is made for: a region, and the `[sso-session]`
/// whose `ca_bundle` it may trust.
type NetKey = (String, Option<String>);

/// The files a run reads, each at most once and only when first asked: the
/// AWS config file and ssokey's remembered sessions.
#[derive(Debug)]
struct Reads {
    config: config_file::Lazy,
    /// The remembered sessions, and what was wrong with a damaged file.
    sessions: OnceLock<(State, Option<String>)>,
    /// Whether that was said once already.
    damage_told: std::sync::atomic::AtomicBool,
    /// The network client (a runtime and the SDK's configuration) of each
    /// region the run has talked to.
    nets: Mutex<Vec<(NetKey, Arc<Net>)>>,
}

/// The `ssokey_keychain` of the `[sso-session]` named `name`. A config file
/// that cannot be read says so where the session is resolved; here it sets
/// nothing.
fn session_keychain(reads: &Reads, name: &str) -> Option<String> {
    reads
        .config
        .get()
        .ok()
        .flatten()
        .and_then(|config| config.sso_session(name))
        .and_then(|section| section.keychain)
}

impl Reads {
    fn new(aws_config_file: &Path) -> Arc<Self> {
        Arc::new(Self {
            config: config_file::Lazy::new(aws_config_file),
            sessions: OnceLock::new(),
            damage_told: std::sync::atomic::AtomicBool::new(false),
            nets: Mutex::new(Vec::new()),
        })
    }
}

/// `RUST_LOG`, which chooses what is logged when it is set.
pub fn rust_log() -> Option<String> {
    std::env::var("RUST_LOG").ok()
}

/// Pure: how long to wait for a lock, from `SSOKEY_LOCK_WAIT` (seconds, a
/// fraction allowed; for tests, or for a slow portal): the default, 30 s,
/// when it is unset or not a number of seconds.
pub fn lock_wait(value: Option<&str>) -> Duration {
    value
        .and_then(|v| v.trim().parse::<f64>().ok())
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .unwrap_or(lock::DEFAULT_WAIT)
}

/// Set by `ssokey exec` in the command's environment, to notice nesting.
pub const EXEC_TARGET_VAR: &str = "SSOKEY_EXEC_TARGET";

impl Context {
    pub fn from_process(color: Color, profile_flag: Option<&str>) -> anyhow::Result<Self> {
        let home = dirs::home_dir().context("cannot find your home directory (set HOME)")?;
        let config_dir = paths::config_dir(&home);
        let cache_dir = paths::cache_dir(&home);
        let aws_config_file_env = std::env::var_os("AWS_CONFIG_FILE").filter(|v| !v.is_empty());
        let aws_config_file = config_file::config_path(aws_config_file_env.as_deref(), &home);
        let reads = Reads::new(&aws_config_file);
        let stderr_is_terminal = std::io::stderr().is_terminal();
        let non_empty = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let pages_dir = non_empty("XDG_RUNTIME_DIR").map_or_else(
            || cache_dir.join("pages"),
            |dir| PathBuf::from(dir).join("ssokey"),
        );
        Ok(Self {
            config_dir,
            cache_dir,
            aws_config_file,
            aws_config_file_is_default: aws_config_file_env.is_none(),
            stderr_is_terminal,
            stdin_is_terminal: std::io::stdin().is_terminal(),
            stdout_color: ui::use_color(color, std::io::stdout().is_terminal(), ui::no_color()),
            stderr_color: ui::use_color(color, stderr_is_terminal, ui::no_color()),
            aws_profile: non_empty("AWS_PROFILE"),
            run_profile: profile_flag
                .map(str::to_owned)
                .or_else(|| non_empty("AWS_PROFILE")),
            aws_region_set: non_empty("AWS_REGION").is_some()
                || non_empty("AWS_DEFAULT_REGION").is_some(),
            aws_region: non_empty("AWS_REGION").or_else(|| non_empty("AWS_DEFAULT_REGION")),
            sts_regional_endpoints: non_empty("AWS_STS_REGIONAL_ENDPOINTS"),
            aws_ca_bundle: non_empty("AWS_CA_BUNDLE"),
            federation_endpoints: crate::console::EndpointVariables {
                signin: non_empty("AWS_ENDPOINT_URL_SIGNIN"),
                global: non_empty("AWS_ENDPOINT_URL"),
                ignore: non_empty("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
            },
            keychain: non_empty("SSOKEY_KEYCHAIN"),
            exec_target: non_empty(EXEC_TARGET_VAR),
            lock_wait: lock_wait(non_empty("SSOKEY_LOCK_WAIT").as_deref()),
            started_ms: crate::clock::now_ms(),
            reach: std::sync::OnceLock::new(),
            auto_login: non_empty("SSOKEY_AUTO_LOGIN"),
            browser_var: non_empty("BROWSER"),
            pages_dir,
            reads,
            fast_tier: !non_empty("SSOKEY_FAST_TIER").is_some_and(|v| {
                matches!(
                    v.to_ascii_lowercase().as_str(),
                    "0" | "off" | "false" | "no"
                )
            }),
        })
    }

    /// The AWS config file, read the first time any part of the run asks,
    /// or `None` when there is none.
    pub fn config(&self) -> Result<Option<&ConfigFile>, ConfigError> {
        self.reads.config.get()
    }

    /// The sessions ssokey remembers, read the first time any part of the
    /// run asks: a damaged file is an empty state, with a warning (once).
    pub fn sessions(&self) -> &State {
        let (state, damage) = self.read_sessions();
        if let Some(damage) = damage
            && !self
                .reads
                .damage_told
                .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            crate::ui::warning(format_args!("{damage}"));
        }
        state
    }

    /// [`Self::sessions`] without a word on stderr (the hot path, shell
    /// completion, `doctor`).
    pub fn sessions_quietly(&self) -> &State {
        &self.read_sessions().0
    }

    fn read_sessions(&self) -> &(State, Option<String>) {
        self.reads
            .sessions
            .get_or_init(|| State::load(&self.config_dir))
    }

    /// The HTTP client policy of a run on the portal whose `[sso-session]`
    /// section is `sso_session` (none for a remembered session): the proxy
    /// from the environment, and the CA bundle that wins (`AWS_CA_BUNDLE`,
    /// else `ca_bundle` of the run's profile (`--profile`, else `AWS_PROFILE`,
    /// else `default`), else
    /// that of the section).
    pub fn http_policy(&self, sso_session: Option<&str>) -> Result<Policy, TrustError> {
        // A config file that does not parse names no bundle here: the
        // commands that read it say what is wrong with it.
        let config = if self.aws_ca_bundle.is_some() {
            None
        } else {
            self.config().ok().flatten()
        };
        let profile_name = self.run_profile.as_deref().unwrap_or("default");
        let profile = config.and_then(|config| config.profile(profile_name));
        let section = sso_session.and_then(|name| config?.sso_session(name));
        let bundle = choose_ca_bundle(
            self.aws_ca_bundle.as_deref(),
            profile
                .as_ref()
                .and_then(|p| Some((p.name(), p.get("ca_bundle")?))),
            section
                .as_ref()
                .and_then(|s| Some((s.name.as_str(), s.ca_bundle.as_deref()?))),
        );
        Policy::new(bundle)
    }

    /// The network client for `region`, on the portal whose `[sso-session]`
    /// section is `sso_session` (see [`Self::http_policy`]), made the first
    /// time any part of the run asks for it.
    pub fn net(&self, region: &str, sso_session: Option<&str>) -> anyhow::Result<Arc<Net>> {
        let mut nets = self
            .reads
            .nets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (region.to_owned(), sso_session.map(str::to_owned));
        if let Some((_, net)) = nets.iter().find(|(k, _)| *k == key) {
            return Ok(Arc::clone(net));
        }
        tracing::debug!(region, "starting the network client");
        let policy = self.http_policy(sso_session)?;
        let net = Arc::new(Net::new(region, &policy)?);
        nets.push((key, Arc::clone(&net)));
        Ok(net)
    }

    /// The same context for a run of its own: the files are read again (a
    /// long-lived credential server sees a config file edited meanwhile).
    #[must_use]
    pub fn renewed(&self) -> Self {
        Self {
            reads: Reads::new(&self.aws_config_file),
            ..self.clone()
        }
    }

    /// The keychain choice of a command that concerns no session in
    /// particular: `SSOKEY_KEYCHAIN`, else `auto`.
    pub fn keychain_choice(&self) -> Choice {
        Choice {
            env: self.keychain.clone(),
            setting: Setting::Known(None),
            namespace_of: self.config_dir.clone(),
        }
    }

    /// The keychain choice of the session named `name`, whose
    /// `ssokey_keychain` is looked up in the config file only when the store
    /// is opened (the hot path reads no config file).
    pub fn keychain_choice_named(&self, name: &str) -> Choice {
        let reads = Arc::clone(&self.reads);
        let name = name.to_owned();
        Choice {
            setting: Setting::Deferred(Arc::new(move || session_keychain(&reads, &name))),
            ..self.keychain_choice()
        }
    }

    /// What the machine offers to reach the user with: a browser, a CI job.
    pub fn reach(&self) -> Reach {
        *self.reach.get_or_init(Reach::from_process)
    }

    /// A variable of the process environment, for `ssokey doctor`, whose job
    /// is to report on the environment itself. Other commands use the fields.
    pub fn var(name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    /// The name of the parent process (the shell that runs ssokey, usually).
    pub fn parent_process() -> Option<String> {
        parent_process()
    }
}

/// What the machine offers to reach the user with a browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    /// A browser can open here: the PKCE sign-in is possible.
    pub browser: bool,
    /// `CI` says this is a CI job: nobody is there to sign in, whatever
    /// the machine could open (a Windows or macOS runner opens browsers).
    pub ci: bool,
}

impl Reach {
    pub fn from_process() -> Self {
        let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
        Self {
            browser: browser_can_open(
                Os::current(),
                set("BROWSER"),
                set("DISPLAY") || set("WAYLAND_DISPLAY") || set("WSL_DISTRO_NAME"),
                set("SSH_CONNECTION") || set("SSH_TTY"),
            ),
            ci: is_ci(std::env::var("CI").ok().as_deref()),
        }
    }
}

/// Pure: whether `CI` says this is a CI job (GitHub Actions, GitLab CI and
/// most others set `CI=true`).
pub fn is_ci(value: Option<&str>) -> bool {
    value.is_some_and(|value| {
        let value = value.trim();
        !value.is_empty() && !matches!(value.to_ascii_lowercase().as_str(), "0" | "false" | "no")
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    MacOs,
    Windows,
    /// Linux and the other Unixes: a browser needs a display.
    Other,
}

impl Os {
    fn current() -> Self {
        if cfg!(target_os = "macos") {
            Os::MacOs
        } else if cfg!(windows) {
            Os::Windows
        } else {
            Os::Other
        }
    }
}

/// Pure: whether ssokey can open a browser on this machine. `BROWSER` says
/// so; else not over SSH; else always on macOS and Windows, and with a
/// display (X11, Wayland, or WSL's Windows desktop) elsewhere.
pub fn browser_can_open(os: Os, browser_var: bool, display: bool, ssh: bool) -> bool {
    if browser_var {
        return true;
    }
    if ssh {
        return false;
    }
    match os {
        Os::MacOs | Os::Windows => true,
        Os::Other => display,
    }
}

#[cfg(target_os = "linux")]
fn parent_process() -> Option<String> {
    let ppid = std::os::unix::process::parent_id();
    let comm = std::fs::read_to_string(format!("/proc/{ppid}/comm")).ok()?;
    Some(comm.trim().to_owned())
}

#[cfg(all(unix, not(target_os = "linux")))]
fn parent_process() -> Option<String> {
    let ppid = std::os::unix::process::parent_id();
    let out = std::process::Command::new("ps")
        .args(["-o", "comm=", "-p", &ppid.to_string()])
        .output()
        .ok()?;
    let name = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!name.is_empty()).then_some(name)
}

#[cfg(not(unix))]
fn parent_process() -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_wait_is_thirty_seconds_unless_set_to_a_number_of_seconds() {
        assert_eq!(lock_wait(None), Duration::from_secs(30));
        assert_eq!(lock_wait(Some("4")), Duration::from_secs(4));
        assert_eq!(lock_wait(Some(" 0.5 ")), Duration::from_millis(500));
        assert_eq!(lock_wait(Some("0")), Duration::ZERO);
        for bad in ["-1", "soon", "inf", "NaN"] {
            assert_eq!(lock_wait(Some(bad)), Duration::from_secs(30), "{bad}");
        }
    }

    #[test]
    fn a_browser_opens_where_browser_says_or_a_desktop_is_and_not_over_ssh() {
        // BROWSER wins everywhere, SSH or not.
        for os in [Os::MacOs, Os::Windows, Os::Other] {
            assert!(browser_can_open(os, true, false, true));
        }
        assert!(browser_can_open(Os::MacOs, false, false, false));
        assert!(browser_can_open(Os::Windows, false, false, false));
        assert!(browser_can_open(Os::Other, false, true, false));
        assert!(!browser_can_open(Os::Other, false, false, false));
        // Over SSH without BROWSER: never, a forwarded display included.
        assert!(!browser_can_open(Os::MacOs, false, false, true));
        assert!(!browser_can_open(Os::Other, false, true, true));
    }

    #[test]
    fn ci_is_what_ci_systems_set() {
        assert!(is_ci(Some("true")));
        assert!(is_ci(Some("1")));
        assert!(!is_ci(None));
        assert!(!is_ci(Some("")));
        assert!(!is_ci(Some("false")));
        assert!(!is_ci(Some("0")));
    }

    #[test]
    fn a_sessions_keychain_setting_is_read_from_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        std::fs::write(
            &file,
            "[sso-session a]\nsso_start_url = https://a.awsapps.com/start\nssokey_keychain = kernel\n",
        )
        .unwrap();
        let reads = Reads::new(&file);
        assert_eq!(session_keychain(&reads, "a").as_deref(), Some("kernel"));
        assert_eq!(session_keychain(&reads, "b"), None);
    }
}
