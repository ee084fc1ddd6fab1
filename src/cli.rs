//! The command line: every subcommand, flag and help text.

use std::ffi::OsString;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::ArgValueCandidates;

use crate::output::render::Shell;
use crate::ui::Color;

/// What `ssokey --version` prints after the name: the version, then the
/// commit, the target and the day it was built (from build.rs), so that a
/// downloaded binary says what it is. `-V` prints the version alone.
const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncommit: ",
    env!("SSOKEY_COMMIT"),
    "\ntarget: ",
    env!("SSOKEY_TARGET"),
    "\nbuilt: ",
    env!("SSOKEY_BUILD_DATE"),
);

#[derive(Debug, Parser)]
#[command(
    name = "ssokey",
    version,
    long_version = LONG_VERSION,
    about = "Sign in to AWS IAM Identity Center once, then get short-lived AWS credentials",
    long_about = "Sign in to AWS IAM Identity Center once, then get short-lived AWS credentials.\n\n\
        ssokey signs in to your AWS access portal in the browser (the authorization code with \
        PKCE), or with a device code where no browser can open (over SSH, --no-browser), and \
        keeps every token in the OS keychain (macOS Keychain, Windows Credential Manager; on \
        Linux the Secret Service, else the kernel keyring). Nothing secret is written to disk.",
    after_help = "Examples:\n  \
        ssokey login --start-url https://acme.awsapps.com/start --region us-east-1\n  \
        ssokey login --session work        # an [sso-session work] of ~/.aws/config\n  \
        ssokey status\n  \
        eval \"$(ssokey env --account 111122223333 --role Admin)\"\n  \
        ssokey exec --account 111122223333 --role Admin -- terraform plan\n  \
        ssokey logout --all"
)]
pub struct Cli {
    /// The session to use: an [sso-session NAME] of the AWS config file, or one
    /// remembered from an earlier --start-url [default: the one used last]
    #[arg(long, global = true, value_name = "NAME",
          add = ArgValueCandidates::new(crate::output::complete::sessions))]
    pub session: Option<String>,

    /// Log what ssokey does to stderr: -v steps, -vv details, -vvv everything
    /// (secrets never shown; RUST_LOG, when set, chooses instead)
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// When to use colour on a terminal [NO_COLOR, when set, means never for auto]
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = Color::Auto)]
    pub color: Color,

    #[command(subcommand)]
    pub command: Command,
}

