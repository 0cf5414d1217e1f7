//! The ACL matcher and the ACL file format as properties: Kafka's pattern, wildcard and
//! implied-operation rules against a plain reference, DENY over ALLOW, filters that agree with
//! the matcher, and the on-disk format's round trip for any names.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use spate_broker::acl::file_format;
use spate_broker::acl::matcher::{Verdict, allow_implies, filter_matches, pattern_applies, verdict};
use spate_broker::acl::{AclBinding, AclFilter, Operation, PatternType, Permission, Resource, ResourceType};

const STORED_TYPES: [ResourceType; 4] = [
    ResourceType::Topic,
    ResourceType::Group,
    ResourceType::Cluster,
    ResourceType::TransactionalId,
];

fn resource_type() -> impl Strategy<Value = ResourceType> {
    proptest::sample::select(STORED_TYPES.to_vec())
}

fn pattern_type() -> impl Strategy<Value = PatternType> {
    prop_oneof![Just(PatternType::Literal), Just(PatternType::Prefixed)]
}

fn operation() -> impl Strategy<Value = Operation> {
    proptest::sample::select(
        Operation::ALL_VALUES
            .iter()
            .copied()
            .filter(|o| *o != Operation::Any)
            .collect::<Vec<_>>(),
    )
}

fn permission() -> impl Strategy<Value = Permission> {
    prop_oneof![Just(Permission::Allow), Just(Permission::Deny)]
}

/// Short names from a small alphabet, so prefixes and equal names happen often; `*` too.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![Just("*".to_string()), "[ab]{1,3}"]
}

fn principal() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("User:*".to_string()),
        Just("User:alice".to_string()),
        Just("User:bob".to_string())
    ]
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_string()),
        Just("10.0.0.1".to_string()),
        Just("10.0.0.2".to_string())
    ]
}

prop_compose! {
    fn binding()(
        resource_type in resource_type(),
        resource_name in name(),
        pattern_type in pattern_type(),
        principal in principal(),
        host in host(),
        operation in operation(),
        permission in permission(),
    ) -> AclBinding {
        AclBinding { resource_type, resource_name, pattern_type, principal, host, operation, permission }
    }
}

// Any text at all for names: spaces, `%`, newlines, non-ASCII.
prop_compose! {
    fn wild_binding()(
        b in binding(),
        resource_name in any::<String>(),
        principal in any::<String>(),
        host in any::<String>(),
    ) -> AclBinding {
        AclBinding { resource_name, principal, host, ..b }
    }
}

