//! Minting: unique, random-looking client ids, secrets, device and user codes, tokens, keys and
//! request ids, shaped like the real service's.

use std::hash::{BuildHasher, Hasher, RandomState};

const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const HEX: &[u8] = b"0123456789abcdef";
/// Consonants only, so that user codes never spell words.
const USER_CODE_LETTERS: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Random-looking, unique values: a counter run through a per-emulator keyed `SipHash`.
pub(crate) struct Mint {
    keys: RandomState,
    counter: u64,
}

impl Mint {
    pub(crate) fn new() -> Mint {
        Mint {
            keys: RandomState::new(),
            counter: 0,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.counter += 1;
        let mut hasher = self.keys.build_hasher();
        hasher.write_u64(self.counter);
        hasher.finish()
    }

    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        let mut out = String::with_capacity(n);
        while out.len() < n {
            for byte in self.next_u64().to_le_bytes() {
                if out.len() < n {
                    out.push(char::from(alphabet[usize::from(byte) % alphabet.len()]));
                }
            }
        }
        out
    }

    pub(crate) fn client_id(&mut self) -> String {
        format!("{}dXMtZWFzdC0x", self.chars(BASE64URL, 22))
    }

    /// About 1,500 characters, shaped like the JWT-ish secrets the real service returns.
    pub(crate) fn client_secret(&mut self) -> String {
        format!(
            "eyJraWQiOiJrZXktMTU2NDAyODA5OSIsImFsZyI6IkhTMzg0In0.{}.{}",
            self.chars(BASE64URL, 1380),
            self.chars(BASE64URL, 64)
        )
    }

    pub(crate) fn authorization_code(&mut self) -> String {
        self.chars(BASE64URL, 64)
    }

    pub(crate) fn device_code(&mut self) -> String {
        self.chars(BASE64URL, 220)
    }

    pub(crate) fn user_code(&mut self) -> String {
        let code = self.chars(USER_CODE_LETTERS, 8);
        format!("{}-{}", &code[..4], &code[4..])
    }

    /// About 1,000 characters.
    pub(crate) fn access_token(&mut self) -> String {
        format!(
            "aoaAAAAA{}:MGYCMQ{}",
            self.chars(BASE64, 900),
            self.chars(BASE64, 90)
        )
    }

    pub(crate) fn refresh_token(&mut self) -> String {
        format!(
            "aorAAAAA{}:MGUCMQ{}",
            self.chars(BASE64, 860),
            self.chars(BASE64, 90)
        )
    }

    pub(crate) fn access_key_id(&mut self) -> String {
        format!("ASIA{}", self.chars(UPPER_ALNUM, 16))
    }

    pub(crate) fn secret_access_key(&mut self) -> String {
        self.chars(BASE64, 40)
    }

    /// About 600 characters.
    pub(crate) fn session_token(&mut self) -> String {
        format!("IQoJb3JpZ2luX2VjE{}", self.chars(BASE64, 583))
    }

    /// A stable `AROA…` id for the role `role` of `account`, like the unique id IAM gives a role.
    pub(crate) fn role_id(&self, account: &str, role: &str) -> String {
        let mut id = String::from("AROA");
        let mut round = 0_u64;
        while id.len() < 21 {
            let mut hasher = self.keys.build_hasher();
            hasher.write(account.as_bytes());
            hasher.write_u8(0);
            hasher.write(role.as_bytes());
            hasher.write_u64(round);
            for byte in hasher.finish().to_le_bytes() {
                if id.len() < 21 {
                    id.push(char::from(
                        UPPER_ALNUM[usize::from(byte) % UPPER_ALNUM.len()],
                    ));
                }
            }
            round += 1;
        }
        id
    }

    /// About 700 characters, like the sign-in service's tokens.
    pub(crate) fn signin_token(&mut self) -> String {
        self.chars(BASE64URL, 700)
    }

    pub(crate) fn page_token(&mut self) -> String {
        format!("AAMA-EFRSURBSGg{}", self.chars(BASE64URL, 120))
    }

    pub(crate) fn request_id(&mut self) -> String {
        let hex = self.chars(HEX, 32);
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }
}
