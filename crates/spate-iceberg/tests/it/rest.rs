//! The REST catalog against `tests/rest_fixture.py` (the REST routes over pyiceberg's
//! `SqlCatalog`, as Iceberg's own `iceberg-rest-fixture` adapts a JDBC catalog): Spate creates
//! and appends through REST, pyiceberg reads through its `RestCatalog` and the SQLite catalog
//! underneath; a pyiceberg append between Spate's load and commit makes the server refuse the
//! commit (409) and Spate retry; bad credentials and an unreachable server fail clearly.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use spate_iceberg::flink::max_committed_checkpoint_id;
use spate_iceberg::{
    Catalog, CommitOutcome, FileIo, IcebergError, Namespace, PendingSnapshot, RestCatalog, RetryPolicy,
    Table, TableCreation, TableIdent, TableMetadata, commit_files, load_or_create_table,
};

use crate::hadoop::{checkpoint, creation};
use crate::py::{DAY0, HOUR_US, parquet_file, python, read_rows, run, summaries};

/// A running fixture server; killed (the child this test started) when dropped.
struct Server {
    child: Child,
    uri: String,
    db: String,
    warehouse: String,
}

impl Server {
    fn start(dir: &Path, flags: &[&str]) -> Server {
        let db = dir.join("catalog.db").to_str().expect("utf-8").to_owned();
        let warehouse = dir.join("wh").to_str().expect("utf-8").to_owned();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/rest_fixture.py");
        let mut child = Command::new(python())
            .arg(script)
            .args([&db, &warehouse])
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the test virtualenv's python (scripts/install-deps.sh) runs");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout).read_line(&mut line).expect("reads");
        let port = line
            .strip_prefix("PORT ")
            .and_then(|p| p.trim().parse::<u16>().ok())
            .unwrap_or_else(|| panic!("rest_fixture.py did not start: {line:?}"));
        Server {
            child,
            uri: format!("http://127.0.0.1:{port}"),
            db,
            warehouse,
        }
    }

    fn connect(&self, extra: &[(&str, &str)]) -> spate_iceberg::Result<RestCatalog> {
        let mut props = BTreeMap::from([("uri".to_owned(), self.uri.clone())]);
        props.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        RestCatalog::connect("rest", &props)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn spate_creates_and_appends_through_rest_pyiceberg_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path(), &["--prefix", "wh1", "--token", "t0k3n"]);
    let warehouse = format!("file://{}", server.warehouse);
    let cat = server
        .connect(&[("token", "t0k3n"), ("warehouse", &warehouse)])
        .expect("connects");
    assert_eq!(cat.properties()["prefix"], "wh1");
    assert_eq!(cat.properties()["fixture.default"], "yes");
    assert_eq!(cat.properties()["fixture.warehouse-asked"], warehouse);

    let ident = TableIdent::new("db", "events");
    let table = load_or_create_table(&cat, &ident, &creation()).expect("created");
    assert!(
        table.metadata_location.contains("/wh/db/events/metadata/00000-"),
        "{}",
        table.metadata_location
    );
    assert_eq!(table.metadata.default_spec().fields[0].name, "ts_day");
    assert_eq!(table.metadata.current_schema().identifier_field_ids, [1]);
    assert!(matches!(
        cat.create_table(&ident, &creation()),
        Err(IcebergError::TableAlreadyExists(_))
    ));
    assert!(cat.namespace_exists(&Namespace::parse("db")).expect("exists"));
    assert!(!cat.namespace_exists(&Namespace::parse("nope")).expect("asks"));
    assert!(
        cat.load_table(&TableIdent::new("db", "nope"))
            .expect("asks")
            .is_none()
    );

    let props = BTreeMap::from([("writer".to_owned(), "spate".to_owned())]);
    let f1 = parquet_file(
        &table.metadata,
        "a.parquet",
        &[(1, Some("a"), Some(DAY0)), (2, None, Some(DAY0 + HOUR_US))],
    );
    let first = commit_files(&cat, &ident, vec![f1], &props, Some(&checkpoint(1)), None).expect("commit 1");
    assert!(matches!(first, CommitOutcome::Committed(_)));
    let f2 = parquet_file(
        &table.metadata,
        "b.parquet",
        &[(3, Some("c"), Some(DAY0 + 30 * HOUR_US))],
    );
    let second =
        commit_files(&cat, &ident, vec![f2.clone()], &props, Some(&checkpoint(2)), None).expect("commit 2");
    let CommitOutcome::Committed(latest) = second else {
        panic!("not committed")
    };
    assert_eq!(latest.metadata.snapshots.len(), 2);
    assert_eq!(latest.metadata.metadata_log.len(), 2, "the server keeps the log");
    let again = commit_files(&cat, &ident, vec![f2], &props, Some(&checkpoint(2)), None).expect("replay");
    assert!(matches!(again, CommitOutcome::AlreadyCommitted(_)));

