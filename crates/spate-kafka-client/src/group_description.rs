//! DescribeGroups: a group's state and members with their subscriptions and assignments, as
//! the coordinator holds them (what `kafka-consumer-groups --describe --members` shows).

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, DescribeGroupsRequest, GroupId};

use crate::broker_connection::{check, str_bytes};
use crate::{BrokerConnection, ClientError, ClientSecurity};

/// A group as its coordinator describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    /// The group id.
    pub group: String,
    /// `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Empty` or `Dead`.
    pub state: String,
    /// The protocol type (`consumer` for consumer groups).
    pub protocol_type: String,
    /// The protocol (assignor) the group chose.
    pub protocol: String,
    /// Its members.
    pub members: Vec<GroupMemberDescription>,
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMemberDescription {
    /// The member id the coordinator gave it.
    pub member_id: String,
    /// Its `group.instance.id`, for a static member.
    pub instance_id: Option<String>,
    /// Its `client.id`.
    pub client_id: String,
    /// Where it connects from.
    pub client_host: String,
    /// Its subscription in the chosen protocol's encoding.
    pub metadata: Bytes,
    /// The assignment the leader gave it, in the protocol's encoding.
    pub assignment: Bytes,
}

/// Describes `group` (DescribeGroups on its coordinator).
pub fn describe_group(
    bootstrap: &str,
    security: &ClientSecurity,
    group: &str,
    timeout: Duration,
) -> Result<GroupDescription, ClientError> {
    let mut coordinator = BrokerConnection::connect_group_coordinator(bootstrap, group, timeout, security)?;
    // Version 4 is the first with the members' instance ids.
    let version = coordinator.require(ApiKey::DescribeGroups, (4, 5))?;
    let req = DescribeGroupsRequest::default().with_groups(vec![GroupId(str_bytes(group))]);
    let resp = coordinator.call(&req, version)?;
    let g = resp
        .groups
        .into_iter()
        .find(|g| g.group_id.0.as_str() == group)
        .ok_or_else(|| ClientError::Protocol(format!("DescribeGroups: no entry for group {group}")))?;
    check(g.error_code, &format!("DescribeGroups({group})"))?;
    Ok(GroupDescription {
        group: group.to_string(),
        state: g.group_state.to_string(),
        protocol_type: g.protocol_type.to_string(),
        protocol: g.protocol_data.to_string(),
        members: g
            .members
            .into_iter()
            .map(|m| GroupMemberDescription {
                member_id: m.member_id.to_string(),
                instance_id: m.group_instance_id.map(|i| i.to_string()),
                client_id: m.client_id.to_string(),
                client_host: m.client_host.to_string(),
                metadata: m.member_metadata,
                assignment: m.member_assignment,
            })
            .collect(),
    })
}
