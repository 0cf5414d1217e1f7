//! Command-line arguments, as parsed by clap. Turning them into validated settings happens in
//! each command's module (two stages, as in ripgrep): parsing stays declarative here.

// The doc comments below are clap's `--help` text (`[default: ...]`, `<example>`), not
// rustdoc markup.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use spate_connectors::kafka::{OversizedRecords, OversizedStats};

#[derive(Debug, Parser)]
#[command(
    name = "spate",
    version,
    about = "Kafka-compatible log and stream processing in one binary"
)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a Kafka-compatible broker in the foreground.
    Broker(BrokerArgs),
    /// Create, list, describe and delete topics.
    Topics {
        #[command(subcommand)]
        action: TopicsAction,
    },
    /// List and describe consumer groups (with lag), reset their offsets.
    Groups {
        #[command(subcommand)]
        action: GroupsAction,
    },
    /// List and describe transactions; find and abort hanging ones (as kafka-transactions.sh).
    Transactions {
        #[command(subcommand)]
        action: TransactionsAction,
    },
    /// Manage SASL/SCRAM users: of a running broker (--bootstrap, as kafka-configs.sh
    /// --entity-type users), or in a stopped broker's data directory (--data-dir, e.g. the first
    /// super user before the first start).
    Users {
        #[command(subcommand)]
        action: UsersAction,
    },
    /// Add, remove and list ACLs of a running broker (as kafka-acls.sh).
    Acls {
        #[command(subcommand)]
        action: AclsAction,
    },
    /// Set, remove and describe client quotas (produce/consume byte rates and request time per
    /// user, client id or both) of a running broker, as kafka-configs.sh --entity-type
    /// users|clients.
    Quotas {
        #[command(subcommand)]
        action: QuotasAction,
    },
    /// Subjects, versions and compatibility levels of a schema registry (Spate's or
    /// Confluent's), over its REST API.
    Schemas {
        #[command(subcommand)]
        action: SchemasAction,
    },
    /// Produce lines from stdin to a topic, one record per line (bytes as read, any encoding).
    Produce(ProduceArgs),
    /// Print records of a topic to stdout, one per line.
    Consume(ConsumeArgs),
    /// Run the main job: generator -> topic -> word count (exactly-once) -> topic, checked.
    Demo(DemoArgs),
    /// Run a job compiled into the binary (Kafka in, Kafka out, checkpoints, exactly-once).
    Example {
        #[command(subcommand)]
        example: ExampleCommand,
    },
    /// Run a Flink SQL script (as Flink's `sql-client.sh -f`), or an interactive SQL shell:
    /// tables over Kafka, files and generators; INSERT INTO jobs run until their sources are done.
    Sql(SqlArgs),
    /// Run Spate as a service: the broker (unless --bootstrap), a job manager for SQL jobs and
    /// a REST API shaped like Flink's; jobs that were running resume at start.
    Server(ServerArgs),
    /// Submit, list, show, cancel, stop, savepoint and resume jobs of a running `spate server`.
    Jobs {
        #[command(subcommand)]
        action: JobsAction,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        bench: BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExampleCommand {
    /// Words per tumbling event-time window: `{"word","window_start","window_end","count"}`
    /// per word and window, keyed by the word.
    WordCount(WordCountArgs),
    /// Per-key moving average over the last N values or a sliding span of event time.
    MovingAverage(MovingAverageArgs),
    /// Log processing: parse lines, keep errors, count per service per minute.
    LogErrors(LogErrorsArgs),
}

/// How results reach the output topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Delivery {
    /// Kafka transactions committed with each checkpoint (read them with read_committed).
    ExactlyOnce,
    /// Flushed at each checkpoint; a restart may write some results again.
    AtLeastOnce,
}

/// `spate sql`.
#[derive(Debug, Args, Clone)]
pub struct SqlArgs {
    /// The SQL script to run (statements end with `;`); without it, an interactive shell reads
    /// statements from standard input.
    #[arg(short = 'f', long = "file")]
    pub file: Option<PathBuf>,
    /// Kafka bootstrap servers for tables without 'properties.bootstrap.servers'; without it
    /// Spate's broker runs in this process.
    #[arg(long, conflicts_with = "server")]
    pub bootstrap: Option<String>,
    /// Run the statements on a `spate server` (its REST URL, e.g. http://127.0.0.1:8081), as
    /// Flink's SQL client does against a SQL gateway: `INSERT INTO` is submitted as a job that
    /// keeps running there, a `SELECT` runs on the server and its rows are shown here.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// The server's access token with --server (else $SPATE_TOKEN, else the http-token file of
    /// --data-dir).
    #[arg(long, requires = "server")]
    pub token: Option<String>,
    /// With --server: log in as this user of the server's broker instead of with the token;
    /// the password is read from $SPATE_PASSWORD.
    #[arg(long, requires = "server", conflicts_with = "token")]
    pub user: Option<String>,
    /// With an https:// --server: the PEM CA certificates its certificate must chain to.
    #[arg(long, value_name = "FILE", requires = "server")]
    pub ca_file: Option<PathBuf>,
    /// Data directory of the embedded broker (without --bootstrap) [default: the user's data
    /// directory, $XDG_DATA_HOME/spate/sql or ~/.local/share/spate/sql, printed at start]; with
    /// --server, where the server's token is read from (DIR/http-token) [default: spate-data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Where jobs checkpoint when 'execution.checkpointing.interval' is set; running the script
    /// again with the same directory resumes its jobs [default: checkpoints/ in the user's
    /// data directory, beside sql/].
    #[arg(long)]
    pub checkpoint_dir: Option<PathBuf>,
    /// Run every INSERT on several processes: each `spate sql` started with the same script,
    /// GROUP and --bootstrap runs a share of its tasks; exchanges and checkpoints (every
    /// second) go through Kafka.
    #[arg(long, value_name = "GROUP", requires = "bootstrap")]
    pub distributed: Option<String>,
    /// With --distributed: this process's static member id (`group.instance.id`).
    #[arg(long, requires = "distributed")]
    pub instance_id: Option<String>,
    /// With --distributed: how long a silent process keeps its tasks (e.g. 10s).
    #[arg(long, value_parser = parse_checkpoint_interval, default_value = "45s", requires = "distributed")]
    pub session_timeout: Duration,
    /// With --distributed: a Kafka client .properties file (security.protocol, sasl.*, ssl.*)
    /// for the job's own connections to --bootstrap: its group, repartition and changelog
    /// topics, transactions. (Tables keep their 'properties.*' options.)
    #[arg(long, value_name = "FILE", requires = "distributed")]
    pub distributed_config: Option<PathBuf>,
}

