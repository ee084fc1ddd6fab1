//! The first run of `ssokey login`: with no session set up and a person at a
//! terminal (stdin and stderr), it asks for the start URL and, only when the
//! URL does not name it, the region; then it offers to write the
//! `[sso-session NAME]` section into the AWS config file, showing the diff
//! as `ssokey profiles` does. Off a terminal nothing is asked. Questions go
//! to stderr; stdout stays data only.

use std::io::BufRead as _;

use super::config_edit;
use crate::config_file::ConfigFile;
use crate::context::Context;
use crate::session::{self, Origin, Session, SessionError, SessionSpec};
use crate::start_url::{StartUrl, StartUrlError, validate_region};

/// How many answers a question takes before ssokey gives up.
const TRIES: usize = 3;

/// The session the command line means; when none is set up and a person is
/// at the terminal, the one they describe.
pub fn resolve_or_ask(ctx: &Context, request: &SessionSpec) -> anyhow::Result<Session> {
    match session::resolve_for(ctx, request) {
        Err(err) if should_ask(ctx, request, err.downcast_ref()) => ask(ctx, request),
        resolved => resolved,
    }
}

/// Whether to ask: nothing is set up (no section, nothing remembered),
/// the command line gives no start URL, and a person can answer.
fn should_ask(ctx: &Context, request: &SessionSpec, err: Option<&SessionError>) -> bool {
    let nothing_known = match err {
        Some(SessionError::NoneKnown) => true,
        Some(SessionError::Unknown { known, .. }) => known.is_empty(),
        _ => false,
    };
    nothing_known && request.start_url.is_none() && ctx.stdin_is_terminal && ctx.stderr_is_terminal
}

fn ask(ctx: &Context, request: &SessionSpec) -> anyhow::Result<Session> {
    crate::ui::say(
        "No session is set up yet. ssokey needs the start URL of your AWS access portal: \
         the address of the page that lists your accounts, e.g. https://NAME.awsapps.com/start \
         (paste it from the browser as it is).",
    );
    let url = ask_until("Start URL:", read_start_url)?;
    // A company's own domain: the portal it leads to says the region.
    let looked_up = if crate::aws::vanity::is_custom_domain(&url) {
        let spec = SessionSpec {
            session: request.session.clone(),
            start_url: Some(url.as_str().to_owned()),
            region: None,
        };
        Some(session::look_up_custom_domain(ctx, &spec)?.unwrap_or_else(|| ctx.sessions().clone()))
    } else {
        None
    };
    // (`--region` comes only with `--start-url`, which skips these questions.)
    let region = if url.region().is_some() || looked_up.is_some() {
        None
    } else {
        crate::ui::say(
            "That URL does not name the region of your IAM Identity Center; it is on the \
             Settings page of the IAM Identity Center console (e.g. us-east-1).",
        );
        Some(ask_until("Region:", read_region)?)
    };
    let spec = SessionSpec {
        session: request.session.clone(),
        start_url: Some(url.as_str().to_owned()),
        region,
    };
    let path = &ctx.aws_config_file;
    let state = looked_up.as_ref().unwrap_or_else(|| ctx.sessions());
    let session = session::resolve(&spec, None, &path.display().to_string(), state)?;

    let original = config_edit::read(path)?;
    let mut config = ConfigFile::parse(&original).map_err(|err| err.in_file(path))?;
    let scopes = session.scopes.join(",");
    let keys = section_keys(&session, &scopes);
    if !config.add_sso_session(&session.name, &keys) {
        return Ok(session);
    }
    let text = config.to_string();
    let with = format!("with [sso-session {}]", session.name);
    crate::ui::say(format_args!(
        "ssokey can write the session '{}' into {}, so that the AWS CLI, the SDKs and ssokey \
         share one definition:",
        session.name,
        path.display()
    ));
    crate::ui::say(config_edit::diff(path, &original, &text, &with).trim_end());
    if !ask_until("Write it? [Y/n]", read_yes)? {
        crate::ui::say(format_args!(
            "Left {} as it was; ssokey remembers the session '{}' itself.",
            path.display(),
            session.name
        ));
        return Ok(session);
    }
    let existed = path.exists();
    config_edit::write(ctx, &original, &text)?;
    if existed {
        crate::ui::say(format_args!(
            "Wrote [sso-session {}] to {} (what it held before is in {}).",
            session.name,
            path.display(),
            config_edit::backup_path(path).display()
        ));
    } else {
        crate::ui::say(format_args!(
            "Wrote [sso-session {}] to {}.",
            session.name,
            path.display()
        ));
    }
    Ok(Session {
        origin: Origin::ConfigFile,
        ..session
    })
}

