//! The DDL catalog: what `CREATE TABLE` accepts and the errors it gives.

use spate_sql::ast::ObjectName;
use spate_sql::catalog::Relation;
use spate_sql::{Catalog, Position, SqlError, parse};

/// Applies every statement of `sql` to a fresh catalog.
fn apply(sql: &str) -> Result<Catalog, SqlError> {
    let mut c = Catalog::new();
    for s in parse(sql)? {
        c.apply(&s)?;
    }
    Ok(c)
}

fn err(sql: &str) -> SqlError {
    match apply(sql) {
        Ok(_) => panic!("accepted: {sql}"),
        Err(e) => e,
    }
}

fn ok(sql: &str) -> Catalog {
    match apply(sql) {
        Ok(c) => c,
        Err(e) => panic!("{}", e.render(sql)),
    }
}

#[test]
fn every_connector_accepts_a_typical_table() {
    let c = ok("
        CREATE TABLE k (a STRING, ts TIMESTAMP(3), p INT METADATA FROM 'partition' VIRTUAL,
            WATERMARK FOR ts AS ts) WITH (
            'connector' = 'kafka', 'topic-pattern' = 'in-.*', 'format' = 'json',
            'properties.bootstrap.servers' = 'h:9092', 'properties.isolation.level' = 'read_committed',
            'scan.startup.mode' = 'specific-offsets',
            'scan.startup.specific-offsets' = 'partition:0,offset:42',
            'scan.bounded.mode' = 'timestamp', 'scan.bounded.timestamp-millis' = '1',
            'scan.topic-partition-discovery.interval' = '10 s');
        CREATE TABLE kv (k STRING, v STRING) WITH ('connector' = 'kafka', 'topic' = 't',
            'key.format' = 'raw', 'key.fields' = 'k', 'value.format' = 'json',
            'value.json.ignore-parse-errors' = 'true', 'value.fields-include' = 'EXCEPT_KEY');
        CREATE TABLE d (id BIGINT, name STRING) WITH ('connector' = 'datagen',
            'rows-per-second' = '10', 'number-of-rows' = '100',
            'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '100',
            'fields.name.length' = '5', 'fields.name.null-rate' = '0.1');
        CREATE TABLE p (a INT) WITH ('connector' = 'print', 'print-identifier' = 'x',
            'standard-error' = 'true');
        CREATE TABLE b (a INT) WITH ('connector' = 'blackhole');
        CREATE TABLE f (a INT, dt STRING, path STRING METADATA FROM 'file.path' VIRTUAL)
            PARTITIONED BY (dt) WITH ('connector' = 'filesystem', 'path' = '/tmp/x',
            'format' = 'csv', 'csv.field-delimiter' = '|', 'sink.rolling-policy.file-size' = '1MB');
        CREATE TABLE n (event_type INT) WITH ('connector' = 'nexmark', 'events.num' = '10',
            'first-event.rate' = '5', 'bid.proportion' = '46');
        CREATE VIEW v AS SELECT a FROM k;
    ");
    assert_eq!(c.table_names(), ["b", "d", "f", "k", "kv", "n", "p", "v"]);
    assert!(matches!(
        c.resolve(&ObjectName::simple("v")),
        Ok(Relation::View(_))
    ));
    let qualified = ObjectName(vec![
        spate_sql::ast::Ident::new("default_catalog"),
        spate_sql::ast::Ident::new("default_database"),
        spate_sql::ast::Ident::new("k"),
    ]);
    assert!(matches!(c.resolve(&qualified), Ok(Relation::Table(t)) if t.name.base() == "k"));
}

#[test]
fn unknown_option_lists_the_valid_ones_and_suggests_the_nearest() {
    let sql = "CREATE TABLE t (a INT) WITH ('connector' = 'kafka', 'topic' = 't',\n  'format' = 'json', 'scan.startup-mode' = 'latest-offset')";
    let e = err(sql);
    assert_eq!(e.position(), Some(Position::new(2, 22)));
    let m = e.message();
    assert!(
        m.contains("unsupported option 'scan.startup-mode' for connector 'kafka'"),
        "{m}"
    );
    assert!(m.contains("(did you mean 'scan.startup.mode'?)"), "{m}");
    assert!(
        m.contains("supported options: connector, format, json.decode"),
        "{m}"
    );
    assert!(m.contains("properties.*"), "{m}");
    // Format options are known by their format only.
    let e = err(
        "CREATE TABLE t (a INT) WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'csv', 'json.ignore-parse-errors' = 'true')",
    );
    assert!(
        e.message()
            .contains("unsupported option 'json.ignore-parse-errors'")
    );
    assert!(e.message().contains("(did you mean 'csv.ignore-parse-errors'?)"));
    // Nothing near: no suggestion.
    let e = err("CREATE TABLE t (a INT) WITH ('connector' = 'print', 'zzzzzzzzzzzz' = 'x')");
    assert!(!e.message().contains("did you mean"));
}

#[test]
fn connector_is_required_and_must_be_known() {
    let e = err("CREATE TABLE t (a INT)");
    assert!(e.message().contains("the option 'connector' is required"));
    assert_eq!(e.position(), Some(Position::new(1, 14)));
    let e = err("CREATE TABLE t (a INT) WITH ('connector' = 'hbase-2.2')");
    assert!(e.message().contains("'hbase-2.2' is not supported yet"));
    let e = err("CREATE TABLE t (a INT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://h/d')");
    assert!(
        e.message()
            .contains("connector 'jdbc' needs the option 'table-name'")
    );
    let e = err(
        "CREATE TABLE t (a INT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://h/d', 'table-name' = 't', \
         'username' = 'u')",
    );
    assert!(
        e.message()
            .contains("Either all or none of the following options should be provided:\nusername\npassword")
    );
    let e = err(
        "CREATE TABLE t (a INT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://h/d', 'table-name' = 't', \
         'sink.buffer-flush.max-row' = '5')",
    );
    assert!(e.message().contains("did you mean 'sink.buffer-flush.max-rows'?"));
    let e = err(
        "CREATE TABLE t (a INT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://h/d', 'table-name' = 't', \
         'lookup.cache' = 'SOME')",
    );
    assert!(e.message().contains("valid values: NONE, PARTIAL, FULL"));
    let e = err("CREATE TABLE t (a INT) WITH ('connector' = 'blackhol')");
    assert!(e.message().contains("did you mean 'blackhole'?"));
    let e = err("CREATE TABLE t (a INT) WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'orc')");
    assert!(e.message().contains("format 'orc' is not supported"));
    // `avro` runs on Kafka; files would be Avro container files, which Spate does not write.
    let e =
        err("CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = 'avro')");
    assert!(
        e.message()
            .contains("not supported by Spate's filesystem connector yet"),
        "{}",
        e.message()
    );
    // Nor do Protobuf messages, which have no line to end at.
    let e = err(
        "CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = 'protobuf', \
         'protobuf.message-class-name' = 'M', 'protobuf.proto-file' = '/tmp/m.proto')",
    );
    assert!(
        e.message().contains("binary messages have no line to end at"),
        "{}",
        e.message()
    );
    // The Protobuf formats take their options under their names, and nothing else.
    let e = err(
        "CREATE TABLE t (a INT) WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'protobuf-confluent', \
         'protobuf-confluent.url' = 'http://r', 'protobuf-confluent.message-class-name' = 'M')",
    );
    assert!(
        e.message().contains("protobuf-confluent.message-class-name"),
        "{}",
        e.message()
    );
}

#[test]
fn missing_and_conflicting_required_options() {
    let cases = [
        ("'format' = 'json'", "needs the option 'topic'"),
        ("'topic' = 't'", "needs the option 'format'"),
        (
            "'topic' = 't', 'topic-pattern' = 'x', 'format' = 'json'",
            "not both",
        ),
        (
            "'topic' = 't', 'format' = 'json', 'value.format' = 'json'",
            "not both",
        ),
        (
            "'topic' = 't', 'format' = 'json', 'key.format' = 'json'",
            "needs 'key.fields'",
        ),
        (
            "'topic' = 't', 'format' = 'json', 'key.format' = 'json', 'key.fields' = 'x'",
            "not a column",
        ),
        (
            "'topic' = 't', 'format' = 'json', 'scan.startup.mode' = 'specific-offsets'",
            "scan.startup.specific-offsets",
        ),
        (
            "'topic' = 't', 'format' = 'json', 'scan.bounded.mode' = 'timestamp'",
            "scan.bounded.timestamp-millis",
        ),
        (
            "'topic' = 't', 'format' = 'json', 'sink.delivery-guarantee' = 'exactly-once'",
            "sink.transactional-id-prefix",
        ),
        (
            "'topic' = 't', 'format' = 'json', 'scan.startup.mode' = 'earliest'",
            "valid values: earliest-offset",
        ),
        (
            "'topic' = 't', 'format' = 'json', 'json.ignore-parse-errors' = 'yes'",
            "true or false",
        ),
    ];
    for (opts, want) in cases {
        let sql = format!("CREATE TABLE t (a INT) WITH ('connector' = 'kafka', {opts})");
        let e = err(&sql);
        assert!(e.message().contains(want), "{sql}: {}", e.message());
    }
    let e = err("CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'path' = '/x')");
    assert!(e.message().contains("needs the option 'format'"));
    let e = err(
        "CREATE TABLE t (a INT) WITH ('connector' = 'datagen', 'fields.a.kind' = 'sequence', 'fields.a.start' = '1')",
    );
    assert!(e.message().contains("'fields.a.end'"));
    let e = err("CREATE TABLE t (a INT) WITH ('connector' = 'datagen', 'fields.a.kind' = 'counter')");
    assert!(e.message().contains("valid values: random, sequence"));
}

#[test]
fn watermark_rules() {
    let e =
        err("CREATE TABLE t (a INT, ts BIGINT,\n  WATERMARK FOR ts AS ts) WITH ('connector' = 'blackhole')");
    assert_eq!(e.position(), Some(Position::new(2, 17)));
    assert!(e.message().contains("ts is BIGINT"), "{}", e.message());
    let e = err("CREATE TABLE t (ts TIMESTAMP(6), WATERMARK FOR ts AS ts) WITH ('connector' = 'blackhole')");
    assert!(e.message().contains("TIMESTAMP(6)"));
    let e = err("CREATE TABLE t (tss TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'blackhole')");
    assert!(e.message().contains("did you mean 'tss'?"));
    // TIMESTAMP(0..=3), TIMESTAMP_LTZ, metadata and computed rowtime columns are fine.
    ok(
        "CREATE TABLE a (ts TIMESTAMP(0), WATERMARK FOR ts AS ts) WITH ('connector' = 'blackhole');
        CREATE TABLE b (ts TIMESTAMP_LTZ(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'blackhole');
        CREATE TABLE c (ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp', WATERMARK FOR ts AS ts)
            WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'json');
        CREATE TABLE d (ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts)
            WITH ('connector' = 'blackhole');",
    );
}

#[test]
fn columns_keys_and_names() {
    let e = err("CREATE TABLE t (a INT, b INT, a STRING) WITH ('connector' = 'print')");
    assert!(e.message().contains("duplicate column a"));
    assert_eq!(e.position(), Some(Position::new(1, 31)));
    let e = err("CREATE TABLE t (a INT, PRIMARY KEY (a, c) NOT ENFORCED) WITH ('connector' = 'print')");
    assert!(e.message().contains("primary key column c"));
    let e =
        err("CREATE TABLE t (a INT, c AS a + 1, PRIMARY KEY (c) NOT ENFORCED) WITH ('connector' = 'print')");
    assert!(e.message().contains("must be a physical column"));
    let e = err(
        "CREATE TABLE t (a INT) PARTITIONED BY (b) WITH ('connector' = 'filesystem', 'path' = '/x', 'format' = 'json')",
    );
    assert!(e.message().contains("partition column b"));
    let e = err("CREATE TABLE t (a INT, m INT METADATA) WITH ('connector' = 'print')");
    assert!(e.message().contains("has no metadata 'm'"));
    let e = err(
        "CREATE TABLE t (a INT) WITH ('connector' = 'print'); CREATE TABLE t (b INT) WITH ('connector' = 'print')",
    );
    assert!(e.message().contains("already exists"));
    ok(
        "CREATE TABLE t (a INT) WITH ('connector' = 'print'); CREATE TABLE IF NOT EXISTS t (b INT) WITH ('connector' = 'print')",
    );
    let e = err("CREATE TABLE other_db.t (a INT) WITH ('connector' = 'print')");
    assert!(e.message().contains("only the default catalog and database"));
}

#[test]
fn drop_and_resolve() {
    let mut c = ok("CREATE TABLE orders (a INT) WITH ('connector' = 'print');
                    CREATE VIEW order_view AS SELECT a FROM orders;");
    let e = c.resolve(&ObjectName::simple("ordres")).expect_err("unknown");
    assert!(
        e.message()
            .contains("unknown table or view ordres (did you mean 'orders'?)")
    );
    for s in parse("DROP VIEW order_view; DROP TABLE orders; DROP TABLE IF EXISTS orders").expect("parse") {
        c.apply(&s).expect("drop");
    }
    assert!(c.table_names().is_empty());
    let s = parse("DROP TABLE orders").expect("parse");
    let e = c.apply(&s[0]).expect_err("gone");
    assert!(
        e.message().contains("table orders does not exist"),
        "{}",
        e.message()
    );
    // Non-DDL statements are left alone.
    assert!(!c.apply(&parse("SELECT 1").expect("parse")[0]).expect("ok"));
}

/// Flink 2.3 accepts an option given twice and uses the last value; so does the catalog.
#[test]
fn an_option_given_twice_counts_once_the_last() {
    let c = ok("CREATE TABLE t (a INT) WITH ('connector' = 'kafka', 'connector' = 'print')");
    let t = c.table("t").expect("t");
    assert_eq!(t.option("connector"), Some("print"));
    let e = err("CREATE TABLE t (a INT) WITH ('connector' = 'print', 'connector' = 'kafka')");
    assert!(e.message().contains("'topic'"), "{}", e.message());
}

/// Temporary and permanent objects, as Flink 2.3 treats them (each case checked on Flink with
/// its Table API).
#[test]
fn temporary_objects_shadow_permanent_ones() {
    const B: &str = "(a INT) WITH ('connector' = 'blackhole')";
    // Accepted by Flink.
    for script in [
        format!("CREATE TABLE p {B}; CREATE TEMPORARY TABLE p {B}"),
        format!("CREATE TEMPORARY TABLE p {B}; CREATE TABLE p {B}"),
        format!("CREATE TABLE p {B}; CREATE TEMPORARY VIEW p AS SELECT 1 AS a"),
        format!("CREATE TEMPORARY TABLE p {B}; CREATE TABLE IF NOT EXISTS p {B}"),
        "DROP TEMPORARY TABLE IF EXISTS nope".to_string(),
        format!("CREATE TEMPORARY TABLE p {B}; DROP TEMPORARY TABLE p"),
    ] {
        ok(&script);
    }
    // Rejected by Flink, with what Flink says.
    for (script, want) in [
        (
            format!("CREATE TEMPORARY TABLE p {B}; DROP TABLE p"),
            "temporary table p exists; drop it first",
        ),
        (
            format!("CREATE TABLE p {B}; DROP TEMPORARY TABLE p"),
            "temporary table p does not exist",
        ),
        (
            "CREATE VIEW v AS SELECT 1 AS a; DROP TABLE v".to_string(),
            "table v does not exist",
        ),
        (
            format!("CREATE TABLE p {B}; DROP VIEW p"),
            "view p does not exist",
        ),
        (
            format!("CREATE TABLE p {B}; CREATE VIEW p AS SELECT 1 AS a"),
            "already exists",
        ),
        ("DROP TABLE nope".to_string(), "table nope does not exist"),
        (
            "DROP TEMPORARY VIEW nope".to_string(),
            "temporary view nope does not exist",
        ),
    ] {
        let e = err(&script);
        assert!(e.message().contains(want), "{script}: {}", e.message());
    }
    // The temporary object is the one lookups see.
    let c = ok(&format!(
        "CREATE TABLE p {B}; CREATE TEMPORARY VIEW p AS SELECT 1 AS a"
    ));
    assert!(matches!(
        c.resolve(&ObjectName::simple("p")),
        Ok(Relation::View(_))
    ));
    assert_eq!(c.table_names(), ["p"]);
}
