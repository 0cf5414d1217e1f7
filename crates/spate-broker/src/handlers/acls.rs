//! CreateAcls, DescribeAcls and DeleteAcls: the ACLs over the protocol (kafka-acls.sh, admin
//! clients' create_acls/describe_acls/delete_acls).
//!
//! Who may: ALTER on the cluster to create or delete, DESCRIBE on the cluster to describe (super
//! users always). Without the authorizer every call answers SECURITY_DISABLED, as Kafka does.
//! CreateAcls answers per ACL (an invalid one is INVALID_REQUEST and the others still apply);
//! DeleteAcls answers per filter with the ACLs it removed.

use std::collections::BTreeMap;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::create_acls_response::AclCreationResult;
use kafka_protocol::messages::delete_acls_response::{DeleteAclsFilterResult, DeleteAclsMatchingAcl};
use kafka_protocol::messages::describe_acls_response::{AclDescription, DescribeAclsResource};
use kafka_protocol::messages::{
    CreateAclsRequest, CreateAclsResponse, DeleteAclsRequest, DeleteAclsResponse, DescribeAclsRequest,
    DescribeAclsResponse,
};
use kafka_protocol::protocol::StrBytes;

use crate::acl::authorizer::Caller;
use crate::acl::{AclBinding, AclFilter, Operation, PatternType, Permission, Resource, ResourceType};
use crate::state::BrokerState;

type Failure = (ResponseError, String);

fn message(text: impl Into<String>) -> Option<StrBytes> {
    Some(StrBytes::from_string(text.into()))
}

/// Whether the caller may do `operation` on the cluster, or the failure to answer with.
fn gate(state: &BrokerState, caller: &Caller, operation: Operation) -> Result<(), Failure> {
    if !state.authorizer.enabled() {
        return Err((
            ResponseError::SecurityDisabled,
            "no authorizer is configured on the broker (authorizer.class.name)".into(),
        ));
    }
    if !state.authorizer.allows(caller, operation, Resource::cluster()) {
        return Err((
            ResponseError::ClusterAuthorizationFailed,
            format!("{} may not {operation} the cluster's ACLs", caller.principal),
        ));
    }
    Ok(())
}

fn enum_of<T>(code: i8, from_code: fn(i8) -> Option<T>, what: &str) -> Result<T, Failure> {
    from_code(code).ok_or_else(|| {
        (
            ResponseError::InvalidRequest,
            format!("unknown {what} code {code}"),
        )
    })
}

pub(crate) fn create(state: &BrokerState, caller: &Caller, req: CreateAclsRequest) -> CreateAclsResponse {
    let gated = gate(state, caller, Operation::Alter);
    let bindings: Vec<Result<AclBinding, Failure>> = req
        .creations
        .into_iter()
        .map(|c| {
            gated.clone()?;
            let binding = AclBinding {
                resource_type: enum_of(c.resource_type, ResourceType::from_code, "resource type")?,
                resource_name: c.resource_name.to_string(),
                pattern_type: enum_of(c.resource_pattern_type, PatternType::from_code, "pattern type")?,
                principal: c.principal.to_string(),
                host: c.host.to_string(),
                operation: enum_of(c.operation, Operation::from_code, "operation")?,
                permission: enum_of(c.permission_type, Permission::from_code, "permission type")?,
            };
            match binding.invalid_reason() {
                Some(reason) => Err((ResponseError::InvalidRequest, reason)),
                None => Ok(binding),
            }
        })
        .collect();
    let valid: Vec<AclBinding> = bindings.iter().filter_map(|b| b.as_ref().ok().cloned()).collect();
    let stored = if valid.is_empty() {
        Ok(())
    } else {
        state.authorizer.acls.add(&valid).map_err(|e| {
            tracing::error!("writing ACLs failed: {e}");
            (ResponseError::UnknownServerError, e.to_string())
        })
    };
    for b in &valid {
        if stored.is_ok() {
            tracing::info!(by = %caller.principal, "ACL added: {b}");
        }
    }
    let results = bindings
        .into_iter()
        .map(|b| match b.and_then(|_| stored.clone()) {
            Ok(()) => AclCreationResult::default(),
            Err((code, text)) => AclCreationResult::default()
                .with_error_code(code.code())
                .with_error_message(message(text)),
        })
        .collect();
    CreateAclsResponse::default().with_results(results)
}

