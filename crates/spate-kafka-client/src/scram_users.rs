//! AlterUserScramCredentials and DescribeUserScramCredentials (KIP-554) on the raw admin client
//! ([`BrokerConnection`]), which `spate users --bootstrap` uses: the `rdkafka` crate does not wrap
//! librdkafka's user-credential calls. Passwords are salted here; only the salted password
//! goes on the wire, as with Kafka's own tools.

use bytes::Bytes;
use kafka_protocol::messages::alter_user_scram_credentials_request::{
    ScramCredentialDeletion, ScramCredentialUpsertion,
};
use kafka_protocol::messages::describe_user_scram_credentials_request::UserName;
use kafka_protocol::messages::{
    AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse, ApiKey,
    DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse,
};
use kafka_protocol::protocol::StrBytes;
use spate_kafka_security::{SaltedPassword, SaslMechanism};

use crate::ClientError;
use crate::broker_connection::{BrokerConnection, check_with_message};

/// Both APIs have only v0.
const VERSIONS: (i16, i16) = (0, 0);

/// A user's SCRAM mechanisms with their iteration counts (never secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScramUser {
    pub user: String,
    pub mechanisms: Vec<(SaslMechanism, u32)>,
}

fn wire_code(mechanism: SaslMechanism) -> Result<i8, ClientError> {
    mechanism.scram_code().ok_or_else(|| {
        ClientError::Config(format!(
            "{mechanism} has no credential of its own: PLAIN logins check against the SCRAM ones"
        ))
    })
}

impl BrokerConnection {
    /// Sets `user`'s `mechanism` credential to `password`, with a fresh salt.
    pub fn upsert_scram_credential(
        &mut self,
        user: &str,
        mechanism: SaslMechanism,
        password: &str,
        iterations: u32,
    ) -> Result<(), ClientError> {
        let code = wire_code(mechanism)?;
        let iterations_on_wire = i32::try_from(iterations)
            .map_err(|_| ClientError::Config(format!("{iterations} iterations are out of range")))?;
        let salted = SaltedPassword::new(mechanism, password, iterations);
        let upsertion = ScramCredentialUpsertion::default()
            .with_name(StrBytes::from_string(user.to_string()))
            .with_mechanism(code)
            .with_iterations(iterations_on_wire)
            .with_salt(Bytes::from(salted.salt))
            .with_salted_password(Bytes::from(salted.salted_password));
        self.alter_scram(
            AlterUserScramCredentialsRequest::default().with_upsertions(vec![upsertion]),
            user,
        )
    }

    /// Removes `user`'s `mechanism` credential (RESOURCE_NOT_FOUND when there is none).
    pub fn delete_scram_credential(
        &mut self,
        user: &str,
        mechanism: SaslMechanism,
    ) -> Result<(), ClientError> {
        let deletion = ScramCredentialDeletion::default()
            .with_name(StrBytes::from_string(user.to_string()))
            .with_mechanism(wire_code(mechanism)?);
        self.alter_scram(
            AlterUserScramCredentialsRequest::default().with_deletions(vec![deletion]),
            user,
        )
    }

    fn alter_scram(&mut self, req: AlterUserScramCredentialsRequest, user: &str) -> Result<(), ClientError> {
        let version = self.require(ApiKey::AlterUserScramCredentials, VERSIONS)?;
        let r: AlterUserScramCredentialsResponse = self.call(&req, version)?;
        let what = format!("AlterUserScramCredentials({user})");
        let result = r
            .results
            .iter()
            .find(|r| r.user.as_str() == user)
            .ok_or_else(|| ClientError::Protocol(format!("{what}: no result for the user")))?;
        check_with_message(result.error_code, result.error_message.as_ref(), &what)
    }

    /// The users named (every user for `None`) with their mechanisms; a named user without
    /// credentials is RESOURCE_NOT_FOUND.
    pub fn describe_scram_users(&mut self, users: Option<&[String]>) -> Result<Vec<ScramUser>, ClientError> {
        let version = self.require(ApiKey::DescribeUserScramCredentials, VERSIONS)?;
        let names = users.map(|names| {
            names
                .iter()
                .map(|n| UserName::default().with_name(StrBytes::from_string(n.clone())))
                .collect()
        });
        let r: DescribeUserScramCredentialsResponse = self.call(
            &DescribeUserScramCredentialsRequest::default().with_users(names),
            version,
        )?;
        check_with_message(
            r.error_code,
            r.error_message.as_ref(),
            "DescribeUserScramCredentials",
        )?;
        r.results
            .into_iter()
            .map(|result| {
                let user = result.user.to_string();
                check_with_message(
                    result.error_code,
                    result.error_message.as_ref(),
                    &format!("DescribeUserScramCredentials({user})"),
                )?;
                let mechanisms = result
                    .credential_infos
                    .iter()
                    .map(|info| {
                        let mechanism = SaslMechanism::from_scram_code(info.mechanism).ok_or_else(|| {
                            ClientError::Protocol(format!(
                                "the broker answered an unknown SCRAM mechanism code {}",
                                info.mechanism
                            ))
                        })?;
                        Ok((mechanism, u32::try_from(info.iterations).unwrap_or(0)))
                    })
                    .collect::<Result<_, ClientError>>()?;
                Ok(ScramUser { user, mechanisms })
            })
            .collect()
    }
}