/// `spate server`.
#[derive(Debug, Args, Clone)]
pub struct ServerArgs {
    /// Directory for all durable state: the broker's data in `broker/`, jobs and their
    /// checkpoints in `jobs/`.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Where the embedded broker listens (port 0 picks a free port, printed at start-up),
    /// unless --broker-config names its `listeners`.
    #[arg(long, default_value = "127.0.0.1:9092")]
    pub kafka_listen: SocketAddr,
    /// Serve a Confluent-compatible schema registry on this HTTP address, its own port beside
    /// the REST API (whose paths it would clash with): its state in the `_schemas` topic of
    /// the server's cluster (the embedded broker or --bootstrap), TLS and basic auth as the
    /// embedded broker's listeners imply.
    #[arg(long, value_name = "HOST:PORT")]
    pub schema_registry_listen: Option<SocketAddr>,
    /// The embedded broker's properties file (Kafka's server.properties): listeners with SASL
    /// or TLS, sasl.enabled.mechanisms, ssl.*, super.users, ... (log.dirs is always
    /// DATA_DIR/broker). With SCRAM users, the REST API also takes HTTP basic authentication
    /// against them, and each user's rights are the broker's ACLs.
    #[arg(long, value_name = "FILE", conflicts_with = "bootstrap")]
    pub broker_config: Option<PathBuf>,
    /// Override one embedded broker property, KEY=VALUE (repeatable).
    #[arg(long = "broker-set", value_name = "KEY=VALUE", conflicts_with = "bootstrap")]
    pub broker_set: Vec<String>,
    /// Serve the REST API and the dashboard over HTTPS with the broker's certificate:
    /// listener.name.http.ssl.* or ssl.* (PEM) from --broker-config; with
    /// ssl.client.auth, a client certificate's user is the request's principal.
    #[arg(long, conflicts_with = "bootstrap")]
    pub http_tls: bool,
    /// Where the REST API listens (port 0 picks a free port, printed at start-up).
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub http_listen: SocketAddr,
    /// An external Kafka cluster instead of the embedded broker.
    #[arg(long)]
    pub bootstrap: Option<String>,
    /// Checkpoint interval of jobs whose script sets no 'execution.checkpointing.interval'.
    #[arg(long, value_parser = parse_checkpoint_interval, default_value = "10s")]
    pub checkpoint_interval: Duration,
    /// Serve the REST API, the dashboard and the SQL gateway without the access token (anyone
    /// who reaches the port runs SQL as this OS user). By default every request needs the
    /// token kept in DATA_DIR/http-token.
    #[arg(long)]
    pub no_auth: bool,
    /// A host name the REST API answers to besides IP addresses, localhost and the machine's
    /// own name (repeatable;
    /// `*` for any). Other Host headers are refused against DNS rebinding.
    #[arg(long = "http-allowed-host", value_name = "NAME")]
    pub allowed_hosts: Vec<String>,
    /// REST connections open at once; beyond it a new one replaces the longest idle one.
    #[arg(long, default_value = "128", value_parser = clap::value_parser!(u32).range(1..))]
    pub http_max_connections: u32,
    /// Flink's web.submit.enable: whether jobs and SQL may be submitted over the REST API.
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub web_submit_enable: bool,
    /// Flink's web.cancel.enable: whether jobs may be cancelled or stopped over the REST API.
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub web_cancel_enable: bool,
    /// A directory submitted jobs may read and write (filesystem tables, Kafka key stores,
    /// savepoints); repeatable. Paths outside every one are refused (savepoints may also go
    /// under DATA_DIR/jobs).
    #[arg(long = "allowed-dir", value_name = "DIR")]
    pub allowed_dirs: Vec<PathBuf>,
    /// Jobs running at once; a submission beyond it is refused (HTTP 429).
    #[arg(long, default_value = "32", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_jobs: u32,
    /// The memory each job (and each SQL preview) may hold, as Flink writes sizes (`512mb`,
    /// `2gb`); over it the job fails alone and its restart strategy decides what follows.
    /// `auto`: half the machine's memory; `unbounded`: no limit.
    #[arg(long, value_name = "SIZE", default_value = "auto", value_parser = parse_job_memory)]
    pub job_memory: JobMemory,
}

/// `spate server --job-memory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobMemory {
    /// Half the machine's memory (`MemTotal` in /proc/meminfo).
    Auto,
    /// No limit.
    Unbounded,
    /// This many bytes.
    Bytes(u64),
}

fn parse_job_memory(text: &str) -> Result<JobMemory, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "auto" => Ok(JobMemory::Auto),
        "unbounded" => Ok(JobMemory::Unbounded),
        _ => match spate_sql::connector::parse_memory_size(text) {
            Some(0) | None => Err(format!(
                "`{text}` is not a memory size: a positive number with an optional unit (b, kb, mb, gb, tb), `auto` or `unbounded`"
            )),
            Some(bytes) => Ok(JobMemory::Bytes(bytes)),
        },
    }
}

