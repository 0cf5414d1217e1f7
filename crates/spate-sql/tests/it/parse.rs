//! Statement parsing: what each Flink statement becomes, and where errors point.

use spate_sql::ast::{
    BinaryOp, ColumnKind, Expr, Literal, SetExpr, Statement, TableRef, TimeUnit, WindowKind,
};
use spate_sql::types::{DataType, MAX_LENGTH, RowField, TypeKind};
use spate_sql::{Position, SqlError, parse, parse_statement, split_statements};

fn one(sql: &str) -> Statement {
    match parse_statement(sql) {
        Ok(s) => s,
        Err(e) => panic!("{}", e.render(sql)),
    }
}

fn create_table(sql: &str) -> spate_sql::TableDef {
    match one(sql) {
        Statement::CreateTable(c) => c.table,
        other => panic!("not CREATE TABLE: {other:?}"),
    }
}

fn col(name: &str) -> Expr {
    Expr::Column(vec![spate_sql::ast::Ident::new(name)])
}

#[test]
fn create_table_with_every_column_kind() {
    let t = create_table(
        "CREATE TEMPORARY TABLE IF NOT EXISTS db.`my table` (
            id BIGINT NOT NULL COMMENT 'key',
            `user` STRING,
            ts TIMESTAMP(3),
            proc AS PROCTIME(),
            kts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,
            `offset` BIGINT METADATA VIRTUAL,
            headers MAP<STRING, BYTES> METADATA,
            WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,
            CONSTRAINT pk PRIMARY KEY (id) NOT ENFORCED
        ) COMMENT 'a table' PARTITIONED BY (`user`) WITH ('connector' = 'print', 'k' = 'it''s')",
    );
    assert_eq!(t.name.to_string(), "db.`my table`");
    assert_eq!(t.columns.len(), 7);
    assert_eq!(
        t.columns[0].kind,
        ColumnKind::Physical(DataType::new(TypeKind::BigInt).not_null())
    );
    assert_eq!(t.columns[0].comment.as_deref(), Some("key"));
    assert_eq!(t.columns[1].name.as_str(), "user");
    assert!(
        matches!(&t.columns[3].kind, ColumnKind::Computed(Expr::Function(f)) if f.name.base() == "PROCTIME")
    );
    assert_eq!(
        t.columns[4].kind,
        ColumnKind::Metadata {
            ty: DataType::new(TypeKind::TimestampLtz(3)),
            key: Some("timestamp".into()),
            is_virtual: true
        }
    );
    assert!(matches!(
        &t.columns[5].kind,
        ColumnKind::Metadata {
            key: None,
            is_virtual: true,
            ..
        }
    ));
    let w = t.watermark.as_ref().expect("watermark");
    assert_eq!(w.column.as_str(), "ts");
    assert_eq!(
        w.expr,
        Expr::Binary {
            left: Box::new(col("ts")),
            op: BinaryOp::Minus,
            right: Box::new(Expr::Interval {
                value: "5".into(),
                unit: TimeUnit::Second,
                to: None
            }),
        }
    );
    let pk = t.primary_key.as_ref().expect("pk");
    assert_eq!(pk.name.as_ref().map(|n| n.as_str()), Some("pk"));
    assert_eq!(pk.columns[0].as_str(), "id");
    assert_eq!(t.comment.as_deref(), Some("a table"));
    assert_eq!(t.partitioned_by[0].as_str(), "user");
    assert_eq!(t.option("k"), Some("it's"));
}

#[test]
fn column_level_primary_key() {
    let t = create_table("CREATE TABLE t (id INT PRIMARY KEY NOT ENFORCED, b INT)");
    assert_eq!(t.primary_key.expect("pk").columns[0].as_str(), "id");
}

