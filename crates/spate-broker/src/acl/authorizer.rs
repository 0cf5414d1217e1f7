//! The authorizer every API consults: super users, the ACLs, `allow.everyone.if.no.acl.found`,
//! and a rate-limited log line for each refusal.
//!
//! When it is on (see [`crate::BrokerConfig::authorizer_enabled`]): super users may do
//! everything; otherwise the ACLs decide with Kafka's rules ([`super::matcher`]), and a resource
//! no ACL names is open only with `allow.everyone.if.no.acl.found=true`. When it is off, every
//! request is allowed and the ACL APIs answer SECURITY_DISABLED, as Kafka without an authorizer.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::matcher::{self, Verdict};
use super::store::AclStore;
use crate::BrokerConfig;
use spate_kafka_security::acl::{Operation, Resource, ResourceType};

/// Who sends a request: the authenticated principal and the client's IP address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    /// `User:ANONYMOUS` on PLAINTEXT listeners, `User:NAME` after SASL.
    pub(crate) principal: Arc<str>,
    /// The client's IP address, as ACL hosts name it.
    pub(crate) host: Arc<str>,
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} from {}", self.principal, self.host)
    }
}

/// The operations Kafka's `AclEntry.supportedOperations` lists for a resource type.
fn supported_operations(resource_type: ResourceType) -> &'static [Operation] {
    use Operation::*;
    match resource_type {
        ResourceType::Topic => &[
            Read,
            Write,
            Create,
            Describe,
            Delete,
            Alter,
            DescribeConfigs,
            AlterConfigs,
        ],
        ResourceType::Group => &[Read, Describe, Delete],
        ResourceType::Cluster => &[
            Create,
            ClusterAction,
            DescribeConfigs,
            AlterConfigs,
            IdempotentWrite,
            Alter,
            Describe,
        ],
        ResourceType::TransactionalId => &[Describe, Write],
        ResourceType::DelegationToken => &[Describe],
        ResourceType::User => &[CreateTokens, DescribeTokens],
        ResourceType::Any => &[],
    }
}

/// Refusal log lines per window; the rest are counted and reported with the next line.
const DENIAL_LINES_PER_WINDOW: u32 = 10;
const DENIAL_WINDOW: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub(crate) struct Authorizer {
    enabled: bool,
    super_users: Vec<String>,
    allow_everyone_if_no_acl_found: bool,
    pub(crate) acls: AclStore,
    /// (window start, lines logged in it, refusals not logged since the last line).
    denial_log: Mutex<(Instant, u32, u64)>,
}

impl Authorizer {
    pub(crate) fn new(config: &BrokerConfig, acls: AclStore) -> Authorizer {
        Authorizer {
            enabled: config.authorizer_enabled(),
            super_users: config.super_users.clone(),
            allow_everyone_if_no_acl_found: config.allow_everyone_if_no_acl_found.unwrap_or(false),
            acls,
            denial_log: Mutex::new((Instant::now(), 0, 0)),
        }
    }

    /// Whether requests are checked at all (and the ACL APIs work).
    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    /// Whether `caller` may do `operation` on `resource`; a refusal is logged.
    pub(crate) fn allows(&self, caller: &Caller, operation: Operation, resource: Resource<'_>) -> bool {
        let allowed = self.decide(caller, operation, resource);
        if !allowed {
            self.log_denial(caller, operation, &resource.to_string());
        }
        allowed
    }

    /// [`Self::allows`] without the log line, for listings that leave out what the caller may
    /// not see (Metadata of all topics, ListGroups), as Kafka does.
    pub(crate) fn filters_in(&self, caller: &Caller, operation: Operation, resource: Resource<'_>) -> bool {
        self.decide(caller, operation, resource)
    }

    /// Whether `caller` may do `operation` on at least one resource of `resource_type`
    /// (InitProducerId for idempotence: WRITE on any topic).
    pub(crate) fn allows_some(
        &self,
        caller: &Caller,
        operation: Operation,
        resource_type: ResourceType,
    ) -> bool {
        if !self.enabled || self.is_super_user(caller) {
            return true;
        }
        let acls = self.acls.snapshot();
        let allowed = matcher::allowed_on_some(
            acls.iter(),
            &caller.principal,
            &caller.host,
            operation,
            resource_type,
        )
        .unwrap_or(self.allow_everyone_if_no_acl_found);
        if !allowed {
            self.log_denial(caller, operation, &format!("any {resource_type}"));
        }
        allowed
    }

    /// Kafka's `*_authorized_operations` bit field (bit n = operation code n) of what `caller`
    /// may do on `resource`, out of the operations Kafka defines for its type; every one of
    /// them when the authorizer is off, as Kafka without an authorizer answers.
    pub(crate) fn authorized_operations(&self, caller: &Caller, resource: Resource<'_>) -> i32 {
        supported_operations(resource.resource_type)
            .iter()
            .filter(|op| self.decide(caller, **op, resource))
            .fold(0, |bits, op| bits | 1 << op.code())
    }

    fn is_super_user(&self, caller: &Caller) -> bool {
        self.super_users.iter().any(|s| **s == *caller.principal)
    }

    fn decide(&self, caller: &Caller, operation: Operation, resource: Resource<'_>) -> bool {
        if !self.enabled || self.is_super_user(caller) {
            return true;
        }
        let acls = self.acls.snapshot();
        match matcher::verdict(acls.iter(), &caller.principal, &caller.host, operation, resource) {
            Verdict::Allowed => true,
            Verdict::Denied | Verdict::NotGranted => false,
            Verdict::NoAcls => self.allow_everyone_if_no_acl_found,
        }
    }

    fn log_denial(&self, caller: &Caller, operation: Operation, resource: &str) {
        let mut log = self.denial_log.lock().unwrap_or_else(PoisonError::into_inner);
        let (window_start, lines, unlogged) = &mut *log;
        if window_start.elapsed() >= DENIAL_WINDOW {
            *window_start = Instant::now();
            *lines = 0;
        }
        if *lines >= DENIAL_LINES_PER_WINDOW {
            *unlogged += 1;
            return;
        }
        *lines += 1;
        let earlier = std::mem::take(unlogged);
        tracing::warn!(
            principal = %caller.principal,
            host = %caller.host,
            %operation,
            %resource,
            unlogged_earlier_denials = earlier,
            "authorization denied"
        );
    }
}
