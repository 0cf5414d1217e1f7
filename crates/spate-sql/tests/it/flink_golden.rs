//! Golden tests against real Apache Flink: every case under `tests/flink/<case>/` is a Flink SQL
//! job over small input files whose expected output (`expected.txt`) was produced by Flink 2.3
//! (`scripts/flink-golden.sh`, see `tests/flink/README.md`). Spate runs the same job text and
//! must write the same records: per sink table, the same multiset of (directory, line).

use std::path::{Path, PathBuf};

use spate_sql::{Session, SessionOptions};

fn case_dir(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/flink")
        .join(case)
}

/// Every file under `dir` (hidden and in-progress files aside) as `(relative dir, line)`.
fn collect(dir: &Path, rel: &str, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        let path = e.path();
        if path.is_dir() {
            let sub = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            collect(&path, &sub, out);
        } else {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
            for line in text.lines() {
                out.push((rel.to_string(), line.to_string()));
            }
        }
    }
}

fn run_case(case: &str) {
    let dir = case_dir(case);
    let sql = std::fs::read_to_string(dir.join("job.sql")).expect("job.sql");
    let expected = std::fs::read_to_string(dir.join("expected.txt")).expect("expected.txt");
    let out = tempfile::tempdir().expect("tempdir");
    let checkpoints = tempfile::tempdir().expect("tempdir");
    let script = sql
        .replace("${DATA}", &dir.join("input").display().to_string())
        .replace("${OUT}", &out.path().display().to_string());
    let mut session = Session::new(SessionOptions {
        checkpoint_dir: Some(checkpoints.path().to_path_buf()),
        ..SessionOptions::default()
    });
    if let Err(e) = session.execute_script(&script, |_, _| {}) {
        panic!("case {case} failed:\n{}", e.render(&script));
    }
    let mut got = Vec::new();
    let mut tables: Vec<String> = expected
        .lines()
        .filter_map(|l| l.split('\t').next())
        .map(str::to_string)
        .collect();
    tables.sort();
    tables.dedup();
    // Sinks Spate wrote that Flink left empty count too.
    if let Ok(entries) = std::fs::read_dir(out.path()) {
        for e in entries.filter_map(Result::ok) {
            let t = e.file_name().to_string_lossy().to_string();
            if !tables.contains(&t) {
                tables.push(t);
            }
        }
    }
    for t in &tables {
        let mut lines = Vec::new();
        collect(&out.path().join(t), "", &mut lines);
        got.extend(lines.into_iter().map(|(rel, line)| format!("{t}\t{rel}\t{line}")));
    }
    got.sort();
    let mut want: Vec<String> = expected.lines().map(str::to_string).collect();
    want.sort();
    if got != want {
        let missing: Vec<&String> = want.iter().filter(|w| !got.contains(w)).collect();
        let extra: Vec<&String> = got.iter().filter(|g| !want.contains(g)).collect();
        panic!(
            "case {case}: Spate's output differs from Flink's\n--- expected but missing ({}):\n{}\n+++ written but not expected ({}):\n{}",
            missing.len(),
            missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n"),
            extra.len(),
            extra.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n"),
        );
    }
}

/// Every case's `EXPLAIN CHANGELOG_MODE`: each node's changelog mode and upsert keys, pinned
/// in `changelog.txt` beside the case (`UPDATE_GOLDEN=1` writes them after a deliberate change; review the diff).
/// Flink ran every case into filesystem sinks, which take insert-only input only, so each
/// node of these plans must be insert-only: that part is Flink's word, not ours.
#[test]
fn changelog_modes_and_upsert_keys_of_every_case() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/flink");
    let mut cases: Vec<String> = std::fs::read_dir(&root)
        .expect("tests/flink")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("job.sql").is_file())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    cases.sort();
    assert!(cases.len() >= 30, "{cases:?}");
    let bless = std::env::var_os("UPDATE_GOLDEN").is_some();
    for case in cases {
        let dir = case_dir(&case);
        let sql = std::fs::read_to_string(dir.join("job.sql")).expect("job.sql");
        let script = sql
            .replace("${DATA}", &dir.join("input").display().to_string())
            .replace("${OUT}", "/nonexistent");
        let mut session = Session::new(SessionOptions::default());
        let mut plans = String::new();
        for stmt in spate_sql::parse(&script).unwrap_or_else(|e| panic!("{case}: {}", e.render(&script))) {
            let stmt = match stmt {
                job @ (spate_sql::Statement::Insert(_) | spate_sql::Statement::StatementSet(_)) => {
                    spate_sql::Statement::Explain(spate_sql::ast::Explain {
                        details: vec!["CHANGELOG_MODE".into()],
                        statement: Box::new(job),
                    })
                }
                other => other,
            };
            let result = session
                .execute(&stmt)
                .unwrap_or_else(|e| panic!("{case}: {}", e.render(&script)));
            if let spate_sql::StatementResult::Text(text) = result
                && matches!(stmt, spate_sql::Statement::Explain(_))
            {
                let logical = text.split("\n== Engine Graph ==").next().unwrap_or_default();
                plans.push_str(logical.trim_end());
                plans.push('\n');
            }
        }
        for line in plans.lines().filter(|l| !l.starts_with("==")) {
            let sink = line.starts_with("Sink(");
            let want = if sink {
                "changelogMode=[NONE]"
            } else {
                "changelogMode=[I]"
            };
            assert!(line.contains(want), "{case}: {line}");
        }
        let pinned = dir.join("changelog.txt");
        if bless {
            std::fs::write(&pinned, &plans).expect("writing changelog.txt");
            continue;
        }
        let expected = std::fs::read_to_string(&pinned)
            .unwrap_or_else(|e| panic!("{case}: {}: {e} (UPDATE_GOLDEN=1 writes it)", pinned.display()));
        assert_eq!(
            plans, expected,
            "{case}: EXPLAIN CHANGELOG_MODE differs from changelog.txt"
        );
    }
}

macro_rules! golden {
    ($($(#[$attr:meta])* $case:ident),* $(,)?) => {
        $(
            $(#[$attr])*
            #[test]
            fn $case() {
                run_case(stringify!($case));
            }
        )*
    };
}

golden! {
    project_filter,
    functions,
    types_json,
    types_csv,
    csv_records,
    tumble,
    hop,
    cumulate,
    session,
    legacy_windows,
    first_last_listagg,
    cascade,
    union_with_view,
    window_join,
    interval_join,
    nexmark,
    nexmark_q10,
    timezone,
    session_ltz,
    ltz_repeated_hour,
    listagg_slices,
    string_edges,
    date_format_letters,
    time_text,
    window_aggregate_edges,
    window_shapes,
    string_functions_more,
    collection_functions,
    json_functions,
    unnest,
    statistics_aggregates,
    map_constructor,
    window_grouping_sets,
    functions_flink23,
    array_functions,
    is_json,
    inet_unhex_typeof,
    encode_decode,
    overlaps,
    proctime_bounded,
}
