//! `spate schemas`: a schema registry's subjects, versions and compatibility levels over its
//! REST API, with the same client the formats use.

use std::io::BufRead;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use spate_registry_client::{Auth, ClientConfig, RegistryClient, path_segment as segment};

use crate::cli::{RegistryArgs, SchemasAction};

pub fn run(action: SchemasAction) -> Result<()> {
    match action {
        SchemasAction::List { deleted, registry } => list(&client(&registry)?, deleted),
        SchemasAction::Get {
            subject,
            version,
            id,
            registry,
        } => {
            let c = client(&registry)?;
            let answer = match (subject, id) {
                (_, Some(id)) => c.call("GET", &format!("/schemas/ids/{id}"), None)?,
                (Some(s), None) => c.call(
                    "GET",
                    &format!("/subjects/{}/versions/{version}", segment(&s)),
                    None,
                )?,
                (None, None) => bail!("name a subject, or a schema id with --id"),
            };
            print_json(&answer)
        }
        SchemasAction::Register {
            subject,
            schema_file,
            schema_type,
            registry,
        } => {
            let text = std::fs::read_to_string(&schema_file)
                .with_context(|| format!("reading {}", schema_file.display()))?;
            let id = client(&registry)?.register(&subject, &schema_type.to_ascii_uppercase(), &text)?;
            println!("registered under {subject}: id {id}");
            Ok(())
        }
        SchemasAction::Delete {
            subject,
            version,
            permanent,
            registry,
        } => {
            let mut path = format!("/subjects/{}", segment(&subject));
            if let Some(v) = &version {
                path.push_str(&format!("/versions/{v}"));
            }
            if permanent {
                path.push_str("?permanent=true");
            }
            let answer = client(&registry)?.call("DELETE", &path, None)?;
            println!(
                "deleted{} {subject}: {answer}",
                if permanent { " permanently" } else { "" }
            );
            Ok(())
        }
        SchemasAction::Compatibility {
            subject,
            set,
            check_file,
            schema_type,
            registry,
        } => {
            let c = client(&registry)?;
            let config_path = match &subject {
                Some(s) => format!("/config/{}", segment(s)),
                None => "/config".to_string(),
            };
            if let Some(level) = set {
                let answer = c.call(
                    "PUT",
                    &config_path,
                    Some(&json!({ "compatibility": level.to_ascii_uppercase() })),
                )?;
                return print_json(&answer);
            }
            if let (Some(file), Some(s)) = (check_file, &subject) {
                return check(&c, s, &file, &schema_type);
            }
            let answer = match c.call("GET", &format!("{config_path}?defaultToGlobal=true"), None) {
                Ok(a) => a,
                // Confluent answers 40408 for a subject without its own level.
                Err(e) if e.registry_code() == Some(40408) => c.call("GET", "/config", None)?,
                Err(e) => return Err(e.into()),
            };
            print_json(&answer)
        }
    }
}

fn client(args: &RegistryArgs) -> Result<RegistryClient> {
    let mut config = ClientConfig::new(&args.registry);
    config.trust_pem = args.ca_file.clone();
    if let Some(user) = &args.user {
        let mut password = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut password)
            .context("reading the password from stdin")?;
        config.auth = Auth::Basic {
            user: user.clone(),
            password: password.trim_end_matches(['\r', '\n']).to_string(),
        };
    }
    Ok(RegistryClient::new(&config)?)
}

fn list(c: &RegistryClient, deleted: bool) -> Result<()> {
    let flag = if deleted { "?deleted=true" } else { "" };
    let subjects = c.call("GET", &format!("/subjects{flag}"), None)?;
    let subjects = subjects
        .as_array()
        .context("the registry's /subjects is not a list")?;
    println!("{:<40} {:<16} {:>10}", "SUBJECT", "VERSIONS", "LATEST ID");
    for s in subjects {
        let Some(s) = s.as_str() else { continue };
        let versions = c.call("GET", &format!("/subjects/{}/versions{flag}", segment(s)), None)?;
        let versions: Vec<String> = versions
            .as_array()
            .map(|v| v.iter().map(Value::to_string).collect())
            .unwrap_or_default();
        let latest = c
            .call("GET", &format!("/subjects/{}/versions/latest", segment(s)), None)
            .ok()
            .and_then(|v| v.get("id").cloned())
            .map_or_else(|| "-".to_string(), |id| id.to_string());
        println!("{s:<40} {:<16} {latest:>10}", versions.join(","));
    }
    Ok(())
}

fn check(c: &RegistryClient, subject: &str, file: &std::path::Path, schema_type: &str) -> Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mut body = json!({ "schema": text });
    if !schema_type.eq_ignore_ascii_case("AVRO") {
        body["schemaType"] = json!(schema_type.to_ascii_uppercase());
    }
    let path = format!(
        "/compatibility/subjects/{}/versions?verbose=true",
        segment(subject)
    );
    let answer = c.call("POST", &path, Some(&body))?;
    print_json(&answer)?;
    if answer.get("is_compatible") == Some(&Value::Bool(false)) {
        bail!(
            "the schema in {} is not compatible with {subject}",
            file.display()
        );
    }
    Ok(())
}

fn print_json(v: &Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}
