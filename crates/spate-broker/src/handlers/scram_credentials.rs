//! AlterUserScramCredentials and DescribeUserScramCredentials (KIP-554): SCRAM users managed
//! over the protocol. Clients send the salted password, never the password.
//!
//! Who may: with the authorizer on, ALTER (to change) or DESCRIBE (to list) on the cluster, as
//! in Kafka; without it, the principals in `super.users` when any are configured, and everyone
//! otherwise (as Kafka with no authorizer). Each user gets one result; a user named
//! twice for the same mechanism is DUPLICATE_RESOURCE and none of that user's changes apply.

use std::collections::{BTreeMap, BTreeSet};

use kafka_protocol::ResponseError;
use kafka_protocol::messages::alter_user_scram_credentials_response::AlterUserScramCredentialsResult;
use kafka_protocol::messages::describe_user_scram_credentials_response::{
    CredentialInfo, DescribeUserScramCredentialsResult,
};
use kafka_protocol::messages::{
    AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse, DescribeUserScramCredentialsRequest,
    DescribeUserScramCredentialsResponse,
};
use kafka_protocol::protocol::StrBytes;

use crate::acl::authorizer::Caller;
use crate::acl::{Operation, Resource};
use crate::sasl::credentials;
use crate::state::BrokerState;
use spate_kafka_security::SaslMechanism;
use spate_kafka_security::scram::ScramCredential;

/// Whether `caller` may `operation` (ALTER, DESCRIBE) credentials.
pub(crate) fn may_manage(state: &BrokerState, caller: &Caller, operation: Operation) -> bool {
    if state.authorizer.enabled() {
        return state.authorizer.allows(caller, operation, Resource::cluster());
    }
    let supers = &state.config.super_users;
    supers.is_empty() || supers.iter().any(|s| **s == *caller.principal)
}

enum Change {
    Delete(SaslMechanism),
    Upsert(ScramCredential),
}

type Failure = (ResponseError, String);

pub(crate) fn alter(
    state: &BrokerState,
    caller: &Caller,
    req: AlterUserScramCredentialsRequest,
) -> AlterUserScramCredentialsResponse {
    let principal = &caller.principal;
    let allowed = may_manage(state, caller, Operation::Alter);
    // Per user, in request order: the changes, or the first reason they cannot apply.
    let mut per_user: BTreeMap<String, Result<Vec<Change>, Failure>> = BTreeMap::new();
    let mut seen: BTreeSet<(String, i8)> = BTreeSet::new();
    let deletions = req.deletions.into_iter().map(|d| (d.name, d.mechanism, None));
    let upsertions = req.upsertions.into_iter().map(|u| {
        (
            u.name,
            u.mechanism,
            Some((u.iterations, u.salt, u.salted_password)),
        )
    });
    for (name, code, upsert) in deletions.chain(upsertions) {
        let user = name.as_str().to_string();
        let first_mention = seen.insert((user.clone(), code));
        let entry = per_user.entry(user.clone()).or_insert_with(|| Ok(Vec::new()));
        let Ok(changes) = entry else { continue };
        let change = if !allowed {
            Err((
                ResponseError::ClusterAuthorizationFailed,
                "not a super user".to_string(),
            ))
        } else if !first_mention {
            Err((
                ResponseError::DuplicateResource,
                "a user credential cannot be altered twice in the same request".to_string(),
            ))
        } else if credentials::check_user(&user).is_err() {
            Err((
                ResponseError::UnacceptableCredential,
                "user names must be non-empty and free of control characters".to_string(),
            ))
        } else if let Some(mechanism) = SaslMechanism::from_scram_code(code) {
            match upsert {
                None => Ok(Change::Delete(mechanism)),
                Some((iterations, salt, salted)) => {
                    let iterations = u32::try_from(iterations).unwrap_or(0);
                    match credentials::check_scram(mechanism, iterations) {
                        Err(e) => Err((ResponseError::UnacceptableCredential, e.to_string())),
                        Ok(()) if salt.is_empty() || salted.is_empty() => Err((
                            ResponseError::UnacceptableCredential,
                            "salt and salted password must not be empty".to_string(),
                        )),
                        Ok(()) => Ok(Change::Upsert(ScramCredential::from_salted_password(
                            mechanism,
                            salt.to_vec(),
                            &salted,
                            iterations,
                        ))),
                    }
                }
            }
        } else {
            Err((
                ResponseError::UnsupportedSaslMechanism,
                format!("unknown SCRAM mechanism code {code}"),
            ))
        };
        match change {
            Ok(c) => changes.push(c),
            Err(f) => *entry = Err(f),
        }
    }
    let results = per_user
        .into_iter()
        .map(|(user, changes)| {
            let outcome = changes.and_then(|changes| apply(state, &user, changes));
            let result =
                AlterUserScramCredentialsResult::default().with_user(StrBytes::from_string(user.clone()));
            match outcome {
                Ok(()) => {
                    tracing::info!(%principal, %user, "SCRAM credentials altered");
                    result
                }
                Err((code, message)) => result
                    .with_error_code(code.code())
                    .with_error_message(Some(StrBytes::from_string(message))),
            }
        })
        .collect();
    AlterUserScramCredentialsResponse::default().with_results(results)
}