/// Where `spate jobs` finds the server and its token.
#[derive(Debug, Args, Clone)]
pub struct ServerUrl {
    /// The server's REST API.
    #[arg(long = "server", default_value = "http://127.0.0.1:8081")]
    pub url: String,
    /// The server's access token (else $SPATE_TOKEN, else --data-dir's http-token file).
    #[arg(long)]
    pub token: Option<String>,
    /// The server's data directory, to read its token from (DIR/http-token).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Log in as this user of the server's broker (HTTP basic authentication) instead of
    /// with the token; the password is read from $SPATE_PASSWORD.
    #[arg(long, conflicts_with = "token")]
    pub user: Option<String>,
    /// For an https:// server: the PEM CA certificates its certificate must chain to (else
    /// the system's bundle).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum JobsAction {
    /// Submit a SQL script (DDL, SET and one INSERT INTO or statement set) as a job; prints its id.
    Submit {
        /// The script.
        file: PathBuf,
        #[command(flatten)]
        server: ServerUrl,
    },
    /// List jobs with their state.
    List {
        #[command(flatten)]
        server: ServerUrl,
    },
    /// Print a job's state, then its details.
    Show {
        /// The job id.
        id: String,
        #[command(flatten)]
        server: ServerUrl,
    },
    /// Cancel a running job (no savepoint).
    Cancel {
        /// The job id.
        id: String,
        #[command(flatten)]
        server: ServerUrl,
    },
    /// Stop a running job with a savepoint; prints the savepoint's path.
    Stop {
        /// The job id.
        id: String,
        #[command(flatten)]
        server: ServerUrl,
    },
    /// Take a savepoint of a running job; prints its path.
    Savepoint {
        /// The job id.
        id: String,
        #[command(flatten)]
        server: ServerUrl,
    },
    /// A job run on several processes (`--distributed GROUP`), read from its Kafka group:
    /// members and the tasks each owns, then per task its owner, last committed checkpoint
    /// and lag (offsets behind the last stable offset of its source and repartition inputs).
    Group {
        /// The job's group (what `--distributed` named).
        group: String,
        /// Print JSON (for scripts) instead of tables.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Run an ended job again from its latest checkpoint or stop-savepoint.
    Resume {
        /// The job id.
        id: String,
        #[command(flatten)]
        server: ServerUrl,
    },
}

/// Options every example shares.
#[derive(Debug, Args, Clone)]
pub struct ExampleArgs {
    /// Kafka bootstrap servers; without it Spate's broker runs in this process.
    #[arg(long)]
    pub bootstrap: Option<String>,
    /// Data directory of the embedded broker (without --bootstrap).
    #[arg(long, default_value = "spate-data")]
    pub data_dir: PathBuf,
    /// Checkpoint directory; running again with the same directory resumes the job
    /// [default: spate-checkpoints/<example>].
    #[arg(long)]
    pub checkpoint_dir: Option<PathBuf>,
    /// Time between checkpoints (e.g. 500ms, 10s, 1m; 10ms to 24h).
    #[arg(long, value_parser = parse_checkpoint_interval, default_value = "500ms")]
    pub checkpoint_interval: Duration,
    #[arg(long, value_enum, default_value = "exactly-once")]
    pub delivery: Delivery,
    /// Subtasks per operator (1 to 128, the engine's max parallelism).
    #[arg(long, value_parser = parse_parallelism, default_value = "2")]
    pub parallelism: usize,
    /// Stop at the input offsets that were the latest at start (batch over Kafka).
    #[arg(long)]
    pub bounded: bool,
    /// Write this many generated records into the input topic before the job starts.
    #[arg(long)]
    pub generate: Option<u64>,
    /// Partitions of the input and output topics when they are created.
    #[arg(long, value_parser = parse_partitions, default_value = "4")]
    pub partitions: i32,
    /// Consumer group whose offsets follow completed checkpoints [default: spate-<example>].
    #[arg(long)]
    pub group: Option<String>,
    /// Restarts after a task failure (from the latest checkpoint, 1 s apart).
    #[arg(long, default_value_t = 3)]
    pub restart_attempts: u32,
    /// Start from a savepoint (a newer checkpoint in --checkpoint-dir wins).
    #[arg(long)]
    pub from_savepoint: Option<PathBuf>,
    /// Print this many output records (read_committed) after a bounded run.
    #[arg(long, default_value_t = 0)]
    pub show: usize,
    /// What to do with a result too large for the output topic (over its max.message.bytes):
    /// `fail` the job, `skip` it (counted in the progress line), or `dead-letter=TOPIC` (write
    /// it there, in the same transaction with exactly-once delivery).
    #[arg(long, value_name = "fail|skip|dead-letter=TOPIC", value_parser = parse_on_oversized, default_value = "fail")]
    pub on_oversized: OversizedRecords,
    /// Counts of skipped and dead-lettered results, shared by every clone of these arguments
    /// (the sink counts, the progress line reads).
    #[arg(skip)]
    pub oversized_stats: OversizedStats,
    /// How the Kafka source reads the input: `auto` (the log directly when the broker is in
    /// this process, else Spate's protocol fetcher), `fetch`, or `client` (librdkafka).
    #[arg(long, value_enum, default_value_t = ExampleReadPath::Auto)]
    pub source_path: ExampleReadPath,
    /// Run the job on several processes: every process started with the same GROUP (and
    /// --bootstrap) runs a share of its tasks; exchanges and checkpoints go through Kafka.
    #[arg(long, value_name = "GROUP", requires = "bootstrap")]
    pub distributed: Option<String>,
    /// With --distributed: this process's static member id (`group.instance.id`); a process
    /// restarted with it gets its tasks back without a rebalance.
    #[arg(long, requires = "distributed")]
    pub instance_id: Option<String>,
    /// With --distributed: how long a silent process keeps its tasks (e.g. 10s).
    #[arg(long, value_parser = parse_checkpoint_interval, default_value = "45s", requires = "distributed")]
    pub session_timeout: Duration,
}

/// `--source-path` of the examples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExampleReadPath {
    /// The log directly when the broker is in this process, else the protocol fetcher.
    Auto,
    /// Spate's fetcher on the Kafka protocol (whole batches), as from any cluster.
    Fetch,
    /// The Kafka client (librdkafka), as from any cluster.
    Client,
}

/// `--on-oversized`: `fail`, `skip` or `dead-letter=TOPIC`.
pub fn parse_on_oversized(s: &str) -> Result<OversizedRecords, String> {
    match s.trim() {
        "fail" => Ok(OversizedRecords::Fail),
        "skip" => Ok(OversizedRecords::Skip),
        other => match other.strip_prefix("dead-letter=") {
            Some(topic) if !topic.is_empty() => Ok(OversizedRecords::DeadLetter(topic.to_string())),
            _ => Err(format!("`{s}`: use fail, skip or dead-letter=TOPIC")),
        },
    }
}

impl ExampleArgs {
    pub fn checkpoint_dir(&self, job: &str) -> PathBuf {
        self.checkpoint_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("spate-checkpoints").join(job))
    }
    pub fn group_id(&self, job: &str) -> String {
        self.group.clone().unwrap_or_else(|| format!("spate-{job}"))
    }
}

#[derive(Debug, Args, Clone)]
pub struct WordCountArgs {
    #[command(flatten)]
    pub common: ExampleArgs,
    #[arg(long, default_value = "words")]
    pub input: String,
    #[arg(long, default_value = "word-counts")]
    pub output: String,
    /// Tumbling window size (1ms to 30 days).
    #[arg(long, value_parser = parse_window, default_value = "10s")]
    pub window: Duration,
    /// Bounded out-of-orderness of record timestamps (0 to 30 days).
    #[arg(long, value_parser = parse_out_of_orderness, default_value = "0s")]
    pub out_of_orderness: Duration,
}

#[derive(Debug, Args, Clone)]
pub struct MovingAverageArgs {
    #[command(flatten)]
    pub common: ExampleArgs,
    #[arg(long, default_value = "sensors")]
    pub input: String,
    #[arg(long, default_value = "sensor-averages")]
    pub output: String,
    /// Average of the last N values of each sensor (one result per value; at least 1).
    #[arg(long, value_parser = parse_count)]
    pub count: Option<usize>,
    /// Average over this span of event time (1ms to 30 days) ...
    #[arg(long, value_parser = parse_window)]
    pub span: Option<Duration>,
    /// ... every slide (1ms to 30 days).
    #[arg(long, value_parser = parse_window, default_value = "10s")]
    pub slide: Duration,
}

#[derive(Debug, Args, Clone)]
pub struct LogErrorsArgs {
    #[command(flatten)]
    pub common: ExampleArgs,
    #[arg(long, default_value = "logs")]
    pub input: String,
    #[arg(long, default_value = "error-counts")]
    pub output: String,
    /// The level to count.
    #[arg(long, default_value = "ERROR")]
    pub level: String,
    /// Tumbling window size (1ms to 30 days).
    #[arg(long, value_parser = parse_window, default_value = "1m")]
    pub window: Duration,
}

/// `500ms`, `10s`, `1m`, `2h` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (examples: 500ms, 10s, 1m)"))?;
    let ms = match unit {
        "ms" => n,
        "" | "s" => n * 1e3,
        "m" | "min" => n * 60e3,
        "h" => n * 3600e3,
        _ => return Err(format!("unknown unit `{unit}` in `{s}` (use ms, s, m or h)")),
    };
    Ok(Duration::from_micros((ms * 1e3) as u64))
}

