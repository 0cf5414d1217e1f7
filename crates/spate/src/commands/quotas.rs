//! `spate quotas alter|describe`: a running broker's client quotas over AlterClientQuotas and
//! DescribeClientQuotas on the raw admin client (rdkafka has no client-quota calls), with
//! kafka-configs.sh's entity options, as any principal allowed to (ALTER_CONFIGS or
//! DESCRIBE_CONFIGS on the cluster, or a super user) through `--command-config`/`-X`.

use anyhow::{Result, bail};
use spate_kafka_client::quotas::{QuotaComponent, QuotaMatch};

use crate::cli::{QuotaAlterArgs, QuotaEntityArgs, QuotasAction};
use crate::client_properties::ClientSettings;
use crate::kafka_client::raw_error;

const USER: &str = "user";
const CLIENT_ID: &str = "client-id";

pub fn run(action: QuotasAction) -> Result<()> {
    match action {
        QuotasAction::Alter(args) => alter(&args),
        QuotasAction::Describe { entity, client } => {
            let selected = selection(&entity)?;
            let settings = ClientSettings::from_args(&client)?;
            describe(&settings, &selected)
        }
    }
}

/// kafka-configs.sh's type names too.
fn entity_type(name: &str) -> Result<&'static str> {
    match name {
        "user" | "users" => Ok(USER),
        "client-id" | "clients" | "client" => Ok(CLIENT_ID),
        other => bail!("--entity-type {other}: expected user or client-id"),
    }
}

/// The entity components the options name, each with how it matches (`Any` only from an
/// --entity-type without a name, which only describe accepts).
fn selection(args: &QuotaEntityArgs) -> Result<Vec<(&'static str, QuotaMatch)>> {
    let mut out: Vec<(&'static str, QuotaMatch)> = Vec::new();
    let name_or_default = |name: &Option<String>, default: bool| match name {
        Some(n) => Some(QuotaMatch::Exact(n.clone())),
        None => default.then_some(QuotaMatch::Default),
    };
    if let Some(m) = name_or_default(&args.user, args.user_defaults) {
        out.push((USER, m));
    }
    if let Some(m) = name_or_default(&args.client, args.client_defaults) {
        out.push((CLIENT_ID, m));
    }
    let types = args
        .entity_type
        .iter()
        .map(|t| entity_type(t))
        .collect::<Result<Vec<_>>>()?;
    if types.len() == 2 && types[0] == types[1] {
        bail!("--entity-type {} is given twice", types[0]);
    }
    match (types.len(), args.entity_name.len(), args.entity_default) {
        (0, 0, false) => {}
        (0, _, _) => bail!("--entity-name and --entity-default need an --entity-type"),
        (1, 0, false) => out.push((types[0], QuotaMatch::Any)),
        (1, 0, true) => out.push((types[0], QuotaMatch::Default)),
        (1, 1, false) => out.push((types[0], QuotaMatch::Exact(args.entity_name[0].clone()))),
        (2, 2, false) => {
            for (t, n) in types.iter().zip(&args.entity_name) {
                out.push((t, QuotaMatch::Exact(n.clone())));
            }
        }
        (2, _, _) => bail!(
            "for a user with a client id give two --entity-name, or use --user NAME|--user-defaults \
             with --client CLIENT_ID|--client-defaults"
        ),
        (n, names, _) if n > 2 => {
            bail!("at most two --entity-type (user and client-id), not {n} ({names} names)")
        }
        _ => bail!("give one --entity-name (or --entity-default) per --entity-type"),
    }
    for (_, m) in &out {
        if matches!(m, QuotaMatch::Exact(n) if n.is_empty()) {
            bail!("entity names must not be empty (use --entity-default for the default entity)");
        }
    }
    Ok(out)
}

/// Kafka's config path of an entity: `users/alice/clients/<default>`.
fn entity_path(entity: &[QuotaComponent]) -> String {
    let mut parts = Vec::new();
    for wanted in [USER, CLIENT_ID] {
        for (t, name) in entity.iter().filter(|(t, _)| t == wanted) {
            let dir = if t == USER { "users" } else { "clients" };
            parts.push(format!("{dir}/{}", name.as_deref().unwrap_or("<default>")));
        }
    }
    // Types this tool does not know (another cluster's ip quotas) keep their own names.
    for (t, name) in entity.iter().filter(|(t, _)| t != USER && t != CLIENT_ID) {
        parts.push(format!("{t}/{}", name.as_deref().unwrap_or("<default>")));
    }
    parts.join("/")
}

/// `--add-config 'k=v,k2=v2'` and `--delete-config 'k,k2'` as the request's operations.
fn operations(args: &QuotaAlterArgs) -> Result<Vec<(String, Option<f64>)>> {
    let mut ops: Vec<(String, Option<f64>)> = Vec::new();
    for part in args.add_config.iter().flat_map(|s| s.split(',')) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((key, value)) = part.split_once('=') else {
            bail!("--add-config: {part:?} is not KEY=VALUE");
        };
        let key = key.trim();
        let value: f64 = match value.trim().parse() {
            Ok(v) if f64::is_finite(v) => v,
            _ => bail!(
                "--add-config: the value of {key} must be a number, not {:?}",
                value.trim()
            ),
        };
        ops.push((key.to_string(), Some(value)));
    }
    for key in args.delete_config.iter().flat_map(|s| s.split(',')) {
        let key = key.trim();
        if !key.is_empty() {
            ops.push((key.to_string(), None));
        }
    }
    if ops.is_empty() {
        bail!("nothing to change: give --add-config KEY=VALUE,... and/or --delete-config KEY,...");
    }
    for (i, (key, _)) in ops.iter().enumerate() {
        if key.is_empty() {
            bail!("--add-config: a quota key is empty");
        }
        if ops[..i].iter().any(|(k, _)| k == key) {
            bail!("{key} is given twice");
        }
    }
    Ok(ops)
}

