//! PLAIN passwords the broker has verified, so that a client reconnecting with the right
//! password costs one keyed hash instead of a PBKDF2.
//!
//! Contracts: no password is kept, only HMAC-SHA256 of user and password under a key drawn at
//! start (never on disk), so the cache is no offline dictionary target beyond the process; an
//! entry holds only while the SCRAM credential it was verified against is still the user's —
//! a changed or deleted credential makes it stale (checked on every use, whatever changed the
//! store); the number of entries is bounded.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use spate_kafka_security::SaslMechanism;
use spate_kafka_security::scram::{ScramCredential, constant_time_eq, hmac};

/// Users remembered at once; a full cache forgets an arbitrary one. Only successful logins
/// add entries, so only holders of passwords can fill it.
const MAX_USERS: usize = 10_000;

/// What the cache says about a PLAIN password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CachedVerdict {
    /// It is the password verified before, against a credential the user still has.
    Verified,
    /// It is not: the user has exactly the one credential the cached password was verified
    /// against, and this is a different password (so it cannot match that credential).
    Wrong,
    /// The cache cannot tell: check the credential.
    Unknown,
}

#[derive(Debug)]
struct Entry {
    credential: ScramCredential,
    password_mac: Vec<u8>,
}

#[derive(Debug)]
pub(crate) struct VerifiedPasswords {
    key: [u8; 32],
    entries: Mutex<HashMap<String, Entry>>,
}

impl VerifiedPasswords {
    /// An empty cache keyed with fresh randomness.
    pub(crate) fn new() -> VerifiedPasswords {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        VerifiedPasswords {
            key,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `password` is `user`'s, as far as the cache knows; `current` are the user's
    /// credentials now.
    pub(crate) fn check(&self, user: &str, password: &str, current: &[ScramCredential]) -> CachedVerdict {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(entry) = entries.get(user) else {
            return CachedVerdict::Unknown;
        };
        if !current.contains(&entry.credential) {
            entries.remove(user);
            return CachedVerdict::Unknown;
        }
        if constant_time_eq(&entry.password_mac, &self.mac(user, password)) {
            CachedVerdict::Verified
        } else if current.len() == 1 {
            CachedVerdict::Wrong
        } else {
            // Another of the user's credentials may have been made from this password.
            CachedVerdict::Unknown
        }
    }

    /// Remembers that `password` matched `user`'s `credential`.
    pub(crate) fn remember(&self, user: &str, password: &str, credential: &ScramCredential) {
        let entry = Entry {
            credential: credential.clone(),
            password_mac: self.mac(user, password),
        };
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_USERS
            && !entries.contains_key(user)
            && let Some(evicted) = entries.keys().next().cloned()
        {
            entries.remove(&evicted);
        }
        entries.insert(user.to_string(), entry);
    }

    fn mac(&self, user: &str, password: &str) -> Vec<u8> {
        // The NUL cannot be in a PLAIN user name, so (user, password) pairs do not collide.
        let message = [user.as_bytes(), b"\0", password.as_bytes()].concat();
        hmac(SaslMechanism::ScramSha256, &self.key, &message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(mechanism: SaslMechanism, password: &str, salt: &[u8]) -> ScramCredential {
        ScramCredential::from_password(mechanism, password, salt, 4096)
    }

    #[test]
    fn a_verified_password_is_recognised_and_a_wrong_one_after_it_is_not() {
        let cache = VerifiedPasswords::new();
        let alice = credential(SaslMechanism::ScramSha512, "wonderland", b"salt");
        let current = [alice.clone()];
        assert_eq!(
            cache.check("alice", "wonderland", &current),
            CachedVerdict::Unknown
        );
        cache.remember("alice", "wonderland", &alice);
        assert_eq!(
            cache.check("alice", "wonderland", &current),
            CachedVerdict::Verified
        );
        assert_eq!(cache.check("alice", "wonderlanD", &current), CachedVerdict::Wrong);
        assert_eq!(cache.check("bob", "wonderland", &current), CachedVerdict::Unknown);
        // Still verified after a wrong attempt.
        assert_eq!(
            cache.check("alice", "wonderland", &current),
            CachedVerdict::Verified
        );
    }

    #[test]
    fn a_changed_or_deleted_credential_invalidates_the_entry() {
        let cache = VerifiedPasswords::new();
        let old = credential(SaslMechanism::ScramSha512, "wonderland", b"salt");
        cache.remember("alice", "wonderland", &old);
        // Same password, new salt (what setting it again does): still a new credential.
        let new = credential(SaslMechanism::ScramSha512, "wonderland", b"salt2");
        assert_eq!(
            cache.check("alice", "wonderland", std::slice::from_ref(&new)),
            CachedVerdict::Unknown
        );
        // The entry is gone, not just skipped: putting the old credential back does not revive it.
        assert_eq!(
            cache.check("alice", "wonderland", std::slice::from_ref(&old)),
            CachedVerdict::Unknown
        );
        cache.remember("alice", "wonderland", &old);
        assert_eq!(
            cache.check("alice", "wonderland", &[]),
            CachedVerdict::Unknown,
            "deleted"
        );
    }

    #[test]
    fn with_several_credentials_a_different_password_is_left_to_the_check() {
        let cache = VerifiedPasswords::new();
        let sha512 = credential(SaslMechanism::ScramSha512, "wonderland", b"a");
        let sha256 = credential(SaslMechanism::ScramSha256, "other", b"b");
        cache.remember("alice", "wonderland", &sha512);
        let current = [sha256, sha512];
        assert_eq!(cache.check("alice", "other", &current), CachedVerdict::Unknown);
        assert_eq!(
            cache.check("alice", "wonderland", &current),
            CachedVerdict::Verified
        );
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = VerifiedPasswords::new();
        let c = credential(SaslMechanism::ScramSha256, "pw", b"s");
        for n in 0..MAX_USERS + 10 {
            cache.remember(&format!("user{n}"), "pw", &c);
        }
        assert_eq!(cache.entries.lock().unwrap().len(), MAX_USERS);
        let last = format!("user{}", MAX_USERS + 9);
        assert_eq!(cache.check(&last, "pw", &[c]), CachedVerdict::Verified);
    }
}
