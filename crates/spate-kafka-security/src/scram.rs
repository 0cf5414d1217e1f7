//! SCRAM (RFC 5802) with SHA-256 (RFC 7677) and SHA-512: the salted credential a broker stores,
//! and the server side of the two-round exchange.
//!
//! Contracts: the broker never stores or sees a password for SCRAM, only salt, iteration count,
//! StoredKey and ServerKey; a proof is compared in constant time; channel binding, the
//! reserved `m=` extension and delegation tokens (`tokenauth`) are refused; an unknown user runs
//! the same exchange with a made-up salt and fails at the proof, as a wrong password does, so
//! the exchange does not tell which user names exist.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

use crate::SaslMechanism;

/// Fewest and most PBKDF2 iterations accepted for a credential (Kafka's bounds).
pub const MIN_ITERATIONS: u32 = 4096;
/// See [`MIN_ITERATIONS`].
pub const MAX_ITERATIONS: u32 = 16384;

/// What the broker keeps of one user's password for one SCRAM mechanism.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramCredential {
    /// SCRAM-SHA-256 or SCRAM-SHA-512.
    pub mechanism: SaslMechanism,
    /// The random salt.
    pub salt: Vec<u8>,
    /// PBKDF2 iterations.
    pub iterations: u32,
    /// H(HMAC(SaltedPassword, "Client Key")).
    pub stored_key: Vec<u8>,
    /// HMAC(SaltedPassword, "Server Key").
    pub server_key: Vec<u8>,
}

impl std::fmt::Debug for ScramCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys are password equivalents for an offline attack: keep them out of logs.
        f.debug_struct("ScramCredential")
            .field("mechanism", &self.mechanism)
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl ScramCredential {
    /// The credential for `password` (SaltedPassword = PBKDF2-HMAC(password, salt, iterations)).
    pub fn from_password(
        mechanism: SaslMechanism,
        password: &str,
        salt: &[u8],
        iterations: u32,
    ) -> ScramCredential {
        let salted = salted_password(mechanism, password.as_bytes(), salt, iterations);
        ScramCredential::from_salted_password(mechanism, salt.to_vec(), &salted, iterations)
    }

    /// The credential from an already salted password (what AlterUserScramCredentials carries).
    pub fn from_salted_password(
        mechanism: SaslMechanism,
        salt: Vec<u8>,
        salted: &[u8],
        iterations: u32,
    ) -> ScramCredential {
        let client_key = hmac(mechanism, salted, b"Client Key");
        ScramCredential {
            mechanism,
            salt,
            iterations,
            stored_key: hash(mechanism, &client_key),
            server_key: hmac(mechanism, salted, b"Server Key"),
        }
    }

    /// Whether `password` is the one this credential was made from (for SASL/PLAIN).
    pub fn matches_password(&self, password: &str) -> bool {
        let salted = salted_password(self.mechanism, password.as_bytes(), &self.salt, self.iterations);
        let client_key = hmac(self.mechanism, &salted, b"Client Key");
        constant_time_eq(&hash(self.mechanism, &client_key), &self.stored_key)
    }
}

/// Why an exchange failed; the client only ever hears a generic message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScramFailure(pub String);

/// The server side of one exchange: client-first in, server-first out, client-final in,
/// server-final out.
#[derive(Debug)]
pub struct ScramServer {
    mechanism: SaslMechanism,
    first: Option<AfterFirst>,
}

#[derive(Debug)]
struct AfterFirst {
    user: String,
    gs2_header: String,
    client_first_bare: String,
    server_first: String,
    nonce: String,
    /// `None` for an unknown user: the exchange goes on and fails at the proof.
    credential: Option<ScramCredential>,
}

impl ScramServer {
    /// A server side waiting for client-first.
    pub fn new(mechanism: SaslMechanism) -> ScramServer {
        ScramServer {
            mechanism,
            first: None,
        }
    }