fn apply(state: &BrokerState, user: &str, changes: Vec<Change>) -> Result<(), Failure> {
    for change in changes {
        match change {
            Change::Delete(m) => match state.credentials.delete(user, m) {
                Ok(true) => {}
                Ok(false) => {
                    return Err((
                        ResponseError::ResourceNotFound,
                        format!("attempt to delete a {m} credential of {user:?} that does not exist"),
                    ));
                }
                Err(e) => return Err(storage_failure(e)),
            },
            Change::Upsert(c) => state.credentials.upsert(user, c).map_err(storage_failure)?,
        }
    }
    Ok(())
}

fn storage_failure(e: crate::Error) -> Failure {
    tracing::error!("writing SCRAM credentials failed: {e}");
    (ResponseError::UnknownServerError, e.to_string())
}

pub(crate) fn describe(
    state: &BrokerState,
    caller: &Caller,
    req: DescribeUserScramCredentialsRequest,
) -> DescribeUserScramCredentialsResponse {
    if !may_manage(state, caller, Operation::Describe) {
        return DescribeUserScramCredentialsResponse::default()
            .with_error_code(ResponseError::ClusterAuthorizationFailed.code())
            .with_error_message(Some(StrBytes::from_static_str("not a super user")));
    }
    let listed = state.credentials.list();
    let info = |mechanisms: &[(SaslMechanism, u32)]| -> Vec<CredentialInfo> {
        mechanisms
            .iter()
            .filter_map(|&(m, iterations)| {
                Some(
                    CredentialInfo::default()
                        .with_mechanism(m.scram_code()?)
                        .with_iterations(iterations as i32),
                )
            })
            .collect()
    };
    // Null or empty (as Kafka treats it): every user.
    let results = match req.users.filter(|u| !u.is_empty()) {
        None => listed
            .iter()
            .map(|u| {
                DescribeUserScramCredentialsResult::default()
                    .with_user(StrBytes::from_string(u.user.clone()))
                    .with_credential_infos(info(&u.mechanisms))
            })
            .collect(),
        Some(users) => {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for u in &users {
                *counts.entry(u.name.as_str().to_string()).or_default() += 1;
            }
            counts
                .into_iter()
                .map(|(name, count)| {
                    let result = DescribeUserScramCredentialsResult::default()
                        .with_user(StrBytes::from_string(name.clone()));
                    if count > 1 {
                        return result
                            .with_error_code(ResponseError::DuplicateResource.code())
                            .with_error_message(Some(StrBytes::from_string(format!(
                                "user {name:?} asked for twice"
                            ))));
                    }
                    match listed.iter().find(|u| u.user == name) {
                        Some(u) => result.with_credential_infos(info(&u.mechanisms)),
                        None => result
                            .with_error_code(ResponseError::ResourceNotFound.code())
                            .with_error_message(Some(StrBytes::from_string(format!(
                                "attempt to describe a user credential that does not exist: {name}"
                            )))),
                    }
                })
                .collect()
        }
    };
    DescribeUserScramCredentialsResponse::default().with_results(results)
}
