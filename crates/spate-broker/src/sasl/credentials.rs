//! The SCRAM credential store: per user and mechanism, the salted form only (salt, iterations,
//! StoredKey, ServerKey), in `DATA_DIR/broker/scram-credentials`.
//!
//! Contracts: a change is on disk (written atomically: temp file, fsync, rename, directory
//! fsync) before readers see it, so a crash leaves the old or the new store, never a mix;
//! changes are serialized; user names are non-empty and free of control characters (the file is
//! one tab-separated line per credential). The broker opens the store at start; editing it
//! offline (`spate users --data-dir`) is for a stopped broker, as Kafka's storage formatting is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::{Error, Result, state_file};
use spate_kafka_security::SaslMechanism;
use spate_kafka_security::scram::ScramCredential;
pub use spate_kafka_security::scram::{MAX_ITERATIONS, MIN_ITERATIONS};

const HEADER: &str =
    "# spate SCRAM credentials v1: user, mechanism, iterations, salt, stored key, server key";

type Users = BTreeMap<String, BTreeMap<SaslMechanism, ScramCredential>>;

/// SCRAM credentials of every user.
#[derive(Debug)]
pub struct CredentialStore {
    path: PathBuf,
    users: RwLock<Users>,
    /// Held across a change's write, so changes apply in one order on disk and in memory.
    writing: Mutex<()>,
}

/// One user's credentials as listed (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCredentials {
    /// The user name (the principal is `User:NAME`).
    pub user: String,
    /// Each mechanism the user has a credential for, with its iteration count.
    pub mechanisms: Vec<(SaslMechanism, u32)>,
}

impl CredentialStore {
    /// Where the store of the broker with data directory `data_dir` lives.
    pub fn path_in(data_dir: &Path) -> PathBuf {
        data_dir.join("broker").join("scram-credentials")
    }

    /// Opens the store of the broker with data directory `data_dir` (empty if it has none yet).
    pub fn open(data_dir: &Path) -> Result<CredentialStore> {
        let path = CredentialStore::path_in(data_dir);
        let users = match state_file::read(&path)? {
            Some(text) => parse(&path, &text)?,
            None => Users::new(),
        };
        Ok(CredentialStore {
            path,
            users: RwLock::new(users),
            writing: Mutex::new(()),
        })
    }

    /// The credential of `user` for `mechanism`.
    pub fn get(&self, user: &str, mechanism: SaslMechanism) -> Option<ScramCredential> {
        self.read().get(user).and_then(|m| m.get(&mechanism)).cloned()
    }

