//! `spate jobs ...`: a running `spate server`'s jobs over its REST API (`spate-server`'s
//! client). `submit` prints the new job's id; `show` prints the state on its first line.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;
use spate_server::Client;

use crate::cli::{JobsAction, ServerUrl};

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
    }
    Ok(())
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
