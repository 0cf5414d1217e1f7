//! Users in a stopped broker's data directory. A running broker holds the store in memory and
//! would not see (and could overwrite) these edits; it is managed with `--bootstrap` instead.

use std::path::Path;

use anyhow::{Context, Result, bail};
use spate_broker::credentials::CredentialStore;

use super::{SCRAM_MECHANISMS, UsersRequest, listing_line};

pub(super) fn run(data_dir: &Path, request: UsersRequest) -> Result<()> {
    let credentials = CredentialStore::open(data_dir)
        .with_context(|| format!("opening the credentials in {}", data_dir.display()))?;
    match request {
        UsersRequest::Add {
            name,
            mechanism,
            password,
            iterations,
        } => {
            credentials
                .set_password(&name, mechanism, &password, iterations)
                .with_context(|| format!("adding user {name:?}"))?;
            println!("user {name} has a {mechanism} credential ({iterations} iterations)");
        }
        UsersRequest::Delete { name, mechanism } => {
            let mechanisms = mechanism.map_or(SCRAM_MECHANISMS.to_vec(), |m| vec![m]);
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
        UsersRequest::List => {
            for user in credentials.list() {
                println!("{}", listing_line(&user.user, &user.mechanisms));
            }
        }
    }
    Ok(())
}