/// A describe/delete filter from the wire, or why it is not one.
fn filter_of(
    resource_type: i8,
    resource_name: Option<StrBytes>,
    pattern_type: i8,
    principal: Option<StrBytes>,
    host: Option<StrBytes>,
    operation: i8,
    permission: i8,
) -> Result<AclFilter, Failure> {
    Ok(AclFilter {
        resource_type: enum_of(resource_type, ResourceType::from_code, "resource type")?,
        resource_name: resource_name.map(|s| s.to_string()),
        pattern_type: enum_of(pattern_type, PatternType::from_code, "pattern type")?,
        principal: principal.map(|s| s.to_string()),
        host: host.map(|s| s.to_string()),
        operation: enum_of(operation, Operation::from_code, "operation")?,
        permission: enum_of(permission, Permission::from_code, "permission type")?,
    })
}

pub(crate) fn describe(
    state: &BrokerState,
    caller: &Caller,
    req: DescribeAclsRequest,
) -> DescribeAclsResponse {
    let filter = gate(state, caller, Operation::Describe).and_then(|()| {
        filter_of(
            req.resource_type_filter,
            req.resource_name_filter,
            req.pattern_type_filter,
            req.principal_filter,
            req.host_filter,
            req.operation,
            req.permission_type,
        )
    });
    let filter = match filter {
        Ok(f) => f,
        Err((code, text)) => {
            return DescribeAclsResponse::default()
                .with_error_code(code.code())
                .with_error_message(message(text));
        }
    };
    // One entry per resource pattern, its ACLs under it.
    let mut by_resource: BTreeMap<(ResourceType, String, PatternType), Vec<AclDescription>> = BTreeMap::new();
    for acl in state.authorizer.acls.describe(&filter) {
        by_resource
            .entry((acl.resource_type, acl.resource_name, acl.pattern_type))
            .or_default()
            .push(
                AclDescription::default()
                    .with_principal(StrBytes::from_string(acl.principal))
                    .with_host(StrBytes::from_string(acl.host))
                    .with_operation(acl.operation.code())
                    .with_permission_type(acl.permission.code()),
            );
    }
    let resources = by_resource
        .into_iter()
        .map(|((resource_type, name, pattern_type), acls)| {
            DescribeAclsResource::default()
                .with_resource_type(resource_type.code())
                .with_resource_name(StrBytes::from_string(name))
                .with_pattern_type(pattern_type.code())
                .with_acls(acls)
        })
        .collect();
    DescribeAclsResponse::default().with_resources(resources)
}

pub(crate) fn delete(state: &BrokerState, caller: &Caller, req: DeleteAclsRequest) -> DeleteAclsResponse {
    let gated = gate(state, caller, Operation::Alter);
    let filters: Vec<Result<AclFilter, Failure>> = req
        .filters
        .into_iter()
        .map(|f| {
            gated.clone()?;
            filter_of(
                f.resource_type_filter,
                f.resource_name_filter,
                f.pattern_type_filter,
                f.principal_filter,
                f.host_filter,
                f.operation,
                f.permission_type,
            )
        })
        .collect();
    let valid: Vec<AclFilter> = filters.iter().filter_map(|f| f.as_ref().ok().cloned()).collect();
    let removed = if valid.is_empty() {
        Ok(Vec::new())
    } else {
        state.authorizer.acls.remove(&valid).map_err(|e| {
            tracing::error!("writing ACLs failed: {e}");
            (ResponseError::UnknownServerError, e.to_string())
        })
    };
    let mut removed_per_filter = match &removed {
        Ok(r) => r.clone().into_iter(),
        Err(_) => Vec::new().into_iter(),
    };
    let filter_results = filters
        .into_iter()
        .map(|f| {
            let outcome = f.and_then(|_| match &removed {
                Ok(_) => Ok(removed_per_filter.next().unwrap_or_default()),
                Err(e) => Err(e.clone()),
            });
            match outcome {
                Ok(acls) => {
                    for acl in &acls {
                        tracing::info!(by = %caller.principal, "ACL removed: {acl}");
                    }
                    DeleteAclsFilterResult::default()
                        .with_matching_acls(acls.into_iter().map(matching).collect())
                }
                Err((code, text)) => DeleteAclsFilterResult::default()
                    .with_error_code(code.code())
                    .with_error_message(message(text)),
            }
        })
        .collect();
    DeleteAclsResponse::default().with_filter_results(filter_results)
}

fn matching(acl: AclBinding) -> DeleteAclsMatchingAcl {
    DeleteAclsMatchingAcl::default()
        .with_resource_type(acl.resource_type.code())
        .with_resource_name(StrBytes::from_string(acl.resource_name))
        .with_pattern_type(acl.pattern_type.code())
        .with_principal(StrBytes::from_string(acl.principal))
        .with_host(StrBytes::from_string(acl.host))
        .with_operation(acl.operation.code())
        .with_permission_type(acl.permission.code())
}