/// Pure: the keys of the `[sso-session]` section, as `aws configure sso`
/// writes them.
fn section_keys<'s>(session: &'s Session, scopes: &'s str) -> [(&'static str, &'s str); 3] {
    [
        ("sso_start_url", session.start_url.as_str()),
        ("sso_region", session.region.as_str()),
        ("sso_registration_scopes", scopes),
    ]
}

/// Asks `question` until `read` takes the answer, at most [`TRIES`] times,
/// saying what was wrong each time. The end of input (Ctrl-D) cancels, as
/// too many wrong answers do: nothing is written, and the error is the one
/// that a run off a terminal gets.
fn ask_until<T>(question: &str, read: impl Fn(&str) -> Result<T, String>) -> anyhow::Result<T> {
    let stdin = std::io::stdin();
    for attempt in 1..=TRIES {
        crate::ui::ask(question);
        let mut answer = String::new();
        if stdin.lock().read_line(&mut answer)? == 0 {
            crate::ui::say("");
            return Err(SessionError::NoneKnown.into());
        }
        match read(&answer) {
            Ok(value) => return Ok(value),
            Err(why) if attempt < TRIES => {
                crate::ui::say(format_args!("{why}; try again."));
            }
            Err(why) => {
                crate::ui::say(format_args!("{why}."));
            }
        }
    }
    Err(SessionError::NoneKnown.into())
}

/// Pure: the start URL in an answer, as a person pastes it: surrounding
/// spaces, the address bar's `…/start/#/`, and a missing `https://` are
/// fine; a single word is not a URL (it may be the portal's name).
pub fn read_start_url(answer: &str) -> Result<StartUrl, String> {
    let typed = answer.trim();
    if typed.is_empty() {
        return Err("ssokey needs the start URL to sign in".to_owned());
    }
    let url = if typed.contains("://") {
        typed.to_owned()
    } else {
        let host = typed.split(['/', '?', '#']).next().unwrap_or_default();
        if !host.contains('.') {
            let named = if host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                format!(" (for the portal named {typed}: https://{typed}.awsapps.com/start)")
            } else {
                String::new()
            };
            return Err(format!(
                "'{typed}' is not a URL: paste the whole address{named}"
            ));
        }
        format!("https://{typed}")
    };
    StartUrl::parse(&url).map_err(|err| match err {
        StartUrlError::BadStartUrl(..) => err.to_string(),
        StartUrlError::Typo { .. } | StartUrlError::BadRegion { .. } => {
            format!("{err}; {}", err.hint())
        }
    })
}

/// Pure: the region in an answer (surrounding spaces and capitals are fine).
pub fn read_region(answer: &str) -> Result<String, String> {
    let region = answer.trim().to_ascii_lowercase();
    if region.is_empty() {
        return Err("ssokey needs the region to sign in".to_owned());
    }
    validate_region(&region).map_err(|err| match err {
        StartUrlError::BadRegion {
            suggestion: Some(_),
            ..
        } => format!("{err}; {}", err.hint()),
        _ => err.to_string(),
    })?;
    Ok(region)
}

