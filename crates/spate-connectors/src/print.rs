//! Print and blackhole sinks.
//!
//! [`PrintSink`] writes one line per record like Flink's `print` connector: the record's
//! `Display` form (or a custom formatter), after an optional prefix and, when the sink runs
//! with more than one subtask, the 1-based subtask number (`"2> value"`). [`BlackholeSink`]
//! counts records and discards them (for benchmarks).
//!
//! ```
//! use spate_connectors::print::{PrintSink, PrintTarget};
//! use spate_engine::StreamEnvironment;
//!
//! # fn main() -> Result<(), spate_engine::EngineError> {
//! let env = StreamEnvironment::new();
//! let target = PrintTarget::buffer();
//! env.from_collection(vec![1, 2]).add_sink("print", PrintSink::new().with_prefix("n").to(target.clone()));
//! env.execute()?;
//! assert_eq!(target.contents(), "n:1\nn:2\n");
//! # Ok(()) }
//! ```

use std::fmt::Display;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use spate_engine::{EngineError, Record, Sink, SinkContext};

use crate::error::ConnectorError;

/// Where a [`PrintSink`] writes.
#[derive(Debug, Clone, Default)]
pub enum PrintTarget {
    /// Standard output.
    #[default]
    Stdout,
    /// Standard error.
    Stderr,
    /// A shared in-memory buffer (for tests and embedding).
    Buffer(Arc<Mutex<Vec<u8>>>),
}

impl PrintTarget {
    /// A new empty shared buffer.
    pub fn buffer() -> Self {
        PrintTarget::Buffer(Arc::default())
    }

    /// What was written to a buffer target so far (empty for stdout / stderr).
    pub fn contents(&self) -> String {
        match self {
            PrintTarget::Buffer(b) => {
                String::from_utf8_lossy(&b.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
            }
            _ => String::new(),
        }
    }

    fn write_all(&self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            PrintTarget::Stdout => std::io::stdout().lock().write_all(bytes),
            PrintTarget::Stderr => std::io::stderr().lock().write_all(bytes),
            PrintTarget::Buffer(b) => {
                b.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(bytes);
                Ok(())
            }
        }
    }
}

/// Formats a record into a line (without the newline).
pub type Formatter<T> = Arc<dyn Fn(&T, &mut String) + Send + Sync>;

/// Prints every record on its own line (see the module docs).
pub struct PrintSink<T> {
    format: Formatter<T>,
    prefix: Option<String>,
    target: PrintTarget,
    line_start: String,
    buffer: String,
}

impl<T> Clone for PrintSink<T> {
    fn clone(&self) -> Self {
        Self {
            format: self.format.clone(),
            prefix: self.prefix.clone(),
            target: self.target.clone(),
            line_start: self.line_start.clone(),
            buffer: String::new(),
        }
    }
}

impl<T> std::fmt::Debug for PrintSink<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrintSink")
            .field("prefix", &self.prefix)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl<T: Display> PrintSink<T> {
    /// Prints records with `Display` to stdout.
    pub fn new() -> Self {
        Self::with_formatter(|v: &T, out: &mut String| {
            use std::fmt::Write as _;
            // Writing into a String cannot fail.
            let _ = write!(out, "{v}");
        })
    }
}

impl<T: Display> Default for PrintSink<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> PrintSink<T> {
    /// Prints records formatted by `format` (which appends the line to the buffer it gets).
    pub fn with_formatter(format: impl Fn(&T, &mut String) + Send + Sync + 'static) -> Self {
        Self {
            format: Arc::new(format),
            prefix: None,
            target: PrintTarget::Stdout,
            line_start: String::new(),
            buffer: String::new(),
        }
    }

    /// Starts every line with `prefix:` (Flink's `print-identifier`).
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        self.prefix = Some(prefix.to_string());
        self
    }

    /// Writes to `target` instead of stdout.
    pub fn to(mut self, target: PrintTarget) -> Self {
        self.target = target;
        self
    }
}

impl<T: Send> Sink<T> for PrintSink<T> {
    fn open(&mut self, ctx: &SinkContext) -> Result<(), EngineError> {
        self.line_start = match (&self.prefix, ctx.parallelism > 1) {
            (Some(p), true) => format!("{p}:{}> ", ctx.subtask + 1),
            (Some(p), false) => format!("{p}:"),
            (None, true) => format!("{}> ", ctx.subtask + 1),
            (None, false) => String::new(),
        };
        Ok(())
    }

    fn write(&mut self, records: &mut Vec<Record<T>>) -> Result<(), EngineError> {
        self.buffer.clear();
        for r in records.iter() {
            self.buffer.push_str(&self.line_start);
            (self.format)(&r.value, &mut self.buffer);
            self.buffer.push('\n');
        }
        // One write per batch keeps lines of concurrent subtasks whole.
        self.target.write_all(self.buffer.as_bytes()).map_err(|source| {
            EngineError::from(ConnectorError::Io {
                path: "<print>".into(),
                source,
            })
        })
    }
}

/// The number of records a [`BlackholeSink`] (and its clones) received.
#[derive(Debug, Clone, Default)]
pub struct RecordCount(Arc<AtomicU64>);

impl RecordCount {
    /// The count so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Discards records and counts them (all subtasks add to one [`RecordCount`]).
#[derive(Debug, Clone)]
pub struct BlackholeSink {
    count: RecordCount,
}

impl BlackholeSink {
    /// A sink and the handle to its count.
    pub fn new() -> (Self, RecordCount) {
        let count = RecordCount::default();
        (Self { count: count.clone() }, count)
    }
}

impl<T: Send> Sink<T> for BlackholeSink {
    fn write(&mut self, records: &mut Vec<Record<T>>) -> Result<(), EngineError> {
        self.count.0.fetch_add(records.len() as u64, Ordering::Relaxed);
        records.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_carry_prefix_and_subtask_number() {
        let target = PrintTarget::buffer();
        let mut s = PrintSink::new().with_prefix("out").to(target.clone());
        Sink::<i32>::open(
            &mut s,
            &SinkContext {
                subtask: 1,
                parallelism: 3,
                attempt: 0,
            },
        )
        .unwrap();
        s.write(&mut vec![Record::new(0, 7), Record::new(0, 8)]).unwrap();
        let mut plain = PrintSink::with_formatter(|v: &i32, o: &mut String| o.push_str(&format!("<{v}>")))
            .to(target.clone());
        plain
            .open(&SinkContext {
                subtask: 0,
                parallelism: 1,
                attempt: 0,
            })
            .unwrap();
        plain.write(&mut vec![Record::new(0, 9)]).unwrap();
        assert_eq!(target.contents(), "out:2> 7\nout:2> 8\n<9>\n");
    }

    #[test]
    fn blackhole_counts_over_clones() {
        let (s, count) = BlackholeSink::new();
        let mut a = s.clone();
        let mut b = s;
        Sink::<u8>::write(&mut a, &mut vec![Record::new(0, 1); 3]).unwrap();
        Sink::<u8>::write(&mut b, &mut vec![Record::new(0, 1); 2]).unwrap();
        assert_eq!(count.get(), 5);
    }
}
