//! Functions of the processing time and the watermark: `PROCTIME()`, `CURRENT_TIMESTAMP`,
//! `LOCALTIMESTAMP`, `CURRENT_DATE`, `CURRENT_TIME`, `UNIX_TIMESTAMP()`, `CURRENT_WATERMARK`,
//! `RAND()`, `UUID()`.

use super::Result;
use crate::expr::context::{EvalContext, EvalError};
use crate::expr::func::ScalarFunc;
use crate::value::Value;

/// One of this file's functions of `row`; any other function is an error (the caller
/// dispatches by family).
#[inline]
pub(super) fn clock(func: &ScalarFunc, ctx: &EvalContext) -> Result<Value> {
    Ok(match func {
        ScalarFunc::CurrentWatermark => {
            if ctx.watermark == i64::MIN {
                Value::Null
            } else {
                Value::Timestamp(ctx.watermark.saturating_mul(1000))
            }
        }
        ScalarFunc::Proctime | ScalarFunc::CurrentTimestamp => {
            Value::Timestamp(ctx.now_millis.saturating_mul(1000))
        }
        // The wall clock of the session zone (Flink: LOCALTIMESTAMP, CURRENT_DATE and
        // CURRENT_TIME are local; CURRENT_TIMESTAMP is an instant).
        ScalarFunc::LocalTimestamp => Value::Timestamp(local_now_micros(ctx) / 1000 * 1000),
        ScalarFunc::CurrentDate => {
            Value::Date(local_now_micros(ctx).div_euclid(crate::temporal::MICROS_PER_DAY) as i32)
        }
        ScalarFunc::CurrentTime => Value::Time(
            local_now_micros(ctx).rem_euclid(crate::temporal::MICROS_PER_DAY) / 1_000_000 * 1_000_000_000,
        ),
        ScalarFunc::UnixTimestampNow => Value::Int(ctx.now_millis.div_euclid(1000)),
        ScalarFunc::Rand => Value::Float(next_random(ctx.now_millis)),
        ScalarFunc::Uuid => Value::String(random_uuid()),
        other => return Err(EvalError(format!("{other:?} is not a clock function"))),
    })
}

/// The processing time as a wall-clock time of the session zone, in microseconds.
fn local_now_micros(ctx: &EvalContext) -> i64 {
    ctx.zone.to_local(ctx.now_millis.saturating_mul(1000))
}

/// A version 4 UUID from a per-thread generator seeded from the process's random hash keys
/// (distinct per thread and per process, so no two threads repeat a sequence).
fn random_uuid() -> String {
    use std::cell::Cell;
    use std::hash::{BuildHasher, Hasher};
    thread_local!(static STATE: Cell<u64> = Cell::new({
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x5EED);
        h.finish() | 1
    }));
    let next = || {
        STATE.with(|s| {
            // splitmix64: every 64-bit output once per period.
            let x = s.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
            s.set(x);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        })
    };
    let (hi, lo) = (next(), next());
    let hi = (hi & !0xF000) | 0x4000;
    let lo = (lo & !(0xC000_u64 << 48)) | (0x8000_u64 << 48);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

/// A xorshift sequence per thread, seeded from the processing time of its first use.
fn next_random(seed: i64) -> f64 {
    use std::cell::Cell;
    thread_local!(static STATE: Cell<u64> = const { Cell::new(0) });
    STATE.with(|s| {
        let mut x = s.get();
        if x == 0 {
            x = (seed as u64) ^ 0x9E37_79B9_7F4A_7C15;
            if x == 0 {
                x = 1;
            }
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}
