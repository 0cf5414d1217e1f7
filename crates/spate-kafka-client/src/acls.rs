//! CreateAcls, DescribeAcls and DeleteAcls on the raw admin client ([`BrokerConnection`]), which
//! `spate acls` uses: the `rdkafka` crate does not wrap librdkafka's ACL calls.

use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::delete_acls_request::DeleteAclsFilter;
use kafka_protocol::messages::{
    ApiKey, CreateAclsRequest, CreateAclsResponse, DeleteAclsRequest, DeleteAclsResponse,
    DescribeAclsRequest, DescribeAclsResponse,
};
use kafka_protocol::protocol::StrBytes;
use spate_kafka_security::acl::{AclBinding, AclFilter, Operation, PatternType, Permission, ResourceType};

use crate::ClientError;
use crate::broker_connection::{BrokerConnection, check_with_message};

/// The versions of the ACL APIs this client speaks.
const VERSIONS: (i16, i16) = (1, 3);

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

fn decoded<T>(code: i8, from_code: fn(i8) -> Option<T>, what: &str) -> Result<T, ClientError> {
    from_code(code)
        .ok_or_else(|| ClientError::Protocol(format!("the broker answered an unknown {what} code {code}")))
}

impl BrokerConnection {
    /// Creates `acls`; one result per ACL, in order.
    pub fn create_acls(&mut self, acls: &[AclBinding]) -> Result<Vec<Result<(), ClientError>>, ClientError> {
        let version = self.require(ApiKey::CreateAcls, VERSIONS)?;
        let creations = acls
            .iter()
            .map(|a| {
                AclCreation::default()
                    .with_resource_type(a.resource_type.code())
                    .with_resource_name(text(&a.resource_name))
                    .with_resource_pattern_type(a.pattern_type.code())
                    .with_principal(text(&a.principal))
                    .with_host(text(&a.host))
                    .with_operation(a.operation.code())
                    .with_permission_type(a.permission.code())
            })
            .collect();
        let r: CreateAclsResponse =
            self.call(&CreateAclsRequest::default().with_creations(creations), version)?;
        if r.results.len() != acls.len() {
            return Err(ClientError::Protocol(format!(
                "CreateAcls answered {} results for {} ACLs",
                r.results.len(),
                acls.len()
            )));
        }
        Ok(r.results
            .iter()
            .zip(acls)
            .map(|(res, acl)| {
                check_with_message(
                    res.error_code,
                    res.error_message.as_ref(),
                    &format!("CreateAcls({acl})"),
                )
            })
            .collect())
    }

    /// The ACLs `filter` selects.
    pub fn describe_acls(&mut self, filter: &AclFilter) -> Result<Vec<AclBinding>, ClientError> {
        let version = self.require(ApiKey::DescribeAcls, VERSIONS)?;
        let req = DescribeAclsRequest::default()
            .with_resource_type_filter(filter.resource_type.code())
            .with_resource_name_filter(filter.resource_name.as_deref().map(text))
            .with_pattern_type_filter(filter.pattern_type.code())
            .with_principal_filter(filter.principal.as_deref().map(text))
            .with_host_filter(filter.host.as_deref().map(text))
            .with_operation(filter.operation.code())
            .with_permission_type(filter.permission.code());
        let r: DescribeAclsResponse = self.call(&req, version)?;
        check_with_message(r.error_code, r.error_message.as_ref(), "DescribeAcls")?;
        let mut out = Vec::new();
        for resource in r.resources {
            for acl in resource.acls {
                out.push(AclBinding {
                    resource_type: decoded(resource.resource_type, ResourceType::from_code, "resource type")?,
                    resource_name: resource.resource_name.to_string(),
                    pattern_type: decoded(resource.pattern_type, PatternType::from_code, "pattern type")?,
                    principal: acl.principal.to_string(),
                    host: acl.host.to_string(),
                    operation: decoded(acl.operation, Operation::from_code, "operation")?,
                    permission: decoded(acl.permission_type, Permission::from_code, "permission type")?,
                });
            }
        }
        Ok(out)
    }

    /// Deletes the ACLs each filter selects; the deleted ones per filter.
    pub fn delete_acls(&mut self, filters: &[AclFilter]) -> Result<Vec<Vec<AclBinding>>, ClientError> {
        let version = self.require(ApiKey::DeleteAcls, VERSIONS)?;
        let wire = filters
            .iter()
            .map(|f| {
                DeleteAclsFilter::default()
                    .with_resource_type_filter(f.resource_type.code())
                    .with_resource_name_filter(f.resource_name.as_deref().map(text))
                    .with_pattern_type_filter(f.pattern_type.code())
                    .with_principal_filter(f.principal.as_deref().map(text))
                    .with_host_filter(f.host.as_deref().map(text))
                    .with_operation(f.operation.code())
                    .with_permission_type(f.permission.code())
            })
            .collect();
        let r: DeleteAclsResponse = self.call(&DeleteAclsRequest::default().with_filters(wire), version)?;
        let mut out = Vec::new();
        for result in r.filter_results {
            check_with_message(result.error_code, result.error_message.as_ref(), "DeleteAcls")?;
            let mut deleted = Vec::new();
            for m in result.matching_acls {
                check_with_message(m.error_code, m.error_message.as_ref(), "DeleteAcls")?;
                deleted.push(AclBinding {
                    resource_type: decoded(m.resource_type, ResourceType::from_code, "resource type")?,
                    resource_name: m.resource_name.to_string(),
                    pattern_type: decoded(m.pattern_type, PatternType::from_code, "pattern type")?,
                    principal: m.principal.to_string(),
                    host: m.host.to_string(),
                    operation: decoded(m.operation, Operation::from_code, "operation")?,
                    permission: decoded(m.permission_type, Permission::from_code, "permission type")?,
                });
            }
            out.push(deleted);
        }
        Ok(out)
    }
}
