//! The evaluator's hot paths do not allocate: comparisons, integer arithmetic, boolean logic,
//! `CASE`, `IS NULL` and `LIKE` with a constant pattern over a row's columns, and conversions
//! through the session time zone.
//!
//! A counting global allocator (per thread, so other test threads do not interfere) measures
//! the allocations of evaluating already bound expressions many times.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use spate_sql::ast::{Ident, SelectItem, SetExpr, Statement};
use spate_sql::expr::{BoundExpr, EvalContext, Scope, bind};
use spate_sql::types::{DataType, MAX_LENGTH, TypeKind};
use spate_sql::value::{Row, Value};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Cols;

impl Scope for Cols {
    fn column(&self, path: &[Ident]) -> spate_sql::Result<BoundExpr> {
        let (index, ty) = match path.last().map(|i| i.as_str()) {
            Some("a") => (0, DataType::new(TypeKind::Int)),
            Some("b") => (1, DataType::new(TypeKind::BigInt)),
            Some("s") => (2, DataType::new(TypeKind::Varchar(MAX_LENGTH))),
            Some("ltz") => (4, DataType::new(TypeKind::TimestampLtz(3))),
            Some("ts") => (5, DataType::new(TypeKind::Timestamp(3))),
            _ => (3, DataType::new(TypeKind::Int)),
        };
        Ok(BoundExpr::Column { index, ty })
    }
}

fn bound(expr: &str) -> BoundExpr {
    let sql = format!("SELECT {expr}");
    let Ok(mut statements) = spate_sql::parse(&sql) else {
        panic!("{sql} does not parse");
    };
    let Some(Statement::Select(q)) = statements.pop() else {
        panic!("{sql}");
    };
    let SetExpr::Select(s) = q.body else {
        panic!("{sql}")
    };
    let Some(SelectItem::Expr { expr, .. }) = s.projection.into_iter().next() else {
        panic!("{sql}");
    };
    bind(&expr, &Cols).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[test]
fn hot_paths_do_not_allocate() {
    let exprs: Vec<BoundExpr> = [
        "a + 1 > 5 AND b * 2 <> 3",
        "a - b >= 10 OR a % 3 = 1",
        "CASE WHEN a > 3 THEN b ELSE b + 1 END",
        "n IS NULL AND NOT (a < 0)",
        "a BETWEEN 1 AND 100",
        "a IN (1, 2, 3, 4)",
        "s = 'abc' AND s <> 'x'",
        "s LIKE 'ab%'",
        "a IS DISTINCT FROM n",
    ]
    .iter()
    .map(|e| bound(e))
    .collect();
    let row: Row = vec![
        Value::Int(7),
        Value::Int(11),
        Value::String("abcdef".into()),
        Value::Null,
    ];
    let ctx = EvalContext::default();
    // Warm up (lazy statics in the regex engine, thread-locals).
    for e in &exprs {
        let _ = e.eval(&row, &ctx);
    }
    let before = ALLOCATIONS.with(Cell::get);
    let mut trues = 0;
    for _ in 0..1000 {
        for e in &exprs {
            if e.eval_predicate(&row, &ctx).unwrap_or(false) {
                trues += 1;
            }
        }
    }
    let after = ALLOCATIONS.with(Cell::get);
    assert_eq!(after - before, 0, "allocations while evaluating");
    // The counter does count: an evaluation that builds a string allocates.
    let upper = bound("UPPER(s)");
    let bound_at = ALLOCATIONS.with(Cell::get);
    let _ = upper.eval(&row, &ctx);
    assert!(ALLOCATIONS.with(Cell::get) > bound_at);
    // True: the first two, IS NULL .., BETWEEN, LIKE, IS DISTINCT FROM (CASE is no predicate,
    // 7 is not in the list, s is not 'abc').
    assert_eq!(trues, 6000);
}

/// `TIMESTAMP_LTZ` conversions in a zone with daylight saving time (tzdb lookups) stay
/// allocation-free: the zone is resolved once, before the rows.
#[test]
fn session_zone_conversions_do_not_allocate() {
    let zone = spate_sql::zone::SessionZone::parse("America/Los_Angeles").expect("a tzdb zone");
    let exprs: Vec<BoundExpr> = [
        "CAST(ltz AS TIMESTAMP(3)) > ts",
        "CAST(ts AS TIMESTAMP_LTZ(3)) < ltz",
        "HOUR(ltz) = 1",
        "CAST(ltz AS DATE) = DATE '2026-11-01'",
        "FLOOR(ltz TO DAY) < ltz",
    ]
    .iter()
    .map(|e| bound(e))
    .collect();
    // 2026-11-01 09:05 UTC (01:05 PST, the repeated hour); 01:30 local, in the overlap.
    let row: Row = vec![
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Timestamp(1_793_523_900_000_000),
        Value::Timestamp(1_793_496_600_000_000),
    ];
    let ctx = EvalContext {
        zone,
        ..EvalContext::default()
    };
    for e in &exprs {
        let _ = e.eval(&row, &ctx);
    }
    let before = ALLOCATIONS.with(Cell::get);
    let mut trues = 0;
    for _ in 0..1000 {
        for e in &exprs {
            if e.eval_predicate(&row, &ctx).unwrap_or(false) {
                trues += 1;
            }
        }
    }
    assert_eq!(
        ALLOCATIONS.with(Cell::get) - before,
        0,
        "allocations while converting"
    );
    // 01:05 PST > 01:30 as a TIMESTAMP: no; 01:30 local is 08:30 UTC < 09:05: yes; the hour is 1;
    // the date is 2026-11-01; the floor is before.
    assert_eq!(trues, 4000);
}
