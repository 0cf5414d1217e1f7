//! Container files against fastavro: files Spate writes (both codecs, many blocks) fastavro
//! reads datum for datum, and files fastavro writes (deflate, small blocks) Spate reads back to
//! the same datums. Also a pure-Rust round trip over random schemas.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use proptest::prelude::*;
use spate_avro::Schema;
use spate_avro::container::{Codec, ContainerWriter, read_container};

use crate::fastavro::{hex, python};
use crate::random::{Rng, SchemaGen, datum};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn container_check(cases: &[(String, Vec<u8>)]) -> Vec<serde_json::Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/container_check.py");
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the test virtualenv's python (scripts/install-deps.sh) runs");
    let mut input = String::new();
    for (schema, bytes) in cases {
        input.push_str(&serde_json::json!({"schema": schema, "hex": hex(bytes)}).to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("piped");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("python ran");
    writer.join().expect("writer thread").expect("stdin written");
    assert!(out.status.success(), "container_check.py failed");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// 20 seeded schemas per case, each with a file of 0..2500 datums in either codec.
    #[test]
    fn spate_and_fastavro_read_each_others_files(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let mut cases = Vec::new();
        let mut expected = Vec::new();
        for i in 0..20 {
            let text = SchemaGen::new(&mut rng).record_text();
            let schema = Schema::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
            let n = if i % 5 == 0 { rng.below(2500) } else { rng.below(20) };
            let datums: Vec<_> = (0..n).map(|_| datum(&schema, schema.root(), &mut rng)).collect();
            let codec = if rng.below(2) == 0 { Codec::Null } else { Codec::Deflate };
            let mut sync = [0u8; 16];
            sync.iter_mut().for_each(|b| *b = rng.below(256) as u8);
            let mut w = ContainerWriter::new(&schema, &text, &[("iceberg", b"yes")], codec, sync)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            for d in &datums {
                w.append(d).map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            let file = w.finish();
            let back = read_container(&file).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&back.datums, &datums);
            prop_assert_eq!(back.meta_str("iceberg"), Some("yes"));
            cases.push((text, file));
            expected.push((schema, datums, codec));
        }
        let answers = container_check(&cases);
        prop_assert_eq!(answers.len(), cases.len());
        for ((text, _), ((schema, datums, codec), answer)) in cases.iter().zip(expected.iter().zip(&answers)) {
            prop_assert!(answer.get("error").is_none(), "fastavro: {} for {}", answer, text);
            prop_assert_eq!(answer["codec"].as_str(), Some(codec.name()));
            let theirs: Vec<&str> = answer["datums"].as_array().expect("datums").iter().map(|v| v.as_str().unwrap_or("")).collect();
            let ours: Vec<String> = datums.iter().map(|d| {
                let mut b = Vec::new();
                schema.encode(d, &mut b).map(|_| hex(&b)).unwrap_or_default()
            }).collect();
            prop_assert_eq!(theirs, ours.iter().map(String::as_str).collect::<Vec<_>>());
            let their_file = read_container(&unhex(answer["file"].as_str().unwrap_or("")))
                .map_err(|e| TestCaseError::fail(format!("{e} reading fastavro's file for {text}")))?;
            prop_assert_eq!(their_file.codec, Codec::Deflate);
            prop_assert_eq!(&their_file.datums, datums);
        }
    }
}