/// Each subcommand's arguments are built only when it runs (`defer`): a
/// `credential-process` hit does not pay for building the whole command line.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Sign in to the AWS access portal in the browser
    #[command(after_help = "Examples:\n  \
        ssokey login    (the first time, on a terminal: asks for the start URL and region)\n  \
        ssokey login --start-url https://acme.awsapps.com/start --region us-east-1\n  \
        ssokey login --session work --no-browser\n  \
        ssokey login --force")]
    Login(LoginArgs),
    /// Sign out: end the portal session and delete its tokens from the keychain
    #[command(
        after_help = "Examples:\n  ssokey logout\n  ssokey logout --session work\n  ssokey logout --all"
    )]
    Logout(LogoutArgs),
    /// Show every known session, whether it is signed in and until when
    #[command(after_help = "Examples:\n  ssokey status\n  ssokey status --output json")]
    Status(StatusArgs),
    /// List the accounts and roles assigned to you
    #[command(after_help = "Examples:\n  \
        ssokey list\n  \
        ssokey list prod              # account id, account name or role containing 'prod'\n  \
        ssokey list --output json --refresh")]
    List(ListArgs),
    /// Write an AWS config profile for every role assigned to you
    #[command(after_help = "Examples:\n  \
        ssokey profiles                      # show the changes as a diff\n  \
        ssokey profiles --write              # apply them\n  \
        ssokey profiles --write --prune --region eu-west-1\n  \
        ssokey profiles --name '{session}-{account_name}-{role_name}'")]
    Profiles(ProfilesArgs),
    /// Print shell lines that set AWS credentials for a role
    #[command(after_help = "Examples:\n  \
        eval \"$(ssokey env --account 111122223333 --role Admin)\"          # bash, zsh\n  \
        eval \"$(ssokey env)\"                                              # pick a role on the terminal\n  \
        ssokey env --account 111122223333 --role Admin | source            # fish\n  \
        ssokey env --account 111122223333 --role Admin --shell powershell | Invoke-Expression\n  \
        eval \"$(ssokey env --unset)\"")]
    Env(EnvArgs),
    /// Print credentials as the JSON that an AWS config `credential_process` reads
    #[command(after_help = "Example, in ~/.aws/config:\n  \
        [profile prod-admin]\n  \
        credential_process = ssokey credential-process --account 111122223333 --role Admin")]
    CredentialProcess(CredentialProcessArgs),
    /// Run a command with AWS credentials for a role in its environment
    #[command(after_help = "Examples:\n  \
        ssokey exec --account 111122223333 --role Admin -- terraform plan\n  \
        ssokey exec --profile prod-admin -- aws s3 ls\n  \
        ssokey exec -- aws sts get-caller-identity      # pick a role on the terminal\n  \
        ssokey exec --server --profile prod-admin -- terraform apply   # runs for hours")]
    Exec(ExecArgs),
    /// Serve credentials for a role to AWS SDKs on 127.0.0.1, until Ctrl-C
    #[command(after_help = "Examples:\n  \
        ssokey serve --account 111122223333 --role Admin     # then, in another terminal, the two lines it prints\n  \
        eval \"$(ssokey serve --profile prod-admin --shell bash | head -n 2 &)\"   # in the background of this shell\n\n\
        In the background, it says on stderr how to stop it (kill PID). head -n 2 hands the two lines to eval \
        and lets go of the pipe: without it, eval would wait for the server to end.\n\n\
        It speaks the container credentials protocol: an SDK given AWS_CONTAINER_CREDENTIALS_FULL_URI \
        and AWS_CONTAINER_AUTHORIZATION_TOKEN asks it for credentials whenever it needs new ones, \
        and it renews them through the cache as they run out.")]
    Serve(ServeArgs),
    /// Open the AWS console in the browser, signed in as a role
    #[command(after_help = "Examples:\n  \
        ssokey console --account 111122223333 --role Admin\n  \
        ssokey console --profile prod-admin --service ec2 --region eu-west-1\n  \
        ssokey console                         # pick a role on the terminal\n  \
        ssokey console --profile prod-admin --print | xclip\n\n\
        The sign-in URL is a bearer credential: whoever holds it has the console until the \
        sign-in token expires. It is given to the browser as an argument (other processes of \
        the same user can see it while the browser starts), and written on stdout only with --print.")]
    Console(ConsoleArgs),
    /// Check the environment: config file, keychain, D-Bus, browser, clock, PATH
    #[command(
        after_help = "Examples:\n  ssokey doctor\n  ssokey doctor --output json\n\n\
        Each problem comes with the fix; the exit code is 1 when a check fails."
    )]
    Doctor(DoctorArgs),
    /// Print the shell completion script for a shell, or install it
    #[command(after_help = "Examples:\n  \
        ssokey completions --install bash    # where bash-completion reads it\n  \
        ssokey completions --install zsh     # ~/.zfunc/_ssokey, and the line for ~/.zshrc\n  \
        ssokey completions --install fish    # ~/.config/fish/completions/ssokey.fish\n  \
        ssokey completions powershell >> $PROFILE")]
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,

    /// Write the script where the shell reads it (bash, zsh and fish),
    /// making the directories, and say where on stderr
    #[arg(long)]
    pub install: bool,
}

impl Command {
    /// The profile that `--profile` names for the commands that take one:
    /// the run's profile, as botocore's `--profile` is, whose settings (such
    /// as `ca_bundle`) apply to every call of the run.
    pub fn profile(&self) -> Option<&str> {
        match self {
            Self::Env(EnvArgs { target, .. })
            | Self::CredentialProcess(CredentialProcessArgs { target, .. })
            | Self::Exec(ExecArgs { target, .. })
            | Self::Serve(ServeArgs { target, .. })
            | Self::Console(ConsoleArgs { target, .. }) => target.profile.as_deref(),
            _ => None,
        }
    }
}