    /// SCRAM-SHA-256 or SCRAM-SHA-512.
    pub fn mechanism(&self) -> SaslMechanism {
        self.mechanism
    }

    /// Reads client-first and answers server-first. `lookup` finds the user's credential;
    /// `fake_salt` makes a stable salt for a user that has none, `server_nonce` is fresh
    /// randomness.
    pub fn client_first(
        &mut self,
        message: &[u8],
        lookup: impl FnOnce(&str) -> Option<ScramCredential>,
        fake_salt: impl FnOnce(&str) -> Vec<u8>,
        server_nonce: &str,
    ) -> Result<Vec<u8>, ScramFailure> {
        let text = std::str::from_utf8(message).map_err(|_| fail("client-first is not UTF-8"))?;
        let (gs2_header, bare) = split_gs2_header(text)?;
        let mut parts = bare.split(',');
        let user_part = parts.next().unwrap_or_default();
        if user_part.starts_with("m=") {
            return Err(fail("mandatory extensions are not supported"));
        }
        let user = sasl_name(
            user_part
                .strip_prefix("n=")
                .ok_or_else(|| fail("client-first has no user name"))?,
        )?;
        if user.is_empty() {
            return Err(fail("empty user name"));
        }
        let client_nonce = parts
            .next()
            .and_then(|p| p.strip_prefix("r="))
            .ok_or_else(|| fail("client-first has no nonce"))?;
        if client_nonce.is_empty() || !client_nonce.bytes().all(is_nonce_char) {
            return Err(fail("client nonce has characters outside printable ASCII"));
        }
        for extension in parts {
            if !extension.contains('=') {
                return Err(fail("malformed extension in client-first"));
            }
            if extension == "tokenauth=true" {
                return Err(fail("delegation tokens are not supported"));
            }
        }
        if let Some(authzid) = gs2_header.split(',').nth(1).and_then(|a| a.strip_prefix("a="))
            && sasl_name(authzid)? != user
        {
            return Err(fail("authorization id differs from the user name"));
        }
        let credential = lookup(&user).filter(|c| c.mechanism == self.mechanism);
        let (salt, iterations) = match &credential {
            Some(c) => (c.salt.clone(), c.iterations),
            None => (fake_salt(&user), MIN_ITERATIONS),
        };
        let nonce = format!("{client_nonce}{server_nonce}");
        let server_first = format!("r={nonce},s={},i={iterations}", B64.encode(salt));
        let reply = server_first.clone().into_bytes();
        self.first = Some(AfterFirst {
            user,
            gs2_header: gs2_header.to_string(),
            client_first_bare: bare.to_string(),
            server_first,
            nonce,
            credential,
        });
        Ok(reply)
    }

    /// Reads client-final; on a valid proof returns the user and server-final.
    pub fn client_final(&mut self, message: &[u8]) -> Result<(String, Vec<u8>), ScramFailure> {
        let first = self
            .first
            .take()
            .ok_or_else(|| fail("client-final before client-first"))?;
        let text = std::str::from_utf8(message).map_err(|_| fail("client-final is not UTF-8"))?;
        let (without_proof, proof) = text
            .rsplit_once(",p=")
            .ok_or_else(|| fail("client-final has no proof"))?;
        let mut parts = without_proof.split(',');
        let binding = parts
            .next()
            .and_then(|p| p.strip_prefix("c="))
            .ok_or_else(|| fail("client-final has no channel binding"))?;
        if B64.decode(binding).ok().as_deref() != Some(first.gs2_header.as_bytes()) {
            return Err(fail("channel binding does not match the gs2 header"));
        }
        let nonce = parts
            .next()
            .and_then(|p| p.strip_prefix("r="))
            .ok_or_else(|| fail("client-final has no nonce"))?;
        if nonce != first.nonce {
            return Err(fail("nonce does not match"));
        }
        let proof = B64.decode(proof).map_err(|_| fail("proof is not base64"))?;
        let Some(credential) = first.credential else {
            return Err(fail(format!("unknown user {:?}", first.user)));
        };
        let auth_message = format!(
            "{},{},{}",
            first.client_first_bare, first.server_first, without_proof
        );
        let m = self.mechanism;
        let client_signature = hmac(m, &credential.stored_key, auth_message.as_bytes());
        if proof.len() != client_signature.len() {
            return Err(fail("proof has the wrong length"));
        }
        let client_key: Vec<u8> = proof.iter().zip(&client_signature).map(|(a, b)| a ^ b).collect();
        if !constant_time_eq(&hash(m, &client_key), &credential.stored_key) {
            return Err(fail(format!("wrong password for user {:?}", first.user)));
        }
        let server_signature = hmac(m, &credential.server_key, auth_message.as_bytes());
        Ok((
            first.user,
            format!("v={}", B64.encode(server_signature)).into_bytes(),
        ))
    }
}

