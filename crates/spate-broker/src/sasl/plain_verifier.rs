//! The broker-wide PLAIN password check, bounded in what it can cost.
//!
//! A PLAIN password is checked against the user's salted SCRAM credential, which takes a PBKDF2
//! (milliseconds of CPU). Unbounded, a few hundred guessing connections kept every core busy
//! and other clients' produce latency went from under a millisecond to over 100 ms. So:
//! - a password verified before is recognised by a keyed hash ([`VerifiedPasswords`]);
//! - an unknown user fails without any hashing;
//! - past the failure limits of its address or user ([`FailureLimiter`]) a guess is refused
//!   before it is hashed, checked again when it gets its turn to hash, so queued guesses meet
//!   the failures of those ahead of them;
//! - at most `hashing_threads` PBKDF2s run at once, on the blocking pool (never on the async
//!   workers): guessers queue among themselves, the rest of the CPU keeps serving.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;

use super::credentials::CredentialStore;
use super::failure_limiter::{FailureLimiter, PlainLoginLimits};
use super::plain;
use super::verified_passwords::{CachedVerdict, VerifiedPasswords};
use spate_kafka_security::scram::ScramCredential;

#[derive(Debug)]
pub(crate) struct PlainVerifier {
    verified: VerifiedPasswords,
    failures: FailureLimiter,
    hashing: Arc<Semaphore>,
}

impl PlainVerifier {
    pub(crate) fn new(limits: &PlainLoginLimits) -> PlainVerifier {
        PlainVerifier {
            verified: VerifiedPasswords::new(),
            failures: FailureLimiter::new(limits),
            hashing: Arc::new(Semaphore::new(limits.hashing_threads.max(1))),
        }
    }

    /// The user a PLAIN message from `peer` authenticates, checked against any of the user's
    /// SCRAM credentials; `Err` says why not (for the log, never the client).
    pub(crate) async fn verify(
        &self,
        store: &CredentialStore,
        peer: IpAddr,
        message: &[u8],
    ) -> Result<String, String> {
        let (user, password) = plain::parse(message)?;
        self.verify_password(store, peer, user, password).await
    }