// Which role in which account. (Not a doc comment: with `defer`, a flattened
// struct's doc comment would become the subcommand's about.)
#[derive(Debug, Default, Args)]
pub struct TargetArgs {
    /// The account: its 12-digit id, or its name when that is unique
    #[arg(
        long,
        value_name = "ID|NAME",
        requires = "role",
        conflicts_with = "profile",
        add = ArgValueCandidates::new(crate::output::complete::accounts)
    )]
    pub account: Option<String>,

    /// The role (permission set) name
    #[arg(
        long,
        value_name = "NAME",
        requires = "account",
        conflicts_with = "profile",
        add = ArgValueCandidates::new(crate::output::complete::roles)
    )]
    pub role: Option<String>,

    /// Read the account, role and session from a profile of the AWS config file
    /// [default: AWS_PROFILE, when neither --account nor --profile is given]
    #[arg(long, value_name = "NAME", add = ArgValueCandidates::new(crate::output::complete::profiles))]
    pub profile: Option<String>,

    /// Then assume this role with STS (role chaining); repeat for more hops,
    /// in order
    #[arg(long, value_name = "ARN")]
    pub assume_role: Vec<String>,

    /// The external id for the last --assume-role
    #[arg(long, value_name = "ID", requires = "assume_role")]
    pub external_id: Option<String>,

    /// The role session name for the last --assume-role [default: your
    /// Identity Center user name]
    #[arg(long, value_name = "NAME", requires = "assume_role")]
    pub role_session_name: Option<String>,
}

// How cached credentials are used.
#[derive(Debug, Args)]
pub struct CacheArgs {
    /// Fetch new credentials even when cached ones are still valid
    #[arg(long)]
    pub refresh: bool,

    /// Reuse cached credentials only while they have more than this left
    /// (botocore refreshes credentials with less than 15 minutes left, so a
    /// smaller margin would make it run ssokey again on almost every call)
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = humantime::parse_duration)]
    pub margin: Duration,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub cache: CacheArgs,

    /// The shell to print for [default: the parent shell; PowerShell on Windows]
    #[arg(long, value_enum)]
    pub shell: Option<Shell>,

    /// Print the lines that clear the variables instead
    #[arg(long, conflicts_with_all = ["account", "role", "profile", "refresh"])]
    pub unset: bool,
}

#[derive(Debug, Args)]
pub struct CredentialProcessArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub cache: CacheArgs,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub cache: CacheArgs,

    /// Give the command a local credential server instead of static keys
    /// (AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN),
    /// so that it gets new credentials as they run out, however long it runs
    #[arg(long)]
    pub server: bool,

    /// The command to run, and its arguments, after --
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub cache: CacheArgs,

    /// The shell to print the variables for [default: the parent shell; PowerShell on Windows]
    #[arg(long, value_enum)]
    pub shell: Option<Shell>,

    /// The port to listen on, on 127.0.0.1 [default: a free one]
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub cache: CacheArgs,

    /// The service whose console page opens, as in its URL: ec2, s3, cloudwatch...
    /// [default: the console home]
    #[arg(long, value_name = "NAME", conflicts_with = "destination")]
    pub service: Option<String>,

    /// The console URL to open, in full
    #[arg(long, value_name = "URL")]
    pub destination: Option<String>,

    /// The region of the console [default: the profile's, else AWS_REGION, else us-east-1]
    #[arg(long, value_name = "REGION", value_parser = parse_region)]
    pub region: Option<String>,

    /// Print the sign-in URL on stdout instead of opening a browser
    #[arg(long)]
    pub print: bool,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The URL of the AWS access portal, e.g. https://NAME.awsapps.com/start
    #[arg(long, value_name = "URL")]
    pub start_url: Option<String>,

    /// The region of the IAM Identity Center instance, e.g. us-east-1 (a start URL whose host names it, such as https://ssoins-ID.portal.REGION.app.aws, needs none)
    #[arg(long, value_name = "REGION", requires = "start_url")]
    pub region: Option<String>,

    /// Sign in with a code on another device: print the URL and code, and open no browser
    #[arg(long)]
    pub no_browser: bool,

    /// Sign in with the device code even where a browser can open here (the
    /// browser, if it can open, shows the code page)
    #[arg(long, conflicts_with = "no_browser")]
    pub device_code: bool,

    /// Sign in again even when a valid token is held
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Sign out of every known session
    #[arg(long, conflicts_with = "session")]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Show only the roles whose account id, account name or role name
    /// contains this, ignoring case
    pub pattern: Option<String>,

    /// The output format
    #[arg(long, short, value_enum, default_value_t = Output::Table)]
    pub output: Output,

    #[command(flatten)]
    pub listing: ListingArgs,
}

// How the listing of accounts and roles is obtained.
#[derive(Debug, Args)]
pub struct ListingArgs {
    /// Ask the portal, even when the local listing cache is recent
    #[arg(long)]
    pub refresh: bool,