/// The implied-operation table, written out as Kafka documents it.
fn reference_implies(granted: Operation, requested: Operation) -> bool {
    use Operation::*;
    if granted == All || granted == requested {
        return true;
    }
    matches!(
        (granted, requested),
        (Read, Describe)
            | (Write, Describe)
            | (Delete, Describe)
            | (Alter, Describe)
            | (AlterConfigs, DescribeConfigs)
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn patterns_match_as_kafka_says(acl in binding(), wanted in "[ab]{1,3}") {
        let resource = Resource { resource_type: acl.resource_type, name: &wanted };
        let expected = match acl.pattern_type {
            PatternType::Literal => acl.resource_name == wanted || acl.resource_name == "*",
            _ => wanted.starts_with(&acl.resource_name),
        };
        prop_assert_eq!(pattern_applies(&acl, resource), expected);
        // Never across resource types.
        let other = if acl.resource_type == ResourceType::Topic { ResourceType::Group } else { ResourceType::Topic };
        let elsewhere = Resource { resource_type: other, name: &wanted };
        prop_assert!(!pattern_applies(&acl, elsewhere));
    }

    #[test]
    fn implied_operations_follow_the_table(granted in operation(), requested in operation()) {
        prop_assert_eq!(allow_implies(granted, requested), reference_implies(granted, requested));
    }

    #[test]
    fn verdicts_follow_deny_then_allow_then_no_acl(
        acls in proptest::collection::vec(binding(), 0..12),
        resource_type in resource_type(),
        wanted in "[ab]{1,3}",
        who in prop_oneof![Just("User:alice"), Just("User:bob")],
        from in prop_oneof![Just("10.0.0.1"), Just("10.0.0.2")],
        op in operation(),
    ) {
        let resource = Resource { resource_type, name: &wanted };
        let applicable: Vec<&AclBinding> = acls
            .iter()
            .filter(|a| pattern_applies(a, resource))
            .collect();
        let for_caller: Vec<&&AclBinding> = applicable
            .iter()
            .filter(|a| (a.principal == who || a.principal == "User:*") && (a.host == from || a.host == "*"))
            .collect();
        let denied = for_caller
            .iter()
            .any(|a| a.permission == Permission::Deny && (a.operation == op || a.operation == Operation::All));
        let allowed = for_caller
            .iter()
            .any(|a| a.permission == Permission::Allow && reference_implies(a.operation, op));
        let expected = if denied {
            Verdict::Denied
        } else if allowed {
            Verdict::Allowed
        } else if applicable.is_empty() {
            Verdict::NoAcls
        } else {
            Verdict::NotGranted
        };
        prop_assert_eq!(verdict(acls.iter(), who, from, op, resource), expected);
    }

    #[test]
    fn a_match_filter_selects_exactly_the_acls_that_apply(acl in binding(), wanted in "[ab]{1,3}") {
        let filter = AclFilter {
            resource_type: acl.resource_type,
            resource_name: Some(wanted.clone()),
            pattern_type: PatternType::Match,
            ..AclFilter::any()
        };
        let resource = Resource { resource_type: acl.resource_type, name: &wanted };
        prop_assert_eq!(filter_matches(&filter, &acl), pattern_applies(&acl, resource));
    }

    #[test]
    fn an_exact_filter_selects_its_acl(acl in binding(), other in binding()) {
        let exact = AclFilter {
            resource_type: acl.resource_type,
            resource_name: Some(acl.resource_name.clone()),
            pattern_type: acl.pattern_type,
            principal: Some(acl.principal.clone()),
            host: Some(acl.host.clone()),
            operation: acl.operation,
            permission: acl.permission,
        };
        prop_assert!(filter_matches(&exact, &acl));
        prop_assert_eq!(filter_matches(&exact, &other), other == acl);
        prop_assert!(filter_matches(&AclFilter::any(), &other));
    }

    #[test]
    fn the_acl_file_round_trips(acls in proptest::collection::vec(wild_binding(), 0..20)) {
        let text = file_format::encode(&acls);
        prop_assert_eq!(file_format::decode(&text).unwrap(), acls.clone());
        // Dropping the last line (a torn write without the rename) is an error, never fewer ACLs.
        let cut = text.trim_end_matches('\n').rfind('\n').unwrap();
        prop_assert!(file_format::decode(&text[..cut]).is_err());
    }
}

#[test]
fn examples_from_kafka_s_documentation() {
    let allow = |name: &str, pattern_type, op| AclBinding {
        resource_type: ResourceType::Topic,
        resource_name: name.into(),
        pattern_type,
        principal: "User:alice".into(),
        host: "*".into(),
        operation: op,
        permission: Permission::Allow,
    };
    let acls = [
        allow("orders", PatternType::Literal, Operation::Read),
        allow("team-", PatternType::Prefixed, Operation::Write),
        AclBinding {
            resource_name: "team-secret".into(),
            permission: Permission::Deny,
            principal: "User:*".into(),
            ..allow("team-secret", PatternType::Literal, Operation::All)
        },
    ];
    let v = |op, topic| verdict(acls.iter(), "User:alice", "10.0.0.1", op, Resource::topic(topic));
    assert_eq!(v(Operation::Read, "orders"), Verdict::Allowed);
    assert_eq!(
        v(Operation::Describe, "orders"),
        Verdict::Allowed,
        "READ implies DESCRIBE"
    );
    assert_eq!(v(Operation::Write, "orders"), Verdict::NotGranted);
    assert_eq!(v(Operation::Write, "team-blue"), Verdict::Allowed);
    assert_eq!(
        v(Operation::Write, "team-secret"),
        Verdict::Denied,
        "DENY beats ALLOW"
    );
    assert_eq!(v(Operation::Describe, "team-secret"), Verdict::Denied, "DENY ALL");
    assert_eq!(v(Operation::Read, "payments"), Verdict::NoAcls);
}