/// Shortest checkpoint interval: below it a job spends its time checkpointing (0ms meant about
/// 200 checkpoints a second).
const MIN_CHECKPOINT_INTERVAL: Duration = Duration::from_millis(10);
/// Longest checkpoint interval: a day between checkpoints means a day of input replayed after a
/// crash, and a transaction held open longer than any broker's transaction timeout allows.
const MAX_CHECKPOINT_INTERVAL: Duration = Duration::from_secs(24 * 3600);
/// Longest window, slide or out-of-orderness: beyond it state and results wait for weeks of
/// event time, which is more likely a typo (`30000m`) than intent.
const MAX_WINDOW: Duration = Duration::from_secs(30 * 24 * 3600);
/// The engine's fixed max parallelism (number of key groups): more subtasks than key groups
/// would leave some with no keys.
const MAX_PARALLELISM: usize = spate_engine::keygroup::DEFAULT_MAX_PARALLELISM;

/// A duration in `min..=max`, with the valid range in the error.
fn duration_in(s: &str, min: Duration, max: Duration) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d < min || d > max {
        return Err(format!(
            "`{s}` is out of range: it must be between {} and {}",
            show_duration(min),
            show_duration(max)
        ));
    }
    Ok(d)
}

/// `10ms`, `30s`, `24h`, `30d` for range messages.
fn show_duration(d: Duration) -> String {
    let ms = d.as_millis();
    match ms {
        0 => "0s".to_string(),
        _ if ms.is_multiple_of(86_400_000) && ms > 86_400_000 => format!("{}d", ms / 86_400_000),
        _ if ms.is_multiple_of(3_600_000) => format!("{}h", ms / 3_600_000),
        _ if ms.is_multiple_of(1000) => format!("{}s", ms / 1000),
        _ => format!("{ms}ms"),
    }
}

/// `--checkpoint-interval`: 10ms to 24h.
pub fn parse_checkpoint_interval(s: &str) -> Result<Duration, String> {
    duration_in(s, MIN_CHECKPOINT_INTERVAL, MAX_CHECKPOINT_INTERVAL)
}

/// A window size, span or slide: 1ms (event time is in milliseconds) to 30 days.
pub fn parse_window(s: &str) -> Result<Duration, String> {
    duration_in(s, Duration::from_millis(1), MAX_WINDOW)
}

/// `--out-of-orderness`: 0 (in-order timestamps) to 30 days.
pub fn parse_out_of_orderness(s: &str) -> Result<Duration, String> {
    duration_in(s, Duration::ZERO, MAX_WINDOW)
}

/// A count of at least 1 (runs, values, bytes).
pub fn parse_count(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err("must be at least 1".to_string()),
        Err(e) => Err(format!("`{s}` is not a count: {e}")),
    }
}

/// `--parallelism`: 1 to the engine's max parallelism.
pub fn parse_parallelism(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_PARALLELISM).contains(&n) => Ok(n),
        Ok(_) => Err(format!("must be between 1 and {MAX_PARALLELISM}")),
        Err(e) => Err(format!("`{s}` is not a number: {e}")),
    }
}

/// Partitions of a topic the command creates: at least 1 (Kafka's CreateTopics would read -1
/// as "the broker's default", which these commands never mean).
pub fn parse_partitions(s: &str) -> Result<i32, String> {
    match s.trim().parse::<i32>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err("must be at least 1".to_string()),
        Err(e) => Err(format!("`{s}` is not a number: {e}")),
    }
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Keyed event-time window count over N sequential longs (event time i/1000 ms by default, key i % K),
    /// discarding sink: the same job as Flink's window benchmark in shared/reference.
    WindowCount(WindowCountArgs),
    /// Large keyed state (default 1 M keys x 1 KiB = 1 GiB): savepoint time, size, and the
    /// time to restore it into a fresh job.
    Checkpoint(CheckpointBenchArgs),
    /// Kafka -> job -> Kafka on the embedded broker: a pre-filled input topic through a keyed
    /// 1 s tumbling count into an output topic (throughput), or with `--latency` records
    /// produced at a fixed rate and the time until consumers see the results.
    Pipeline(PipelineBenchArgs),
    /// The Nexmark project's SQL queries over N events written to Kafka (the embedded broker
    /// or `--bootstrap`), each as its own job into a blackhole: events per second.
    Nexmark(NexmarkBenchArgs),
    /// Produce load on a running broker: record batches built once and sent over several
    /// connections with several requests in flight, every reply checked, so the broker and not
    /// the client is the limit: records and MB per second acknowledged.
    Produce(ProduceBenchArgs),
}

#[derive(Debug, Args)]
pub struct ProduceBenchArgs {
    /// A broker of the cluster to load (host:port).
    #[arg(long)]
    pub bootstrap: String,
    /// The topic written; created with `--partitions` partitions when it does not exist.
    #[arg(long, default_value = "spate-bench-produce")]
    pub topic: String,
    /// Partitions written (0..N).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..), default_value = "1")]
    pub partitions: i32,
    /// Connections, one thread each (at most one per partition).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), default_value = "4")]
    pub connections: u32,
    /// Requests sent ahead of their replies on each connection.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), default_value = "5")]
    pub in_flight: u32,
    /// Bytes of each record's value.
    #[arg(long, default_value = "100")]
    pub record_bytes: usize,
    /// Bytes of each batch at most (one batch per request), librdkafka's `batch.size` default;
    /// a batch holds as many records as fit (at least one).
    #[arg(long, default_value = "1000000")]
    pub batch_bytes: usize,
    /// 1 (the leader's append) or -1 (all in-sync replicas).
    #[arg(long, default_value = "1", allow_hyphen_values = true)]
    pub acks: i16,
    /// Megabytes of record values to send in all (10^6 bytes).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), default_value = "1000")]
    pub megabytes: u64,
}

#[derive(Debug, Args)]
pub struct NexmarkBenchArgs {
    /// Queries to run, in order (repeatable or comma-separated): q0 q1 q2 q5 q7 q8 q10 q11 q12 q14
    /// q21 q22.
    #[arg(long = "query", value_delimiter = ',', required = true)]
    pub queries: Vec<String>,
    /// Events written to the topic `nexmark` before the queries run (at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), default_value = "10000000")]
    pub events: u64,
    /// Kafka bootstrap servers; Spate's broker runs in this process when not given.
    #[arg(long)]
    pub bootstrap: Option<String>,
    /// The embedded broker's data directory (a temporary one by default).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Do not write the events: the topic already holds them (a second run on the same broker).
    #[arg(long)]
    pub no_load: bool,
}

/// Which delivery guarantees `spate bench pipeline` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchDelivery {
    AtLeastOnce,
    ExactlyOnce,
    /// At-least-once then exactly-once, alternating run by run.
    Both,
}

