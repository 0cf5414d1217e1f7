//! kill -9 during log cleaning: a child process (this test binary, running the ignored
//! `crash_child` test) appends keyed records and cleans in a loop; the parent kills it at random
//! moments and checks that the recovered log still holds, for every key, its latest
//! acknowledged value or a newer one, with offsets ascending.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use spate_log::{CleanerSettings, Durability, Partition, Throttle};

use crate::compaction::{compact_config, keyed_batch, now, read_everything};

const DIR_VAR: &str = "SPATE_COMPACTION_CRASH_DIR";
const SEGMENT_BYTES: u64 = 4096;
const KEYS: u64 = 40;

/// Value of key `k<key>` written as its `seq`-th value: `<key>:<seq>`.
fn parse_value(v: &[u8]) -> (u64, u64) {
    let s = std::str::from_utf8(v).unwrap();
    let (k, seq) = s.split_once(':').unwrap();
    (k.parse().unwrap(), seq.parse().unwrap())
}

/// The child: appends and cleans until killed. Each acknowledged append is logged to
/// `acked.log` (written, not fsynced: a killed process's writes survive in the page cache).
#[test]
#[ignore = "run by compaction_crash::kill_9_during_cleaning as its child process"]
fn crash_child() {
    let Ok(dir) = std::env::var(DIR_VAR) else { return };
    let dir = Path::new(&dir);
    let p = Partition::open(&dir.join("log"), compact_config(SEGMENT_BYTES)).unwrap();
    let mut acked = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(dir.join("acked.log"))
        .unwrap();
    // Continue the sequence after what earlier children wrote.
    let mut seq = read_everything(&p, false)
        .iter()
        .filter_map(|(_, _, v)| v.as_deref().map(|v| parse_value(v).1))
        .max()
        .unwrap_or(0);
    let settings = CleanerSettings::default();
    let throttle = Throttle::new(f64::INFINITY);
    let mut state = seq | 1;
    loop {
        for _ in 0..20 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            seq += 1;
            let key = state % KEYS;
            let b = keyed_batch(
                &[(
                    Some(format!("k{key}").into_bytes()),
                    Some(format!("{key}:{seq}").into_bytes()),
                    now(),
                )],
                (state % 5) as u8,
                None,
            );
            let out = p.append(&b, Durability::Async).unwrap();
            writeln!(acked, "{key} {seq} {}", out.base_offset).unwrap();
        }
        p.clean(now(), &settings, &throttle, true).unwrap();
    }
}

#[test]
fn kill_9_during_cleaning() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = now() as u64 | 1;
    let mut cleanings_seen = 0;
    for round in 0..8 {
        let mut child = Command::new(&exe)
            .args([
                "compaction_crash::crash_child",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env(DIR_VAR, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        std::thread::sleep(Duration::from_millis(150 + rng % 400));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        // What was acknowledged: the latest seq per key.
        let acked = std::fs::read_to_string(dir.path().join("acked.log")).unwrap_or_default();
        let mut latest: BTreeMap<u64, (u64, i64)> = BTreeMap::new();
        for line in acked.lines() {
            let mut parts = line.split(' ');
            let (Some(k), Some(s), Some(o)) = (parts.next(), parts.next(), parts.next()) else {
                continue; // a line cut by the kill
            };
            let (Ok(k), Ok(s), Ok(o)) = (k.parse(), s.parse(), o.parse()) else {
                continue;
            };
            let e = latest.entry(k).or_insert((s, o));
            if s > e.0 {
                *e = (s, o);
            }
        }
        let leftovers: Vec<String> = std::fs::read_dir(dir.path().join("log"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".cleaned") || n.ends_with(".swap"))
            .collect();
        cleanings_seen += usize::from(!leftovers.is_empty());

        let p = Partition::open(&dir.path().join("log"), compact_config(SEGMENT_BYTES)).unwrap();
        let read = read_everything(&p, false);
        let mut found: BTreeMap<u64, (u64, i64)> = BTreeMap::new();
        for (offset, key, value) in read {
            let (k, s) = parse_value(value.as_deref().unwrap());
            assert_eq!(key, format!("k{k}").into_bytes());
            let e = found.entry(k).or_insert((s, offset));
            assert!(s > e.0 || e.1 == offset, "values of a key grow with offsets");
            *e = (s, offset);
        }
        for (k, (s, o)) in &latest {
            let (fs, fo) = found
                .get(k)
                .unwrap_or_else(|| panic!("round {round}: key {k} lost (acked seq {s} at {o})"));
            assert!(fs >= s, "round {round}: key {k} went back from seq {s} to {fs}");
            if fs == s {
                assert_eq!(fo, o, "round {round}: key {k} moved offset");
            }
        }
        assert!(
            std::fs::read_dir(dir.path().join("log"))
                .unwrap()
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .all(|n| !n.ends_with(".cleaned") && !n.ends_with(".swap"))
        );
    }
    // Not an assertion on timing luck, only a note when no kill landed inside a cleaning.
    eprintln!("kills that interrupted a cleaning's files: {cleanings_seen} of 8");
}
