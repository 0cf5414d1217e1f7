//! The `json`, `csv` and `raw` formats against Flink 2.3.
//!
//! Expected bytes and values come from runs of Apache Flink 2.3 (PyFlink, streaming mode,
//! `table.local-time-zone` = UTC) on this machine, 2026-11-22: `filesystem` sinks in each format
//! written with `INSERT INTO t VALUES (...)` (the output files' lines are the expected bytes),
//! and `filesystem` sources over hand-written input files read with `SELECT CAST(col AS
//! STRING) ...`. Each test names the table of that run. Properties (round trips, no panics on
//! any bytes) are checked with proptest.
#![allow(clippy::unwrap_used)] // a test's unwrap failing is the test failing

use std::collections::BTreeMap;

use proptest::prelude::*;
use spate_sql::format::{FormatField, RowFormat, kafka_layout, physical_fields};
use spate_sql::plan::ColumnUse;
use spate_sql::temporal::{parse_date, parse_time, parse_timestamp};
use spate_sql::value::Value;
use spate_sql::{Statement, parse_statement};

/// The physical columns of `CREATE TABLE t (<columns>)`.
fn schema(columns: &str) -> Vec<FormatField> {
    let sql = format!("CREATE TABLE t ({columns}) WITH ('connector' = 'blackhole')");
    match parse_statement(&sql) {
        Ok(Statement::CreateTable(c)) => physical_fields(&c.table),
        other => panic!("{other:?}"),
    }
}

fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn format(name: &str, columns: &str, options: &[(&str, &str)]) -> RowFormat {
    match RowFormat::new(name, schema(columns), &opts(options)) {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    }
}

fn encode(f: &RowFormat, values: &[Value]) -> String {
    let mut out = Vec::new();
    if let Err(e) = f.encode(values, &mut out) {
        panic!("{e}");
    }
    String::from_utf8(out).unwrap()
}

fn decode(f: &RowFormat, text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    if let Err(e) = f.decode(text.as_bytes(), &mut out) {
        panic!("{text}: {e}");
    }
    assert_eq!(out.len(), f.fields().len());
    out
}

fn decode_err(f: &RowFormat, text: &[u8]) -> String {
    let mut out = vec![Value::Int(7)];
    match f.decode(text, &mut out) {
        Ok(()) => panic!("decoded {:?} from {}", out, String::from_utf8_lossy(text)),
        Err(e) => {
            assert_eq!(out, vec![Value::Int(7)], "nothing appended on an error");
            e.0
        }
    }
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}
fn i(v: i64) -> Value {
    Value::Int(v)
}
fn dec(u: i128) -> Value {
    Value::Decimal(u)
}
fn date(t: &str) -> Value {
    Value::Date(parse_date(t).unwrap())
}
fn time(t: &str) -> Value {
    Value::Time(parse_time(t).unwrap())
}
fn ts(t: &str) -> Value {
    Value::Timestamp(parse_timestamp(t).unwrap())
}
const N: Value = Value::Null;

const JOUT: &str = "b BOOLEAN, ti TINYINT, si SMALLINT, i INT, bi BIGINT, f FLOAT, d DOUBLE, \
    dec1 DECIMAL(10,2), dec2 DECIMAL(38,18), dec3 DECIMAL(5,0), s STRING, vb BYTES, dt DATE, \
    t0 TIME(0), t3 TIME(3), ts0 TIMESTAMP(0), ts3 TIMESTAMP(3), ts6 TIMESTAMP(6), ts9 TIMESTAMP(9), \
    ltz TIMESTAMP_LTZ(3), arr ARRAY<INT>, m MAP<STRING, INT>, r ROW<x INT, y STRING>";

/// Flink run: table `jout` (the columns above), `'format' = 'json'`, three rows.
#[test]
fn json_writes_every_type_as_flink() {
    let f = format("json", JOUT, &[]);
    let special = "a\"b\\c\n\t\u{1}\u{7f}/é😀<>&\u{2028}";
    let row1 = vec![
        Value::Boolean(true),
        i(-128),
        i(32767),
        i(-2147483648),
        i(i64::MAX),
        Value::Float(1.5),
        Value::Float(0.1),
        dec(1250),
        dec(1_000_000_000),
        dec(100),
        s(special),
        Value::Bytes(vec![0, 0xff, 0x10]),
        date("2026-11-01"),
        time("08:01:02"),
        time("08:01:02.345"),
        ts("2026-11-01 08:01:00"),
        ts("2026-11-01 08:01:00.12"),
        ts("2026-11-01 08:01:00.123456"),
        // Flink wrote .123456789; Spate's timestamps hold microseconds.
        ts("2026-11-01 08:01:00.123456"),
        Value::Timestamp(1_793_520_060_123_000),
        Value::Array(vec![i(1), N, i(3)]),
        Value::Map(vec![(s("k1"), i(1)), (s("k2"), N)]),
        Value::Row(vec![i(1), s("x")]),
    ];
    assert_eq!(
        encode(&f, &row1),
        concat!(
            r#"{"b":true,"ti":-128,"si":32767,"i":-2147483648,"bi":9223372036854775807,"f":1.5,"d":0.1,"#,
            r#""dec1":12.5,"dec2":1E-9,"dec3":1E+2,"s":"a\"b\\c\n\t\u0001"#,
            "\u{7f}",
            r#"/é\uD83D\uDE00<>&"#,
            "\u{2028}",
            r#"","vb":"AP8Q","dt":"2026-11-01","t0":"08:01:02","t3":"08:01:02.345","#,
            r#""ts0":"2026-11-01 08:01:00","ts3":"2026-11-01 08:01:00.12","ts6":"2026-11-01 08:01:00.123456","#,
            r#""ts9":"2026-11-01 08:01:00.123456","ltz":"2026-11-01 08:01:00.123Z","arr":[1,null,3],"#,
            r#""m":{"k1":1,"k2":null},"r":{"x":1,"y":"x"}}"#
        )
    );
    let row2 = vec![
        N,
        N,
        N,
        N,
        N,
        Value::Float(1e10),
        Value::Float(1e20),
        dec(0),
        dec(-123_456_000_000_000_000_000),
        dec(0),
        N,
        N,
        N,
        N,
        N,
        N,
        N,
        ts("1969-12-31 23:59:59.999999"),
        ts("0001-01-01 00:00:00"),
        Value::Timestamp(0),
        N,
        N,
        N,
    ];
    assert_eq!(
        encode(&f, &row2),
        r#"{"b":null,"ti":null,"si":null,"i":null,"bi":null,"f":1.0E10,"d":1.0E20,"dec1":0,"dec2":-123.456,"dec3":0,"s":null,"vb":null,"dt":null,"t0":null,"t3":null,"ts0":null,"ts3":null,"ts6":"1969-12-31 23:59:59.999999","ts9":"0001-01-01 00:00:00","ltz":"1970-01-01 00:00:00Z","arr":null,"m":null,"r":null}"#
    );
    let row3 = vec![
        Value::Boolean(false),
        i(0),
        i(-1),
        i(0),
        i(-1),
        Value::Float(f64::from(1e-5f32)),
        Value::Float(1e-7),
        dec(-5),
        dec(10i128.pow(37)),
        dec(-99999),
        s(""),
        Value::Bytes(vec![]),
        date("0001-01-01"),
        time("00:00:00"),
        time("23:59:59.999"),
        ts("2026-11-01 00:00:00"),
        ts("2026-11-01 08:01:00.001"),
        ts("2026-11-01 08:01:00.000001"),
        ts("2026-11-01 08:01:00.1"),
        Value::Timestamp(1_793_520_060_100_000),
        Value::Array(vec![N]),
        Value::Map(vec![(s("k"), i(0))]),
        Value::Row(vec![N, N]),
    ];
    assert_eq!(
        encode(&f, &row3),
        r#"{"b":false,"ti":0,"si":-1,"i":0,"bi":-1,"f":1.0E-5,"d":1.0E-7,"dec1":-0.05,"dec2":1E+19,"dec3":-99999,"s":"","vb":"","dt":"0001-01-01","t0":"00:00:00","t3":"23:59:59.999","ts0":"2026-11-01 00:00:00","ts3":"2026-11-01 08:01:00.001","ts6":"2026-11-01 08:01:00.000001","ts9":"2026-11-01 08:01:00.1","ltz":"2026-11-01 08:01:00.1Z","arr":[null],"m":{"k":0},"r":{"x":null,"y":null}}"#
    );
    // Reading Flink's own output gives the rows back.
    assert_eq!(decode(&f, &encode(&f, &row1)), row1);
    assert_eq!(decode(&f, &encode(&f, &row2)), row2);
    assert_eq!(decode(&f, &encode(&f, &row3)), row3);
}

