//! The names of ssokey's keychain entries, built and read back here only:
//! `session/NAME/token`, `session/NAME/client` and
//! `session/NAME/role/ACCOUNT/ROLE` (with `/chain/ID` for a role chain); and of the fast tier's mark of a
//! session's sign-in, `session/NAME/signed-in`.

/// The entry that holds a session's token.
pub fn token(session: &str) -> String {
    format!("session/{session}/token")
}

/// The entry that holds a session's client registration.
pub fn client(session: &str) -> String {
    format!("session/{session}/client")
}

/// The entry that a sign-in writes and deletes first, to learn that the
/// keychain can keep what it gets.
pub fn probe(session: &str) -> String {
    format!("session/{session}/probe")
}

/// The entry that holds the cached credentials of one role.
pub fn role(session: &str, account_id: &str, role: &str) -> String {
    format!("{}{account_id}/{role}", roles_of(session))
}

/// The entry that holds the cached credentials at the end of a role chain
/// that starts from one role; `chain_id` names the chain.
pub fn chained_role(session: &str, account_id: &str, role: &str, chain_id: &str) -> String {
    format!("{}/chain/{chain_id}", self::role(session, account_id, role))
}

/// What the names of a session's cached role credentials start with.
pub fn roles_of(session: &str) -> String {
    format!("session/{session}/role/")
}

/// The fast tier's mark of the session's current sign-in (it holds no
/// secret, and is never in the keychain).
pub fn sign_in_mark(session: &str) -> String {
    format!("session/{session}/signed-in")
}

/// The session whose sign-in `key` holds (its token or its client
/// registration), if it holds one: `ssokey login` replaces either.
pub fn signed_in_by(key: &str) -> Option<&str> {
    let (session, _) = key.strip_prefix("session/")?.rsplit_once('/')?;
    (key == token(session) || key == client(session)).then_some(session)
}

/// The session that an entry belongs to, if it is a session's.
pub fn session_of(key: &str) -> Option<&str> {
    key.strip_prefix("session/")?.split('/').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_to_their_session() {
        assert_eq!(signed_in_by(&token("work")), Some("work"));
        assert_eq!(signed_in_by(&client("work")), Some("work"));
        assert_eq!(signed_in_by(&role("work", "111122223333", "Admin")), None);
        assert_eq!(signed_in_by("session/work/tokens"), None);
        assert_eq!(signed_in_by("ssokey-doctor-probe"), None);
        assert_eq!(
            session_of(&role("work", "111122223333", "Admin")),
            Some("work")
        );
        assert_eq!(session_of("ssokey-doctor-probe"), None);
        assert!(role("work", "1", "R").starts_with(&roles_of("work")));
        assert_eq!(session_of(&sign_in_mark("work")), Some("work"));
        assert!(!sign_in_mark("work").starts_with(&roles_of("work")));
        assert_eq!(signed_in_by(&sign_in_mark("work")), None);
    }
}
