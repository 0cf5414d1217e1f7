//! Users of a running broker over the raw admin client, logged in as `--command-config`/`-X`
//! say: AlterUserScramCredentials to add and delete, DescribeUserScramCredentials to list (and
//! to learn which mechanisms a delete without `--mechanism` removes).

use anyhow::{Result, bail};
use spate_kafka_client::ClientError;

use super::{UsersRequest, listing_line};
use crate::client_properties::ClientSettings;
use crate::kafka_client::raw_error;

pub(super) fn run(settings: &ClientSettings, request: UsersRequest) -> Result<()> {
    let mut admin = settings.raw_admin()?;
    let failed = |doing: &str| {
        let doing = doing.to_string();
        move |e: ClientError| raw_error(e, &settings.bootstrap, &doing)
    };
    match request {
        UsersRequest::Add {
            name,
            mechanism,
            password,
            iterations,
        } => {
            admin
                .upsert_scram_credential(&name, mechanism, &password, iterations)
                .map_err(failed(&format!("adding user {name:?}")))?;
            println!("user {name} has a {mechanism} credential ({iterations} iterations)");
        }
        UsersRequest::Delete { name, mechanism } => {
            let mechanisms = match mechanism {
                Some(m) => vec![m],
                None => {
                    let described = admin.describe_scram_users(Some(std::slice::from_ref(&name)));
                    match described {
                        Err(e) if is_not_found(&e) => bail!("user {name:?} has no such credential"),
                        other => other.map_err(failed(&format!("describing user {name:?}")))?,
                    }
                    .into_iter()
                    .flat_map(|u| u.mechanisms.into_iter().map(|(m, _)| m))
                    .collect()
                }
            };
            for m in mechanisms {
                match admin.delete_scram_credential(&name, m) {
                    Err(e) if is_not_found(&e) => bail!("user {name:?} has no {m} credential"),
                    other => other.map_err(failed(&format!("removing the {m} credential of {name:?}")))?,
                }
                println!("removed the {m} credential of {name}");
            }
        }
        UsersRequest::List => {
            let users = admin
                .describe_scram_users(None)
                .map_err(failed("listing users"))?;
            for user in users {
                println!("{}", listing_line(&user.user, &user.mechanisms));
            }
        }
    }
    Ok(())
}

/// RESOURCE_NOT_FOUND: the user has no credential (of that mechanism).
fn is_not_found(e: &ClientError) -> bool {
    matches!(e, ClientError::Code { name, .. } if name == "RESOURCE_NOT_FOUND")
}
