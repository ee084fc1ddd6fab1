//! The command line: every subcommand, flag and help text.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "ssokey",
    version,
    about = "Sign in to AWS IAM Identity Center once, then get short-lived AWS credentials",
    long_about = "Sign in to AWS IAM Identity Center once, then get short-lived AWS credentials.\n\n\
        ssokey runs the device-authorization sign-in of your AWS access portal and keeps every \
        token in the OS keychain (macOS Keychain, Windows Credential Manager, the Secret Service \
        on Linux). Nothing secret is written to disk.",
    after_help = "Examples:\n  \
        ssokey login --start-url https://acme.awsapps.com/start --region us-east-1\n  \
        ssokey login --session work        # an [sso-session work] of ~/.aws/config\n  \
        ssokey status\n  \
        ssokey logout --all"
)]
pub struct Cli {
    /// The session to use: an [sso-session NAME] of the AWS config file, or one
    /// remembered from an earlier --start-url [default: the one used last]
    #[arg(long, global = true, value_name = "NAME")]
    pub session: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in to the AWS access portal in the browser
    #[command(after_help = "Examples:\n  \
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
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The URL of the AWS access portal, e.g. https://NAME.awsapps.com/start
    #[arg(long, value_name = "URL", requires = "region")]
    pub start_url: Option<String>,

    /// The region of the IAM Identity Center instance, e.g. us-east-1
    #[arg(long, value_name = "REGION", requires = "start_url")]
    pub region: Option<String>,

    /// Print the sign-in URL and code, but do not open a browser
    #[arg(long)]
    pub no_browser: bool,

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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn region_and_start_url_go_together() {
        assert!(Cli::try_parse_from(["ssokey", "login", "--region", "us-east-1"]).is_err());
        assert!(
            Cli::try_parse_from([
                "ssokey",
                "login",
                "--start-url",
                "https://a.awsapps.com/start"
            ])
            .is_err()
        );
        assert!(Cli::try_parse_from(["ssokey", "logout", "--all", "--session", "x"]).is_err());
    }
}
