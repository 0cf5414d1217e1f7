//! The client side of SCRAM (RFC 5802/7677), for Spate's own raw-protocol admin client
//! (`spate acls` against a SASL listener). It shares the crypto with the server side, so both
//! ends compute proofs one way.
//!
//! Contracts: the server's signature is verified before the login counts as done (a broker
//! that does not know the password cannot pass); the client nonce is fresh randomness.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::SaslMechanism;
use crate::scram::random_salt;
use crate::scram::{MAX_ITERATIONS, hash, hmac, salted_password};

/// What AlterUserScramCredentials carries for a new password: a fresh random salt and
/// Hi(password, salt, iterations), computed on the client as Kafka's `kafka-configs --alter
/// --add-config 'SCRAM-SHA-512=[password=...]'` does, so the password never leaves it.
#[derive(Clone)]
pub struct SaltedPassword {
    pub salt: Vec<u8>,
    pub salted_password: Vec<u8>,
}

impl std::fmt::Debug for SaltedPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A salted password logs in as well as the password does.
        f.debug_struct("SaltedPassword").finish_non_exhaustive()
    }
}

impl SaltedPassword {
    pub fn new(mechanism: SaslMechanism, password: &str, iterations: u32) -> SaltedPassword {
        let salt = random_salt();
        let salted_password = salted_password(mechanism, password.as_bytes(), &salt, iterations);
        SaltedPassword {
            salt,
            salted_password,
        }
    }
}

/// One SCRAM login, from client-first to the check of server-final.
#[derive(Clone)]
pub struct ScramClient {
    mechanism: SaslMechanism,
    password: String,
    client_first_bare: String,
    nonce: String,
    /// HMAC(ServerKey, AuthMessage), known after client-final.
    expected_server_signature: Option<Vec<u8>>,
}

impl std::fmt::Debug for ScramClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No password in logs.
        f.debug_struct("ScramClient")
            .field("mechanism", &self.mechanism)
            .finish_non_exhaustive()
    }
}

impl ScramClient {
    /// A login of `user` with `password` (SCRAM-SHA-256 or SCRAM-SHA-512).
    pub fn new(mechanism: SaslMechanism, user: &str, password: &str) -> ScramClient {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let name = user.replace('=', "=3D").replace(',', "=2C");
        ScramClient {
            mechanism,
            password: password.to_string(),
            client_first_bare: format!("n={name},r={nonce}"),
            nonce,
            expected_server_signature: None,
        }
    }

    /// client-first-message.
    pub fn client_first(&self) -> Vec<u8> {
        format!("n,,{}", self.client_first_bare).into_bytes()
    }

    /// Reads server-first and answers client-final (with the proof).
    pub fn client_final(&mut self, server_first: &[u8]) -> Result<Vec<u8>, String> {
        let text = std::str::from_utf8(server_first).map_err(|_| "server-first is not UTF-8".to_string())?;
        let field = |prefix: &str| {
            text.split(',')
                .find_map(|p| p.strip_prefix(prefix))
                .ok_or_else(|| format!("server-first {text:?} has no {prefix}"))
        };
        let nonce = field("r=")?;
        if !nonce.starts_with(&self.nonce) || nonce.len() == self.nonce.len() {
            return Err("the server's nonce does not extend ours".into());
        }
        let salt = B64
            .decode(field("s=")?)
            .map_err(|_| "the salt is not base64".to_string())?;
        let iterations: u32 = field("i=")?
            .parse()
            .map_err(|_| "the iteration count is not a number".to_string())?;
        if iterations == 0 || iterations > MAX_ITERATIONS * 64 {
            return Err(format!("{iterations} iterations are not plausible"));
        }
        let m = self.mechanism;
        let salted = salted_password(m, self.password.as_bytes(), &salt, iterations);
        let client_key = hmac(m, &salted, b"Client Key");
        let stored_key = hash(m, &client_key);
        let without_proof = format!("c={},r={nonce}", B64.encode("n,,"));
        let auth_message = format!("{},{text},{without_proof}", self.client_first_bare);
        let client_signature = hmac(m, &stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(a, b)| a ^ b)
            .collect();
        let server_key = hmac(m, &salted, b"Server Key");
        self.expected_server_signature = Some(hmac(m, &server_key, auth_message.as_bytes()));
        Ok(format!("{without_proof},p={}", B64.encode(proof)).into_bytes())
    }

    /// Checks server-final: the server proves it knows the credential.
    pub fn verify_server_final(&self, server_final: &[u8]) -> Result<(), String> {
        let text = std::str::from_utf8(server_final).map_err(|_| "server-final is not UTF-8".to_string())?;
        if let Some(e) = text.strip_prefix("e=") {
            return Err(format!("the server refused the login: {e}"));
        }
        let signature = text
            .strip_prefix("v=")
            .and_then(|v| B64.decode(v).ok())
            .ok_or_else(|| format!("server-final {text:?} has no signature"))?;
        match &self.expected_server_signature {
            Some(expected) if *expected == signature => Ok(()),
            Some(_) => Err("the server's signature is wrong: it does not know the credential".into()),
            None => Err("server-final before client-final".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scram::{ScramCredential, ScramServer};

    fn login(user: &str, password: &str, stored_password: &str) -> Result<(), String> {
        let m = SaslMechanism::ScramSha512;
        let credential = ScramCredential::from_password(m, stored_password, b"pepper", 4096);
        let mut server = ScramServer::new(m);
        let mut client = ScramClient::new(m, user, password);
        let server_first = server
            .client_first(
                &client.client_first(),
                |_| Some(credential.clone()),
                |_| Vec::new(),
                "srv",
            )
            .map_err(|e| e.0)?;
        let client_final = client.client_final(&server_first)?;
        let (who, server_final) = server.client_final(&client_final).map_err(|e| e.0)?;
        assert_eq!(who, user);
        client.verify_server_final(&server_final)
    }

    #[test]
    fn a_salted_password_makes_the_credential_of_the_password() {
        let m = SaslMechanism::ScramSha256;
        let a = SaltedPassword::new(m, "wonderland", 4096);
        let b = SaltedPassword::new(m, "wonderland", 4096);
        assert_ne!(a.salt, b.salt, "a fresh salt each time");
        let credential = ScramCredential::from_salted_password(m, a.salt, &a.salted_password, 4096);
        assert!(credential.matches_password("wonderland"));
        assert!(!credential.matches_password("looking-glass"));
    }

    #[test]
    fn logs_in_against_the_server_side() {
        login("ali,ce=", "wonderland", "wonderland").unwrap();
        assert!(login("alice", "looking-glass", "wonderland").is_err());
        let client = ScramClient::new(SaslMechanism::ScramSha256, "a", "b");
        assert!(client.verify_server_final(b"v=AAAA").is_err());
    }
}