    // A restoring sink asks the catalog for its last checkpoint.
    let reloaded = cat.load_table(&ident).expect("loads").expect("exists");
    assert_eq!(reloaded.metadata_location, latest.metadata_location);
    assert_eq!(
        max_committed_checkpoint_id(&reloaded.metadata, "job-a", "op-1", "main"),
        2
    );

    for answer in [
        run(&["read-rest", &server.uri, "t0k3n", "db.events"]),
        run(&["read-sql", &server.db, &server.warehouse, "rest", "db.events"]),
    ] {
        let ids: Vec<i64> = read_rows(&answer).iter().map(|r| r.0).collect();
        assert_eq!(ids, [1, 2, 3], "{answer}");
        let sums = summaries(&answer);
        assert_eq!(sums.len(), 2);
        assert_eq!(sums[0]["flink.max-committed-checkpoint-id"], "1");
        assert_eq!(sums[1]["flink.max-committed-checkpoint-id"], "2");
        assert_eq!(sums[1]["flink.job-id"], "job-a");
        assert_eq!(sums[1]["flink.operator-id"], "op-1");
        assert_eq!(sums[1]["writer"], "spate");
        assert_eq!(sums[1]["total-records"], "3");
        assert_eq!(answer["current"].as_i64(), latest.metadata.current_snapshot_id);
    }

    // Multi-level namespaces travel with the unit separator.
    let nested = Namespace::parse("a.b");
    cat.create_namespace_if_missing(&nested).expect("creates");
    assert!(cat.namespace_exists(&nested).expect("exists"));
    assert!(
        cat.namespace_exists(&Namespace::parse("a"))
            .expect("parent exists")
    );
    let deep = TableIdent::new("a.b", "t");
    cat.create_table(&deep, &creation()).expect("creates in a.b");
    assert!(cat.load_table(&deep).expect("loads").is_some());
}

/// A catalog that lets another writer in just before its first commit.
struct Interleaved<'a> {
    inner: &'a RestCatalog,
    before_first_commit: Mutex<Option<Box<dyn FnOnce() + Send + 'a>>>,
    commits: AtomicUsize,
    conflicts: AtomicUsize,
}

impl std::fmt::Debug for Interleaved<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interleaved")
            .field("inner", self.inner)
            .finish_non_exhaustive()
    }
}

impl Catalog for Interleaved<'_> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn io(&self) -> &FileIo {
        self.inner.io()
    }
    fn create_namespace_if_missing(&self, namespace: &Namespace) -> spate_iceberg::Result<()> {
        self.inner.create_namespace_if_missing(namespace)
    }
    fn namespace_exists(&self, namespace: &Namespace) -> spate_iceberg::Result<bool> {
        self.inner.namespace_exists(namespace)
    }
    fn load_table(&self, ident: &TableIdent) -> spate_iceberg::Result<Option<Table>> {
        self.inner.load_table(ident)
    }
    fn create_table(&self, ident: &TableIdent, creation: &TableCreation) -> spate_iceberg::Result<Table> {
        self.inner.create_table(ident, creation)
    }
    fn commit(&self, base: &Table, new: TableMetadata) -> spate_iceberg::Result<Table> {
        let hook = self.before_first_commit.lock().expect("lock").take();
        if let Some(other_writer) = hook {
            other_writer();
        }
        self.commits.fetch_add(1, Ordering::SeqCst);
        let result = self.inner.commit(base, new);
        if matches!(result, Err(IcebergError::CommitConflict(_))) {
            self.conflicts.fetch_add(1, Ordering::SeqCst);
        }
        result
    }
}