fn alter(args: &QuotaAlterArgs) -> Result<()> {
    let selected = selection(&args.entity)?;
    if selected.is_empty() {
        bail!("which entity? give --entity-type with --entity-name or --entity-default (or --user/--client)");
    }
    let entity = selected
        .into_iter()
        .map(|(t, m)| match m {
            QuotaMatch::Exact(n) => Ok((t.to_string(), Some(n))),
            QuotaMatch::Default => Ok((t.to_string(), None)),
            QuotaMatch::Any => bail!("--entity-type {t} needs --entity-name or --entity-default to alter"),
        })
        .collect::<Result<Vec<QuotaComponent>>>()?;
    let ops = operations(args)?;
    let settings = ClientSettings::from_args(&args.client)?;
    let mut admin = settings.raw_admin()?;
    let path = entity_path(&entity);
    admin
        .alter_client_quotas(&entity, &ops, args.validate_only)
        .map_err(|e| raw_error(e, &settings.bootstrap, &format!("altering the quotas of {path}")))?;
    let changes: Vec<String> = ops
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => format!("-{k}"),
        })
        .collect();
    if args.validate_only {
        println!("valid (nothing changed): {path} {}", changes.join(","));
    } else {
        println!("updated {path}: {}", changes.join(","));
    }
    Ok(())
}

fn describe(settings: &ClientSettings, selected: &[(&'static str, QuotaMatch)]) -> Result<()> {
    let components: Vec<(String, QuotaMatch)> =
        selected.iter().map(|(t, m)| (t.to_string(), m.clone())).collect();
    let mut admin = settings.raw_admin()?;
    // With options, exactly the entities they name (kafka-configs.sh); without, all.
    let strict = !components.is_empty();
    let described = admin
        .describe_client_quotas(&components, strict)
        .map_err(|e| raw_error(e, &settings.bootstrap, "describing client quotas"))?;
    let mut lines: Vec<String> = described
        .iter()
        .map(|d| {
            let mut values: Vec<String> = d.values.iter().map(|(k, v)| format!("{k}={v}")).collect();
            values.sort();
            format!("{}\t{}", entity_path(&d.entity), values.join(","))
        })
        .collect();
    lines.sort();
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity_args(types: &[&str], names: &[&str], default: bool) -> QuotaEntityArgs {
        QuotaEntityArgs {
            entity_type: types.iter().map(|s| s.to_string()).collect(),
            entity_name: names.iter().map(|s| s.to_string()).collect(),
            entity_default: default,
            user: None,
            user_defaults: false,
            client: None,
            client_defaults: false,
        }
    }

    #[test]
    fn entity_options_as_kafka_configs_takes_them() {
        let s = selection(&entity_args(&["users"], &["alice"], false)).unwrap();
        assert_eq!(s, [(USER, QuotaMatch::Exact("alice".into()))]);
        let s = selection(&entity_args(&["client-id"], &[], true)).unwrap();
        assert_eq!(s, [(CLIENT_ID, QuotaMatch::Default)]);
        let s = selection(&entity_args(&["user", "clients"], &["a", "c"], false)).unwrap();
        assert_eq!(s.len(), 2);
        assert!(selection(&entity_args(&["topic"], &["t"], false)).is_err());
        assert!(selection(&entity_args(&["user", "user"], &["a", "b"], false)).is_err());
        assert!(selection(&entity_args(&["user", "client-id"], &["a"], false)).is_err());
        assert!(selection(&entity_args(&[], &["a"], false)).is_err());
        assert!(selection(&entity_args(&["user"], &[""], false)).is_err());
        let mut shorthand = entity_args(&[], &[], false);
        shorthand.user = Some("alice".into());
        shorthand.client_defaults = true;
        assert_eq!(
            selection(&shorthand).unwrap(),
            [
                (USER, QuotaMatch::Exact("alice".into())),
                (CLIENT_ID, QuotaMatch::Default)
            ]
        );
        assert_eq!(
            entity_path(&[("client-id".into(), None), ("user".into(), Some("alice".into()))]),
            "users/alice/clients/<default>"
        );
    }
}
