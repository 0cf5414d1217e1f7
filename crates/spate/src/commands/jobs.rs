//! `spate jobs ...`: a running `spate server`'s jobs over its REST API (`spate-server`'s
//! client). `submit` prints the new job's id; `show` prints the state on its first line.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;
use spate_distributed::{JobStatus, KafkaSettings, job_status};
use spate_server::Client;

use crate::cli::{JobsAction, ServerUrl};
use crate::client_properties::ClientSettings;

/// How long `stop` and `savepoint` wait for the savepoint.
const SAVEPOINT_WAIT: Duration = Duration::from_secs(600);

pub async fn run(action: JobsAction) -> Result<()> {
    match action {
        JobsAction::Submit { file, server } => {
            let sql =
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let id = client(&server)?
                .submit(&sql)
                .await
                .with_context(|| format!("submitting {}", file.display()))?;
            println!("{id}");
        }
        JobsAction::List { server } => {
            let jobs = client(&server)?.jobs().await?;
            let mut out = std::io::stdout().lock();
            for job in jobs["jobs"].as_array().into_iter().flatten() {
                writeln!(
                    out,
                    "{}  {:<9} {}",
                    text(&job["jid"]),
                    text(&job["state"]),
                    text(&job["name"])
                )?;
            }
        }
        JobsAction::Show { id, server } => show(&client(&server)?.job(&id).await?)?,
        JobsAction::Cancel { id, server } => {
            client(&server)?.cancel(&id).await?;
            eprintln!("cancelling job {id}");
        }
        JobsAction::Stop { id, server } => {
            let path = client(&server)?.savepoint(&id, true, SAVEPOINT_WAIT).await?;
            println!("{path}");
        }
        JobsAction::Savepoint { id, server } => {
            let path = client(&server)?.savepoint(&id, false, SAVEPOINT_WAIT).await?;
            println!("{path}");
        }
        JobsAction::Resume { id, server } => {
            client(&server)?.resume(&id).await?;
            eprintln!("resuming job {id}");
        }
        JobsAction::Group { group, json, client } => {
            let settings = ClientSettings::from_args(&client)?;
            let kafka = KafkaSettings {
                bootstrap: settings.bootstrap.clone(),
                security: settings.security()?,
                group: group.clone(),
                replication_factor: -1,
                request_timeout: Duration::from_secs(10),
            };
            let status = tokio::task::spawn_blocking(move || job_status(&kafka))
                .await
                .context("reading the group")?
                .with_context(|| format!("reading distributed job {group}"))?;
            if json {
                println!("{}", group_json(&status));
            } else {
                print_group(&status, &mut std::io::stdout().lock())?;
            }
        }
    }
    Ok(())
}

/// Prints a distributed job's status: a summary line, the members, then the tasks.
fn print_group(status: &JobStatus, out: &mut impl Write) -> Result<()> {
    let lag: i64 = status.tasks.iter().map(|t| t.lag).sum();
    writeln!(
        out,
        "group {}: {}, assignor {}, generation {}, {} members, {} tasks, lag {lag}\n",
        status.group,
        status.state,
        status.protocol,
        status.generation,
        status.members.len(),
        status.tasks.len()
    )?;
    let mut members = vec![["MEMBER", "INSTANCE", "HOST", "PROCESS", "TASKS"].map(String::from)];
    for m in &status.members {
        let tasks: Vec<String> = m.tasks.iter().map(ToString::to_string).collect();
        members.push([
            m.member_id.clone(),
            m.instance_id.clone().unwrap_or_else(|| "-".into()),
            m.client_host.clone(),
            m.process.clone(),
            tasks.join(","),
        ]);
    }
    print_table(&members, out)?;
    writeln!(out)?;
    let mut tasks = vec![
        [
            "TASK",
            "OWNER",
            "CHECKPOINT",
            "LAG",
            "INPUTS (topic-partition@committed/end)",
        ]
        .map(String::from),
    ];
    for t in &status.tasks {
        let inputs: Vec<String> = t
            .inputs
            .iter()
            .map(|i| format!("{}-{}@{}/{}", i.topic, i.partition, i.committed, i.end))
            .collect();
        tasks.push([
            t.task.to_string(),
            t.owner.clone().unwrap_or_else(|| "-".into()),
            t.checkpoint.map_or_else(|| "-".to_string(), |c| c.to_string()),
            t.lag.to_string(),
            inputs.join(","),
        ]);
    }
    print_table(&tasks, out)
}

/// Rows in columns as wide as their widest cell, two spaces apart.
fn print_table<const N: usize>(rows: &[[String; N]], out: &mut impl Write) -> Result<()> {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// A distributed job's status as JSON.
fn group_json(status: &JobStatus) -> Value {
    serde_json::json!({
        "group": status.group,
        "state": status.state,
        "protocol": status.protocol,
        "generation": status.generation,
        "members": status.members.iter().map(|m| serde_json::json!({
            "member_id": m.member_id,
            "instance_id": m.instance_id,
            "client_host": m.client_host,
            "process": m.process,
            "tasks": m.tasks.iter().map(ToString::to_string).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "tasks": status.tasks.iter().map(|t| serde_json::json!({
            "task": t.task.to_string(),
            "owner": t.owner,
            "checkpoint": t.checkpoint,
            "lag": t.lag,
            "inputs": t.inputs.iter().map(|i| serde_json::json!({
                "topic": i.topic,
                "partition": i.partition,
                "committed": i.committed,
                "end": i.end,
                "lag": i.lag,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn client(server: &ServerUrl) -> Result<Client> {
    connect(
        &server.url,
        server.token.as_deref(),
        server.user.as_deref(),
        server.ca_file.as_deref(),
        server.data_dir.as_deref(),
    )
}

/// A client of the server at `url`: as the broker user `user` (its password in
/// `$SPATE_PASSWORD`), else with the token (`token`, `$SPATE_TOKEN`, or `data_dir`'s
/// `http-token`); for `https://`, trusting `ca_file` (else the system's CA bundle).
pub fn connect(
    url: &str,
    token: Option<&str>,
    user: Option<&str>,
    ca_file: Option<&std::path::Path>,
    data_dir: Option<&std::path::Path>,
) -> Result<Client> {
    let client = Client::new(url)?.with_ca_file(ca_file);
    if let Some(user) = user {
        let password = std::env::var("SPATE_PASSWORD")
            .map_err(|_| anyhow::anyhow!("--user {user} needs the password in $SPATE_PASSWORD"))?;
        return Ok(client.with_user(user, password));
    }
    let token = spate_server::token::find(token, data_dir)?;
    Ok(client.with_token(token))
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// The state, then the job's figures and its vertices.
fn show(job: &Value) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", text(&job["state"]))?;
    writeln!(out, "id        {}", text(&job["jid"]))?;
    writeln!(out, "name      {}", text(&job["name"]))?;
    writeln!(out, "runs      {}  restarts {}", job["runs"], job["restarts"])?;
    writeln!(
        out,
        "records   in {}  out {}",
        job["records-in"], job["records-out"]
    )?;
    for v in job["vertices"].as_array().into_iter().flatten() {
        let m = &v["metrics"];
        writeln!(
            out,
            "  {} (x{})  in {}  out {}  in/s {}  busy ms/s {}",
            text(&v["name"]),
            v["parallelism"],
            m["read-records"],
            m["write-records"],
            m["records-in-per-second"],
            m["busy-time-ms-per-second"],
        )?;
    }
    Ok(())
}