#[test]
fn a_concurrent_pyiceberg_append_makes_spate_retry_and_both_survive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path(), &[]);
    let cat = server.connect(&[]).expect("connects");
    let ident = TableIdent::new("lake", "clicks");
    let table = load_or_create_table(&cat, &ident, &creation()).expect("created");
    let f1 = parquet_file(&table.metadata, "1.parquet", &[(1, Some("a"), Some(DAY0))]);
    commit_files(
        &cat,
        &ident,
        vec![f1],
        &BTreeMap::new(),
        Some(&checkpoint(1)),
        None,
    )
    .expect("commit 1");

    // A commit on a base another writer has moved past is refused by the server (409).
    let stale = cat.load_table(&ident).expect("loads").expect("exists");
    run(&[
        "rest-append",
        &server.uri,
        "-",
        "lake.clicks",
        r#"[{"id":2,"name":"py","ts":1709600400000000}]"#,
    ]);
    let lost = parquet_file(&table.metadata, "lost.parquet", &[(99, None, Some(DAY0))]);
    let pending =
        PendingSnapshot::new(cat.io(), &stale.metadata, vec![lost], BTreeMap::new()).expect("manifest");
    let next = pending.apply(cat.io(), &stale.metadata).expect("applies");
    assert!(matches!(
        cat.commit(&stale, next),
        Err(IcebergError::CommitConflict(_))
    ));

    // pyiceberg appends between commit_files' load and its commit: the first attempt
    // conflicts, the retry on the reloaded table commits.
    let uri = server.uri.clone();
    let interleaved = Interleaved {
        inner: &cat,
        before_first_commit: Mutex::new(Some(Box::new(move || {
            run(&[
                "rest-append",
                &uri,
                "-",
                "lake.clicks",
                r#"[{"id":3,"name":"py","ts":1709600400000000}]"#,
            ]);
        }))),
        commits: AtomicUsize::new(0),
        conflicts: AtomicUsize::new(0),
    };
    let f4 = parquet_file(&table.metadata, "4.parquet", &[(4, Some("d"), Some(DAY0))]);
    let retry = RetryPolicy {
        num_retries: 3,
        min_wait: Duration::from_millis(10),
        max_wait: Duration::from_millis(100),
    };
    let outcome = commit_files(
        &interleaved,
        &ident,
        vec![f4],
        &BTreeMap::new(),
        Some(&checkpoint(2)),
        Some(retry),
    )
    .expect("commits after a retry");
    assert!(matches!(outcome, CommitOutcome::Committed(_)));
    assert_eq!(interleaved.commits.load(Ordering::SeqCst), 2);
    assert_eq!(interleaved.conflicts.load(Ordering::SeqCst), 1);
    let m = &outcome.table().metadata;
    assert_eq!(m.snapshots.len(), 4);
    assert_eq!(max_committed_checkpoint_id(m, "job-a", "op-1", "main"), 2);

    let answer = run(&["read-rest", &server.uri, "-", "lake.clicks"]);
    let ids: Vec<i64> = read_rows(&answer).iter().map(|r| r.0).collect();
    assert_eq!(ids, [1, 2, 3, 4], "{answer}");
    let sums = summaries(&answer);
    assert_eq!(sums.len(), 4);
    assert_eq!(sums[3]["flink.max-committed-checkpoint-id"], "2");
    assert_eq!(sums[3]["total-records"], "4");
}

#[test]
fn tokens_and_client_credentials_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path(), &["--token", "good", "--client", "spate:s3cret"]);
    for props in [&[("token", "bad")][..], &[]] {
        let err = server.connect(props).expect_err("refused").to_string();
        assert!(err.contains("HTTP 401"), "{err}");
        assert!(err.contains("NotAuthorizedException: Not authorized"), "{err}");
        assert!(err.contains("/v1/config"), "{err}");
        assert!(!err.contains("bad"), "the token is not echoed: {err}");
    }
    let cat = server
        .connect(&[("credential", "spate:s3cret")])
        .expect("client credentials");
    cat.create_namespace_if_missing(&Namespace::parse("ns"))
        .expect("authorized");
    let token_uri = format!("{}/v1/oauth/tokens", server.uri);
    let cat = server
        .connect(&[("credential", "spate:s3cret"), ("oauth2-server-uri", &token_uri)])
        .expect("explicit token endpoint");
    assert!(cat.namespace_exists(&Namespace::parse("ns")).expect("authorized"));
    // Another client's grant revokes this one's token: the next request is refused, a new
    // token is fetched, and the request goes through.
    let other = server
        .connect(&[("credential", "spate:s3cret")])
        .expect("second client");
    assert!(
        cat.namespace_exists(&Namespace::parse("ns"))
            .expect("token fetched again")
    );
    assert!(
        other
            .namespace_exists(&Namespace::parse("ns"))
            .expect("and again")
    );
    let err = server
        .connect(&[("credential", "spate:wrong")])
        .expect_err("refused")
        .to_string();
    assert!(err.contains("OAuth2 token request"), "{err}");
    assert!(
        err.contains("invalid_client: unknown client or wrong secret"),
        "{err}"
    );
    assert!(
        !err.contains("spate:wrong"),
        "the credential is not echoed: {err}"
    );
}

