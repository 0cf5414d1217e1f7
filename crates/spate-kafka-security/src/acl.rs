//! Kafka's ACL vocabulary: resource types, pattern types, operations, permission types (with
//! their wire codes and names), and one ACL binding.

use std::fmt;
use std::str::FromStr;

/// The only name of the CLUSTER resource, as in Kafka.
pub const CLUSTER_NAME: &str = "kafka-cluster";
/// The resource name and host that match every resource or host.
pub const WILDCARD: &str = "*";
/// The principal that matches every user.
pub const WILDCARD_PRINCIPAL: &str = "User:*";

/// Defines a Kafka enum with its wire codes and upper-case names (`TRANSACTIONAL_ID`).
macro_rules! kafka_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal, $text:literal;)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant,)* }

        impl $name {
            /// Every value, in code order.
            pub const ALL_VALUES: &'static [$name] = &[$($name::$variant,)*];

            /// The wire code.
            pub fn code(self) -> i8 {
                match self { $($name::$variant => $code,)* }
            }

            /// The value of a wire code, `None` for codes Kafka does not define.
            pub fn from_code(code: i8) -> Option<$name> {
                match code { $($code => Some($name::$variant),)* _ => None }
            }

            /// Kafka's name (`TRANSACTIONAL_ID`).
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        /// Case-insensitive, `-` and `_` alike, CamelCase accepted (`TransactionalId`, `transactional-id`).
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<$name, String> {
                let wanted: String = s.chars().filter(|c| *c != '_' && *c != '-').collect();
                $name::ALL_VALUES
                    .iter()
                    .copied()
                    .find(|v| v.name().replace('_', "").eq_ignore_ascii_case(&wanted))
                    .ok_or_else(|| format!("unknown {} {s:?}", stringify!($name)))
            }
        }
    };
}

kafka_enum! {
    /// What kind of thing an ACL is about (Kafka's `ResourceType`).
    ResourceType {
        /// Filters only: any type.
        Any = 1, "ANY";
        Topic = 2, "TOPIC";
        Group = 3, "GROUP";
        /// The one cluster, named `kafka-cluster`.
        Cluster = 4, "CLUSTER";
        TransactionalId = 5, "TRANSACTIONAL_ID";
        DelegationToken = 6, "DELEGATION_TOKEN";
        User = 7, "USER";
    }
}

kafka_enum! {
    /// How an ACL's resource name matches names (Kafka's `PatternType`).
    PatternType {
        /// Filters only: any pattern type, names compared exactly.
        Any = 1, "ANY";
        /// Filters only: every ACL that would apply to the named resource.
        Match = 2, "MATCH";
        /// The name itself, or every resource when it is `*`.
        Literal = 3, "LITERAL";
        /// Every resource whose name starts with it.
        Prefixed = 4, "PREFIXED";
    }
}

kafka_enum! {
    /// What a principal does to a resource (Kafka's `AclOperation`).
    Operation {
        /// Filters only.
        Any = 1, "ANY";
        /// Every operation.
        All = 2, "ALL";
        Read = 3, "READ";
        Write = 4, "WRITE";
        Create = 5, "CREATE";
        Delete = 6, "DELETE";
        Alter = 7, "ALTER";
        Describe = 8, "DESCRIBE";
        ClusterAction = 9, "CLUSTER_ACTION";
        DescribeConfigs = 10, "DESCRIBE_CONFIGS";
        AlterConfigs = 11, "ALTER_CONFIGS";
        IdempotentWrite = 12, "IDEMPOTENT_WRITE";
        CreateTokens = 13, "CREATE_TOKENS";
        DescribeTokens = 14, "DESCRIBE_TOKENS";
    }
}

kafka_enum! {
    /// Whether an ACL grants or refuses (Kafka's `AclPermissionType`).
    Permission {
        /// Filters only.
        Any = 1, "ANY";
        Deny = 2, "DENY";
        Allow = 3, "ALLOW";
    }
}

/// A resource an operation is asked on: a topic, group, transactional id or the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource<'a> {
    pub resource_type: ResourceType,
    pub name: &'a str,
}

impl<'a> Resource<'a> {
    pub fn topic(name: &'a str) -> Resource<'a> {
        Resource {
            resource_type: ResourceType::Topic,
            name,
        }
    }

    pub fn group(name: &'a str) -> Resource<'a> {
        Resource {
            resource_type: ResourceType::Group,
            name,
        }
    }

    pub fn transactional_id(name: &'a str) -> Resource<'a> {
        Resource {
            resource_type: ResourceType::TransactionalId,
            name,
        }
    }

    pub fn cluster() -> Resource<'static> {
        Resource {
            resource_type: ResourceType::Cluster,
            name: CLUSTER_NAME,
        }
    }
}

impl fmt::Display for Resource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.resource_type, self.name)
    }
}

