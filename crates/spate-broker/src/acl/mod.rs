//! Access control lists and the authorizer (Kafka's `StandardAuthorizer` semantics).
//!
//! The vocabulary (resource, pattern, operation and permission types) is
//! `spate_kafka_security::acl`, shared with the wire client;
//! `matcher` the matching rules as pure functions, `file_format` and `store` the durable ACL
//! list (`DATA_DIR/broker/acls`), `authorizer` what the API handlers ask.

pub(crate) mod authorizer;
pub mod file_format;
pub mod matcher;
pub(crate) mod store;

pub use spate_kafka_security::acl::{
    AclBinding, AclFilter, Operation, PatternType, Permission, Resource, ResourceType,
};