    /// How many role listings may run at once
    #[arg(long, value_name = "N", default_value_t = crate::listing::DEFAULT_CONCURRENCY,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub concurrency: usize,
}

impl Default for ListingArgs {
    /// The listing cache when it is recent, at the default concurrency.
    fn default() -> Self {
        Self {
            refresh: false,
            concurrency: crate::listing::DEFAULT_CONCURRENCY,
        }
    }
}

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// Write the changes into the AWS config file (without it, print them as a diff)
    #[arg(long)]
    pub write: bool,

    /// Remove ssokey's profiles whose role is no longer assigned
    #[arg(long)]
    pub prune: bool,

    /// The profile name template: {account_name}, {account_id}, {role_name}, {session}
    /// [default: {account_name}-{role_name}]
    #[arg(long, value_name = "TEMPLATE")]
    pub name: Option<String>,

    /// Set this region in every profile [default: the region setting of the session's [sso-session], else the Identity Center region]
    #[arg(long, value_name = "REGION", value_parser = parse_region)]
    pub region: Option<String>,

    #[command(flatten)]
    pub listing: ListingArgs,
}

fn parse_region(value: &str) -> Result<String, String> {
    crate::start_url::validate_region(value)
        .map(|()| value.to_owned())
        .map_err(|err| format!("{err}; {}", err.hint()))
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The output format
    #[arg(long, short, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The output format
    #[arg(long, short, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Json,
}

/// Answers a shell's completion request (`SSOKEY_COMPLETE` set, see
/// [`crate::output::complete`]) and exits, when this run is one.
pub fn complete_if_asked() {
    use clap::CommandFactory as _;
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(crate::output::complete::VAR)
        .complete();
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn region_goes_with_a_start_url_which_may_name_it_alone() {
        assert!(Cli::try_parse_from(["ssokey", "login", "--region", "us-east-1"]).is_err());
        // A start URL whose host names the region needs no --region; for
        // any other, the session's resolution asks for it (exit 2).
        assert!(
            Cli::try_parse_from([
                "ssokey",
                "login",
                "--start-url",
                "https://ssoins-1234.portal.eu-west-1.app.aws"
            ])
            .is_ok()
        );
        assert!(Cli::try_parse_from(["ssokey", "logout", "--all", "--session", "x"]).is_err());
    }

    #[test]
    fn targets_are_flags_or_a_profile() {
        assert!(Cli::try_parse_from(["ssokey", "env", "--account", "111122223333"]).is_err());
        assert!(
            Cli::try_parse_from([
                "ssokey",
                "env",
                "--account",
                "1",
                "--role",
                "r",
                "--profile",
                "p"
            ])
            .is_err()
        );
        assert!(Cli::try_parse_from(["ssokey", "env", "--unset", "--profile", "p"]).is_err());
        assert!(Cli::try_parse_from(["ssokey", "env", "--shell", "tcsh"]).is_err());
        assert!(Cli::try_parse_from(["ssokey", "exec", "--profile", "p"]).is_err());
        let cli = Cli::try_parse_from([
            "ssokey",
            "exec",
            "--profile",
            "p",
            "--",
            "aws",
            "--x",
            "a b",
        ])
        .unwrap();
        let Command::Exec(args) = cli.command else {
            panic!()
        };
        assert_eq!(args.command, ["aws", "--x", "a b"]);
        assert_eq!(args.cache.margin, Duration::from_mins(15));
    }
}

/// The man pages in man/ are what the command line generates now; after a
/// change, regenerate them with `SSOKEY_BLESS=1 cargo test man_pages`.
#[cfg(test)]
mod man_pages {
    use clap::CommandFactory;

    fn render(command: clap::Command) -> String {
        let mut out = Vec::new();
        // The man pages name the version only: the commit and the build
        // date of --version would change them at every commit.
        clap_mangen::Man::new(command.long_version(None::<&str>))
            .render(&mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn man_pages_are_current() {
        let mut top = super::Cli::command();
        // Global flags reach the subcommands when the command is built.
        top.build();
        let mut pages = vec![("ssokey.1".to_owned(), render(top.clone()))];
        for sub in top.get_subcommands().filter(|s| s.get_name() != "help") {
            let name: &'static str = format!("ssokey-{}", sub.get_name()).leak();
            pages.push((format!("{name}.1"), render(sub.clone().name(name))));
        }
        for (file, expected) in pages {
            crate::store::files::assert_generated("man", &file, &expected);
        }
    }
}
