//! How a SQL operator fails its job on bad data (a division by zero, a `CAST` that cannot
//! succeed, a `NULL` rowtime): as Flink does, the job fails with the error's text.
//!
//! Engine operators have no error channel (only sources and sinks return errors); a panic in a
//! task fails the job with its message. `resume_unwind` unwinds without running the panic hook,
//! so nothing is printed twice and no backtrace is taken; the engine reports the message.

use crate::expr::EvalError;

/// Fails the running job with `message` as it is.
pub(crate) fn raise_message(message: String) -> ! {
    std::panic::resume_unwind(Box::new(message))
}

/// Fails the running job with `error`.
pub(crate) fn raise(error: EvalError) -> ! {
    std::panic::resume_unwind(Box::new(format!("SQL runtime error: {error}")))
}
