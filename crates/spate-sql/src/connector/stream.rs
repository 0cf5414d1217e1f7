//! Tables whose rows come from a `DataStream` of the job (`crate::stream_table` makes them):
//! the stream's rows padded to the table's columns and, with a watermark, the rowtime column as
//! each record's event time with the watermark trailing it (Flink SQL's watermark semantics,
//! per upstream subtask). A row whose rowtime is NULL fails the job, as in Flink.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use spate_engine::{DataStream, WatermarkStrategy};

use super::{Rowtime, ScanPlan};
use crate::error::{Result, SqlError};
use crate::value::{Row, Value};

/// The connector name of tables made from streams (never valid in DDL).
pub const STREAM_CONNECTOR: &str = "spate-datastream";

/// The streams behind a job's stream tables, by table name (shared by the environment and its
/// connector context; single-threaded, like the [`spate_engine::StreamEnvironment`] that builds the job).
#[derive(Clone, Default)]
pub struct StreamTables(Rc<RefCell<HashMap<String, DataStream<Row>>>>);

impl std::fmt::Debug for StreamTables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.borrow().keys()).finish()
    }
}

impl StreamTables {
    /// Makes `stream` the rows of table `name` (its columns in declaration order).
    pub(crate) fn insert(&self, name: String, stream: DataStream<Row>) {
        self.0.borrow_mut().insert(name, stream);
    }

    /// The rows of stream table `plan.table`: every column filled, the rowtime as event time.
    pub(crate) fn scan(&self, plan: &ScanPlan) -> Result<DataStream<Row>> {
        let name = plan.table.name.base().to_string();
        let stream = self.0.borrow().get(&name).cloned().ok_or_else(|| {
            SqlError::validation(
                format!("table {name} is a stream table of another environment"),
                None,
            )
        })?;
        // Stream tables have no computed columns: the row is complete once padded.
        let width = plan.table.columns.len();
        let rows = stream.map(move |mut row: Row| {
            row.resize(width, Value::Null);
            row
        });
        Ok(match plan.rowtime {
            None => rows,
            Some(Rowtime { column, delay_ms }) => rows.assign_timestamps_and_watermarks(
                WatermarkStrategy::trailing(Duration::from_millis(delay_ms.max(0).unsigned_abs()))
                    .with_timestamp_assigner(move |row: &Row, _| match row.get(column) {
                        Some(Value::Timestamp(us)) => us.div_euclid(1000),
                        // As in Flink, a row without its rowtime fails the job (engine
                        // operators fail a job by unwinding; see `job::fail`).
                        _ => std::panic::resume_unwind(Box::new(format!(
                            "SQL runtime error: the rowtime column {column} of a stream table is NULL"
                        ))),
                    }),
            ),
        })
    }
}
