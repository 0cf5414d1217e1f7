//! Spate's encoder, canonical form and fingerprint against fastavro's, over random schemas
//! and values. fastavro comes from the test virtualenv (`scripts/install-deps.sh`); the test
//! fails without it rather than pass vacuously.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use proptest::prelude::*;
use spate_avro::Schema;

use crate::random::{Rng, SchemaGen, datum};

pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("SPATE_TEST_PYTHON") {
        return p.into();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/venv/bin/python")
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs the cases through fastavro_check.py in one process.
fn fastavro(cases: &[(String, Vec<u8>)]) -> Vec<serde_json::Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fastavro_check.py");
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
    assert!(out.status.success(), "fastavro_check.py failed");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// Each proptest case checks a batch of 40 seeded schemas with one datum each: what
    /// Spate encodes fastavro decodes whole and encodes back to the same bytes, and both agree
    /// on the canonical form and its fingerprint.
    #[test]
    fn spate_and_fastavro_agree(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let mut cases = Vec::new();
        let mut schemas = Vec::new();
        for _ in 0..40 {
            let text = SchemaGen::new(&mut rng).record_text();
            let schema = Schema::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
            let d = datum(&schema, schema.root(), &mut rng);
            let mut bytes = Vec::new();
            schema.encode(&d, &mut bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let (back, used) = schema.decode(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&back, &d);
            prop_assert_eq!(used, bytes.len());
            cases.push((text, bytes));
            schemas.push(schema);
        }
        let answers = fastavro(&cases);
        prop_assert_eq!(answers.len(), cases.len());
        for (((text, bytes), schema), answer) in cases.iter().zip(&schemas).zip(&answers) {
            prop_assert!(answer.get("error").is_none(), "fastavro: {} for {}", answer, text);
            let field = |k: &str| answer[k].as_str().unwrap_or("(missing)").to_string();
            prop_assert_eq!(field("hex"), hex(bytes), "{}", text);
            prop_assert_eq!(field("canonical"), schema.canonical_form());
            // fastavro prints the fingerprint's bytes little-endian, as single-object encoding
            // writes them.
            prop_assert_eq!(field("fingerprint"), hex(&schema.fingerprint().to_le_bytes()));
        }
    }
}