#[test]
fn flink_types() {
    let t = create_table(
        "CREATE TABLE t (
            a TIMESTAMP(3), b TIMESTAMP_LTZ(3), c TIMESTAMP(3) WITH LOCAL TIME ZONE,
            d DECIMAL(12, 4), e VARCHAR(20), f STRING, g BYTES, h ARRAY<INT>,
            i MAP<STRING, ARRAY<ROW<x INT NOT NULL, `y z` STRING 'desc'>>>, j MULTISET<STRING>,
            k ROW(a INT, b DOUBLE PRECISION), l DECIMAL, m TIMESTAMP, n INTEGER, o CHAR,
            p TIME, q DATE, r BOOLEAN, s TINYINT, u SMALLINT, v FLOAT, w NUMERIC(5),
            x TIMESTAMP(6) WITHOUT TIME ZONE, y BINARY(4), z VARBINARY(9)
        )",
    );
    let kinds: Vec<TypeKind> = t
        .columns
        .iter()
        .map(|c| match &c.kind {
            ColumnKind::Physical(ty) => ty.kind.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    let row = TypeKind::Row(vec![
        RowField {
            name: spate_sql::ast::Ident::new("x"),
            ty: DataType::new(TypeKind::Int).not_null(),
            description: None,
        },
        RowField {
            name: spate_sql::ast::Ident::new("y z"),
            ty: DataType::new(TypeKind::Varchar(MAX_LENGTH)),
            description: Some("desc".into()),
        },
    ]);
    let boxed = |k: TypeKind| Box::new(DataType::new(k));
    assert_eq!(
        kinds,
        vec![
            TypeKind::Timestamp(3),
            TypeKind::TimestampLtz(3),
            TypeKind::TimestampLtz(3),
            TypeKind::Decimal {
                precision: 12,
                scale: 4
            },
            TypeKind::Varchar(20),
            TypeKind::Varchar(MAX_LENGTH),
            TypeKind::Varbinary(MAX_LENGTH),
            TypeKind::Array(boxed(TypeKind::Int)),
            TypeKind::Map(
                boxed(TypeKind::Varchar(MAX_LENGTH)),
                boxed(TypeKind::Array(boxed(row)))
            ),
            TypeKind::Multiset(boxed(TypeKind::Varchar(MAX_LENGTH))),
            TypeKind::Row(vec![
                RowField {
                    name: spate_sql::ast::Ident::new("a"),
                    ty: DataType::new(TypeKind::Int),
                    description: None
                },
                RowField {
                    name: spate_sql::ast::Ident::new("b"),
                    ty: DataType::new(TypeKind::Double),
                    description: None
                },
            ]),
            TypeKind::Decimal {
                precision: 10,
                scale: 0
            },
            TypeKind::Timestamp(6),
            TypeKind::Int,
            TypeKind::Char(1),
            TypeKind::Time(0),
            TypeKind::Date,
            TypeKind::Boolean,
            TypeKind::TinyInt,
            TypeKind::SmallInt,
            TypeKind::Float,
            TypeKind::Decimal {
                precision: 5,
                scale: 0
            },
            TypeKind::Timestamp(6),
            TypeKind::Binary(4),
            TypeKind::Varbinary(9),
        ]
    );
}

#[test]
fn views_and_inserts() {
    let Statement::CreateView(v) = one("CREATE TEMPORARY VIEW v (a) AS SELECT x FROM t") else {
        panic!()
    };
    assert!(v.temporary);
    assert_eq!(v.columns[0].as_str(), "a");
    let Statement::Insert(i) = one("INSERT INTO t (a, b) SELECT x, y FROM s") else {
        panic!()
    };
    assert_eq!(i.table.base(), "t");
    assert_eq!(i.columns.len(), 2);
    let Statement::Insert(i) = one("INSERT INTO t (SELECT x FROM s)") else {
        panic!()
    };
    assert!(i.columns.is_empty());
    let Statement::Insert(i) = one("INSERT INTO t VALUES (1, 'a')") else {
        panic!()
    };
    assert!(matches!(i.query.body, SetExpr::Values(_)));
}

#[test]
fn statement_sets_both_forms() {
    let new = "EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; INSERT INTO b SELECT CASE WHEN x THEN 1 END FROM t; END;";
    let old = "BEGIN STATEMENT SET; INSERT INTO a SELECT 1; INSERT INTO b SELECT CASE WHEN x THEN 1 END FROM t; END;";
    let Statement::StatementSet(inserts) = one(new) else {
        panic!()
    };
    assert_eq!(inserts.len(), 2);
    assert_eq!(one(new), one(old));
    // A script with a statement set and more statements around it.
    let script = format!("SET 'a' = 'b';\n{new}\n{old}\nSHOW TABLES;");
    let stmts = parse(&script).expect("parse");
    assert_eq!(stmts.len(), 4);
    let texts = split_statements(&script).expect("split");
    assert_eq!(texts.len(), 4);
    assert!(texts[1].text.ends_with("END"));
    assert_eq!(texts[2].start, Position::new(3, 1));
}

#[test]
fn utility_statements() {
    assert_eq!(
        one("SET 'parallelism.default' = '4'"),
        Statement::Set(Some(("parallelism.default".into(), "4".into())))
    );
    assert_eq!(one("SET"), Statement::Set(None));
    assert_eq!(one("RESET 'x'"), Statement::Reset(Some("x".into())));
    assert_eq!(one("RESET;"), Statement::Reset(None));
    assert_eq!(one("SHOW TABLES"), Statement::ShowTables);
    assert_eq!(one("DESCRIBE t"), one("DESC t"));
    assert!(matches!(one("DROP TABLE IF EXISTS t"), Statement::DropTable(d) if d.if_exists));
    assert!(matches!(one("DROP TEMPORARY VIEW v"), Statement::DropView(d) if d.temporary && !d.if_exists));
    let Statement::Explain(e) = one("EXPLAIN CHANGELOG_MODE, ESTIMATED_COST SELECT 1") else {
        panic!()
    };
    assert_eq!(e.details, ["CHANGELOG_MODE", "ESTIMATED_COST"]);
    assert!(matches!(
        one("EXPLAIN PLAN FOR INSERT INTO t SELECT 1"),
        Statement::Explain(e) if matches!(*e.statement, Statement::Insert(_))
    ));
    assert!(matches!(
        one("EXPLAIN STATEMENT SET BEGIN INSERT INTO t SELECT 1; END"),
        Statement::Explain(e) if matches!(*e.statement, Statement::StatementSet(_))
    ));
}

fn window(sql: &str) -> spate_sql::ast::WindowTvf {
    let Statement::Select(q) = one(sql) else { panic!() };
    let SetExpr::Select(s) = q.body else { panic!() };
    match &s.from[0] {
        TableRef::Window { tvf, .. } => (**tvf).clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn window_table_functions() {
    let secs = |n: &str| Expr::Interval {
        value: n.into(),
        unit: TimeUnit::Second,
        to: None,
    };
    let t = window("SELECT * FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(ts), INTERVAL '10' SECOND))");
    assert_eq!(t.table.base(), "bid");
    assert_eq!(t.time_col.as_str(), "ts");
    assert_eq!(
        t.kind,
        WindowKind::Tumble {
            size: secs("10"),
            offset: None
        }
    );
    let h = window(
        "SELECT * FROM TABLE(HOP(TABLE bid, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECONDS)) AS w",
    );
    assert_eq!(
        h.kind,
        WindowKind::Hop {
            slide: secs("2"),
            size: secs("10"),
            offset: None
        }
    );
    // Named arguments, any order.
    let c = window(
        "SELECT * FROM TABLE(CUMULATE(DATA => TABLE bid, TIMECOL => DESCRIPTOR(ts), STEP => INTERVAL '2' SECOND, SIZE => INTERVAL '10' SECOND))",
    );
    assert_eq!(
        c.kind,
        WindowKind::Cumulate {
            step: secs("2"),
            size: secs("10"),
            offset: None
        }
    );
    let s = window(
        "SELECT * FROM TABLE(SESSION(TABLE bid PARTITION BY bidder, DESCRIPTOR(ts), INTERVAL '5' SECOND))",
    );
    assert_eq!(s.partition_by[0].as_str(), "bidder");
    assert_eq!(s.kind, WindowKind::Session { gap: secs("5") });
    let s2 = window(
        "SELECT * FROM TABLE(SESSION(TABLE bid PARTITION BY (bidder, auction), DESCRIPTOR(ts), INTERVAL '5' SECOND))",
    );
    assert_eq!(s2.partition_by.len(), 2);
}

#[test]
fn literals_and_special_forms() {
    let Statement::Select(q) = one(
        "SELECT 1.5, 'x', TRUE, NULL, DATE '2026-11-01', TIMESTAMP '2026-11-01 08:01:00', CURRENT_TIMESTAMP",
    ) else {
        panic!()
    };
    let SetExpr::Select(s) = q.body else { panic!() };
    let exprs: Vec<Expr> = s
        .projection
        .into_iter()
        .map(|i| match i {
            spate_sql::ast::SelectItem::Expr { expr, .. } => expr,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(exprs[0], Expr::Literal(Literal::Number("1.5".into())));
    assert_eq!(exprs[4], Expr::Literal(Literal::Date("2026-11-01".into())));
    assert!(matches!(&exprs[6], Expr::Function(f) if !f.parens));
}

/// Where an error points: (sql, line, column, part of the message).
#[test]
fn error_positions() {
    let cases: &[(&str, u64, u64, &str)] = &[
        ("FROM t SELECT a INTO t", 1, 1, "Expected: a Flink SQL statement"),
        ("SELECT a INTO t FROM x", 1, 15, "INSERT INTO"),
        (
            "SELECT a\nFROM t WHERE WHERE",
            2,
            14,
            "Expected: an expression, found: WHERE",
        ),
        ("CREATE TABLE t (a INT,\n  b FOO)", 2, 5, "unknown data type FOO"),
        ("CREATE TABLE t (a DECIMAL(39, 2))", 1, 19, "precision"),
        ("CREATE TABLE t (a INT, PRIMARY KEY (a))", 1, 39, "NOT ENFORCED"),
        (
            "CREATE TABLE t (a INT, PRIMARY KEY (a) ENFORCED)",
            1,
            40,
            "only PRIMARY KEY",
        ),
        ("CREATE TABLE t (a INT) WITH ('k' = 1)", 1, 36, "string literal"),
        (
            "SELECT * FROM TABLE(TUMBLE(TABLE t, ts, INTERVAL '1' SECOND))",
            1,
            37,
            "DESCRIPTOR",
        ),
        (
            "SELECT * FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts)))",
            1,
            21,
            "SIZE",
        ),
        ("SELECT \"a\" FROM t", 1, 8, "double quotes"),
        ("SELECT 1;\n  SELECT 'abc\nFROM t", 2, 10, "Unterminated string"),
        ("SELECT a FROM t WHERE a = 1 b", 1, 29, "Expected"),
        ("SET parallelism = 1", 1, 5, "SET 'key' = 'value'"),
        (
            "EXECUTE STATEMENT SET BEGIN SELECT 1; END",
            1,
            29,
            "INSERT or END",
        ),
        (
            "CREATE TABLE t (a INT) WITH ('connector' = 'x') LIKE s",
            1,
            49,
            "LIKE",
        ),
        ("INSERT OVERWRITE t SELECT 1", 1, 8, "OVERWRITE"),
        (
            "SELECT * FROM t CROSS JOIN UNNEST(t.a, t.b) AS u(x, y)",
            1,
            28,
            "several collections",
        ),
        (
            "SELECT * FROM t CROSS JOIN UNNEST() AS u(x)",
            1,
            28,
            "needs a collection",
        ),
    ];
    for (sql, line, column, text) in cases {
        let err = match parse(sql) {
            Ok(s) => panic!("{sql:?} parsed: {s:?}"),
            Err(e) => e,
        };
        assert_eq!(
            err.position(),
            Some(Position::new(*line, *column)),
            "{sql:?}: {}",
            err.render(sql)
        );
        assert!(
            err.message().contains(text),
            "{sql:?}: {:?} lacks {text:?}",
            err.message()
        );
        assert!(matches!(
            err,
            SqlError::Parse { .. } | SqlError::Unsupported { .. }
        ));
    }
}

#[test]
fn render_puts_the_caret_under_the_token() {
    let sql = "SET 'a' = 'b';\nSELECT a,\n\tb FROM t WHERE\n\tWHERE";
    let err = parse(sql).expect_err("bad");
    assert_eq!(
        err.render(sql),
        "SQL parse error at line 4, column 2: Expected: an expression, found: WHERE\n\
         4 | \tWHERE\n  | \t^"
    );
}

#[test]
fn splitting_respects_quotes_and_comments() {
    let script = "-- a comment; not a split\n\
        SET 'k' = 'a;b';\n\
        /* block; comment */ SELECT `we;ird` FROM t; ;\n\
        SELECT 'it''s;' -- trailing; comment\n";
    let parts = split_statements(script).expect("split");
    let texts: Vec<&str> = parts.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "SET 'k' = 'a;b'",
            "SELECT `we;ird` FROM t",
            "SELECT 'it''s;' -- trailing; comment"
        ]
    );
    assert_eq!(parts[1].start, Position::new(3, 22));
    assert_eq!(&script[parts[1].offset..parts[1].offset + 6], "SELECT");
    assert_eq!(parse(script).expect("parse").len(), 3);
}

#[test]
fn hostile_input_is_an_error_not_a_crash() {
    let deep = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
    assert!(parse(&deep).is_err());
    let deep_type = format!(
        "CREATE TABLE t (a {}INT{})",
        "ARRAY<".repeat(3000),
        ">".repeat(3000)
    );
    // Deeply nested types are fine or an error, never a stack overflow.
    let _ = parse(&deep_type);
    let n = 20_000;
    for deep in [
        format!("SELECT {}1", "- ".repeat(n)),
        format!("SELECT {}1", "NOT ".repeat(n)),
        format!("SELECT {}1{}", "f(".repeat(n), ")".repeat(n)),
        format!("SELECT {}1{}", "CAST(".repeat(n), " AS INT)".repeat(n)),
        format!("SELECT {}1{}", "CASE WHEN ".repeat(n), " THEN 1 END".repeat(n)),
        format!("SELECT * FROM {}t{}", "(SELECT * FROM ".repeat(n), ")".repeat(n)),
        format!(
            "SELECT a FROM t WHERE a IN {}1{}",
            "(SELECT ".repeat(n),
            ")".repeat(n)
        ),
        format!("SELECT 1{}", " + 1".repeat(n)),
        format!("SELECT ARRAY{}1{}", "[ARRAY".repeat(n), "]".repeat(n)),
        format!("SELECT a{}", "[1]".repeat(n)),
        format!("SELECT 1{}", " + 1".repeat(600)),
    ] {
        assert!(parse(&deep).is_err(), "{}", &deep[..40]);
    }
    // A long operator chain within the limits is fine.
    assert!(parse(&format!("SELECT 1{}", " OR a = 1".repeat(200))).is_ok());
    for garbage in ["", ";;;", "CREATE", "CREATE TABLE", "SELECT", "(", "`", "'", "/*"] {
        let _ = parse(garbage);
    }
}

/// Types with omitted parameters print as Flink 2.3's `DESCRIBE` prints them (recorded with
/// `../shared/reference/flink-sql/run.sh` on a blackhole table with these columns).
#[test]
fn type_defaults_match_flink_describe() {
    let t = create_table(
        "CREATE TABLE t (a VARCHAR, b CHAR, c DECIMAL, d TIMESTAMP, e BINARY, f VARBINARY, \
         g TIME, h TIMESTAMP_LTZ, i DEC(5), j NUMERIC, l ROW<>, \
         m TIMESTAMP(3) WITH LOCAL TIME ZONE, n DOUBLE PRECISION, o CHARACTER VARYING(5), \
         p INTEGER ARRAY)",
    );
    let printed: Vec<String> = t
        .columns
        .iter()
        .map(|c| match &c.kind {
            ColumnKind::Physical(ty) => ty.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        printed,
        [
            "STRING",
            "CHAR(1)",
            "DECIMAL(10, 0)",
            "TIMESTAMP(6)",
            "BINARY(1)",
            "BYTES",
            "TIME(0)",
            "TIMESTAMP_LTZ(6)",
            "DECIMAL(5, 0)",
            "DECIMAL(10, 0)",
            "ROW<>",
            "TIMESTAMP_LTZ(3)",
            "DOUBLE",
            "VARCHAR(5)",
            "ARRAY<INT>",
        ]
    );
}

/// Identifiers carry where they were written (for the binder's "unknown column" carets).
#[test]
fn identifiers_know_their_position() {
    let Statement::Select(q) = one("SELECT a,\n  t.bb FROM t") else {
        panic!()
    };
    let SetExpr::Select(s) = q.body else { panic!() };
    let spate_sql::ast::SelectItem::Expr {
        expr: Expr::Column(parts),
        ..
    } = &s.projection[1]
    else {
        panic!()
    };
    assert_eq!(parts[1].as_str(), "bb");
    assert_eq!(parts[0].loc.pos(), Some(Position::new(2, 3)));
    assert_eq!(parts[1].loc.pos(), Some(Position::new(2, 5)));
    let t = create_table("CREATE TABLE t (\n  a INT,\n  WATERMARK FOR a AS a)");
    assert_eq!(t.columns[0].name.loc.pos(), Some(Position::new(2, 3)));
    assert_eq!(
        t.watermark.expect("w").column.loc.pos(),
        Some(Position::new(3, 17))
    );
}

#[test]
fn unnest_in_from_parses_and_prints_back() {
    let sql = "SELECT id, x, n FROM t CROSS JOIN UNNEST(t.arr) WITH ORDINALITY AS u (x, n)";
    let Statement::Select(q) = one(sql) else {
        panic!("not a query");
    };
    let text = q.to_string();
    assert!(
        text.contains("CROSS JOIN UNNEST(t.arr) WITH ORDINALITY AS u (x, n)"),
        "{text}"
    );
    assert_eq!(one(&text), Statement::Select(q));
}