fn fail(reason: impl Into<String>) -> ScramFailure {
    ScramFailure(reason.into())
}

/// Splits `n,,n=user,r=...` into the gs2 header (`n,,`) and client-first-message-bare.
fn split_gs2_header(text: &str) -> Result<(&str, &str), ScramFailure> {
    let first_comma = text.find(',').ok_or_else(|| fail("no gs2 header"))?;
    match &text[..first_comma] {
        "n" | "y" => {}
        f if f.starts_with("p=") => return Err(fail("channel binding is not supported")),
        _ => return Err(fail("bad gs2 channel binding flag")),
    }
    let second = text[first_comma + 1..]
        .find(',')
        .ok_or_else(|| fail("gs2 header is not terminated"))?;
    let end = first_comma + 1 + second + 1;
    Ok((&text[..end], &text[end..]))
}

/// Decodes a saslname (`=2C` is ',', `=3D` is '=', no other '=').
fn sasl_name(s: &str) -> Result<String, ScramFailure> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('=') {
        out.push_str(&rest[..i]);
        let code = rest
            .get(i + 1..i + 3)
            .ok_or_else(|| fail("bad '=' escape in a name"))?;
        out.push(match code {
            "2C" => ',',
            "3D" => '=',
            _ => return Err(fail("bad '=' escape in a name")),
        });
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_nonce_char(b: u8) -> bool {
    (0x21..=0x7e).contains(&b) && b != b','
}

/// Byte equality whose time does not depend on where the inputs differ (proofs, MACs).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// HMAC() of RFC 5802 with the mechanism's hash.
pub fn hmac(mechanism: SaslMechanism, key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    match mechanism {
        SaslMechanism::ScramSha512 => {
            let mut mac = <Hmac<Sha512> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        _ => {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
    }
}

/// H() of RFC 5802: the mechanism's hash.
pub fn hash(mechanism: SaslMechanism, data: &[u8]) -> Vec<u8> {
    match mechanism {
        SaslMechanism::ScramSha512 => Sha512::digest(data).to_vec(),
        _ => Sha256::digest(data).to_vec(),
    }
}

/// A fresh random salt (16 bytes) for a new credential.
pub fn random_salt() -> Vec<u8> {
    uuid::Uuid::new_v4().as_bytes().to_vec()
}

/// Hi() of RFC 5802: PBKDF2 with HMAC of the mechanism's hash, one block.
pub fn salted_password(mechanism: SaslMechanism, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
    match mechanism {
        SaslMechanism::ScramSha512 => pbkdf2_block::<Hmac<Sha512>>(password, salt, iterations),
        _ => pbkdf2_block::<Hmac<Sha256>>(password, salt, iterations),
    }
}

/// The first PBKDF2 block. The HMAC keyed with the password is set up once and cloned per
/// iteration: keying hashes the padded key, which would double the cost of every iteration
/// (this is what a PLAIN login pays per attempt).
fn pbkdf2_block<M: Mac + KeyInit + Clone>(password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let keyed = <M as KeyInit>::new_from_slice(password).unwrap_or_else(|_| unreachable!());
    let mut mac = keyed.clone();
    mac.update(salt);
    mac.update(&1u32.to_be_bytes());
    let mut u = mac.finalize().into_bytes();
    let mut out = u.clone();
    for _ in 1..iterations {
        let mut mac = keyed.clone();
        mac.update(&u);
        u = mac.finalize().into_bytes();
        for (o, x) in out.iter_mut().zip(&u) {
            *o ^= x;
        }
    }
    out.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A SCRAM client, as the RFC describes it, to drive the server.
    fn client_final(
        m: SaslMechanism,
        password: &str,
        client_first_bare: &str,
        server_first: &str,
    ) -> (String, Vec<u8>) {
        let fields: Vec<&str> = server_first.split(',').collect();
        let nonce = fields[0].strip_prefix("r=").unwrap();
        let salt = B64.decode(fields[1].strip_prefix("s=").unwrap()).unwrap();
        let iterations: u32 = fields[2].strip_prefix("i=").unwrap().parse().unwrap();
        let salted = salted_password(m, password.as_bytes(), &salt, iterations);
        let client_key = hmac(m, &salted, b"Client Key");
        let stored_key = hash(m, &client_key);
        let without_proof = format!("c=biws,r={nonce}");
        let auth = format!("{client_first_bare},{server_first},{without_proof}");
        let signature = hmac(m, &stored_key, auth.as_bytes());
        let proof: Vec<u8> = client_key.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
        let server_signature = hmac(m, &hmac(m, &salted, b"Server Key"), auth.as_bytes());
        (
            format!("{without_proof},p={}", B64.encode(proof)),
            server_signature,
        )
    }

    /// RFC 7677 section 3: the SCRAM-SHA-256 example exchange, byte for byte.
    #[test]
    fn rfc7677_sha256_test_vector() {
        let m = SaslMechanism::ScramSha256;
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let credential = ScramCredential::from_password(m, "pencil", &salt, 4096);
        let mut server = ScramServer::new(m);
        let server_first = server
            .client_first(
                b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
                |u| (u == "user").then(|| credential.clone()),
                |_| unreachable!("known user"),
                "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
            )
            .unwrap();
        assert_eq!(
            String::from_utf8(server_first).unwrap(),
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        );
        let (user, server_final) = server
            .client_final(
                b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                  p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            )
            .unwrap();
        assert_eq!(user, "user");
        assert_eq!(
            String::from_utf8(server_final).unwrap(),
            "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
        assert!(credential.matches_password("pencil"));
        assert!(!credential.matches_password("Pencil"));
    }

    /// Hi() on its own: RFC 7914 section 11's PBKDF2-HMAC-SHA-256 vector (first block), and
    /// RFC 6070's inputs run with SHA-256 and SHA-512 as widely published.
    #[test]
    fn pbkdf2_known_answers() {
        let hex = |v: Vec<u8>| v.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(salted_password(SaslMechanism::ScramSha256, b"passwd", b"salt", 1)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
        let out = salted_password(SaslMechanism::ScramSha256, b"password", b"salt", 4096);
        let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"
        );
        let out = salted_password(SaslMechanism::ScramSha512, b"password", b"salt", 1);
        let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252\
             c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce"
        );
    }

    fn exchange(
        stored_password: &str,
        client_password: &str,
        m: SaslMechanism,
    ) -> Result<String, ScramFailure> {
        let credential = ScramCredential::from_password(m, stored_password, b"0123456789abcdef", 4096);
        let mut server = ScramServer::new(m);
        let bare = "n=al=2Cice,r=clientnonce";
        let server_first = server.client_first(
            format!("n,,{bare}").as_bytes(),
            |u| (u == "al,ice").then(|| credential.clone()),
            |u| u.as_bytes().to_vec(),
            "servernonce",
        )?;
        let server_first = String::from_utf8(server_first).unwrap();
        let (final_message, expected_signature) = client_final(m, client_password, bare, &server_first);
        let (user, server_final) = server.client_final(final_message.as_bytes())?;
        assert_eq!(
            server_final,
            format!("v={}", B64.encode(expected_signature)).into_bytes()
        );
        Ok(user)
    }

    #[test]
    fn sha512_exchange_accepts_the_right_password_only() {
        let m = SaslMechanism::ScramSha512;
        assert_eq!(exchange("secret", "secret", m).unwrap(), "al,ice");
        assert!(
            exchange("secret", "guess", m)
                .unwrap_err()
                .0
                .contains("wrong password")
        );
        assert_eq!(
            exchange("s3", "s3", SaslMechanism::ScramSha256).unwrap(),
            "al,ice"
        );
    }

    #[test]
    fn unknown_users_fail_at_the_proof_with_a_stable_fake_salt() {
        let m = SaslMechanism::ScramSha256;
        let first = |server: &mut ScramServer| {
            server
                .client_first(
                    b"n,,n=ghost,r=abc",
                    |_| None,
                    |u| format!("salt-{u}").into_bytes(),
                    "x",
                )
                .unwrap()
        };
        let mut a = ScramServer::new(m);
        let mut b = ScramServer::new(m);
        assert_eq!(first(&mut a), first(&mut b));
        let (final_message, _) = client_final(
            m,
            "pw",
            "n=ghost,r=abc",
            &String::from_utf8(first(&mut b)).unwrap(),
        );
        assert!(
            a.client_final(final_message.as_bytes())
                .unwrap_err()
                .0
                .contains("unknown user")
        );
    }

    #[test]
    fn malformed_messages_fail_cleanly() {
        let m = SaslMechanism::ScramSha256;
        for bad in [
            &b""[..],
            b"\xff\xfe",
            b"n",
            b"n,",
            b"p=tls-unique,,n=u,r=x",
            b"x,,n=u,r=x",
            b"n,,m=ext,n=u,r=x",
            b"n,,n=u",
            b"n,,n=,r=x",
            b"n,,n=u=ZZ,r=x",
            b"n,,n=u=2,r=x",
            b"n,,n=u,r=a,b",
            b"n,,n=u,r=",
            b"n,,n=u,r=x,tokenauth=true",
            b"n,a=other,n=u,r=x",
        ] {
            let mut server = ScramServer::new(m);
            assert!(
                server.client_first(bad, |_| None, |_| vec![1], "s").is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let mut server = ScramServer::new(m);
        assert!(
            server.client_final(b"c=biws,r=x,p=AAAA").is_err(),
            "final before first"
        );
        for bad in [
            &b"c=biws,r=xs"[..],
            b"c=eSws,r=xs,p=AAAA",
            b"c=biws,r=other,p=AAAA",
            b"c=biws,r=xs,p=***",
        ] {
            let mut server = ScramServer::new(m);
            server
                .client_first(b"n,,n=u,r=x", |_| None, |_| vec![1], "s")
                .unwrap();
            assert!(
                server.client_final(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    proptest::proptest! {
        /// Whatever a client sends in either round, the server answers or fails; it never panics.
        #[test]
        fn arbitrary_messages_never_panic(
            first in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            last in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            text in "n,(a=[a-z=23CD]{0,4})?,n=[a-z=23CD,]{0,6},r=[!-~]{0,8}(,[a-z]=[a-z]{0,3}){0,2}",
        ) {
            for message in [first.as_slice(), text.as_bytes()] {
                let mut server = ScramServer::new(SaslMechanism::ScramSha512);
                let credential = ScramCredential::from_salted_password(SaslMechanism::ScramSha512, b"salt".to_vec(), b"salted", 4096);
                if server.client_first(message, |_| Some(credential.clone()), |_| vec![0; 16], "srv").is_ok() {
                    let _ = server.client_final(&last);
                }
            }
        }
    }
}
