//! Kafka's ACL matching rules as pure functions: which ACLs apply to a resource, which
//! operations an ACL implies, what a filter selects, and the verdict for one request.
//!
//! Rules (Kafka's `StandardAuthorizer`): a LITERAL ACL applies to the resource of its name, or
//! to every resource of its type when the name is `*`; a PREFIXED ACL to every resource whose
//! name starts with its name. Principals match exactly or through `User:*`, hosts exactly or
//! through `*`. DENY beats ALLOW. A DENY refuses its own operation (or every one, for ALL); an
//! ALLOW of READ, WRITE, DELETE or ALTER also grants DESCRIBE, ALTER_CONFIGS grants
//! DESCRIBE_CONFIGS, and ALL grants everything.

use spate_kafka_security::acl::{
    AclBinding, AclFilter, Operation, PatternType, Permission, Resource, ResourceType, WILDCARD,
    WILDCARD_PRINCIPAL,
};

/// Whether the ACL's resource pattern applies to `resource`.
pub fn pattern_applies(acl: &AclBinding, resource: Resource<'_>) -> bool {
    acl.resource_type == resource.resource_type
        && match acl.pattern_type {
            PatternType::Literal => acl.resource_name == resource.name || acl.resource_name == WILDCARD,
            PatternType::Prefixed => resource.name.starts_with(acl.resource_name.as_str()),
            PatternType::Any | PatternType::Match => false,
        }
}

/// Whether an ACL for `acl_principal` speaks for `principal`.
pub fn principal_matches(acl_principal: &str, principal: &str) -> bool {
    acl_principal == principal || acl_principal == WILDCARD_PRINCIPAL
}

/// Whether an ACL for `acl_host` applies to a client at `host`.
pub fn host_matches(acl_host: &str, host: &str) -> bool {
    acl_host == WILDCARD || acl_host == host
}

/// Whether an ALLOW of `granted` permits `requested` (implied operations included).
pub fn allow_implies(granted: Operation, requested: Operation) -> bool {
    granted == requested
        || granted == Operation::All
        || match requested {
            Operation::Describe => matches!(
                granted,
                Operation::Read | Operation::Write | Operation::Delete | Operation::Alter
            ),
            Operation::DescribeConfigs => granted == Operation::AlterConfigs,
            _ => false,
        }
}

/// Whether a DENY of `denied` refuses `requested` (only itself, or everything for ALL).
pub fn deny_covers(denied: Operation, requested: Operation) -> bool {
    denied == requested || denied == Operation::All
}

/// The outcome of matching one request against the ACLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// An ALLOW ACL grants it and no DENY ACL refuses it.
    Allowed,
    /// A DENY ACL refuses it.
    Denied,
    /// ACLs exist for the resource, but none grants this.
    NotGranted,
    /// No ACL names the resource at all: `allow.everyone.if.no.acl.found` decides.
    NoAcls,
}

/// Matches `principal` at `host` asking `operation` on `resource` against `acls`.
pub fn verdict<'a>(
    acls: impl IntoIterator<Item = &'a AclBinding>,
    principal: &str,
    host: &str,
    operation: Operation,
    resource: Resource<'_>,
) -> Verdict {
    let mut any_for_resource = false;
    let mut allowed = false;
    for acl in acls {
        if !pattern_applies(acl, resource) {
            continue;
        }
        any_for_resource = true;
        if !principal_matches(&acl.principal, principal) || !host_matches(&acl.host, host) {
            continue;
        }
        match acl.permission {
            Permission::Deny if deny_covers(acl.operation, operation) => return Verdict::Denied,
            Permission::Allow if allow_implies(acl.operation, operation) => allowed = true,
            _ => {}
        }
    }
    match (allowed, any_for_resource) {
        (true, _) => Verdict::Allowed,
        (false, true) => Verdict::NotGranted,
        (false, false) => Verdict::NoAcls,
    }
}

/// Whether some resource of `resource_type` exists on which `operation` would be allowed
/// (Kafka's `authorizeByResourceType`, used by InitProducerId without a transactional id: WRITE
/// on any topic). An ALLOW counts unless a DENY pattern covers everything it names. `None` when
/// no ACL of the type exists at all (`allow.everyone.if.no.acl.found` decides).
pub fn allowed_on_some<'a>(
    acls: impl IntoIterator<Item = &'a AclBinding> + Clone,
    principal: &str,
    host: &str,
    operation: Operation,
    resource_type: ResourceType,
) -> Option<bool> {
    let applies = |acl: &&AclBinding| {
        acl.resource_type == resource_type
            && principal_matches(&acl.principal, principal)
            && host_matches(&acl.host, host)
    };
    let any_of_type = acls.clone().into_iter().any(|a| a.resource_type == resource_type);
    let denials: Vec<&AclBinding> = acls
        .clone()
        .into_iter()
        .filter(applies)
        .filter(|a| a.permission == Permission::Deny && deny_covers(a.operation, operation))
        .collect();
    let dominated = |allow: &AclBinding| {
        denials
            .iter()
            .any(|d| match (d.pattern_type, allow.pattern_type) {
                (PatternType::Literal, _) if d.resource_name == WILDCARD => true,
                (PatternType::Literal, PatternType::Literal) => d.resource_name == allow.resource_name,
                (PatternType::Prefixed, PatternType::Literal | PatternType::Prefixed) => {
                    allow.resource_name != WILDCARD
                        && allow.resource_name.starts_with(d.resource_name.as_str())
                }
                _ => false,
            })
    };
    let allowed = acls.into_iter().filter(applies).any(|a| {
        a.permission == Permission::Allow
            && (a.operation == operation || a.operation == Operation::All)
            && !dominated(a)
    });
    match (allowed, any_of_type) {
        (true, _) => Some(true),
        (false, true) => Some(false),
        (false, false) => None,
    }
}

/// Whether `filter` selects `acl` (Kafka's `AclBindingFilter.matches`).
pub fn filter_matches(filter: &AclFilter, acl: &AclBinding) -> bool {
    let type_ok = filter.resource_type == ResourceType::Any || filter.resource_type == acl.resource_type;
    let pattern_type_ok = matches!(filter.pattern_type, PatternType::Any | PatternType::Match)
        || filter.pattern_type == acl.pattern_type;
    let name_ok = match &filter.resource_name {
        None => true,
        Some(name) if filter.pattern_type != PatternType::Match => *name == acl.resource_name,
        Some(name) => match acl.pattern_type {
            PatternType::Literal => *name == acl.resource_name || acl.resource_name == WILDCARD,
            PatternType::Prefixed => name.starts_with(acl.resource_name.as_str()),
            PatternType::Any | PatternType::Match => false,
        },
    };
    let principal_ok = filter.principal.as_ref().is_none_or(|p| *p == acl.principal);
    let host_ok = filter.host.as_ref().is_none_or(|h| *h == acl.host);
    let operation_ok = filter.operation == Operation::Any || filter.operation == acl.operation;
    let permission_ok = filter.permission == Permission::Any || filter.permission == acl.permission;
    type_ok && pattern_type_ok && name_ok && principal_ok && host_ok && operation_ok && permission_ok
}
