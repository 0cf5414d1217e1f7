//! `spate acls add|remove|list`: a running broker's ACLs over CreateAcls/DeleteAcls/
//! DescribeAcls, with kafka-acls.sh's options and output, as any principal allowed to (ALTER or
//! DESCRIBE on the cluster, or a super user) through `--command-config`/`-X`.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use spate_kafka_security::acl::CLUSTER_NAME;
use spate_kafka_security::acl::{AclBinding, AclFilter, Operation, PatternType, Permission, ResourceType};

use crate::cli::{AclArgs, AclsAction};
use crate::client_properties::ClientSettings;
use crate::kafka_client::raw_error;

pub fn run(action: AclsAction) -> Result<()> {
    match action {
        AclsAction::Add(args) => add(&args),
        AclsAction::Remove(args) => remove(&args),
        AclsAction::List(args) => list(&args),
    }
}

/// The resources the options name, with the pattern type.
fn resources(args: &AclArgs) -> Result<Vec<(ResourceType, String)>> {
    let mut out = Vec::new();
    out.extend(args.topic.iter().map(|t| (ResourceType::Topic, t.clone())));
    out.extend(args.group.iter().map(|g| (ResourceType::Group, g.clone())));
    out.extend(
        args.transactional_id
            .iter()
            .map(|t| (ResourceType::TransactionalId, t.clone())),
    );
    if args.cluster {
        out.push((ResourceType::Cluster, CLUSTER_NAME.to_string()));
    }
    if out.iter().any(|(_, name)| name.is_empty()) {
        bail!("resource names must not be empty");
    }
    Ok(out)
}

fn pattern_type(args: &AclArgs) -> Result<PatternType> {
    args.resource_pattern_type
        .parse()
        .map_err(|_| anyhow::anyhow!("--resource-pattern-type must be LITERAL, PREFIXED, ANY or MATCH"))
}

fn operations(args: &AclArgs) -> Result<Vec<Operation>> {
    args.operation
        .iter()
        .map(|o| {
            o.parse::<Operation>()
                .ok()
                .filter(|o| *o != Operation::Any)
                .with_context(|| format!("--operation {o}: not a Kafka ACL operation"))
        })
        .collect()
}

/// Kafka's operations per resource type (kafka-acls.sh refuses the others).
fn valid_for(resource_type: ResourceType, op: Operation) -> bool {
    use Operation::*;
    op == All
        || match resource_type {
            ResourceType::Topic => matches!(
                op,
                Read | Write | Create | Delete | Alter | Describe | DescribeConfigs | AlterConfigs
            ),
            ResourceType::Group => matches!(op, Read | Describe | Delete),
            ResourceType::Cluster => matches!(
                op,
                Create | ClusterAction | DescribeConfigs | AlterConfigs | IdempotentWrite | Alter | Describe
            ),
            ResourceType::TransactionalId => matches!(op, Describe | Write),
            _ => false,
        }
}

fn check_principal(p: &str) -> Result<()> {
    match p.split_once(':') {
        Some((kind, name)) if !kind.is_empty() && !name.is_empty() => Ok(()),
        _ => bail!("principal {p:?} is not of the form User:NAME"),
    }
}

/// (principal, host, permission) triples of the options.
fn entries(args: &AclArgs) -> Result<Vec<(String, String, Permission)>> {
    let mut out = Vec::new();
    for (principals, hosts, permission) in [
        (&args.allow_principal, &args.allow_host, Permission::Allow),
        (&args.deny_principal, &args.deny_host, Permission::Deny),
    ] {
        let hosts = if hosts.is_empty() {
            vec!["*".to_string()]
        } else {
            hosts.clone()
        };
        for p in principals {
            check_principal(p)?;
            for h in &hosts {
                out.push((p.clone(), h.clone(), permission));
            }
        }
    }
    Ok(out)
}

/// The operations each resource gets: `--producer`/`--consumer`, or `--operation` (All).
fn operations_for(args: &AclArgs, resource_type: ResourceType, given: &[Operation]) -> Vec<Operation> {
    if args.producer || args.consumer {
        let mut ops = Vec::new();
        if args.producer && resource_type == ResourceType::Topic {
            ops.extend([Operation::Write, Operation::Describe, Operation::Create]);
        }
        if args.producer && resource_type == ResourceType::TransactionalId {
            ops.extend([Operation::Write, Operation::Describe]);
        }
        if args.consumer && resource_type == ResourceType::Topic {
            ops.extend([Operation::Read, Operation::Describe]);
        }
        if args.consumer && resource_type == ResourceType::Group {
            ops.push(Operation::Read);
        }
        ops.extend(given.iter().copied());
        ops.sort();
        ops.dedup();
        return ops;
    }
    if given.is_empty() {
        vec![Operation::All]
    } else {
        given.to_vec()
    }
}

