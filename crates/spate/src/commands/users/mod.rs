//! `spate users add|delete|list`: SCRAM users of a running broker over the protocol
//! (`--bootstrap`, [`bootstrap`]: AlterUserScramCredentials and DescribeUserScramCredentials,
//! as `kafka-configs.sh --entity-type users`), or in a stopped broker's data directory
//! (`--data-dir`, [`data_dir`]) — how the first super user gets in, as Kafka's
//! `kafka-storage format --add-scram` does.

mod bootstrap;
mod data_dir;

use std::io::Read;

use anyhow::{Context, Result, bail};
use spate_kafka_security::SaslMechanism;

use crate::cli::{ClientArgs, UserTarget, UsersAction};
use crate::client_properties::ClientSettings;

/// One change or listing, whichever store it goes to.
enum UsersRequest {
    Add {
        name: String,
        mechanism: SaslMechanism,
        password: String,
        iterations: u32,
    },
    /// Every SCRAM mechanism when none is given.
    Delete {
        name: String,
        mechanism: Option<SaslMechanism>,
    },
    List,
}

pub fn run(action: UsersAction) -> Result<()> {
    let (request, target) = match action {
        UsersAction::Add {
            name,
            mechanism,
            iterations,
            password_stdin: _,
            target,
        } => {
            let mechanism = scram_mechanism(&mechanism)?;
            let password = read_password(std::io::stdin().lock())?;
            let request = UsersRequest::Add {
                name,
                mechanism,
                password,
                iterations,
            };
            (request, target)
        }
        UsersAction::Delete {
            name,
            mechanism,
            target,
        } => {
            let mechanism = mechanism.as_deref().map(scram_mechanism).transpose()?;
            (UsersRequest::Delete { name, mechanism }, target)
        }
        UsersAction::List { target } => (UsersRequest::List, target),
    };
    match target_of(target)? {
        Target::DataDir(dir) => data_dir::run(&dir, request),
        Target::Broker(settings) => bootstrap::run(&settings, request),
    }
}

enum Target {
    DataDir(std::path::PathBuf),
    Broker(ClientSettings),
}

fn target_of(target: UserTarget) -> Result<Target> {
    match (target.data_dir, target.bootstrap) {
        (Some(dir), None) => Ok(Target::DataDir(dir)),
        (None, Some(bootstrap)) => Ok(Target::Broker(ClientSettings::from_args(&ClientArgs {
            bootstrap,
            command_config: target.command_config,
            property: target.property,
        })?)),
        // clap refuses both and neither; kept for a clear message should that change.
        _ => bail!("give exactly one of --bootstrap and --data-dir"),
    }
}

const SCRAM_MECHANISMS: [SaslMechanism; 2] = [SaslMechanism::ScramSha256, SaslMechanism::ScramSha512];

fn scram_mechanism(name: &str) -> Result<SaslMechanism> {
    match name.parse::<SaslMechanism>() {
        Ok(m @ (SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512)) => Ok(m),
        Ok(SaslMechanism::Plain) => {
            bail!("PLAIN has no credential of its own: PLAIN logins check against the SCRAM ones")
        }
        Err(e) => bail!("{e}"),
    }
}

/// `user<TAB>MECHANISM:ITERATIONS,...`, the listing both forms print.
fn listing_line(user: &str, mechanisms: &[(SaslMechanism, u32)]) -> String {
    let mechanisms: Vec<String> = mechanisms
        .iter()
        .map(|(m, iterations)| format!("{m}:{iterations}"))
        .collect();
    format!("{user}\t{}", mechanisms.join(","))
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