    /// Every credential of `user`.
    pub fn all_of(&self, user: &str) -> Vec<ScramCredential> {
        self.read()
            .get(user)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether any user has a credential (without listing them).
    pub fn has_users(&self) -> bool {
        !self.read().is_empty()
    }

    /// Users and their mechanisms, by name.
    pub fn list(&self) -> Vec<UserCredentials> {
        self.read()
            .iter()
            .map(|(user, m)| UserCredentials {
                user: user.clone(),
                mechanisms: m.values().map(|c| (c.mechanism, c.iterations)).collect(),
            })
            .collect()
    }

    /// Sets `user`'s credential for `password` with a fresh random salt.
    pub fn set_password(
        &self,
        user: &str,
        mechanism: SaslMechanism,
        password: &str,
        iterations: u32,
    ) -> Result<()> {
        if password.is_empty() {
            return Err(Error::InvalidCredential("the password is empty".into()));
        }
        check_scram(mechanism, iterations)?;
        let credential = ScramCredential::from_password(
            mechanism,
            password,
            &spate_kafka_security::scram::random_salt(),
            iterations,
        );
        self.upsert(user, credential)
    }

    /// Adds or replaces `user`'s credential for its mechanism.
    pub fn upsert(&self, user: &str, credential: ScramCredential) -> Result<()> {
        check_user(user)?;
        check_scram(credential.mechanism, credential.iterations)?;
        self.change(|users| {
            users
                .entry(user.to_string())
                .or_default()
                .insert(credential.mechanism, credential);
            true
        })
        .map(|_| ())
    }

    /// Removes `user`'s credential for `mechanism`; `false` if there was none.
    pub fn delete(&self, user: &str, mechanism: SaslMechanism) -> Result<bool> {
        self.change(|users| {
            let Some(m) = users.get_mut(user) else {
                return false;
            };
            let removed = m.remove(&mechanism).is_some();
            if m.is_empty() {
                users.remove(user);
            }
            removed
        })
    }

    /// Applies `edit` to a copy, writes it, then publishes it; `edit` returns whether it
    /// changed anything (nothing is written otherwise).
    fn change(&self, edit: impl FnOnce(&mut Users) -> bool) -> Result<bool> {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = self.read().clone();
        if !edit(&mut next) {
            return Ok(false);
        }
        state_file::write_atomically(&self.path, &render(&next))?;
        *self.users.write().unwrap_or_else(PoisonError::into_inner) = next;
        Ok(true)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Users> {
        self.users.read().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Kafka's rules for a SCRAM credential.
pub(crate) fn check_scram(mechanism: SaslMechanism, iterations: u32) -> Result<()> {
    if mechanism == SaslMechanism::Plain {
        return Err(Error::InvalidCredential(
            "credentials are stored for SCRAM-SHA-256 or SCRAM-SHA-512 (PLAIN checks against them)".into(),
        ));
    }
    if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
        return Err(Error::InvalidCredential(format!(
            "iterations must be in [{MIN_ITERATIONS}, {MAX_ITERATIONS}], got {iterations}"
        )));
    }
    Ok(())
}

pub(crate) fn check_user(user: &str) -> Result<()> {
    if user.is_empty() || user.chars().any(char::is_control) {
        return Err(Error::InvalidCredential(format!(
            "user name {user:?} must be non-empty and free of control characters"
        )));
    }
    Ok(())
}

/// 16 random bytes from the operating system (uuid v4 draws them from getrandom).
fn render(users: &Users) -> String {
    let mut out = format!("{HEADER}\n");
    for (user, m) in users {
        for c in m.values() {
            out.push_str(&format!(
                "{user}\t{}\t{}\t{}\t{}\t{}\n",
                c.mechanism,
                c.iterations,
                B64.encode(&c.salt),
                B64.encode(&c.stored_key),
                B64.encode(&c.server_key)
            ));
        }
    }
    out
}

fn parse(path: &Path, text: &str) -> Result<Users> {
    let corrupt = |line: usize, reason: &str| Error::CorruptState {
        path: path.to_path_buf(),
        reason: format!("line {line}: {reason}"),
    };
    let mut users = Users::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [user, mechanism, iterations, salt, stored_key, server_key] = fields[..] else {
            return Err(corrupt(n, "expected 6 tab-separated fields"));
        };
        let mechanism: SaslMechanism = mechanism.parse().map_err(|e: String| corrupt(n, &e))?;
        let iterations: u32 = iterations
            .parse()
            .map_err(|_| corrupt(n, "bad iteration count"))?;
        let b64 = |s: &str| B64.decode(s).map_err(|_| corrupt(n, "bad base64"));
        let credential = ScramCredential {
            mechanism,
            salt: b64(salt)?,
            iterations,
            stored_key: b64(stored_key)?,
            server_key: b64(server_key)?,
        };
        users
            .entry(user.to_string())
            .or_default()
            .insert(mechanism, credential);
    }
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_survive_reopening_and_hold_no_password() {
        let dir = tempfile::tempdir().unwrap();
        let store = CredentialStore::open(dir.path()).unwrap();
        store
            .set_password("alice", SaslMechanism::ScramSha512, "wonderland", 4096)
            .unwrap();
        store
            .set_password("alice", SaslMechanism::ScramSha256, "wonderland", 8192)
            .unwrap();
        store
            .set_password("bob", SaslMechanism::ScramSha256, "builder", 4096)
            .unwrap();
        assert!(store.delete("bob", SaslMechanism::ScramSha256).unwrap());
        assert!(!store.delete("bob", SaslMechanism::ScramSha256).unwrap());
        let text = std::fs::read_to_string(CredentialStore::path_in(dir.path())).unwrap();
        assert!(!text.contains("wonderland"));
        let reopened = CredentialStore::open(dir.path()).unwrap();
        assert_eq!(
            reopened.list(),
            [UserCredentials {
                user: "alice".into(),
                mechanisms: vec![
                    (SaslMechanism::ScramSha256, 8192),
                    (SaslMechanism::ScramSha512, 4096)
                ],
            }]
        );
        let c = reopened.get("alice", SaslMechanism::ScramSha512).unwrap();
        assert!(c.matches_password("wonderland"));
        assert!(!c.matches_password("looking-glass"));
        // Salts are random: the same password gives different credentials.
        assert_ne!(
            reopened.get("alice", SaslMechanism::ScramSha256).unwrap().salt,
            c.salt
        );
    }

    #[test]
    fn bad_input_is_refused_and_a_damaged_file_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = CredentialStore::open(dir.path()).unwrap();
        for (user, m, pw, it) in [
            ("", SaslMechanism::ScramSha256, "x", 4096),
            ("a\tb", SaslMechanism::ScramSha256, "x", 4096),
            ("a", SaslMechanism::Plain, "x", 4096),
            ("a", SaslMechanism::ScramSha256, "x", 100),
            ("a", SaslMechanism::ScramSha256, "", 4096),
        ] {
            assert!(store.set_password(user, m, pw, it).is_err(), "{user:?} {m} {it}");
        }
        assert!(store.list().is_empty());
        let path = CredentialStore::path_in(dir.path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "alice\tSCRAM-SHA-256\t4096\tnot base64!\tx\ty\n").unwrap();
        let err = CredentialStore::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
    }
}