/// How the job's Kafka source reads (`spate bench pipeline --source-path`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourcePath {
    /// Straight from the partition logs of the broker in this process.
    Direct,
    /// Through the Kafka client (librdkafka), as from any cluster.
    Client,
    /// Through Spate's own fetcher on the Kafka protocol (whole batches), as from any cluster.
    Fetch,
}

/// The job `spate bench pipeline --latency` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LatencyJob {
    /// Every record passes through a map (record timestamp kept): now - record timestamp.
    PassThrough,
    /// Keyed 1 s tumbling count: result visible - window end.
    Window,
}

#[derive(Debug, Args)]
pub struct PipelineBenchArgs {
    /// Records pre-filled into the input topic (throughput mode; at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), default_value = "20000000")]
    pub records: u64,
    /// Distinct keys (`k0` .. `k<keys-1>`; at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), default_value = "1000")]
    pub keys: u64,
    /// Partitions of the input and output topics.
    #[arg(long, value_parser = parse_partitions, default_value = "3")]
    pub partitions: i32,
    /// Subtasks per operator (1 to 128).
    #[arg(long, value_parser = parse_parallelism, default_value = "2")]
    pub parallelism: usize,
    #[arg(long, value_enum, default_value = "both")]
    pub delivery: BenchDelivery,
    /// Time between checkpoints (10ms to 24h).
    #[arg(long, value_parser = parse_checkpoint_interval, default_value = "500ms")]
    pub checkpoint_interval: Duration,
    /// Job runs over the same pre-filled input (per delivery guarantee); medians are reported.
    #[arg(long, value_parser = parse_count, default_value = "1")]
    pub runs: usize,
    /// Latency mode: produce at --rate for --seconds while the job runs.
    #[arg(long)]
    pub latency: bool,
    /// Records per second produced in latency mode (at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), default_value = "200000")]
    pub rate: u64,
    /// Seconds of producing in latency mode (at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), default_value = "20")]
    pub seconds: u64,
    /// Seconds at the start of latency mode that are not measured.
    #[arg(long, default_value_t = 3)]
    pub warmup: u64,
    #[arg(long, value_enum, default_value = "pass-through")]
    pub job: LatencyJob,
    /// librdkafka property of the job's Kafka source, `key=value` (repeatable), e.g.
    /// `fetch.queue.backoff.ms=10`.
    #[arg(long = "source-property", value_name = "KEY=VALUE")]
    pub source_properties: Vec<String>,
    /// How the job's Kafka source reads the input.
    #[arg(long, value_enum, default_value_t = SourcePath::Direct)]
    pub source_path: SourcePath,
    /// A running broker (`spate broker`, any Kafka cluster) to use instead of one started in
    /// this process; topics are created there with a run-unique name.
    #[arg(long, value_name = "HOST:PORT")]
    pub bootstrap: Option<String>,
    /// `fetch.wait.max.ms` of the measuring consumers in latency mode (librdkafka's default is
    /// 500; a broker that answers a waiting fetch as soon as data arrives makes it irrelevant).
    #[arg(long, default_value_t = 100)]
    pub consumer_fetch_wait_ms: u32,
}

