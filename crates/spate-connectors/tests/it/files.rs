//! Bounded jobs through `StreamEnvironment` with the file source and sink.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use spate_connectors::file::{FileSink, FileSource};
use spate_engine::{StreamEnvironment, WatermarkStrategy};

fn final_lines(dir: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".inprogress"), "left over: {name}");
        lines.extend(
            std::fs::read_to_string(e.path())
                .unwrap()
                .lines()
                .map(String::from),
        );
    }
    lines.sort();
    lines
}

#[test]
fn ndjson_directory_to_ndjson_sink_in_parallel() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    let mut expected = Vec::new();
    for f in 0..5 {
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&format!("{{\"file\":{f},\"i\":{i}}}\n"));
            expected.push(format!("{{\"file\":{f},\"i\":{}}}", i * 2));
        }
        std::fs::write(input.join(format!("f{f}.json")), text).unwrap();
    }
    expected.sort();
    let env = StreamEnvironment::new();
    env.set_parallelism(3);
    let out = dir.path().join("out");
    env.add_source(
        "files",
        FileSource::ndjson(&input),
        WatermarkStrategy::no_watermarks(),
    )
    .map(|mut v: serde_json::Value| {
        v["i"] = serde_json::json!(v["i"].as_u64().unwrap() * 2);
        v
    })
    .add_sink("sink", FileSink::ndjson(&out));
    env.execute().unwrap();
    assert_eq!(final_lines(&out), expected);
}

#[test]
fn csv_round_trip_with_quotes_through_a_job() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<Vec<String>> = (0..50)
        .map(|i| vec![format!("{i}"), format!("a,\"b\"\nc{i}"), String::new()])
        .collect();
    let mut text = String::from("id,text,empty\n");
    for r in &rows {
        spate_connectors::file::csv::encode_record(r, ',', &mut text);
        text.push('\n');
    }
    std::fs::write(dir.path().join("in.csv"), text).unwrap();
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    let out = dir.path().join("out");
    env.add_source(
        "csv",
        FileSource::csv(dir.path().join("in.csv")).with_header(),
        WatermarkStrategy::no_watermarks(),
    )
    .rebalance()
    .add_sink("sink", FileSink::csv(&out, |r: &Vec<String>| r.clone()));
    env.execute().unwrap();

    let back = FileSource::csv(&out);
    let env = StreamEnvironment::new();
    let got = env
        .add_source("back", back, WatermarkStrategy::no_watermarks())
        .collect();
    env.execute().unwrap();
    let mut got = got.values();
    got.sort_by_key(|r| r[0].parse::<u32>().unwrap());
    assert_eq!(got, rows);
}

#[test]
fn a_bad_line_fails_the_job_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.json"), "{\"a\":1}\n[1,\n").unwrap();
    let env = StreamEnvironment::new();
    env.add_source(
        "files",
        FileSource::ndjson(dir.path()),
        WatermarkStrategy::no_watermarks(),
    )
    .collect();
    let err = env.execute().unwrap_err().to_string();
    assert!(err.contains("in.json:2"), "{err}");
}
