//! The CDC formats' metadata columns on Kafka (`value.source.timestamp`, `value.database`, ...)
//! against real Apache Flink: every case under `tests/flink_cdc_metadata/<case>/` is a script
//! Flink 2.3 ran over the records of `topics/`, and `expected.txt` is what its `SELECT`
//! returned (the README there says how). Spate produces the same records into an embedded
//! broker, runs the same script at parallelism 1 and must return the same rows in the same
//! order. The failures Flink reports are checked too: a corrupt event, a sink declaring a
//! read-only key, an unknown key, a type the key's does not cast to.

use std::path::{Path, PathBuf};

use spate_sql::value::RowKind;
use spate_sql::{Session, SessionOptions, StatementResult};

use crate::connectors::kafka::TestBroker;
use crate::flink_changelog::python_str;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/flink_cdc_metadata")
}

/// The broker the scripts name: the one Flink read from.
const FLINK_BROKER: &str = "127.0.0.1:47533";

/// A broker holding every topic of `topics/`, one partition each, its records produced in order.
fn broker_with_topics() -> TestBroker {
    let broker = TestBroker::start();
    let dir = root().join("topics");
    for e in std::fs::read_dir(&dir).expect("topics/") {
        let path = e.expect("entry").path();
        let topic = path.file_stem().expect("a name").to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).expect("records");
        let records: Vec<_> = text.lines().map(|v| (0, None, v, 1000, &[][..])).collect();
        broker.topic(&topic, 1);
        broker.produce(&topic, &records);
    }
    broker
}

/// Runs Flink's `script` on `broker`: the last query's rows as Flink's runner prints them
/// (kind, then the values tab-separated), or the error.
fn run(broker: &TestBroker, script: &str) -> Result<Vec<String>, String> {
    let script = script.replace(FLINK_BROKER, &broker.bootstrap());
    let mut session = Session::new(SessionOptions::default());
    session
        .execute_script("SET 'parallelism.default' = '1';", |_, _| {})
        .expect("SET");
    let mut lines = Vec::new();
    session
        .execute_script(&script, |_, result| {
            if let StatementResult::Rows { schema, rows, kinds } = result {
                lines.clear();
                for (i, row) in rows.iter().enumerate() {
                    let kind = kinds.get(i).copied().unwrap_or(RowKind::Insert);
                    let mut line = kind.short_string().to_string();
                    for (v, f) in row.iter().zip(&schema.fields) {
                        line.push('\t');
                        line.push_str(&python_str(v, &f.ty.kind));
                    }
                    lines.push(line);
                }
            }
        })
        .map_err(|e| e.render(&script))?;
    Ok(lines)
}