/// A CA (its PEM written to `dir/<name>.pem`) and, when `server` is set, a `localhost`
/// certificate it signed with its key (`dir/server.pem`).
fn ca(dir: &Path, name: &str, server: bool) -> PathBuf {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    };
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA");
    let path = dir.join(format!("{name}.pem"));
    std::fs::write(&path, issuer.pem()).expect("writes");
    if server {
        let key = KeyPair::generate().expect("key");
        let cert = CertificateParams::new(vec!["localhost".to_owned()])
            .expect("params")
            .signed_by(&key, &*issuer)
            .expect("signs");
        let pem = format!("{}{}", cert.pem(), key.serialize_pem());
        std::fs::write(dir.join("server.pem"), pem).expect("writes");
    }
    path
}

#[test]
fn https_catalogs_are_verified_against_the_ca_bundle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let trusted = ca(dir.path(), "test-ca", true);
    let rogue = ca(dir.path(), "rogue-ca", false);
    let pem = dir.path().join("server.pem");
    let server = Server::start(
        dir.path(),
        &["--tls", pem.to_str().expect("utf-8"), "--token", "tls-token"],
    );
    let port = server.uri.rsplit(':').next().expect("port");
    let uri = format!("https://localhost:{port}");
    let connect = |bundle: &Path| {
        let props = BTreeMap::from([
            ("uri".to_owned(), uri.clone()),
            ("token".to_owned(), "tls-token".to_owned()),
            ("ssl.cabundle".to_owned(), bundle.display().to_string()),
        ]);
        RestCatalog::connect("rest", &props)
    };
    let cat = connect(&trusted).expect("connects over TLS");
    let ident = TableIdent::new("sec", "t");
    let table = load_or_create_table(&cat, &ident, &creation()).expect("created");
    let f = parquet_file(&table.metadata, "1.parquet", &[(1, Some("a"), Some(DAY0))]);
    let done = commit_files(
        &cat,
        &ident,
        vec![f],
        &BTreeMap::new(),
        Some(&checkpoint(1)),
        None,
    )
    .expect("commit");
    assert!(matches!(done, CommitOutcome::Committed(_)));
    let answer = run(&["read-sql", &server.db, &server.warehouse, "rest", "sec.t"]);
    assert_eq!(read_rows(&answer).len(), 1, "{answer}");

    let err = connect(&rogue).expect_err("untrusted").to_string();
    assert!(err.contains("could not be reached"), "{err}");
    assert!(err.contains("UnknownIssuer"), "{err}");
}

#[test]
fn an_unreachable_or_silent_server_fails_fast() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let props = BTreeMap::from([("uri".to_owned(), format!("http://127.0.0.1:{port}"))]);
    let started = Instant::now();
    let err = RestCatalog::connect("rest", &props)
        .expect_err("nobody listens")
        .to_string();
    assert!(err.contains("could not be reached"), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}/v1/config")), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // A server that accepts but never answers: the socket timeout ends the wait.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let uri = format!("http://127.0.0.1:{}", silent.local_addr().expect("addr").port());
    let props = BTreeMap::from([
        ("uri".to_owned(), uri),
        ("rest.client.socket-timeout-ms".to_owned(), "300".to_owned()),
    ]);
    let started = Instant::now();
    let err = RestCatalog::connect("rest", &props)
        .expect_err("times out")
        .to_string();
    assert!(err.contains("reading the response"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(silent);

    let err = RestCatalog::connect("rest", &BTreeMap::new())
        .expect_err("no uri")
        .to_string();
    assert!(err.contains("`uri`"), "{err}");
}