    /// The same for a user name and password given apart (HTTP basic authentication of
    /// `spate server`, which shares the broker's limits on guessing).
    pub(crate) async fn verify_password(
        &self,
        store: &CredentialStore,
        peer: IpAddr,
        user: String,
        password: String,
    ) -> Result<String, String> {
        let credentials = store.all_of(&user);
        if credentials.is_empty() {
            self.failures.record_failure(peer, None, Instant::now());
            return Err(format!("unknown user {user:?}"));
        }
        if let Some(verdict) = self.cached_outcome(peer, &user, &password, &credentials) {
            return verdict;
        }
        if let Some(refusal) = self.failures.refusal(peer, &user, Instant::now()) {
            return Err(refusal);
        }
        let permit = self
            .hashing
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| "the broker is stopping".to_string())?;
        // While this waited, checks ahead of it may have verified this password or used up a
        // limit.
        if let Some(verdict) = self.cached_outcome(peer, &user, &password, &credentials) {
            return verdict;
        }
        if let Some(refusal) = self.failures.refusal(peer, &user, Instant::now()) {
            return Err(refusal);
        }
        let matched = tokio::task::spawn_blocking(move || {
            // Released when the hashing is done, even if the connection is gone by then.
            let _permit = permit;
            credentials
                .into_iter()
                .find(|c| c.matches_password(&password))
                .map(|c| (c, password))
        })
        .await
        .map_err(|e| format!("PLAIN check failed: {e}"))?;
        match matched {
            Some((credential, password)) => {
                self.verified.remember(&user, &password, &credential);
                Ok(user)
            }
            None => {
                self.failures.record_failure(peer, Some(&user), Instant::now());
                Err(format!("wrong password for user {user:?}"))
            }
        }
    }

    /// The outcome when the cache of verified passwords knows it.
    fn cached_outcome(
        &self,
        peer: IpAddr,
        user: &str,
        password: &str,
        credentials: &[ScramCredential],
    ) -> Option<Result<String, String>> {
        match self.verified.check(user, password, credentials) {
            CachedVerdict::Verified => Some(Ok(user.to_string())),
            CachedVerdict::Wrong => {
                // It cost no key derivation: counted against the address only, so guesses
                // against a user who is logged in do not lock that user out.
                self.failures.record_failure(peer, None, Instant::now());
                Some(Err(format!(
                    "wrong password for user {user:?} (known without hashing)"
                )))
            }
            CachedVerdict::Unknown => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use spate_kafka_security::SaslMechanism;

    fn store() -> (tempfile::TempDir, CredentialStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = CredentialStore::open(dir.path()).unwrap();
        store
            .set_password("alice", SaslMechanism::ScramSha512, "wonderland", 4096)
            .unwrap();
        store
            .set_password("bob", SaslMechanism::ScramSha256, "builder", 4096)
            .unwrap();
        (dir, store)
    }

    fn limits(per_address: u32, per_user: u32) -> PlainLoginLimits {
        PlainLoginLimits {
            failures_per_address: per_address,
            failures_per_user: per_user,
            window: Duration::from_secs(60),
            hashing_threads: 1,
        }
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().build().unwrap()
    }

    #[test]
    fn a_known_password_logs_in_even_from_an_address_over_its_limit() {
        let (_dir, store) = store();
        let verifier = PlainVerifier::new(&limits(2, 0));
        let rt = runtime();
        let verify = |peer, message: &[u8]| rt.block_on(verifier.verify(&store, peer, message));
        assert_eq!(verify(ip(1), b"\0alice\0wonderland"), Ok("alice".into()));
        for _ in 0..2 {
            assert!(
                verify(ip(1), b"\0bob\0guess")
                    .unwrap_err()
                    .starts_with("wrong password")
            );
        }
        // Over the limit: refused unchecked, even with the right password of a user whose
        // password was not verified before...
        let refused = verify(ip(1), b"\0bob\0builder").unwrap_err();
        assert!(refused.contains("too many failed logins"), "{refused}");
        // ...but a verified one still gets in, and other addresses are not affected.
        assert_eq!(verify(ip(1), b"\0alice\0wonderland"), Ok("alice".into()));
        assert_eq!(verify(ip(2), b"\0bob\0builder"), Ok("bob".into()));
    }

    #[test]
    fn a_changed_password_invalidates_the_verified_one() {
        let (_dir, store) = store();
        let verifier = PlainVerifier::new(&limits(0, 0));
        let rt = runtime();
        let verify = |message: &[u8]| rt.block_on(verifier.verify(&store, ip(1), message));
        assert_eq!(verify(b"\0alice\0wonderland"), Ok("alice".into()));
        assert!(verify(b"\0alice\0looking-glass").is_err());
        store
            .set_password("alice", SaslMechanism::ScramSha512, "looking-glass", 4096)
            .unwrap();
        assert!(verify(b"\0alice\0wonderland").is_err(), "the old password is out");
        assert_eq!(verify(b"\0alice\0looking-glass"), Ok("alice".into()));
        store.delete("alice", SaslMechanism::ScramSha512).unwrap();
        assert!(
            verify(b"\0alice\0looking-glass")
                .unwrap_err()
                .starts_with("unknown user")
        );
    }

    #[test]
    fn guesses_from_many_addresses_meet_the_user_limit() {
        let (_dir, store) = store();
        let verifier = PlainVerifier::new(&limits(100, 3));
        let rt = runtime();
        for last in 1..=3 {
            let e = rt.block_on(verifier.verify(&store, ip(last), b"\0bob\0guess"));
            assert!(e.unwrap_err().starts_with("wrong password"));
        }
        let refused = rt.block_on(verifier.verify(&store, ip(4), b"\0bob\0builder"));
        assert!(refused.unwrap_err().contains("as \"bob\""));
        // Unknown users and cached verdicts cost no hash and lock out nobody.
        for _ in 0..10 {
            assert!(
                rt.block_on(verifier.verify(&store, ip(5), b"\0nobody\0x"))
                    .is_err()
            );
        }
        assert_eq!(
            rt.block_on(verifier.verify(&store, ip(6), b"\0alice\0wonderland")),
            Ok("alice".into())
        );
    }

    #[test]
    fn hashing_runs_at_most_the_configured_checks_at_once() {
        let (_dir, store) = store();
        let store = Arc::new(store);
        let verifier = Arc::new(PlainVerifier::new(&limits(0, 0)));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        // While the only slot is taken, a check waits for it; nothing else does.
        let slot = rt.block_on(verifier.hashing.clone().acquire_owned()).unwrap();
        let waiting = {
            let (verifier, store) = (verifier.clone(), store.clone());
            rt.spawn(async move { verifier.verify(&store, ip(1), b"\0alice\0wonderland").await })
        };
        let unknown = rt.block_on(verifier.verify(&store, ip(1), b"\0nobody\0x"));
        assert!(unknown.is_err());
        std::thread::sleep(Duration::from_millis(100));
        assert!(!waiting.is_finished(), "a check ran without a hashing slot");
        drop(slot);
        assert_eq!(rt.block_on(waiting).unwrap(), Ok("alice".into()));
    }
}
