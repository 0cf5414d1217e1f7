//! Access control lists and the authorizer (Kafka's `StandardAuthorizer` semantics).
//!
//! `model` is Kafka's vocabulary (resource, pattern, operation and permission types),
//! `matcher` the matching rules as pure functions, `file_format` and `store` the durable ACL
//! list (`DATA_DIR/broker/acls`), `authorizer` what the API handlers ask.

pub(crate) mod authorizer;
pub mod file_format;
pub mod matcher;
pub mod model;
pub(crate) mod store;

pub use model::{AclBinding, AclFilter, Operation, PatternType, Permission, Resource, ResourceType};