/// One ACL: a resource pattern and an access control entry (Kafka's `AclBinding`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AclBinding {
    pub resource_type: ResourceType,
    pub resource_name: String,
    pub pattern_type: PatternType,
    /// `User:alice`, or `User:*` for everyone.
    pub principal: String,
    /// A client IP address, or `*` for any.
    pub host: String,
    pub operation: Operation,
    pub permission: Permission,
}

impl fmt::Display for AclBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "(principal={}, host={}, operation={}, permission={}) on {}:{}:{}",
            self.principal,
            self.host,
            self.operation,
            self.permission,
            self.resource_type,
            self.pattern_type,
            self.resource_name
        )
    }
}

impl AclBinding {
    /// Why this binding cannot be stored (Kafka's checks of CreateAcls), `None` if it can.
    pub fn invalid_reason(&self) -> Option<String> {
        match self.resource_type {
            ResourceType::Any => return Some("resource type ANY is only for filters".into()),
            ResourceType::DelegationToken | ResourceType::User => {
                return Some(format!(
                    "{} ACLs are not supported: this broker has no delegation tokens",
                    self.resource_type
                ));
            }
            _ => {}
        }
        if !matches!(self.pattern_type, PatternType::Literal | PatternType::Prefixed) {
            return Some(format!(
                "pattern type {} is only for filters; use LITERAL or PREFIXED",
                self.pattern_type
            ));
        }
        if self.operation == Operation::Any {
            return Some("operation ANY is only for filters".into());
        }
        if self.permission == Permission::Any {
            return Some("permission type ANY is only for filters".into());
        }
        if self.resource_name.is_empty() {
            return Some("the resource name must not be empty".into());
        }
        if self.resource_type == ResourceType::Cluster && self.resource_name != CLUSTER_NAME {
            return Some(format!(
                "the only valid name for the CLUSTER resource is {CLUSTER_NAME}"
            ));
        }
        match self.principal.split_once(':') {
            Some((kind, name)) if !kind.is_empty() && !name.is_empty() => {}
            _ => {
                return Some(format!(
                    "principal {:?} is not of the form TYPE:NAME (User:alice)",
                    self.principal
                ));
            }
        }
        if self.host.is_empty() {
            return Some("the host must be an IP address or *".into());
        }
        let text = [&self.resource_name, &self.principal, &self.host];
        if text.iter().any(|s| s.chars().any(char::is_control)) {
            return Some("names must not contain control characters".into());
        }
        None
    }
}

/// Which ACLs a DescribeAcls or DeleteAcls filter selects (Kafka's `AclBindingFilter`): `None`
/// fields match anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclFilter {
    pub resource_type: ResourceType,
    pub resource_name: Option<String>,
    pub pattern_type: PatternType,
    pub principal: Option<String>,
    pub host: Option<String>,
    pub operation: Operation,
    pub permission: Permission,
}

impl AclFilter {
    /// The filter that selects every ACL.
    pub fn any() -> AclFilter {
        AclFilter {
            resource_type: ResourceType::Any,
            resource_name: None,
            pattern_type: PatternType::Any,
            principal: None,
            host: None,
            operation: Operation::Any,
            permission: Permission::Any,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_round_trip() {
        for op in Operation::ALL_VALUES {
            assert_eq!(Operation::from_code(op.code()), Some(*op));
            assert_eq!(op.name().parse::<Operation>(), Ok(*op));
        }
        assert_eq!("TransactionalId".parse(), Ok(ResourceType::TransactionalId));
        assert_eq!("transactional-id".parse(), Ok(ResourceType::TransactionalId));
        assert_eq!("IdempotentWrite".parse(), Ok(Operation::IdempotentWrite));
        assert_eq!("prefixed".parse(), Ok(PatternType::Prefixed));
        assert!("Reed".parse::<Operation>().is_err());
        assert_eq!(Operation::from_code(0), None);
    }

    #[test]
    fn invalid_bindings_are_named() {
        let ok = AclBinding {
            resource_type: ResourceType::Topic,
            resource_name: "t".into(),
            pattern_type: PatternType::Literal,
            principal: "User:alice".into(),
            host: "*".into(),
            operation: Operation::Read,
            permission: Permission::Allow,
        };
        assert_eq!(ok.invalid_reason(), None);
        let bad = |f: fn(&mut AclBinding)| {
            let mut b = ok.clone();
            f(&mut b);
            b.invalid_reason().expect("invalid")
        };
        assert!(bad(|b| b.pattern_type = PatternType::Match).contains("LITERAL"));
        assert!(bad(|b| b.principal = "alice".into()).contains("User:alice"));
        assert!(bad(|b| b.resource_type = ResourceType::DelegationToken).contains("delegation"));
        assert!(
            bad(|b| {
                b.resource_type = ResourceType::Cluster;
                b.resource_name = "c".into();
            })
            .contains(CLUSTER_NAME)
        );
        assert!(bad(|b| b.operation = Operation::Any).contains("ANY"));
        assert!(bad(|b| b.resource_name.clear()).contains("empty"));
    }
}