/// Pure: yes or no; an empty answer is yes.
pub fn read_yes(answer: &str) -> Result<bool, String> {
    match answer.trim().to_ascii_lowercase().as_str() {
        "" | "y" | "yes" => Ok(true),
        "n" | "no" => Ok(false),
        _ => Err("answer y or n".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::store::sessions::State;

    fn url(answer: &str) -> Result<(String, Option<String>), String> {
        read_start_url(answer).map(|url| (url.as_str().to_owned(), url.region().map(str::to_owned)))
    }

    #[test]
    fn a_start_url_is_read_as_a_person_pastes_it() {
        let acme = Ok(("https://acme.awsapps.com/start".to_owned(), None));
        for answer in [
            "https://acme.awsapps.com/start\n",
            "  https://acme.awsapps.com/start/#/  \n",
            "https://acme.awsapps.com/start/#/?tab=accounts",
            "acme.awsapps.com/start",
            "acme.awsapps.com",
            "\thttps://ACME.awsapps.com/start/\r\n",
        ] {
            assert_eq!(url(answer), acme, "{answer:?}");
        }
        assert_eq!(
            url("ssoins-1234567890abcdef.portal.eu-west-1.app.aws/"),
            Ok((
                "https://ssoins-1234567890abcdef.portal.eu-west-1.app.aws".to_owned(),
                Some("eu-west-1".to_owned())
            ))
        );
    }

    #[test]
    fn a_typo_of_an_aws_domain_says_the_url_meant() {
        assert_eq!(
            url("acme.awsapp.com/start"),
            Err("'https://acme.awsapp.com/start' is not an AWS access portal: its host is a close miss of AWS's own; for AWS's own portal, use https://acme.awsapps.com/start".to_owned())
        );
        assert_eq!(
            url("https://ssoins-1.us-west-2.portal.amazonaws.com"),
            Ok((
                "https://ssoins-1.us-west-2.portal.amazonaws.com".to_owned(),
                Some("us-west-2".to_owned())
            ))
        );
    }

    #[test]
    fn a_wrong_start_url_says_why() {
        assert_eq!(
            url(" \n"),
            Err("ssokey needs the start URL to sign in".to_owned())
        );
        assert_eq!(
            url("acme\n"),
            Err("'acme' is not a URL: paste the whole address (for the portal named acme: https://acme.awsapps.com/start)".to_owned())
        );
        assert_eq!(
            url("http://acme.awsapps.com/start"),
            Err(
                "'http://acme.awsapps.com/start' is not a valid start URL: it must use https"
                    .to_owned()
            )
        );
        assert_eq!(
            url("https://acme awsapps.com"),
            Err("'https://acme awsapps.com' is not a valid start URL: it contains spaces or control characters".to_owned())
        );
    }

    #[test]
    fn regions_and_yes_or_no() {
        assert_eq!(read_region(" EU-West-1\n"), Ok("eu-west-1".to_owned()));
        assert_eq!(
            read_region("ireland"),
            Err("'ireland' is not an AWS region name".to_owned())
        );
        assert_eq!(
            read_region("us-east-11"),
            Err("'us-east-11' is not an AWS region name; did you mean us-east-1?".to_owned())
        );
        assert!(read_region("\n").is_err());
        for (answer, yes) in [
            ("\n", true),
            ("y", true),
            (" YES ", true),
            ("n\n", false),
            ("No", false),
        ] {
            assert_eq!(read_yes(answer), Ok(yes), "{answer:?}");
        }
        assert_eq!(read_yes("maybe"), Err("answer y or n".to_owned()));
    }

    #[test]
    fn the_section_has_the_keys_that_aws_configure_sso_writes() {
        let request = SessionSpec {
            session: None,
            start_url: Some("https://acme.awsapps.com/start".to_owned()),
            region: Some("eu-west-1".to_owned()),
        };
        let session = session::resolve(&request, None, "config", &State::default()).unwrap();
        let scopes = session.scopes.join(",");
        let mut config = ConfigFile::default();
        assert!(config.add_sso_session(&session.name, &section_keys(&session, &scopes)));
        assert_eq!(
            config.to_string(),
            "[sso-session acme]\nsso_start_url = https://acme.awsapps.com/start\n\
             sso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n"
        );
        let read = config.sso_session("acme").unwrap();
        assert_eq!(read.registration_scopes, ["sso:account:access"]);
    }
}