/// Flink runs: tables `jfl` (FLOAT, DOUBLE) and `jnan` (NaN and infinities, cast from text).
#[test]
fn json_writes_floats_as_java() {
    let f = format("json", "id INT, f FLOAT, d DOUBLE", &[]);
    let cases: &[(f32, f64, &str)] = &[
        (1.0, 1.0, r#"{"id":0,"f":1.0,"d":1.0}"#),
        (1234567.0, 1234567.0, r#"{"id":0,"f":1234567.0,"d":1234567.0}"#),
        (
            12345678.0,
            12345678.0,
            r#"{"id":0,"f":1.2345678E7,"d":1.2345678E7}"#,
        ),
        (0.001, 0.001, r#"{"id":0,"f":0.001,"d":0.001}"#),
        (0.0001, 0.0001, r#"{"id":0,"f":1.0E-4,"d":1.0E-4}"#),
        (
            3.4028235e38,
            1.7976931348623157e308,
            r#"{"id":0,"f":3.4028235E38,"d":1.7976931348623157E308}"#,
        ),
        (1.4e-45, 4.9e-324, r#"{"id":0,"f":1.4E-45,"d":4.9E-324}"#),
        (0.1, 1e7, r#"{"id":0,"f":0.1,"d":1.0E7}"#),
        (
            100.0,
            123456789012345678.0,
            r#"{"id":0,"f":100.0,"d":1.2345678901234568E17}"#,
        ),
        (
            0.3,
            0.30000000000000004,
            r#"{"id":0,"f":0.3,"d":0.30000000000000004}"#,
        ),
        (0.002, 9999999.0, r#"{"id":0,"f":0.002,"d":9999999.0}"#),
        (f32::NAN, f64::NAN, r#"{"id":0,"f":"NaN","d":"NaN"}"#),
        (
            f32::INFINITY,
            f64::INFINITY,
            r#"{"id":0,"f":"Infinity","d":"Infinity"}"#,
        ),
        (
            f32::NEG_INFINITY,
            f64::NEG_INFINITY,
            r#"{"id":0,"f":"-Infinity","d":"-Infinity"}"#,
        ),
    ];
    for (fv, dv, want) in cases {
        let row = vec![i(0), Value::Float(f64::from(*fv)), Value::Float(*dv)];
        assert_eq!(encode(&f, &row), *want);
        assert_eq!(decode(&f, want), row);
    }
}

/// Flink runs: tables `jdec` (default) and `jdecp` (`'json.encode.decimal-as-plain-number' =
/// 'true'`), columns DECIMAL(10,2), (38,18), (5,0), (38,0), (10,9).
#[test]
fn json_writes_decimals_as_flink() {
    let cols = "id INT, a DECIMAL(10,2), b DECIMAL(38,18), c DECIMAL(5,0), d DECIMAL(38,0), e DECIMAL(10,9)";
    let rows = [
        vec![
            i(1),
            dec(10000),
            dec(10i128.pow(18)),
            dec(10),
            dec(10i128.pow(18)),
            dec(1),
        ],
        vec![i(2), dec(1), dec(10i128.pow(11)), dec(1), dec(-1), dec(100)],
        vec![i(3), dec(-10010), dec(10i128.pow(12)), dec(0), dec(0), dec(0)],
    ];
    let f = format("json", cols, &[]);
    let want = [
        r#"{"id":1,"a":1E+2,"b":1,"c":1E+1,"d":1E+18,"e":1E-9}"#,
        r#"{"id":2,"a":0.01,"b":1E-7,"c":1,"d":-1,"e":1E-7}"#,
        r#"{"id":3,"a":-100.1,"b":0.000001,"c":0,"d":0,"e":0}"#,
    ];
    for (row, want) in rows.iter().zip(want) {
        assert_eq!(encode(&f, row), want);
        assert_eq!(&decode(&f, want), row);
    }
    let plain = format("json", cols, &[("encode.decimal-as-plain-number", "true")]);
    assert_eq!(
        encode(&plain, &rows[0]),
        r#"{"id":1,"a":100.00,"b":1.000000000000000000,"c":10,"d":1000000000000000000,"e":0.000000001}"#
    );
    assert_eq!(
        encode(&plain, &rows[1]),
        r#"{"id":2,"a":0.01,"b":0.000000100000000000,"c":1,"d":-1,"e":0.000000100}"#
    );
}

/// Flink runs: `jiso` (ISO-8601), `jnn` (ignore-null-fields), `jnk`/`jnkd`/`jnkf` (map null
/// keys LITERAL 'NK' / DROP / default FAIL), `jdupmap` (MAP['a',1,'b',2,'a',3]), `jrtout`
/// (MULTISET read from {"a":2} and written back), `jch` (CHAR(5) 'ab', BINARY(3) X'0102').
#[test]
fn json_options_as_flink() {
    let iso = format(
        "json",
        "id INT, ts0 TIMESTAMP(0), ts3 TIMESTAMP(3), ltz TIMESTAMP_LTZ(3), ltz6 TIMESTAMP_LTZ(6), t TIME(3), dt DATE",
        &[("timestamp-format.standard", "ISO-8601")],
    );
    let row = vec![
        i(1),
        ts("2026-11-01 08:01:00"),
        ts("2026-11-01 08:01:00.12"),
        Value::Timestamp(1_793_520_060_123_000),
        Value::Timestamp(1_793_520_060_000_000),
        time("08:01:02.5"),
        date("2026-11-01"),
    ];
    let want = r#"{"id":1,"ts0":"2026-11-01T08:01:00","ts3":"2026-11-01T08:01:00.12","ltz":"2026-11-01T08:01:00.123Z","ltz6":"2026-11-01T08:01:00Z","t":"08:01:02.5","dt":"2026-11-01"}"#;
    assert_eq!(encode(&iso, &row), want);
    assert_eq!(decode(&iso, want), row);

    let nn = format(
        "json",
        "id INT, s STRING, r ROW<x INT, y STRING>, m MAP<STRING, INT>, a ARRAY<STRING>",
        &[("encode.ignore-null-fields", "true")],
    );
    assert_eq!(
        encode(
            &nn,
            &[
                i(1),
                N,
                Value::Row(vec![N, s("y")]),
                Value::Map(vec![(s("a"), N)]),
                Value::Array(vec![N, s("b")])
            ]
        ),
        r#"{"id":1,"r":{"y":"y"},"m":{"a":null},"a":[null,"b"]}"#
    );
    assert_eq!(encode(&nn, &[N, s("x"), N, N, N]), r#"{"s":"x"}"#);

    let map = Value::Map(vec![(N, i(1)), (s("a"), i(2))]);
    let literal = format(
        "json",
        "id INT, m MAP<STRING, INT>",
        &[("map-null-key.mode", "LITERAL"), ("map-null-key.literal", "NK")],
    );
    assert_eq!(
        encode(&literal, &[i(1), map.clone()]),
        r#"{"id":1,"m":{"NK":1,"a":2}}"#
    );
    let drop = format(
        "json",
        "id INT, m MAP<STRING, INT>",
        &[("map-null-key.mode", "drop")],
    );
    assert_eq!(encode(&drop, &[i(1), map.clone()]), r#"{"id":1,"m":{"a":2}}"#);
    let fail = format("json", "id INT, m MAP<STRING, INT>", &[]);
    let mut out = b"keep".to_vec();
    let err = fail.encode(&[i(1), map], &mut out).unwrap_err();
    assert_eq!(out, b"keep");
    assert!(
        err.0
            .starts_with("field \"m\": JSON format doesn't support to serialize map data with null keys"),
        "{err}"
    );
    let dup = Value::Map(vec![(s("a"), i(1)), (s("b"), i(2)), (s("a"), i(3))]);
    assert_eq!(encode(&fail, &[i(1), dup]), r#"{"id":1,"m":{"a":3,"b":2}}"#);

    let ms = format("json", "id INT, ms MULTISET<STRING>", &[]);
    let row = vec![i(1), Value::Array(vec![s("a"), s("a")])];
    assert_eq!(encode(&ms, &row), r#"{"id":1,"ms":{"a":2}}"#);
    assert_eq!(decode(&ms, r#"{"id":1,"ms":{"a":2}}"#), row);

    let ch = format("json", "id INT, c CHAR(5), vc VARCHAR(3), bin BINARY(3)", &[]);
    // Flink pads CHAR and BINARY values when casting; the format writes the value it is given.
    assert_eq!(
        encode(&ch, &[i(1), s("ab   "), s("xyz"), Value::Bytes(vec![1, 2, 0])]),
        r#"{"id":1,"c":"ab   ","vc":"xyz","bin":"AQIA"}"#
    );
}

const JIN: &str = "id INT, b BOOLEAN, ti TINYINT, si SMALLINT, i INT, bi BIGINT, f FLOAT, d DOUBLE, \
    `dec` DECIMAL(10,2), s STRING, vb BYTES, dt DATE, t TIME(3), ts TIMESTAMP(3), ts9 TIMESTAMP(9), \
    ltz TIMESTAMP_LTZ(3), arr ARRAY<INT>, m MAP<STRING,INT>, r ROW<x INT, y STRING>, ms MULTISET<STRING>";

/// Flink run: table `jin` (the columns above) with `'json.ignore-parse-errors' = 'true'` over
/// an input file; each case is one input line and the non-NULL values Flink read from it
/// (column index, value). A value that cannot be converted is NULL.
#[test]
fn json_reads_as_flink() {
    let f = format("json", JIN, &[("ignore-parse-errors", "true")]);
    let cases: Vec<(&str, Vec<(usize, Value)>)> = vec![
        (
            r#"{"id":1,"b":true,"ti":1,"si":2,"i":3,"bi":4,"f":1.5,"d":2.5,"dec":12.345,"s":"x","vb":"AP8Q","dt":"2026-11-01","t":"08:01:02.345","ts":"2026-11-01 08:01:00.123","ts9":"2026-11-01 08:01:00.123456789","ltz":"2026-11-01 08:01:00.123Z","arr":[1,null,3],"m":{"a":1,"b":null},"r":{"x":1,"y":"z"},"ms":{"a":2}}"#,
            vec![
                (1, Value::Boolean(true)),
                (2, i(1)),
                (3, i(2)),
                (4, i(3)),
                (5, i(4)),
                (6, Value::Float(1.5)),
                (7, Value::Float(2.5)),
                (8, dec(1235)),
                (9, s("x")),
                (10, Value::Bytes(vec![0, 0xff, 0x10])),
                (11, date("2026-11-01")),
                (12, time("08:01:02.345")),
                (13, ts("2026-11-01 08:01:00.123")),
                (14, ts("2026-11-01 08:01:00.123456")),
                (15, Value::Timestamp(1_793_520_060_123_000)),
                (16, Value::Array(vec![i(1), N, i(3)])),
                (17, Value::Map(vec![(s("a"), i(1)), (s("b"), N)])),
                (18, Value::Row(vec![i(1), s("z")])),
                (19, Value::Array(vec![s("a"), s("a")])),
            ],
        ),
        (
            r#"{"id":2,"b":"true","ti":"5","si":"6","i":"7","bi":"8","f":"1.5","d":"2.5","dec":"12.345","s":123}"#,
            vec![
                (1, Value::Boolean(true)),
                (2, i(5)),
                (3, i(6)),
                (4, i(7)),
                (5, i(8)),
                (6, Value::Float(1.5)),
                (7, Value::Float(2.5)),
                (8, dec(1235)),
                (9, s("123")),
            ],
        ),
        (
            r#"{"id":3,"b":"TRUE","i":7.9,"bi":8.9,"f":1,"d":2,"dec":1,"s":true}"#,
            vec![
                (1, Value::Boolean(true)),
                (4, i(7)),
                (5, i(8)),
                (6, Value::Float(1.0)),
                (7, Value::Float(2.0)),
                (8, dec(100)),
                (9, s("true")),
            ],
        ),
        (
            r#"{"id":4,"b":1,"i":" 7 ","s":{"k":[1, 2],"z":"q"},"d":"NaN","f":"Infinity"}"#,
            vec![
                (1, Value::Boolean(false)),
                (4, i(7)),
                (6, Value::Float(f64::INFINITY)),
                (7, Value::Float(f64::NAN)),
                (9, s(r#"{"k":[1,2],"z":"q"}"#)),
            ],
        ),
        (r#"{"id":5,"b":"yes","ti":200}"#, vec![(1, Value::Boolean(false))]),
        (r#"{"id":6,"i":"abc"}"#, vec![]),
        (r#"{"id":7,"i":2147483648}"#, vec![]),
        (r#"{"id":8,"bi":9223372036854775808}"#, vec![]),
        // Too large for DECIMAL(10,2): NULL (without ignore-parse-errors too).
        (r#"{"id":9,"dec":123456789012.5}"#, vec![]),
        (
            r#"{"id":10,"dec":1.005,"d":-1.005}"#,
            vec![(7, Value::Float(-1.005)), (8, dec(101))],
        ),
        (r#"{"id":11,"ts":"2026-11-01T08:01:00"}"#, vec![]),
        (r#"{"id":12,"ts":"2026-11-01 08:01"}"#, vec![]),
        (r#"{"id":13,"ts":"2026-11-01"}"#, vec![]),
        (r#"{"id":14,"ltz":"2026-11-01 08:01:00"}"#, vec![]),
        (r#"{"id":15,"ltz":"2026-11-01 08:01:00+01:00"}"#, vec![]),
        (r#"{"id":16,"dt":"2026-1-1"}"#, vec![]),
        (r#"{"id":17,"t":"08:01"}"#, vec![]),
        (r#"{"id":18,"t":"8:01:02"}"#, vec![]),
        (r#"{"id":19,"arr":"1,2"}"#, vec![]),
        (r#"{"id":21}"#, vec![]),
        (r#"{"id":22,"s":null,"i":null}"#, vec![]),
        (r#"{"ID":23,"id":23}"#, vec![]),
        (r#"{"id":24,"id":25}"#, vec![(0, i(25))]),
        (r#"{"id":28,"vb":"not base64!"}"#, vec![]),
        (r#"{"id":29,"f":3.4e39}"#, vec![(6, Value::Float(f64::INFINITY))]),
        (r#"{"id":30,"i":1e3}"#, vec![(4, i(1000))]),
        (r#"{"id":31,"d":1e400}"#, vec![(7, Value::Float(f64::INFINITY))]),
        (
            r#"{"id":32,"s":"\u00e9\ud83d\ude00\n\/"}"#,
            vec![(9, s("é😀\n/"))],
        ),
        (r#"{"id":33,"ti":"-128","si":-32769}"#, vec![(2, i(-128))]),
        (r#"{"id":34,"dec":"1e2"}"#, vec![(8, dec(10000))]),
        (r#"{"id":35,"dec":"abc"}"#, vec![]),
        (r#"{"id":36,"s":1.0}"#, vec![(9, s("1.0"))]),
        (r#"{"id":37,"s":1e2}"#, vec![(9, s("1e2"))]),
        (r#"{"id":38,"i":true}"#, vec![]),
        (
            r#"{"id":39,"d":"1e2","f":"0x10"}"#,
            vec![(7, Value::Float(100.0))],
        ),
        (
            r#"{"id":40,"b":null,"arr":[],"m":{}}"#,
            vec![(16, Value::Array(vec![])), (17, Value::Map(vec![]))],
        ),
        (r#"{"id":41} xyz"#, vec![]),
        (r#"{"id":42}{"id":43}"#, vec![]),
        (r#"  {"id":44}  "#, vec![]),
        (r#"{"id":45,"ts":"2026-11-01 08:01:00.1234567891"}"#, vec![]),
        (r#"{"id":46,"ts":" 2026-11-01 08:01:00"}"#, vec![]),
        (
            r#"{"id":51,"t":"08:01:02.123456"}"#,
            vec![(12, time("08:01:02.123"))],
        ),
        (r#"{"id":52,"dt":"+2026-11-01"}"#, vec![]),
        (
            r#"{"id":53,"m":{"a":"1"}}"#,
            vec![(17, Value::Map(vec![(s("a"), i(1))]))],
        ),
        (r#"{"id":55,"i":-0}"#, vec![(4, i(0))]),
        (r#"{"id":56,"b":"  true "}"#, vec![(1, Value::Boolean(true))]),
        (r#"{"id":57,"si":1.5}"#, vec![]),
        (r#"{"id":58,"ti":1.5}"#, vec![]),
        (r#"{"id":59,"bi":1.5e3}"#, vec![(5, i(1500))]),
        (r#"{"id":60,"s":"x","s":"y"}"#, vec![(9, s("y"))]),
        (
            r#"{"id":62,"arr":[1,"2","x"]}"#,
            vec![(16, Value::Array(vec![i(1), i(2), N]))],
        ),
        (
            r#"{"id":63,"r":{"x":"5","q":1}}"#,
            vec![(18, Value::Row(vec![i(5), N]))],
        ),
        (
            r#"{"id":64,"ts9":"2026-11-01 08:01:00.1"}"#,
            vec![(14, ts("2026-11-01 08:01:00.1"))],
        ),
        (
            r#"{"id":65,"ts":"2026-11-01 08:01:00."}"#,
            vec![(13, ts("2026-11-01 08:01:00"))],
        ),
        (r#"{"id":66,"t":"08:01:02Z"}"#, vec![]),
        (r#"{"id":67,"dt":"2026-02-30"}"#, vec![]),
        (
            r#"{"id":68,"ts":"2026-11-01 24:00:00"}"#,
            vec![(13, ts("2026-11-02 00:00:00"))],
        ),
        (r#"{"id":69,"ltz":"2026-11-01T08:01:00Z"}"#, vec![]),
        (r#"{"id":70,"i":"0x10"}"#, vec![]),
        (r#"{"id":71,"i":"+5"}"#, vec![(4, i(5))]),
        (r#"{"id":72,"d":".5"}"#, vec![(7, Value::Float(0.5))]),
        (r#"{"id":73,"b":"false"}"#, vec![(1, Value::Boolean(false))]),
        (
            r#"{"id":74,"s":"tab\there","vb":""}"#,
            vec![(9, s("tab\there")), (10, Value::Bytes(vec![]))],
        ),
        (
            r#"{"id":75,"vb":"AP8Q\n"}"#,
            vec![(10, Value::Bytes(vec![0, 0xff, 0x10]))],
        ),
        (r#"{"id":76,"dec":-0.005}"#, vec![(8, dec(-1))]),
        (r#"{"id":77,"f":1e-50}"#, vec![(6, Value::Float(0.0))]),
        (r#"{"id":78,"dec":1e-20}"#, vec![(8, dec(0))]),
        (r#"{"id":79,"i":1.5e10}"#, vec![]),
        (r#"{"id":80,"i":-7.9}"#, vec![(4, i(-7))]),
        ("{\"id\":83,\"s\":\"raw\u{1}ctl\"}", vec![(9, s("raw\u{1}ctl"))]),
    ];
    for (line, nonnull) in cases {
        let got = decode(&f, line);
        let mut want = vec![N; 20];
        let id: i64 = line
            .split(['d', 'D'])
            .nth(1)
            .and_then(|r| r[2..].split([',', '}']).next()?.parse().ok())
            .unwrap();
        if !nonnull.iter().any(|(c, _)| *c == 0) {
            want[0] = i(id);
        }
        for (c, v) in nonnull {
            want[c] = v;
        }
        assert_eq!(got, want, "{line}");
    }
    // Flink also read {"s":{"a":1.0,"b":1e2,"c":-0,"d":1.50,...,"a":2}} as this text (table `jstr`).
    let str_only = format("json", "id INT, s STRING", &[]);
    assert_eq!(
        decode(
            &str_only,
            r#"{"id":1,"s":{"a":1.0,"b":1e2,"c":-0,"d":1.50,"e":"x\u00e9\ud83d\ude00","f":[true,null],"a":2}}"#
        )[1],
        s(r#"{"a":2,"b":100.0,"c":0,"d":1.5,"e":"xé😀","f":[true,null]}"#)
    );
    // Table `v2`: TIME 24:00:00 is midnight, a day past the month's end the last day (SQL
    // standard); table `v3` (ISO-8601): no such resolving, and seconds are optional.
    let t = format("json", "t TIME(3), ts TIMESTAMP(3)", &[]);
    assert_eq!(
        decode(&t, r#"{"t":"24:00:00","ts":"2026-02-30 00:00:00"}"#),
        vec![time("00:00:00"), ts("2026-02-28 00:00:00")]
    );
    let t = format(
        "json",
        "ts TIMESTAMP(3), ts2 TIMESTAMP(3)",
        &[
            ("timestamp-format.standard", "ISO-8601"),
            ("ignore-parse-errors", "true"),
        ],
    );
    assert_eq!(
        decode(&t, r#"{"ts":"2026-02-30T00:00:00","ts2":"2026-11-01T08:01"}"#),
        vec![N, ts("2026-11-01 08:01:00")]
    );
    // Tables `jdupf` (one field) and `jdupf2` (two, with fail-on-missing-field): of a repeated
    // name, the later value wins only while fields remain unmatched.
    let one = format("json", "a INT", &[]);
    assert_eq!(decode(&one, r#"{"a":1,"a":2}"#), vec![i(1)]);
    let two = format("json", "a INT, b INT", &[("fail-on-missing-field", "true")]);
    assert_eq!(decode(&two, r#"{"a":1,"a":2}"#), vec![i(2), N]);
}

/// What Flink rejects (the job fails, or the record is skipped with ignore-parse-errors):
/// tables `jerr1` (`{"id":1,"i":"abc"}`), `jerr2` (`{"id":1,`), `jmiss`, `jnul` (`null`), and
/// the lines of `jin` that Flink dropped even with ignore-parse-errors (malformed JSON).
#[test]
fn json_rejects_bad_records() {
    let f = format("json", "id INT, i INT, price DECIMAL(10, 2), r ROW<x INT>", &[]);
    assert_eq!(
        decode_err(&f, br#"{"id":1,"i":"abc"}"#),
        r#"field "i": expected an INT, found "abc""#
    );
    assert_eq!(
        decode_err(&f, br#"{"id":1,"price":"12,5"}"#),
        r#"field "price": expected a DECIMAL(10, 2), found "12,5""#
    );
    assert_eq!(
        decode_err(&f, br#"{"r":{"x":[1]}}"#),
        r#"field "r.x": expected an INT, found an array"#
    );
    assert!(decode_err(&f, br#"{"id":1,"#).starts_with("invalid JSON at byte 8"));
    assert_eq!(decode_err(&f, b"null"), "the record is null, not a JSON object");
    assert!(decode_err(&f, b"  ").starts_with("invalid JSON"));
    let ignoring = format("json", "id INT, i INT", &[("ignore-parse-errors", "true")]);
    assert!(ignoring.ignores_parse_errors());
    for bad in [
        &br#"{"id":26,"#[..],
        b"[1,2]",
        b"\"string\"",
        br#"{"id":47 /*c*/}"#,
        b"{'id':48}",
        br#"{"id":49,"d":NaN}"#,
        br#"{"id":50,"i":01}"#,
        b"{\"id\":82,\"s\":\"bad\xff utf8\"}",
        b"null",
    ] {
        decode_err(&ignoring, bad);
    }
    let missing = format("json", "id INT, i INT", &[("fail-on-missing-field", "true")]);
    assert_eq!(decode(&missing, r#"{"id":1,"i":2}"#), vec![i(1), i(2)]);
    assert_eq!(
        decode_err(&missing, br#"{"id":2}"#),
        r#"field "i" is missing (json.fail-on-missing-field is set)"#
    );
    // Nesting is bounded (Jackson's limit is 1000 levels), in a skipped field and in a STRING
    // field that keeps the JSON text, and deep input is an error, not a stack overflow.
    for field in ["unknown", "s"] {
        let deep = format!("{{\"{field}\":{}}}", "[".repeat(100_000));
        let text = format("json", "s STRING", &[]);
        assert!(decode_err(&text, deep.as_bytes()).contains("nesting deeper than 1000"));
        let ok = format!("{{\"{field}\":{}{}}}", "[".repeat(999), "]".repeat(999));
        decode(&text, &ok);
    }
    // An empty record is skipped without an error (Flink's deserializer returns no row).
    let mut out = Vec::new();
    assert_eq!(f.decode_record(b"", &mut out), Ok(false));
    assert!(out.is_empty());
}

/// Option errors, as Flink words them (runs `jboth`, `jbadts`, `jbadnk2`, `jmapint`).
#[test]
fn json_option_errors() {
    let err = |cols: &str, o: &[(&str, &str)]| {
        RowFormat::new("json", schema(cols), &opts(o))
            .unwrap_err()
            .to_string()
    };
    assert!(
        err(
            "a INT",
            &[("fail-on-missing-field", "true"), ("ignore-parse-errors", "true")]
        )
        .contains("fail-on-missing-field and ignore-parse-errors shouldn't both be true")
    );
    assert!(
        err("a INT", &[("timestamp-format.standard", "iso-8601")])
            .contains("unsupported value 'iso-8601' for json.timestamp-format.standard; supported values are [SQL, ISO-8601]")
    );
    assert!(
        err("a INT", &[("map-null-key.mode", "bogus")])
            .contains("supported values are [LITERAL, FAIL, DROP]")
    );
    assert!(err("m MAP<INT, STRING>", &[]).contains(
        "JSON format doesn't support non-string as key type of map. The type is: MAP<INT, STRING>"
    ));
    let unknown = err("a INT", &[("bogus", "1")]);
    assert!(unknown.contains("unsupported option 'json.bogus'"), "{unknown}");
    assert!(unknown.contains("json.encode.ignore-null-fields"), "{unknown}");
    assert!(err("a INT", &[("ignore-parse-errors", "yes")]).contains("takes true or false"));
    assert!(
        RowFormat::new("orc", schema("a INT"), &opts(&[]))
            .unwrap_err()
            .to_string()
            .contains("supported formats: avro, avro-confluent, debezium-avro-confluent, protobuf, protobuf-confluent, csv, json, json-confluent, raw")
    );
}

const COUT: &str = "b BOOLEAN, ti TINYINT, si SMALLINT, i INT, bi BIGINT, f FLOAT, d DOUBLE, \
    dec1 DECIMAL(10,2), dec2 DECIMAL(38,18), dec3 DECIMAL(5,0), s STRING, vb BYTES, dt DATE, \
    t0 TIME(0), t3 TIME(3), ts3 TIMESTAMP(3), ts9 TIMESTAMP(9), ltz TIMESTAMP_LTZ(3), arr ARRAY<INT>, \
    r ROW<x INT, y STRING>";

/// Flink run: table `cout` (the columns above), `'format' = 'csv'`, three rows.
#[test]
fn csv_writes_every_type_as_flink() {
    let f = format("csv", COUT, &[]);
    let row1 = vec![
        Value::Boolean(true),
        i(-128),
        i(32767),
        i(-2147483648),
        i(i64::MAX),
        Value::Float(1.5),
        Value::Float(0.1),
        dec(1250),
        dec(1_000_000_000),
        dec(100),
        s("plain"),
        Value::Bytes(vec![0, 0xff, 0x10]),
        date("2026-11-01"),
        time("08:01:02"),
        time("08:01:02.345"),
        ts("2026-11-01 08:01:00.12"),
        // Flink wrote .123456789; Spate's timestamps hold microseconds.
        ts("2026-11-01 08:01:00.123456"),
        Value::Timestamp(1_793_520_060_123_000),
        Value::Array(vec![i(1), N, i(3)]),
        Value::Row(vec![i(1), s("x")]),
    ];
    assert_eq!(
        encode(&f, &row1),
        "true,-128,32767,-2147483648,9223372036854775807,1.5,0.1,12.5,1E-9,1E+2,plain,AP8Q,2026-11-01,\
         08:01:02,08:01:02.345,\"2026-11-01 08:01:00.12\",\"2026-11-01 08:01:00.123456\",\
         \"2026-11-01 08:01:00.123Z\",1;;3,1;x"
    );
    let row2 = vec![
        N,
        N,
        N,
        N,
        N,
        Value::Float(1e10),
        Value::Float(1e20),
        dec(0),
        dec(-123_456_000_000_000_000_000),
        dec(0),
        N,
        N,
        N,
        N,
        N,
        ts("2026-11-01 08:01:00"),
        N,
        N,
        N,
        N,
    ];
    assert_eq!(
        encode(&f, &row2),
        ",,,,,1.0E10,1.0E20,0,-123.456,0,,,,,,\"2026-11-01 08:01:00\",,,,"
    );
    let row3 = vec![
        Value::Boolean(false),
        i(0),
        i(-1),
        i(0),
        i(-1),
        Value::Float(f64::from(1e-5f32)),
        Value::Float(1e-7),
        dec(-5),
        N,
        dec(-99999),
        s(""),
        Value::Bytes(vec![]),
        date("0001-01-01"),
        time("00:00:00"),
        time("23:59:59.999"),
        ts("2026-11-01 08:01:00.001"),
        ts("2026-11-01 08:01:00.1"),
        Value::Timestamp(0),
        Value::Array(vec![N]),
        Value::Row(vec![N, N]),
    ];
    assert_eq!(
        encode(&f, &row3),
        "false,0,-1,0,-1,1.0E-5,1.0E-7,-0.05,,-99999,,,0001-01-01,00:00:00,23:59:59.999,\
         \"2026-11-01 08:01:00.001\",\"2026-11-01 08:01:00.1\",\"1970-01-01 00:00:00Z\",,;"
    );
}

/// Flink runs: `cstr` (default options), `cstr2` (`|`, quote `'`, escape `\`, null literal
/// `N`, array delimiter `#`), `cstr3` (quote disabled), `cstr4` (delimiter `\t`), `cstr5`
/// (escape `\`); each row `(id, s)`.
#[test]
fn csv_quotes_like_jackson() {
    let f = format("csv", "id INT, s STRING", &[]);
    let cases = [
        ("a,b", "\"a,b\""),
        ("a\"b", "\"a\"\"b\""),
        ("a\nb", "\"a\nb\""),
        ("a\rb", "\"a\rb\""),
        (" lead", "\" lead\""),
        ("trail ", "\"trail \""),
        ("a b", "\"a b\""),
        ("#hash", "\"#hash\""),
        ("a#b", "\"a#b\""),
        ("a;b", "a;b"),
        ("a\\b", "\"a\\b\""),
        ("a\tb", "\"a\tb\""),
        ("", ""),
        ("é😀", "é😀"),
        ("-x", "-x"),
        ("!", "\"!\""),
        ("a+b", "\"a+b\""),
        ("a'b", "\"a'b\""),
        ("A-Z_az09.:/@[]{}~", "A-Z_az09.:/@[]{}~"),
        ("*", "\"*\""),
        ("\u{1}", "\"\u{1}\""),
        ("null", "null"),
        (",", "\",\""),
        ("\"", "\"\"\"\""),
        ("a|b", "a|b"),
        ("%$&()", "\"%$&()\""),
        ("0", "0"),
        // Jackson quotes anything longer than 24 characters without looking at it.
        ("abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvwx"),
        ("abcdefghijklmnopqrstuvwxy", "\"abcdefghijklmnopqrstuvwxy\""),
    ];
    for (value, want) in cases {
        let line = encode(&f, &[i(1), s(value)]);
        assert_eq!(line, format!("1,{want}"), "{value:?}");
        if !value.contains(['\n', '\r']) {
            assert_eq!(decode(&f, &line), vec![i(1), s(value)], "{line}");
        }
    }
    assert_eq!(encode(&f, &[i(29), N]), "29,");
    // Table `vout`: arrays are quoted as one text; base64 with `+` is quoted; table `vnull`:
    // a text equal to the null literal is not quoted.
    let v = format("csv", "id INT, a ARRAY<STRING>, vb BYTES", &[]);
    assert_eq!(
        encode(
            &v,
            &[
                i(1),
                Value::Array(vec![s("a,b"), s("c")]),
                Value::Bytes(vec![0xfb, 0xff])
            ]
        ),
        "1,\"a,b;c\",\"+/8=\""
    );
    assert_eq!(
        encode(
            &v,
            &[
                i(2),
                Value::Array(vec![s("x y")]),
                Value::Bytes((1..=21).collect())
            ]
        ),
        "2,\"x y\",\"AQIDBAUGBwgJCgsMDQ4PEBESExQV\""
    );
    let nl = format("csv", "id INT, s STRING", &[("null-literal", "null")]);
    assert_eq!(encode(&nl, &[i(1), s("null")]), "1,null");
    assert_eq!(encode(&nl, &[i(2), N]), "2,null");

    let f2 = format(
        "csv",
        "id INT, s STRING, a ARRAY<STRING>, d DECIMAL(10,0)",
        &[
            ("field-delimiter", "|"),
            ("quote-character", "'"),
            ("escape-character", "\\"),
            ("null-literal", "N"),
            ("array-element-delimiter", "#"),
        ],
    );
    let arr = |v: &[Value]| Value::Array(v.to_vec());
    assert_eq!(
        encode(
            &f2,
            &[i(1), s("a|b"), arr(&[s("x"), s("y|z"), s("w#v")]), dec(100)]
        ),
        "1|'a|b'|'x#y|z#w#v'|1E+2"
    );
    assert_eq!(
        encode(&f2, &[i(2), s("it's"), arr(&[s("a'b")]), dec(0)]),
        "2|'it''s'|'a''b'|0"
    );
    assert_eq!(
        encode(&f2, &[i(3), s("back\\slash \"dq\" a,b"), N, N]),
        "3|'back\\\\slash \"dq\" a,b'|N|N"
    );
    assert_eq!(
        encode(&f2, &[i(4), s("N"), arr(&[N, s("")]), dec(-120)]),
        "4|'N'|'N#'|-1.2E+2"
    );
    assert_eq!(
        encode(&f2, &[i(5), s(""), arr(&[s(" sp")]), dec(7)]),
        "5||' sp'|7"
    );

    let f3 = format("csv", "id INT, s STRING", &[("disable-quote-character", "true")]);
    assert_eq!(encode(&f3, &[i(1), s("a,b")]), "1,a,b");
    assert_eq!(encode(&f3, &[i(2), s("a\"b")]), "2,a\"b");
    assert_eq!(encode(&f3, &[i(4), s("x y")]), "4,x y");
    let f4 = format("csv", "id INT, s STRING", &[("field-delimiter", "\\t")]);
    assert_eq!(encode(&f4, &[i(1), s("a,b")]), "1\ta,b");
    assert_eq!(encode(&f4, &[i(2), s("a\tb")]), "2\t\"a\tb\"");
    assert_eq!(encode(&f4, &[i(3), s("x y")]), "3\t\"x y\"");
    let f5 = format("csv", "id INT, s STRING", &[("escape-character", "\\")]);
    assert_eq!(encode(&f5, &[i(1), s("a\"b")]), "1,\"a\"\"b\"");
    assert_eq!(encode(&f5, &[i(2), s("a\\b")]), "2,\"a\\\\b\"");
    assert_eq!(encode(&f5, &[i(3), s("a,b")]), "3,\"a,b\"");
    assert_eq!(decode(&f5, "2,\"a\\\\b\""), vec![i(2), s("a\\b")]);
}

/// Flink run: table `cdec` (DECIMAL(10,2), (5,0), (38,0), (10,9), DOUBLE, FLOAT).
#[test]
fn csv_writes_numbers_as_flink() {
    let f = format(
        "csv",
        "id INT, a DECIMAL(10,2), c DECIMAL(5,0), d DECIMAL(38,0), e DECIMAL(10,9), f DOUBLE, g FLOAT",
        &[],
    );
    let fl = Value::Float;
    assert_eq!(
        encode(
            &f,
            &[
                i(1),
                dec(10000),
                dec(10),
                dec(1_000_000),
                dec(1),
                fl(1e7),
                fl(1e7)
            ]
        ),
        "1,1E+2,1E+1,1E+6,1E-9,1.0E7,1.0E7"
    );
    assert_eq!(
        encode(
            &f,
            &[
                i(2),
                dec(10),
                dec(12300),
                dec(-1),
                dec(100),
                fl(f64::NAN),
                fl(f64::from(0.001f32))
            ]
        ),
        "2,0.1,1.23E+4,-1,1E-7,NaN,0.001"
    );
    assert_eq!(
        encode(
            &f,
            &[i(3), dec(0), dec(0), dec(0), dec(500_000_000), fl(0.0), fl(1.0)]
        ),
        "3,0,0,0,0.5,0.0,1.0"
    );
    // Flink's Kafka (serialization schema) writer honours this option; its file writer does not.
    let plain = format(
        "csv",
        "a DECIMAL(10,2)",
        &[("write-bigdecimal-in-scientific-notation", "false")],
    );
    assert_eq!(encode(&plain, &[dec(10000)]), "100.00");
}

const CIN: &str = "id INT, b BOOLEAN, ti TINYINT, si SMALLINT, i INT, bi BIGINT, f FLOAT, d DOUBLE, \
    `dec` DECIMAL(10,2), s STRING, vb BYTES, dt DATE, t TIME(3), ts TIMESTAMP(3), ltz TIMESTAMP_LTZ(3), \
    arr ARRAY<INT>, r ROW<x INT, y STRING>";

/// Flink run: table `cin` (the columns above) with `'csv.ignore-parse-errors' = 'true'` over
/// an input file; each case is one line and the values Flink read.
#[test]
fn csv_reads_as_flink() {
    let f = format("csv", CIN, &[("ignore-parse-errors", "true")]);
    let t = Value::Boolean(true);
    let fl = Value::Float;
    let arr = |v: &[Value]| Value::Array(v.to_vec());
    let row = |v: &[Value]| Value::Row(v.to_vec());
    let cases: Vec<(&str, Vec<Value>)> = vec![
        (
            "1,true,1,2,3,4,1.5,2.5,12.345,x,AP8Q,2026-11-01,08:01:02.345,2026-11-01 08:01:00.123,2026-11-01 08:01:00.123Z,1;2;3,5;z",
            vec![
                i(1),
                t.clone(),
                i(1),
                i(2),
                i(3),
                i(4),
                fl(1.5),
                fl(2.5),
                dec(1235),
                s("x"),
                Value::Bytes(vec![0, 0xff, 0x10]),
                date("2026-11-01"),
                time("08:01:02.345"),
                ts("2026-11-01 08:01:00.123"),
                Value::Timestamp(1_793_520_060_123_000),
                arr(&[i(1), i(2), i(3)]),
                row(&[i(5), s("z")]),
            ],
        ),
        (
            "2,TRUE,\"5\",6,7,8,1,2,1,\"quoted, comma\",,,,,,,",
            vec![
                i(2),
                t.clone(),
                i(5),
                i(6),
                i(7),
                i(8),
                fl(1.0),
                fl(2.0),
                dec(100),
                s("quoted, comma"),
                Value::Bytes(vec![]),
                N,
                N,
                N,
                N,
                arr(&[]),
                N,
            ],
        ),
        (
            "3,yes,,,,,,,,,,,,,,,",
            vec![
                i(3),
                Value::Boolean(false),
                N,
                N,
                N,
                N,
                N,
                N,
                N,
                s(""),
                Value::Bytes(vec![]),
                N,
                N,
                N,
                N,
                arr(&[]),
                N,
            ],
        ),
        (
            "4,1,x,1.5,7.9, 8 ,NaN,Infinity,abc,\"a\"\"b\",not base64!,2026-1-1,08:01,2026-11-01T08:01:00,2026-11-01 08:01:00,1;x;3,1",
            vec![
                i(4),
                Value::Boolean(false),
                N,
                N,
                N,
                i(8),
                fl(f64::NAN),
                fl(f64::INFINITY),
                N,
                s("a\"b"),
                N,
                date("2026-01-01"),
                time("08:01:00"),
                N,
                N,
                arr(&[i(1), N, i(3)]),
                row(&[i(1), N]),
            ],
        ),
        (
            "7, true , 1 ,2,3,4,5,6,7, spaced ,AP8Q,2026-11-01,08:01:02,2026-11-01,2026-11-01T08:01:00Z,1;;3,;",
            vec![
                i(7),
                t.clone(),
                i(1),
                i(2),
                i(3),
                i(4),
                fl(5.0),
                fl(6.0),
                dec(700),
                s(" spaced "),
                Value::Bytes(vec![0, 0xff, 0x10]),
                date("2026-11-01"),
                time("08:01:02"),
                N,
                N,
                arr(&[i(1), N, i(3)]),
                row(&[N, s("")]),
            ],
        ),
        (
            "14,true,-128,2,2147483648,9223372036854775807,3.4e39,1e400,123456789012.5,\"\",AP8,2026-02-30,24:00:00,2026-11-01 08:01:00.1234567891,,,",
            vec![
                i(14),
                t.clone(),
                i(-128),
                i(2),
                N,
                i(i64::MAX),
                fl(f64::INFINITY),
                fl(f64::INFINITY),
                N,
                s(""),
                N,
                date("2026-03-02"),
                N,
                N,
                N,
                arr(&[]),
                N,
            ],
        ),
        (
            "16,True,1,2,3,4,5,6,7,é😀,,2026-11-01 ,8:1:2, 2026-11-01 08:01:00 ,,,",
            vec![
                i(16),
                t.clone(),
                i(1),
                i(2),
                i(3),
                i(4),
                fl(5.0),
                fl(6.0),
                dec(700),
                s("é😀"),
                Value::Bytes(vec![]),
                N,
                N,
                ts("2026-11-01 08:01:00"),
                N,
                arr(&[]),
                N,
            ],
        ),
        (
            "17,true,+1,-0,+3,4,1e2,.5,1e2,s,,+2026-11-01,08:01:02Z,2026-11-1 8:1:2,2026-11-01 08:01:00.5Z,,",
            vec![
                i(17),
                t.clone(),
                i(1),
                i(0),
                i(3),
                i(4),
                fl(100.0),
                fl(0.5),
                dec(10000),
                s("s"),
                Value::Bytes(vec![]),
                N,
                N,
                N,
                Value::Timestamp(1_793_520_060_500_000),
                arr(&[]),
                N,
            ],
        ),
        (
            "18,true,1,2,3,4,1.5f,2d,-1.005,s,,2026-11-01,08:01:02.9999,2026-11-01 08:01:00.,2026-11-01 08:01:00+01:00,,",
            vec![
                i(18),
                t,
                i(1),
                i(2),
                i(3),
                i(4),
                fl(1.5),
                fl(2.0),
                dec(-101),
                s("s"),
                Value::Bytes(vec![]),
                date("2026-11-01"),
                time("08:01:02.999"),
                ts("2026-11-01 08:01:00"),
                N,
                arr(&[]),
                N,
            ],
        ),
    ];
    for (line, want) in cases {
        assert_eq!(decode(&f, line), want, "{line}");
    }
    // Tables `cs2` (`1,x"y`), `cs5` (`1,`), `cs8` (`1,2,` — a trailing comma), `c4` (`|`, quote
    // `'`, escape `\`, null literal `N`, comments).
    let two = format("csv", "id INT, s STRING", &[]);
    assert_eq!(decode(&two, "1,x\"y"), vec![i(1), s("x\"y")]);
    assert_eq!(decode(&two, "1,"), vec![i(1), s("")]);
    assert_eq!(decode(&two, "1,2,"), vec![i(1), s("2")]);
    let c4 = format(
        "csv",
        "id INT, s STRING, t STRING",
        &[
            ("field-delimiter", "|"),
            ("quote-character", "'"),
            ("escape-character", "\\"),
            ("null-literal", "N"),
            ("allow-comments", "true"),
        ],
    );
    assert_eq!(decode(&c4, "1|'a|b'|x\\|y"), vec![i(1), s("a|b"), s("x|y")]);
    assert_eq!(decode(&c4, "2|N|"), vec![i(2), N, s("")]);
    assert_eq!(decode(&c4, "3|''|'it''s'"), vec![i(3), s(""), s("it's")]);
    let mut out = Vec::new();
    assert_eq!(c4.decode_record(b"# c", &mut out), Ok(false));
    // `v1`: trim-spaces (unquoted only) and empty-string-as-null (quoted too).
    let trim = format(
        "csv",
        "id INT, s STRING, t STRING, u STRING",
        &[
            ("trim-spaces", "true"),
            ("empty-string-as-null", "true"),
            ("ignore-parse-errors", "true"),
        ],
    );
    assert_eq!(
        decode(&trim, "1,  a  ,\"  b  \", c"),
        vec![i(1), s("a"), s("  b  "), s("c")]
    );
    assert_eq!(decode(&trim, "2,,\"\""), vec![i(2), N, N, N]);
    // `cs6n` (null literal 'ok'), `cs7u` (ignore-trailing-unmappable).
    let nl = format("csv", "id INT, s STRING", &[("null-literal", "ok")]);
    assert_eq!(decode(&nl, "1,ok"), vec![i(1), N]);
    let extra = format(
        "csv",
        "id INT, s STRING",
        &[("ignore-trailing-unmappable", "true")],
    );
    assert_eq!(decode(&extra, "1,2,3"), vec![i(1), s("2")]);
}

/// What Flink rejects: tables `cs1` (`1,"x"y`), `cs3` (unterminated quote), `cs7` (`1,2,3`),
/// `cs6m` (too few), `cs5i` (`1,` read as INT), `cs9` (a comment without allow-comments).
#[test]
fn csv_rejects_bad_records() {
    let f = format("csv", "id INT, s STRING", &[]);
    assert!(decode_err(&f, b"1,\"x\"y").contains("unexpected character 'y' after the closing quote"));
    assert_eq!(
        decode_err(&f, b"1,\"unterminated"),
        "field 2: missing closing quote"
    );
    assert_eq!(decode_err(&f, b"1,2,3"), "too many fields: expected 2, found 3");
    assert_eq!(decode_err(&f, b"#c"), "too few fields: expected 2, found 1");
    assert_eq!(decode_err(&f, b"x,y"), "field 1: expected an INT, found \"x\"");
    let ints = format("csv", "id INT, s INT", &[]);
    assert_eq!(decode_err(&ints, b"1,"), "field 2: expected an INT, found \"\"");
    assert!(decode_err(&f, b"1,\xff").contains("invalid UTF-8"));
    let three = format("csv", "id INT, s STRING, x INT", &[]);
    assert_eq!(decode_err(&three, b"1,ok"), "too few fields: expected 3, found 2");
    let err = |cols: &str, o: &[(&str, &str)]| {
        RowFormat::new("csv", schema(cols), &opts(o))
            .unwrap_err()
            .to_string()
    };
    assert!(
        err(
            "a INT",
            &[("disable-quote-character", "true"), ("quote-character", "'")]
        )
        .contains("Format cannot define a quote character and disabled quote character at the same time.")
    );
    assert!(
        err("a INT", &[("field-delimiter", "ab")])
            .contains("Option 'csv.field-delimiter' must be a string with single character, but was: ab")
    );
    assert!(err("m MAP<STRING, INT>", &[]).contains("Unsupported type 'MAP<STRING, INT>' for field 'm'"));
    assert!(
        err("aa ARRAY<ARRAY<INT>>", &[])
            .contains("Only simple types are supported in the second level nesting of fields 'aa'")
    );
}

/// Member names are matched by their bytes when they come in schema order; every other way of
/// writing them still finds (or misses) the same field.
#[test]
fn json_member_names_match_however_they_are_written() {
    let f = format("json", "ab INT, a INT, `q\"` INT", &[]);
    let cases = [
        (r#"{"ab":1,"a":2,"q\"":3}"#, vec![i(1), i(2), i(3)]),
        // Spaces around the colon, another order, escapes, a name extending another.
        (r#"{ "a" : 2 , "ab"	:1 }"#, vec![i(1), i(2), N]),
        (r#"{"\u0061b":1,"\u0061":2,"q\u0022":3}"#, vec![i(1), i(2), i(3)]),
        (r#"{"abc":9,"a":2,"ab ":8,"q":7}"#, vec![N, i(2), N]),
        (r#"{"q\"":3,"ab":1}"#, vec![i(1), N, i(3)]),
    ];
    for (text, expected) in cases {
        assert_eq!(decode(&f, text), expected, "{text}");
    }
    // A missing colon after a name matched by its bytes is malformed JSON.
    assert!(decode_err(&f, br#"{"ab" 1}"#).contains("invalid JSON"));
}

#[test]
fn json_projection_skips_unread_values_but_not_malformed_json() {
    let f = format("json", "a INT, b ROW<x INT, y INT>, c INT", &[]);
    let used = [
        Some(ColumnUse::Whole),
        Some(ColumnUse::Fields(vec![None, Some(ColumnUse::Whole)])),
        None,
    ];
    let p = f.projected(&used);
    assert_eq!(
        decode(&p, r#"{"a":1,"b":{"x":2,"y":3},"c":4}"#),
        vec![i(1), Value::Row(vec![Value::Null, i(3)]), Value::Null]
    );
    // A value that would not convert fails the record only where it is read.
    let bad = r#"{"a":1,"b":{"x":"two","y":3},"c":"four"}"#;
    assert!(decode_err(&f, bad.as_bytes()).contains("\"b.x\""));
    assert!(decode_err(&f, br#"{"a":1,"c":"four"}"#).contains("\"c\""));
    assert_eq!(
        decode(&p, bad),
        vec![i(1), Value::Row(vec![Value::Null, i(3)]), Value::Null]
    );
    assert!(decode_err(&p, br#"{"a":1,"b":{"x":"two","y":"three"}}"#).contains("\"b.y\""));
    // Malformed JSON is malformed wherever it is.
    assert!(decode_err(&p, br#"{"a":1,"b":{"x":[1,},"c":4}"#).contains("invalid JSON"));
    assert!(decode_err(&p, br#"{"a":1,"c":{"#).contains("invalid JSON"));
    // csv and raw read everything: projecting them changes nothing.
    let csv = format("csv", "a INT, c INT", &[]);
    assert_eq!(decode(&csv.projected(&[None, None]), "1,2"), vec![i(1), i(2)]);
}

#[test]
fn row_format_is_shareable() {
    fn shareable<T: Clone + Send + Sync + std::fmt::Debug + 'static>() {}
    shareable::<RowFormat>();
}

#[test]
fn raw_is_the_bytes_of_one_column() {
    let f = format("raw", "v STRING", &[]);
    assert_eq!(encode(&f, &[s("a,b é")]), "a,b é");
    assert_eq!(decode(&f, "x y"), vec![s("x y")]);
    assert!(f.encodes_absent(&[N]));
    let mut out = Vec::new();
    assert!(f.decode_absent(&mut out));
    assert_eq!(out, vec![N]);
    let b = format("raw", "v BIGINT", &[]);
    let mut bytes = Vec::new();
    b.encode(&[i(-2)], &mut bytes).unwrap();
    assert_eq!(bytes, (-2i64).to_be_bytes());
    let mut row = Vec::new();
    b.decode(&bytes, &mut row).unwrap();
    assert_eq!(row, vec![i(-2)]);
    let le = format("raw", "v SMALLINT", &[("endianness", "little-endian")]);
    let mut row = Vec::new();
    le.decode(&[0xfe, 0xff], &mut row).unwrap();
    assert_eq!(row, vec![i(-2)]);
    assert!(
        b.decode(&[1, 2], &mut Vec::new())
            .unwrap_err()
            .0
            .contains("expected 8 bytes")
    );
    // Flink run `k11`/`k12`: the raw format on a two-column table.
    let err = RowFormat::new("raw", schema("a INT, b STRING"), &opts(&[]))
        .unwrap_err()
        .to_string();
    assert!(err.contains(
        "The 'raw' format only supports single physical column. However the defined schema contains multiple \
         physical columns: [`a` INT, `b` STRING]"
    ));
    let json = format("json", "a INT", &[]);
    assert!(!json.decode_absent(&mut Vec::new()));
}

/// Flink runs `k1`..`k17`: Kafka tables over `(a INT, b STRING)` planned with `EXPLAIN`.
#[test]
fn kafka_key_value_layout_as_flink() {
    let fields = schema("a INT, b STRING");
    let layout = |o: &[(&str, &str)]| kafka_layout(&fields, &opts(o));
    let msg = |o: &[(&str, &str)]| layout(o).unwrap_err().to_string();
    assert!(msg(&[("format", "json"), ("key.fields", "a")]).contains(
        "The option 'key.fields' can only be declared if a key format is defined using 'key.format'."
    ));
    let needs_fields =
        "A key format 'key.format' requires the declaration of one or more of key fields using 'key.fields'.";
    assert!(msg(&[("value.format", "json"), ("key.format", "json")]).contains(needs_fields));
    assert!(
        msg(&[
            ("value.format", "json"),
            ("key.format", "json"),
            ("key.fields", "")
        ])
        .contains(needs_fields)
    );
    assert!(
        msg(&[("value.format", "json"), ("key.format", "json"), ("key.fields", "c")]).contains(
            "Could not find the field 'c' in the table schema for usage in the key format. A key field must be a \
             regular, physical column. The following columns can be selected in the 'key.fields' option:\n[a, b]"
        )
    );
    assert!(
        msg(&[("key.format", "json"), ("key.fields", "a")])
            .contains("Could not find required scan format 'value.format'.")
    );
    assert!(
        msg(&[
            ("value.format", "json"),
            ("key.format", "json"),
            ("key.fields", "a"),
            ("value.fields-include", "bogus")
        ])
        .contains("'value.fields-include'")
    );
    let prefixed = schema("k_a INT, b STRING");
    let p = |o: &[(&str, &str)]| kafka_layout(&prefixed, &opts(o));
    assert!(
        p(&[
            ("value.format", "json"),
            ("key.format", "json"),
            ("key.fields", "k_a"),
            ("key.fields-prefix", "k_")
        ])
        .unwrap_err()
        .to_string()
        .contains("A key prefix is not allowed when option 'value.fields-include' is set to 'ALL'.")
    );
    assert!(
        p(&[
            ("value.format", "json"),
            ("key.format", "json"),
            ("key.fields", "b"),
            ("key.fields-prefix", "k_"),
            ("value.fields-include", "EXCEPT_KEY"),
        ])
        .unwrap_err()
        .to_string()
        .contains(
            "All fields in 'key.fields' must be prefixed with 'k_' when option 'key.fields-prefix' is set but field \
             'b' is not prefixed."
        )
    );
    // Accepted by Flink: `a; b` (k6), except_key in lower case (k7), a repeated key field (k13).
    let l = layout(&[
        ("value.format", "json"),
        ("key.format", "json"),
        ("key.fields", "a; b"),
    ])
    .unwrap();
    assert_eq!(l.key.as_ref().unwrap().columns, vec![0, 1]);
    assert_eq!(l.value.columns, vec![0, 1]);
    let l = layout(&[
        ("format", "json"),
        ("key.format", "csv"),
        ("key.fields", "b;a"),
        ("value.fields-include", "except_key"),
        ("key.csv.field-delimiter", "|"),
        ("json.ignore-parse-errors", "true"),
    ])
    .unwrap();
    let key = l.key.unwrap();
    assert_eq!(key.columns, vec![1, 0]);
    // With `|` as the delimiter Jackson quotes every text (all characters are below `}`), as
    // Flink's run `cstr2` showed.
    assert_eq!(encode(&key.format, &[s("x"), i(1)]), "\"x\"|1");
    assert!(l.value.columns.is_empty());
    assert!(l.value.format.ignores_parse_errors());
    // The key format sees the names without the prefix (Flink strips it).
    let l = p(&[
        ("value.format", "json"),
        ("key.format", "json"),
        ("key.fields", "k_a"),
        ("key.fields-prefix", "k_"),
        ("value.fields-include", "EXCEPT_KEY"),
    ])
    .unwrap();
    assert_eq!(encode(&l.key.unwrap().format, &[i(7)]), r#"{"a":7}"#);
    assert_eq!(encode(&l.value.format, &[s("v")]), r#"{"b":"v"}"#);
}

// ---------------------------------------------------------------------------------------------
// Properties.

/// A rich schema for the no-panic properties.
const EVERYTHING: &str = "b BOOLEAN, ti TINYINT, si SMALLINT, i INT, bi BIGINT, f FLOAT, d DOUBLE, \
    `dec` DECIMAL(10,2), s STRING, vb BYTES, dt DATE, t TIME(3), ts TIMESTAMP(3), ltz TIMESTAMP_LTZ(3), \
    arr ARRAY<INT>, r ROW<x INT, y STRING>";

#[derive(Debug, Clone)]
enum Ty {
    Boolean,
    TinyInt,
    Int,
    BigInt,
    Float,
    Double,
    Decimal(u32, u32),
    String,
    Bytes,
    Date,
    Time,
    Timestamp,
    Ltz,
    Array(Box<Ty>),
    Map(Box<Ty>),
    Multiset,
    Row(Vec<Ty>),
}

impl Ty {
    fn sql(&self) -> String {
        match self {
            Ty::Boolean => "BOOLEAN".into(),
            Ty::TinyInt => "TINYINT".into(),
            Ty::Int => "INT".into(),
            Ty::BigInt => "BIGINT".into(),
            Ty::Float => "FLOAT".into(),
            Ty::Double => "DOUBLE".into(),
            Ty::Decimal(p, s) => format!("DECIMAL({p}, {s})"),
            Ty::String => "STRING".into(),
            Ty::Bytes => "BYTES".into(),
            Ty::Date => "DATE".into(),
            Ty::Time => "TIME(3)".into(),
            Ty::Timestamp => "TIMESTAMP(6)".into(),
            Ty::Ltz => "TIMESTAMP_LTZ(6)".into(),
            Ty::Array(t) => format!("ARRAY<{}>", t.sql()),
            Ty::Map(t) => format!("MAP<STRING, {}>", t.sql()),
            Ty::Multiset => "MULTISET<STRING>".into(),
            Ty::Row(fields) => {
                let f: Vec<String> = fields
                    .iter()
                    .enumerate()
                    .map(|(i, t)| format!("f{i} {}", t.sql()))
                    .collect();
                format!("ROW<{}>", f.join(", "))
            }
        }
    }

    fn is_text(&self) -> bool {
        matches!(self, Ty::String)
    }
}

fn scalar_ty() -> impl Strategy<Value = Ty> {
    prop_oneof![
        Just(Ty::Boolean),
        Just(Ty::TinyInt),
        Just(Ty::Int),
        Just(Ty::BigInt),
        Just(Ty::Float),
        Just(Ty::Double),
        (1u32..=38)
            .prop_flat_map(|p| (Just(p), 0..=p))
            .prop_map(|(p, s)| Ty::Decimal(p, s)),
        Just(Ty::String),
        Just(Ty::Bytes),
        Just(Ty::Date),
        Just(Ty::Time),
        Just(Ty::Timestamp),
        Just(Ty::Ltz),
    ]
}

fn json_ty() -> impl Strategy<Value = Ty> {
    scalar_ty().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| Ty::Array(Box::new(t))),
            inner.clone().prop_map(|t| Ty::Map(Box::new(t))),
            Just(Ty::Multiset),
            prop::collection::vec(inner, 1..4).prop_map(Ty::Row),
        ]
    })
}

/// Days of 0001-01-01 and 9999-12-31.
const MIN_DAY: i32 = -719_162;
const MAX_DAY: i32 = 2_932_896;
const MICROS_PER_DAY: i64 = 86_400_000_000;

fn value_of(ty: &Ty, csv: bool) -> BoxedStrategy<Value> {
    let v: BoxedStrategy<Value> = match ty {
        Ty::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
        Ty::TinyInt => any::<i8>().prop_map(|v| Value::Int(v.into())).boxed(),
        Ty::Int => any::<i32>().prop_map(|v| Value::Int(v.into())).boxed(),
        Ty::BigInt => any::<i64>().prop_map(Value::Int).boxed(),
        Ty::Float => any::<f32>().prop_map(|v| Value::Float(v.into())).boxed(),
        Ty::Double => any::<f64>().prop_map(Value::Float).boxed(),
        Ty::Decimal(p, _) => {
            let max = 10i128.pow(*p) - 1;
            (-max..=max).prop_map(Value::Decimal).boxed()
        }
        Ty::String => any::<String>().prop_map(Value::String).boxed(),
        Ty::Bytes => prop::collection::vec(any::<u8>(), 0..40)
            .prop_map(Value::Bytes)
            .boxed(),
        Ty::Date => (MIN_DAY..=MAX_DAY).prop_map(Value::Date).boxed(),
        Ty::Time => (0i64..86_400_000)
            .prop_map(|ms| Value::Time(ms * 1_000_000))
            .boxed(),
        Ty::Timestamp | Ty::Ltz => (i64::from(MIN_DAY) * MICROS_PER_DAY
            ..(i64::from(MAX_DAY) + 1) * MICROS_PER_DAY)
            .prop_map(Value::Timestamp)
            .boxed(),
        Ty::Array(t) if csv => prop::collection::vec(nullable(value_of(t, csv)), 0..5)
            // "" is the empty array and the null literal alone is NULL.
            .prop_filter("ambiguous in CSV", |v| !(v.len() == 1 && v[0].is_null()))
            .prop_map(Value::Array)
            .boxed(),
        Ty::Array(t) => prop::collection::vec(nullable(value_of(t, csv)), 0..5)
            .prop_map(Value::Array)
            .boxed(),
        Ty::Map(t) => prop::collection::btree_map(any::<String>(), nullable(value_of(t, csv)), 0..4)
            .prop_map(|m| Value::Map(m.into_iter().map(|(k, v)| (Value::String(k), v)).collect()))
            .boxed(),
        Ty::Multiset => prop::collection::btree_map(any::<String>(), 1usize..4, 0..4)
            .prop_map(|m| {
                Value::Array(
                    m.into_iter()
                        .flat_map(|(k, n)| std::iter::repeat_n(Value::String(k), n))
                        .collect(),
                )
            })
            .boxed(),
        Ty::Row(fields) => fields
            .iter()
            .map(|t| nullable(value_of(t, csv)))
            .collect::<Vec<_>>()
            .prop_map(Value::Row)
            .boxed(),
    };
    v
}

fn nullable(v: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    prop_oneof![1 => Just(Value::Null), 4 => v].boxed()
}

fn columns_sql(types: &[Ty]) -> String {
    types
        .iter()
        .enumerate()
        .map(|(i, t)| format!("c{i} {}", t.sql()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn json_case() -> impl Strategy<Value = (Vec<Ty>, Vec<Value>)> {
    prop::collection::vec(json_ty(), 1..6).prop_flat_map(|types| {
        let values: Vec<BoxedStrategy<Value>> = types.iter().map(|t| nullable(value_of(t, false))).collect();
        (Just(types), values)
    })
}

/// CSV holds scalars at the top level and, nested, arrays of non-text scalars and rows of two
/// or more non-text scalars (text inside them is not quoted or escaped, as in Flink).
fn csv_ty() -> impl Strategy<Value = Ty> {
    let flat = scalar_ty()
        .prop_filter("no text inside collections", |t| {
            !t.is_text() && !matches!(t, Ty::Bytes)
        })
        .boxed();
    prop_oneof![
        4 => scalar_ty(),
        1 => flat.clone().prop_map(|t| Ty::Array(Box::new(t))),
        1 => prop::collection::vec(flat, 2..4).prop_map(Ty::Row),
    ]
}

const NULL_LITERAL: &str = "\\N";

fn csv_case() -> impl Strategy<Value = (Vec<Ty>, Vec<Value>)> {
    prop::collection::vec(csv_ty(), 1..6).prop_flat_map(|types| {
        let values: Vec<BoxedStrategy<Value>> = types
            .iter()
            .map(|t| {
                nullable(value_of(t, true))
                    .prop_filter("the null literal", |v| v.as_str() != Some(NULL_LITERAL))
                    .boxed()
            })
            .collect();
        (Just(types), values)
    })
}

/// What a query might read of a value of type `ty`.
fn use_of(ty: &Ty) -> BoxedStrategy<Option<ColumnUse>> {
    match ty {
        Ty::Row(fields) => {
            let fields: Vec<_> = fields.iter().map(use_of).collect();
            prop_oneof![
                Just(None),
                Just(Some(ColumnUse::Whole)),
                fields.prop_map(|f| Some(ColumnUse::Fields(f))),
            ]
            .boxed()
        }
        _ => prop_oneof![Just(None), Just(Some(ColumnUse::Whole))].boxed(),
    }
}

/// `v` with everything `used` leaves unread set to NULL.
fn project(v: &Value, used: Option<&ColumnUse>) -> Value {
    match (used, v) {
        (None, _) => Value::Null,
        (Some(ColumnUse::Fields(fields)), Value::Row(values)) => Value::Row(
            values
                .iter()
                .zip(fields)
                .map(|(v, u)| project(v, u.as_ref()))
                .collect(),
        ),
        _ => v.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A projected JSON format reads exactly the full format's values where it reads anything,
    /// and NULL elsewhere.
    #[test]
    fn json_projection_reads_what_is_asked_and_nothing_else(
        (types, row, used) in json_case().prop_flat_map(|(types, row)| {
            let used: Vec<_> = types.iter().map(use_of).collect();
            (Just(types), Just(row), used)
        })
    ) {
        let f = RowFormat::new("json", schema(&columns_sql(&types)), &opts(&[])).unwrap();
        let mut bytes = Vec::new();
        f.encode(&row, &mut bytes).unwrap();
        let projected = f.projected(&used);
        let mut back = Vec::new();
        projected.decode(&bytes, &mut back).map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&bytes))))?;
        let expected: Vec<Value> = row.iter().zip(&used).map(|(v, u)| project(v, u.as_ref())).collect();
        prop_assert_eq!(back, expected, "{}", String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn json_round_trips((types, row) in json_case()) {
        let f = RowFormat::new("json", schema(&columns_sql(&types)), &opts(&[])).unwrap();
        let mut bytes = Vec::new();
        f.encode(&row, &mut bytes).unwrap();
        let mut back = Vec::new();
        f.decode(&bytes, &mut back).map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&bytes))))?;
        prop_assert_eq!(back, row, "{}", String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn csv_round_trips((types, row) in csv_case()) {
        let f = RowFormat::new("csv", schema(&columns_sql(&types)), &opts(&[("null-literal", NULL_LITERAL)])).unwrap();
        let mut bytes = Vec::new();
        f.encode(&row, &mut bytes).unwrap();
        let mut back = Vec::new();
        f.decode(&bytes, &mut back).map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&bytes))))?;
        prop_assert_eq!(back, row, "{}", String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        for name in ["json", "csv"] {
            for ignore in ["false", "true"] {
                let f = RowFormat::new(name, schema(EVERYTHING), &opts(&[("ignore-parse-errors", ignore)])).unwrap();
                let mut out = Vec::new();
                match f.decode_record(&bytes, &mut out) {
                    Ok(true) => prop_assert_eq!(out.len(), 16),
                    _ => prop_assert!(out.is_empty()),
                }
            }
        }
        let raw = RowFormat::new("raw", schema("v INT"), &opts(&[])).unwrap();
        let _ = raw.decode(&bytes, &mut Vec::new());
    }

    #[test]
    fn decode_never_panics_on_near_json(
        (types, row) in json_case(),
        cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let f = RowFormat::new("json", schema(&columns_sql(&types)), &opts(&[("ignore-parse-errors", "true")])).unwrap();
        let mut bytes = Vec::new();
        f.encode(&row, &mut bytes).unwrap();
        for (at, b) in cuts {
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
        }
        let mut out = Vec::new();
        if let Ok(true) = f.decode_record(&bytes, &mut out) {
            prop_assert_eq!(out.len(), types.len());
        }
    }
}
