//! `spate users`: SCRAM credentials in a stopped broker's data directory — how the first super
//! user gets in, as Kafka's `kafka-storage format --add-scram` does.
//!
//! A running broker holds the store in memory and would not see (and could overwrite) these
//! edits; it is managed over the protocol instead (AlterUserScramCredentials). The `rdkafka`
//! crate does not wrap that admin API, so there is no `--bootstrap` form yet.

use std::io::Read;

use anyhow::{Context, Result, bail};
use spate_broker::SaslMechanism;
use spate_broker::credentials::CredentialStore;

use crate::cli::UsersAction;

pub fn run(action: UsersAction) -> Result<()> {
    match action {
        UsersAction::Add {
            name,
            mechanism,
            iterations,
            password_stdin: _,
            store,
        } => {
            let mechanism = scram_mechanism(&mechanism)?;
            let password = read_password(std::io::stdin().lock())?;
            let credentials = open(&store.data_dir)?;
            credentials
                .set_password(&name, mechanism, &password, iterations)
                .with_context(|| format!("adding user {name:?}"))?;
            println!("user {name} has a {mechanism} credential ({iterations} iterations)");
        }
        UsersAction::Delete {
            name,
            mechanism,
            store,
        } => {
            let credentials = open(&store.data_dir)?;
            let mechanisms = match mechanism {
                Some(m) => vec![scram_mechanism(&m)?],
                None => vec![SaslMechanism::ScramSha256, SaslMechanism::ScramSha512],
            };
            let mut removed = 0;
            for m in mechanisms {
                if credentials.delete(&name, m)? {
                    removed += 1;
                    println!("removed the {m} credential of {name}");
                }
            }
            if removed == 0 {
                bail!("user {name:?} has no such credential");
            }
        }
        UsersAction::List { store } => {
            for user in open(&store.data_dir)?.list() {
                let mechanisms: Vec<String> = user
                    .mechanisms
                    .iter()
                    .map(|(m, iterations)| format!("{m}:{iterations}"))
                    .collect();
                println!("{}\t{}", user.user, mechanisms.join(","));
            }
        }
    }
    Ok(())
}

fn open(data_dir: &std::path::Path) -> Result<CredentialStore> {
    CredentialStore::open(data_dir)
        .with_context(|| format!("opening the credentials in {}", data_dir.display()))
}

fn scram_mechanism(name: &str) -> Result<SaslMechanism> {
    match name.parse::<SaslMechanism>() {
        Ok(m @ (SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512)) => Ok(m),
        Ok(SaslMechanism::Plain) => {
            bail!("PLAIN has no credential of its own: PLAIN logins check against the SCRAM ones")
        }
        Err(e) => bail!("{e}"),
    }
}

/// The first line of `input` without its line ending.
fn read_password(mut input: impl Read) -> Result<String> {
    let mut text = String::new();
    input
        .read_to_string(&mut text)
        .context("reading the password from stdin (UTF-8 expected)")?;
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        bail!("no password on stdin");
    }
    Ok(line.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_the_first_line() {
        assert_eq!(read_password(&b"s3cret\r\n"[..]).unwrap(), "s3cret");
        assert_eq!(read_password(&b"with space\nsecond"[..]).unwrap(), "with space");
        assert!(read_password(&b"\n"[..]).is_err());
        assert!(read_password(&b""[..]).is_err());
        assert!(scram_mechanism("PLAIN").is_err());
        assert!(scram_mechanism("SCRAM-SHA-1").is_err());
    }
}