fn add(args: &AclArgs) -> Result<()> {
    let resources = resources(args)?;
    if resources.is_empty() {
        bail!("name a resource: --topic, --group, --transactional-id or --cluster");
    }
    let pattern_type = pattern_type(args)?;
    if !matches!(pattern_type, PatternType::Literal | PatternType::Prefixed) {
        bail!("adding ACLs needs --resource-pattern-type LITERAL or PREFIXED, not {pattern_type}");
    }
    let entries = entries(args)?;
    if entries.is_empty() {
        bail!("name who: --allow-principal or --deny-principal");
    }
    let given = operations(args)?;
    let mut acls = Vec::new();
    for (resource_type, name) in &resources {
        for op in operations_for(args, *resource_type, &given) {
            if !valid_for(*resource_type, op) {
                bail!("operation {op} does not apply to {resource_type} resources");
            }
            for (principal, host, permission) in &entries {
                acls.push(AclBinding {
                    resource_type: *resource_type,
                    resource_name: name.clone(),
                    pattern_type,
                    principal: principal.clone(),
                    host: host.clone(),
                    operation: op,
                    permission: *permission,
                });
            }
        }
    }
    let settings = ClientSettings::from_args(&args.client)?;
    let mut admin = settings.raw_admin()?;
    let results = admin
        .create_acls(&acls)
        .map_err(|e| raw_error(e, &settings.bootstrap, "CreateAcls"))?;
    let mut failed = 0;
    for (acl, result) in acls.iter().zip(results) {
        match result {
            Ok(()) => println!("added {}", entry_text(acl)),
            Err(e) => {
                failed += 1;
                eprintln!("{}", raw_error(e, &settings.bootstrap, &format!("adding {acl}")));
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} ACLs were not added", acls.len());
    }
    print_acls(&acls);
    Ok(())
}

/// Filters selecting the ACLs the options describe (all of a resource's when no principal
/// and no operation is given).
fn filters(args: &AclArgs, resources: &[(ResourceType, String)]) -> Result<Vec<AclFilter>> {
    let pattern_type = pattern_type(args)?;
    let entries = entries(args)?;
    let given = operations(args)?;
    let mut out = Vec::new();
    for (resource_type, name) in resources {
        let base = AclFilter {
            resource_type: *resource_type,
            resource_name: Some(name.clone()),
            pattern_type,
            ..AclFilter::any()
        };
        let ops = if given.is_empty() && !args.producer && !args.consumer {
            vec![Operation::Any]
        } else {
            operations_for(args, *resource_type, &given)
        };
        if entries.is_empty() {
            for operation in ops {
                out.push(AclFilter {
                    operation,
                    principal: args.principal.clone(),
                    ..base.clone()
                });
            }
            continue;
        }
        for (principal, host, permission) in &entries {
            for operation in &ops {
                out.push(AclFilter {
                    principal: Some(principal.clone()),
                    host: Some(host.clone()),
                    operation: *operation,
                    permission: *permission,
                    ..base.clone()
                });
            }
        }
    }
    Ok(out)
}

fn remove(args: &AclArgs) -> Result<()> {
    let resources = resources(args)?;
    if resources.is_empty() {
        bail!("name a resource: --topic, --group, --transactional-id or --cluster");
    }
    let filters = filters(args, &resources)?;
    let settings = ClientSettings::from_args(&args.client)?;
    let mut admin = settings.raw_admin()?;
    let removed = admin
        .delete_acls(&filters)
        .map_err(|e| raw_error(e, &settings.bootstrap, "DeleteAcls"))?;
    let mut all: Vec<AclBinding> = removed.into_iter().flatten().collect();
    all.sort();
    all.dedup();
    println!("removed {} ACLs", all.len());
    print_acls(&all);
    Ok(())
}

fn list(args: &AclArgs) -> Result<()> {
    let resources = resources(args)?;
    let filters = if resources.is_empty() {
        vec![AclFilter {
            principal: args.principal.clone(),
            ..AclFilter::any()
        }]
    } else {
        filters(args, &resources)?
    };
    let settings = ClientSettings::from_args(&args.client)?;
    let mut admin = settings.raw_admin()?;
    let mut all = Vec::new();
    for f in &filters {
        all.extend(
            admin
                .describe_acls(f)
                .map_err(|e| raw_error(e, &settings.bootstrap, "DescribeAcls"))?,
        );
    }
    all.sort();
    all.dedup();
    print_acls(&all);
    Ok(())
}

fn entry_text(a: &AclBinding) -> String {
    format!(
        "(principal={}, host={}, operation={}, permissionType={}) on {}",
        a.principal,
        a.host,
        a.operation,
        a.permission,
        resource_text(a)
    )
}

fn resource_text(a: &AclBinding) -> String {
    format!(
        "ResourcePattern(resourceType={}, name={}, patternType={})",
        a.resource_type, a.resource_name, a.pattern_type
    )
}

/// kafka-acls.sh's listing: ACLs grouped by resource pattern.
fn print_acls(acls: &[AclBinding]) {
    let mut by_resource: BTreeMap<String, Vec<&AclBinding>> = BTreeMap::new();
    for a in acls {
        by_resource.entry(resource_text(a)).or_default().push(a);
    }
    for (resource, entries) in by_resource {
        println!("Current ACLs for resource `{resource}`: ");
        for a in entries {
            println!(
                " \t(principal={}, host={}, operation={}, permissionType={})",
                a.principal, a.host, a.operation, a.permission
            );
        }
        println!();
    }
}