impl PipelineBenchArgs {
    /// Checks between flags that clap cannot check one by one.
    pub fn validate(&self) -> Result<(), String> {
        if self.latency && self.warmup >= self.seconds {
            return Err(format!(
                "--warmup {} must be shorter than --seconds {}: nothing would be measured",
                self.warmup, self.seconds
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct CheckpointBenchArgs {
    /// Distinct keys (at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), default_value = "1000000")]
    pub keys: u64,
    /// Bytes of each key's value (at least 1).
    #[arg(long, value_parser = parse_count, default_value = "1024")]
    pub value_bytes: usize,
    /// Subtasks (1 to 128).
    #[arg(long, value_parser = parse_parallelism, default_value = "1")]
    pub parallelism: usize,
    /// Where the checkpoint and savepoint go (a temporary directory by default).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// How values are kept: `vec` (a `Vec<u8>`, which serde encodes byte by byte) or `block`
    /// (one length-prefixed block, as `serde_bytes` writes it).
    #[arg(long, value_enum, default_value = "vec")]
    pub values: BenchStateValue,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BenchStateValue {
    /// `Vec<u8>`.
    Vec,
    /// A byte block.
    Block,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BenchWindowKind {
    /// 1 s tumbling windows.
    Tumbling,
    /// 10 s windows every 2 s.
    Sliding,
    /// Session windows with a 1 s gap.
    Session,
}

#[derive(Debug, Args)]
pub struct WindowCountArgs {
    /// Events to generate (at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), default_value = "100000000")]
    pub events: u64,
    /// Distinct keys (at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), default_value = "1000")]
    pub keys: u64,
    /// Subtasks (1 to 128).
    #[arg(long, value_parser = parse_parallelism, default_value = "1")]
    pub parallelism: usize,
    #[arg(long, value_enum, default_value = "tumbling")]
    pub window: BenchWindowKind,
    /// Events per millisecond of event time: 1000 is Flink's window benchmark; 1 (with 1000
    /// keys) puts one event of each key in each 1 s window, the work of the SQL tumble-count
    /// benchmark.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), default_value = "1000")]
    pub events_per_ms: u64,
    /// Worker threads (default: one per subtask, up to the core count). `--parallelism 2
    /// --worker-threads 1` runs the keyed exchange without crossing cores, which separates
    /// the exchange's own cost from moving records between caches.
    #[arg(long, value_parser = parse_parallelism)]
    pub worker_threads: Option<usize>,
    /// Count each subtask's events per key and window before the keyed exchange too
    /// (local-global aggregation): counts cross it instead of events.
    #[arg(long)]
    pub pre_aggregate: bool,
    /// Milliseconds of processing time between the source's watermarks; 0 emits one with
    /// every batch. 200 is what a SQL job emits by default (Flink's
    /// `pipeline.auto-watermark-interval`), for comparing with `spate sql`.
    #[arg(long, default_value = "0")]
    pub watermark_interval_ms: u64,
    /// Runs to make; the median is reported.
    #[arg(long, value_parser = parse_count, default_value = "1")]
    pub runs: usize,
}

#[derive(Debug, Args)]
pub struct BrokerArgs {
    /// Kafka broker properties file (server.properties): listeners, log.dirs, num.partitions,
    /// log.retention.*, sasl.enabled.mechanisms, ... Flags below override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override one broker property, KEY=VALUE (repeatable), e.g. num.partitions=3.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Address of a single PLAINTEXT listener (port 0 picks a free port, printed at start-up)
    /// [default: 127.0.0.1:9092].
    #[arg(long, conflicts_with = "listener")]
    pub listen: Option<SocketAddr>,
    /// A listener NAME=PROTOCOL://HOST:PORT (repeatable; PLAINTEXT or SASL_PLAINTEXT), e.g.
    /// EXTERNAL=SASL_PLAINTEXT://0.0.0.0:9093. Replaces `listeners` from the file.
    #[arg(long, value_name = "NAME=PROTOCOL://HOST:PORT")]
    pub listener: Vec<String>,
    /// Directory for all durable state (log.dirs) [default: spate-data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Host name advertised to clients on every listener without an advertised.listeners entry
    /// (defaults to the listen address).
    #[arg(long)]
    pub advertised_host: Option<String>,
    /// Partitions of auto-created topics (num.partitions) [default: 1].
    #[arg(long, value_parser = parse_partitions)]
    pub default_partitions: Option<i32>,
    /// Do not create unknown topics when clients ask for their metadata
    /// (auto.create.topics.enable=false).
    #[arg(long)]
    pub no_auto_create_topics: bool,
    /// Serve a Confluent-compatible schema registry on this HTTP address (its state in the
    /// compacted `_schemas` topic of this broker); `schema.registry.listen` in `--config`.
    #[arg(long, value_name = "HOST:PORT")]
    pub schema_registry_listen: Option<SocketAddr>,
}

#[derive(Debug, Args, Clone)]
pub struct ClientArgs {
    /// Kafka bootstrap servers (Spate or any Kafka cluster).
    #[arg(long, default_value = "127.0.0.1:9092")]
    pub bootstrap: String,
    /// A Kafka client .properties file (security.protocol, sasl.mechanism,
    /// sasl.username/sasl.password or sasl.jaas.config, ...), as kafka-*.sh --command-config.
    #[arg(long, value_name = "FILE")]
    pub command_config: Option<PathBuf>,
    /// A client property KEY=VALUE (repeatable; overrides --command-config), as kcat -X.
    #[arg(short = 'X', value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub property: Vec<(String, String)>,
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}

#[derive(Debug, Subcommand)]
pub enum AclsAction {
    /// Add ACLs: every principal x host x operation on every resource given.
    Add(AclArgs),
    /// Remove the ACLs matching the options (all ACLs of the resources when no principal,
    /// host or operation is given).
    Remove(AclArgs),
    /// List ACLs (of the resources given, or all), as kafka-acls.sh --list.
    List(AclArgs),
}

/// kafka-acls.sh's options.
#[derive(Debug, Args)]
pub struct AclArgs {
    /// Principal to allow, e.g. User:alice (repeatable).
    #[arg(long, value_name = "PRINCIPAL")]
    pub allow_principal: Vec<String>,
    /// Principal to deny (repeatable).
    #[arg(long, value_name = "PRINCIPAL")]
    pub deny_principal: Vec<String>,
    /// Host the allowed principals may connect from (repeatable; default *).
    #[arg(long, value_name = "HOST")]
    pub allow_host: Vec<String>,
    /// Host the denied principals are denied from (repeatable; default *).
    #[arg(long, value_name = "HOST")]
    pub deny_host: Vec<String>,
    /// Operation: All, Read, Write, Create, Delete, Alter, Describe, ClusterAction,
    /// DescribeConfigs, AlterConfigs, IdempotentWrite (repeatable; default All when adding).
    #[arg(long, value_name = "OPERATION")]
    pub operation: Vec<String>,
    /// Topic (repeatable; * for all topics).
    #[arg(long, value_name = "TOPIC")]
    pub topic: Vec<String>,
    /// Consumer group (repeatable; * for all groups).
    #[arg(long, value_name = "GROUP")]
    pub group: Vec<String>,
    /// Transactional id (repeatable; * for all).
    #[arg(long, value_name = "ID")]
    pub transactional_id: Vec<String>,
    /// The cluster itself.
    #[arg(long)]
    pub cluster: bool,
    /// LITERAL or PREFIXED (adding); ANY and MATCH also filter when listing or removing.
    #[arg(long, default_value = "literal", value_name = "TYPE")]
    pub resource_pattern_type: String,
    /// Convenience: WRITE, DESCRIBE and CREATE on the topics (as kafka-acls.sh --producer).
    #[arg(long)]
    pub producer: bool,
    /// Convenience: READ and DESCRIBE on the topics, READ on the groups (--consumer).
    #[arg(long)]
    pub consumer: bool,
    /// List only the ACLs of this principal.
    #[arg(long, value_name = "PRINCIPAL")]
    pub principal: Option<String>,
    /// Accepted for kafka-acls.sh compatibility (this command never asks for confirmation).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Subcommand)]
pub enum QuotasAction {
    /// Set (--add-config) or remove (--delete-config) quotas of one entity, as
    /// kafka-configs.sh --alter.
    Alter(QuotaAlterArgs),
    /// Quotas of the entities the options select (strictly: `--user alice` is users/alice only),
    /// or of every entity without options, as kafka-configs.sh --describe.
    Describe {
        #[command(flatten)]
        entity: QuotaEntityArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
}

/// Which entity (alter) or entities (describe): kafka-configs.sh's options.
#[derive(Debug, Args)]
pub struct QuotaEntityArgs {
    /// user or client-id (also kafka-configs.sh's users and clients); twice, each with an
    /// --entity-name in the same order, for a user with a client id.
    #[arg(long, value_name = "TYPE")]
    pub entity_type: Vec<String>,
    /// The name of the --entity-type (repeatable, in the order of the types).
    #[arg(long, value_name = "NAME")]
    pub entity_name: Vec<String>,
    /// The default entity of the one --entity-type (what applies to every user or client id
    /// without a quota of its own).
    #[arg(long, conflicts_with = "entity_name")]
    pub entity_default: bool,
    /// Shorthand for --entity-type user --entity-name NAME; combines with --client.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["user_defaults", "entity_type"])]
    pub user: Option<String>,
    /// Shorthand for the default user; combines with --client/--client-defaults.
    #[arg(long, conflicts_with = "entity_type")]
    pub user_defaults: bool,
    /// Shorthand for --entity-type client-id --entity-name CLIENT_ID; combines with --user.
    #[arg(long, value_name = "CLIENT_ID", conflicts_with_all = ["client_defaults", "entity_type"])]
    pub client: Option<String>,
    /// Shorthand for the default client id.
    #[arg(long, conflicts_with = "entity_type")]
    pub client_defaults: bool,
}

/// `spate quotas alter`.
#[derive(Debug, Args)]
pub struct QuotaAlterArgs {
    #[command(flatten)]
    pub entity: QuotaEntityArgs,
    /// Quotas to set, `KEY=VALUE,...`: producer_byte_rate and consumer_byte_rate (bytes per
    /// second), request_percentage (percent of one thread's time spent on the client's
    /// requests, e.g. 50 for half a thread).
    #[arg(long, value_name = "KEY=VALUE,...")]
    pub add_config: Option<String>,
    /// Quota keys to remove, `KEY,...`.
    #[arg(long, value_name = "KEY,...")]
    pub delete_config: Option<String>,
    /// Only have the broker check the change.
    #[arg(long)]
    pub validate_only: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Add a user or set a new password (a fresh salt each time; with --bootstrap the password
    /// is salted here and only the salted password is sent).
    Add {
        /// User name (the principal is User:NAME).
        name: String,
        /// SCRAM-SHA-256 or SCRAM-SHA-512 (SASL/PLAIN logins check against either).
        #[arg(long, default_value = "SCRAM-SHA-512")]
        mechanism: String,
        /// PBKDF2 iterations (4096 to 16384, Kafka's bounds).
        // Checked here: with --bootstrap they are spent salting before the broker sees them.
        #[arg(
            long,
            default_value = "4096",
            value_parser = clap::value_parser!(u32).range(
                i64::from(spate_broker::credentials::MIN_ITERATIONS)..=i64::from(spate_broker::credentials::MAX_ITERATIONS)
            )
        )]
        iterations: u32,
        /// Read the password from stdin (one line; the trailing newline is dropped).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        target: UserTarget,
    },
    /// Remove a user's credential for one mechanism, or all of them.
    Delete {
        name: String,
        /// Only this mechanism's credential.
        #[arg(long)]
        mechanism: Option<String>,
        #[command(flatten)]
        target: UserTarget,
    },
    /// Users and their mechanisms (never secrets).
    List {
        #[command(flatten)]
        target: UserTarget,
    },
}

/// Where `spate users` finds the users: a running broker, or a stopped broker's data directory.
#[derive(Debug, Args)]
pub struct UserTarget {
    /// The broker's data directory (log.dirs); the broker must not be running.
    #[arg(long, required_unless_present = "bootstrap", conflicts_with = "bootstrap")]
    pub data_dir: Option<PathBuf>,
    /// A running broker (Spate or any Kafka cluster), managed with AlterUserScramCredentials and
    /// DescribeUserScramCredentials as a principal allowed to (ALTER or DESCRIBE on the cluster).
    #[arg(long)]
    pub bootstrap: Option<String>,
    /// A Kafka client .properties file for --bootstrap, as kafka-*.sh --command-config.
    #[arg(long, value_name = "FILE", requires = "bootstrap")]
    pub command_config: Option<PathBuf>,
    /// A client property KEY=VALUE for --bootstrap (repeatable; overrides --command-config).
    #[arg(short = 'X', value_name = "KEY=VALUE", value_parser = parse_key_value, requires = "bootstrap")]
    pub property: Vec<(String, String)>,
}

#[derive(Debug, Subcommand)]
pub enum TransactionsAction {
    /// Every transactional id the coordinator knows, with producer id and state.
    List {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// One transactional id: state, producer id and epoch.
    Describe {
        #[arg(long)]
        transactional_id: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// The producers a partition tracks, with the start offset of their open transaction.
    DescribeProducers {
        #[arg(long)]
        topic: String,
        #[arg(long)]
        partition: i32,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Open transactions on the topic's partitions (all topics if none is given) whose producer
    /// no coordinator knows: they hold read_committed consumers back for good.
    FindHanging {
        #[arg(long)]
        topic: Option<String>,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Abort the open transaction that starts at an offset of a partition (writes an abort
    /// marker there, as `kafka-transactions.sh abort --start-offset` does).
    Abort {
        #[arg(long)]
        topic: String,
        #[arg(long)]
        partition: i32,
        #[arg(long)]
        start_offset: i64,
        #[command(flatten)]
        client: ClientArgs,
    },
}

/// Where the schema registry is and how to log in.
#[derive(Debug, Args, Clone)]
pub struct RegistryArgs {
    /// The registry's URL (several, comma-separated, are tried in order).
    #[arg(long, default_value = "http://127.0.0.1:8081")]
    pub registry: String,
    /// HTTP basic auth user (a broker SASL user for Spate's registry); the password is read
    /// from stdin's first line.
    #[arg(long)]
    pub user: Option<String>,
    /// A PEM file of CA certificates to trust for https.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SchemasAction {
    /// List subjects with their versions and latest schema id.
    List {
        /// Include soft-deleted subjects and versions.
        #[arg(long)]
        deleted: bool,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Print a subject's version (the latest by default), or the schema with an id, as JSON.
    Get {
        /// The subject (omit with --id).
        subject: Option<String>,
        /// A version number or `latest`.
        #[arg(long, default_value = "latest")]
        version: String,
        /// A global schema id instead of a subject.
        #[arg(long, conflicts_with = "subject")]
        id: Option<u32>,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Register the schema in FILE under SUBJECT (checked against its compatibility level);
    /// prints its id.
    Register {
        subject: String,
        /// The schema text (JSON for AVRO).
        #[arg(long, value_name = "FILE")]
        schema_file: PathBuf,
        /// AVRO, PROTOBUF or JSON.
        #[arg(long = "type", default_value = "AVRO")]
        schema_type: String,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Delete a subject, or one of its versions: soft, then with --permanent for good.
    Delete {
        subject: String,
        /// One version (a number or `latest`); the whole subject without it.
        #[arg(long)]
        version: Option<String>,
        /// A hard delete (the soft one must come first, as in Confluent's registry).
        #[arg(long)]
        permanent: bool,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Show a subject's compatibility level (or the global one), set it with --set, or test
    /// the schema in --check-file against the subject's versions.
    Compatibility {
        /// The subject; the global level without it.
        subject: Option<String>,
        /// NONE, BACKWARD, FORWARD, FULL or their _TRANSITIVE forms.
        #[arg(long, conflicts_with = "check_file")]
        set: Option<String>,
        /// A schema to test (not registered); exit status 1 when it is incompatible.
        #[arg(long, value_name = "FILE", requires = "subject")]
        check_file: Option<PathBuf>,
        /// The type of the --check-file schema.
        #[arg(long = "type", default_value = "AVRO")]
        schema_type: String,
        #[command(flatten)]
        registry: RegistryArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum TopicsAction {
    /// Create a topic.
    Create {
        name: String,
        #[arg(long, default_value_t = 1)]
        partitions: i32,
        /// Topic config override, KEY=VALUE (repeatable), e.g. retention.ms=3600000.
        #[arg(long = "config", value_name = "KEY=VALUE")]
        configs: Vec<String>,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// List topics with their partition counts.
    List {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Show a topic's partitions, offsets and configs.
    Describe {
        name: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Delete a topic and its data.
    Delete {
        name: String,
        #[command(flatten)]
        client: ClientArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupsAction {
    /// List consumer groups with their state.
    List {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Show a group's members, committed offsets and lag per partition.
    Describe {
        group: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Move a group's committed offsets (the group must have no active members). Prints the
    /// plan; changes nothing without --execute, as Kafka's tool does.
    ResetOffsets {
        group: String,
        #[arg(long)]
        topic: String,
        #[command(flatten)]
        target: ResetTarget,
        /// Apply the plan.
        #[arg(long)]
        execute: bool,
        #[command(flatten)]
        client: ClientArgs,
    },
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct ResetTarget {
    #[arg(long)]
    pub to_earliest: bool,
    #[arg(long)]
    pub to_latest: bool,
    #[arg(long, value_name = "OFFSET")]
    pub to_offset: Option<i64>,
    /// UTC time as YYYY-MM-DDTHH:MM:SS[.mmm]Z, or milliseconds since the epoch.
    #[arg(long, value_name = "TIME")]
    pub to_datetime: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Acks {
    #[value(name = "all")]
    All,
    #[value(name = "1")]
    One,
    #[value(name = "0")]
    Zero,
}

#[derive(Debug, Args)]
pub struct ProduceArgs {
    pub topic: String,
    /// Split each line at the first SEP into key and value.
    #[arg(long, value_name = "SEP")]
    pub key_separator: Option<String>,
    /// Write every record to this partition (default: by key, or spread).
    #[arg(long)]
    pub partition: Option<i32>,
    #[arg(long, value_enum, default_value = "all")]
    pub acks: Acks,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct ConsumeArgs {
    pub topic: String,
    /// Start at the earliest offset instead of the end.
    #[arg(long)]
    pub from_beginning: bool,
    /// Read only this partition.
    #[arg(long)]
    pub partition: Option<i32>,
    /// Stop after N records.
    #[arg(long)]
    pub max: Option<u64>,
    /// Stop when every partition has been read to its end.
    #[arg(long)]
    pub exit_at_end: bool,
    /// Print the key before the value, separated by SEP.
    #[arg(long, value_name = "SEP")]
    pub print_key: Option<String>,
    /// Consume as a member of this consumer group (partitions assigned by the group, offsets
    /// committed) instead of reading partitions directly.
    #[arg(long, conflicts_with = "partition")]
    pub group: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Lines of text the generator writes (at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), default_value = "500000")]
    pub records: u64,
    /// Partitions of the input and output topics.
    #[arg(long, value_parser = parse_partitions, default_value = "4")]
    pub partitions: i32,
    /// Parallelism of the word-count job (1 to 128).
    #[arg(long, value_parser = parse_parallelism, default_value = "2")]
    pub parallelism: usize,
    /// Keep the broker's data here instead of a temporary directory.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("spate").chain(args.iter().copied()))
    }

    /// The error text of a rejected command line (it must name the flag and the valid range).
    fn rejected(args: &[&str]) -> String {
        match parse(args) {
            Ok(cli) => panic!("accepted {args:?}: {cli:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn zero_window_is_rejected_with_the_range() {
        let e = rejected(&["example", "word-count", "--window", "0s"]);
        assert!(e.contains("--window"), "{e}");
        assert!(e.contains("between 1ms and 30d"), "{e}");
        let e = rejected(&["example", "log-errors", "--window", "0"]);
        assert!(e.contains("--window"), "{e}");
        rejected(&["example", "word-count", "--window", "31d"]);
        rejected(&["example", "moving-average", "--span", "0s"]);
        rejected(&["example", "moving-average", "--slide", "0ms"]);
    }

    #[test]
    fn checkpoint_interval_below_10ms_is_rejected() {
        let e = rejected(&["example", "word-count", "--checkpoint-interval", "0ms"]);
        assert!(e.contains("--checkpoint-interval"), "{e}");
        assert!(e.contains("between 10ms and 24h"), "{e}");
        rejected(&["example", "word-count", "--checkpoint-interval", "9ms"]);
        rejected(&["example", "word-count", "--checkpoint-interval", "25h"]);
        rejected(&["bench", "pipeline", "--checkpoint-interval", "0s"]);
        parse(&["example", "word-count", "--checkpoint-interval", "10ms"]).unwrap();
    }

    #[test]
    fn zero_counts_sizes_and_parallelism_are_rejected() {
        let e = rejected(&["example", "word-count", "--parallelism", "0"]);
        assert!(
            e.contains("--parallelism") && e.contains("between 1 and 128"),
            "{e}"
        );
        rejected(&["example", "word-count", "--parallelism", "129"]);
        rejected(&["example", "word-count", "--partitions", "0"]);
        rejected(&["example", "moving-average", "--count", "0"]);
        rejected(&["bench", "window-count", "--events", "0"]);
        rejected(&["bench", "window-count", "--keys", "0"]);
        rejected(&["bench", "window-count", "--runs", "0"]);
        rejected(&["bench", "window-count", "--parallelism", "0"]);
        rejected(&["bench", "checkpoint", "--value-bytes", "0"]);
        rejected(&["bench", "checkpoint", "--keys", "0"]);
        rejected(&["bench", "pipeline", "--rate", "0"]);
        rejected(&["bench", "pipeline", "--seconds", "0"]);
        rejected(&["bench", "pipeline", "--runs", "0"]);
        rejected(&["bench", "pipeline", "--partitions", "0"]);
        rejected(&["broker", "--default-partitions", "0"]);
        rejected(&["demo", "--parallelism", "0"]);
    }

    #[test]
    fn defaults_and_sensible_values_parse() {
        let Cli {
            command: Command::Example {
                example: ExampleCommand::WordCount(a),
            },
            ..
        } = parse(&[
            "example",
            "word-count",
            "--out-of-orderness",
            "0s",
            "--window",
            "1ms",
        ])
        .unwrap()
        else {
            panic!("not word-count");
        };
        assert_eq!(a.window, Duration::from_millis(1));
        assert_eq!(a.common.checkpoint_interval, Duration::from_millis(500));
        assert_eq!(a.common.parallelism, 2);
        parse(&["bench", "pipeline"]).unwrap();
        parse(&["bench", "window-count"]).unwrap();
        parse(&["bench", "checkpoint"]).unwrap();
        parse(&["demo"]).unwrap();
        parse(&["broker"]).unwrap();
    }

    #[test]
    fn latency_warmup_must_leave_time_to_measure() {
        let bench = |args: &[&str]| match parse(args).unwrap().command {
            Command::Bench {
                bench: BenchCommand::Pipeline(a),
            } => a,
            _ => panic!("not bench pipeline"),
        };
        let e = bench(&[
            "bench",
            "pipeline",
            "--latency",
            "--seconds",
            "3",
            "--warmup",
            "3",
        ])
        .validate()
        .unwrap_err();
        assert!(e.contains("--warmup") && e.contains("--seconds"), "{e}");
        bench(&["bench", "pipeline", "--latency"]).validate().unwrap();
        bench(&["bench", "pipeline", "--seconds", "1"])
            .validate()
            .unwrap();
    }

    #[test]
    fn on_oversized_takes_fail_skip_or_a_dead_letter_topic() {
        let policy = |args: &[&str]| match parse(args).unwrap().command {
            Command::Example {
                example: ExampleCommand::WordCount(a),
            } => a.common.on_oversized,
            _ => panic!("not word-count"),
        };
        assert_eq!(policy(&["example", "word-count"]), OversizedRecords::Fail);
        assert_eq!(
            policy(&["example", "word-count", "--on-oversized", "skip"]),
            OversizedRecords::Skip
        );
        assert_eq!(
            policy(&["example", "word-count", "--on-oversized", "dead-letter=big"]),
            OversizedRecords::DeadLetter("big".into())
        );
        rejected(&["example", "word-count", "--on-oversized", "dead-letter="]);
        rejected(&["example", "word-count", "--on-oversized", "drop"]);
    }
}