/// `line` with each field that is a Flink map cast to `STRING` (`{k=v, ...}`; JSON text starts
/// `{"`) in one order of its entries: Flink's order is its hash map's, no contract.
fn comparable(line: &str) -> String {
    line.split('\t')
        .map(
            |field| match field.strip_prefix('{').and_then(|f| f.strip_suffix('}')) {
                Some(entries) if !field.starts_with("{\"") => {
                    let mut entries: Vec<&str> = entries.split(", ").collect();
                    entries.sort_unstable();
                    format!("{{{}}}", entries.join(", "))
                }
                _ => field.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("\t")
}

fn run_case(case: &str) {
    let dir = root().join(case);
    let script = std::fs::read_to_string(dir.join("job.sql")).expect("job.sql");
    let expected = std::fs::read_to_string(dir.join("expected.txt")).expect("expected.txt");
    let broker = broker_with_topics();
    let got = run(&broker, &script).unwrap_or_else(|e| panic!("case {case} failed:\n{e}"));
    let got: Vec<String> = got.iter().map(|l| comparable(l)).collect();
    let want: Vec<String> = expected.lines().map(comparable).collect();
    assert_eq!(got, want, "{case}: the rows differ from Flink's");
}

macro_rules! cases {
    ($($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                run_case(stringify!($case));
            }
        )*

        /// Every case directory has its test.
        #[test]
        fn every_case_has_a_test() {
            let listed = [$(stringify!($case)),*];
            for e in std::fs::read_dir(root()).expect("tests/flink_cdc_metadata") {
                let e = e.expect("entry");
                let name = e.file_name().to_string_lossy().to_string();
                if e.path().is_dir() && name != "topics" && name != "failures" {
                    assert!(listed.contains(&name.as_str()), "case {name} has no test");
                }
            }
        }
    };
}

// Debezium's seven keys beside Kafka's own, also with `schema-include` (read from `payload`,
// `schema` from the top); Canal's six, the keys of a batch the same for each of its rows;
// Maxwell's four, `ts` in seconds, shown in UTC and in Asia/Shanghai; a message the format skips
// under `ignore-parse-errors` (no JSON, an unknown op, a `source.ts_ms` that is no number, an
// update without its before-image) and one without `source` (its keys NULL); keys cast to
// `TIMESTAMP(3)` and `STRING`; metadata columns that are not `VIRTUAL`.
cases!(
    debezium_json,
    debezium_json_schema_include,
    canal_json,
    maxwell_json,
    maxwell_json_asia_shanghai,
    debezium_json_ignore_parse_errors,
    debezium_cast_types,
    debezium_non_virtual,
);

fn failure(name: &str) -> String {
    std::fs::read_to_string(root().join("failures").join(format!("{name}.sql"))).expect("a failure case")
}

/// The script `name` of `failures/` fails; its error.
fn fails(broker: &TestBroker, name: &str) -> String {
    match run(broker, &failure(name)) {
        Ok(rows) => panic!("{name} did not fail: {rows:?}"),
        Err(e) => e,
    }
}

/// A corrupt event fails the job (no restart: nothing checkpoints) with the record's place and
/// Flink's message. For a `source.ts_ms` that is no number, Flink 2.3 said `Corrupt Debezium
/// JSON message '{..}'.` caused by `NumberFormatException: For input string: "not-a-number"`,
/// and did so when the query does not read the column too: a declared key is read.
#[test]
fn a_corrupt_event_fails_the_job_with_its_place() {
    let broker = broker_with_topics();
    let err = fails(&broker, "debezium_json_parse_error");
    assert!(
        err.contains("topic dbz_bad, partition 0, offset 1")
            && err.contains("Corrupt Debezium JSON message 'this is not json'"),
        "{err}"
    );
    let event = std::fs::read_to_string(root().join("topics/dbz_badts.jsonl")).expect("the event");
    for case in ["debezium_bad_source_ts_read", "debezium_bad_source_ts_unread"] {
        let err = fails(&broker, case);
        let message = format!(
            "Corrupt Debezium JSON message '{}': For input string: \"not-a-number\"",
            event.trim_end()
        );
        assert!(
            err.contains("topic dbz_badts, partition 0, offset 0") && err.contains(&message),
            "{case}: {err}"
        );
    }
}

/// The formats' keys are read-only: a sink declaring one (not `VIRTUAL`) gets Flink 2.3's
/// error word for word; a `VIRTUAL` one is left out of what the sink writes, as in Flink.
#[test]
fn a_sink_cannot_write_a_formats_metadata() {
    let broker = broker_with_topics();
    for (case, key, column) in [
        ("sink_metadata_debezium", "value.source.timestamp", "source_ts"),
        ("sink_metadata_canal_json", "value.event-timestamp", "ts"),
        ("sink_metadata_maxwell_json", "value.ingestion-timestamp", "ts"),
    ] {
        let err = fails(&broker, case);
        let flink = format!(
            "Invalid metadata key '{key}' in column '{column}' of table 'default_catalog.default_database.snk'. \
             The DynamicTableSink class 'org.apache.flink.streaming.connectors.kafka.table.KafkaDynamicSink' \
             supports the following metadata keys for writing:\nheaders\ntimestamp"
        );
        assert!(err.contains(&flink), "{case}: {err}");
    }
    run(&broker, &failure("sink_metadata_virtual_debezium")).unwrap_or_else(|e| panic!("{e}"));
    // The 4 events hold 5 changes (an update is two), each written as one event.
    assert_eq!(broker.read_committed("dbz_sink", 5).len(), 5);
}

/// An unknown key is refused naming every key the table offers, in Flink's order: the format's
/// with `value.` first, then Kafka's (Flink 2.3 lists the same keys in the same order; its
/// sentence is its own: "Invalid metadata key 'value.es' in column 'x' of table
/// 'default_catalog.default_database.t'. The DynamicTableSource class '..KafkaDynamicSource'
/// supports the following metadata keys for reading: ..", one key a line).
#[test]
fn an_unknown_key_is_refused_with_the_keys_the_table_offers() {
    let broker = broker_with_topics();
    let kafka = "topic, partition, headers, leader-epoch, offset, timestamp, timestamp-type";
    for (case, key, format_keys) in [
        (
            "unknown_key_debezium",
            "value.source.ts_ms",
            "value.schema, value.ingestion-timestamp, value.source.timestamp, value.source.database, \
             value.source.schema, value.source.table, value.source.properties",
        ),
        (
            "unknown_key_canal",
            "value.es",
            "value.database, value.table, value.sql-type, value.pk-names, value.ingestion-timestamp, \
             value.event-timestamp",
        ),
        (
            "unknown_key_maxwell",
            "value.xid",
            "value.database, value.table, value.primary-key-columns, value.ingestion-timestamp",
        ),
    ] {
        let err = fails(&broker, case);
        assert!(
            err.contains(&format!("has no metadata '{key}'"))
                && err.contains(&format!("valid keys: {format_keys}, {kafka}")),
            "{case}: {err}"
        );
    }
    // A format's key without its prefix is not the format's.
    let err = fails(&broker, "unknown_key_unprefixed");
    assert!(
        err.contains("has no metadata 'source.timestamp' (did you mean 'value.source.timestamp'?)"),
        "{err}"
    );
}

/// A column's type must be one its key's casts to (Flink: "Invalid data type for metadata
/// column 'x' with metadata key 'value.source.timestamp' ..", whose two types are swapped, and
/// for `INT` from `TIMESTAMP_LTZ` "The cast from TIMESTAMP_LTZ type to NUMERIC type is not
/// allowed."); two columns may not read one key (Flink's message).
#[test]
fn a_column_must_be_castable_from_its_key_and_read_it_alone() {
    let broker = broker_with_topics();
    for (case, ty) in [("uncastable_type", "ARRAY<STRING>"), ("wrong_type", "INT")] {
        let err = fails(&broker, case);
        assert!(
            err.contains(&format!(
                "the metadata 'value.source.timestamp' is TIMESTAMP_LTZ(3), which cannot be cast to the column's type {ty}"
            )),
            "{case}: {err}"
        );
    }
    let err = fails(&broker, "alias_key_twice");
    assert!(
        err.contains(
            "The column `a` and `b` in the table are both from the same metadata key 'value.source.table'. \
             Please specify one of the columns as the metadata column and use the computed column syntax \
             to specify the others."
        ),
        "{err}"
    );
}
