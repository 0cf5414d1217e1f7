//! The logical plan: what a query computes, bound and typed, before it becomes an engine graph.
//!
//! [`bind_query`] turns a parsed [`Query`](crate::ast::Query) into a [`LogicalPlan`] against the
//! [`Catalog`](crate::Catalog); `spate_sql::job` then translates the plan into engine operators.
//! Every node knows its output [`Schema`]; columns are addressed by index, names are kept only
//! for `SELECT *`, messages and `EXPLAIN`.
//!
//! Time attributes follow Flink: a table's `WATERMARK FOR` column is a rowtime attribute and
//! stays one through projections and filters; a window aggregate's `window_time` is one; any
//! other expression over a time attribute is a plain `TIMESTAMP(3)`.

mod aggregate;
mod bind_query;
mod budget;
mod changelog_mode;
mod column_use;
mod explain;
mod insert;
mod join_input;
mod monotonicity;
mod on_conflict;
mod projection;
mod rank;
mod rel_scope;
mod unnest;
mod upsert_keys;

pub use aggregate::{AggCall, AggKind};
pub use bind_query::{bind_query, bind_view_query};
pub use changelog_mode::{
    ChangelogMode, JDBC_NEEDS_A_KEY, UpdateImages, check_sink_accepts, check_upsert_key, sink_update_images,
};
pub use column_use::{ColumnUse, Projection};
pub use insert::plan_inserts;
pub use join_input::JoinInputView;
pub use projection::push_down_projections;
pub use rank::{
    LagCall, OverFrame, RankKind, RankRange, RankStrategy, RankWindow, SortKey, deduplication,
    effective_rank_strategy, extract_rank_range,
};
pub use unnest::{UnnestElements, UnnestOptions};
pub use upsert_keys::UpsertKeys;

use std::fmt;

pub use crate::ast::StateTtlHint;
use crate::ast::TableDef;
use crate::expr::BoundExpr;
use crate::types::DataType;

/// Whether a column is a time attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeAttr {
    /// Event time: the column records are timed by (watermarks advance over it).
    Rowtime,
    /// Processing time (`PROCTIME()`).
    Proctime,
}

/// One output column of a plan node.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The column's name.
    pub name: String,
    /// The column's type.
    pub ty: DataType,
    /// Whether it is a time attribute.
    pub time: Option<TimeAttr>,
    /// The table alias it can be qualified with (`t` in `t.a`), if any.
    pub qualifier: Option<String>,
}

impl Field {
    /// A plain column.
    pub fn new(name: impl Into<String>, ty: DataType) -> Self {
        Self {
            name: name.into(),
            ty,
            time: None,
            qualifier: None,
        }
    }
}

/// The columns of a plan node's rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    /// The columns in order.
    pub fields: Vec<Field>,
}

impl Schema {
    /// The rowtime column, if the rows have one.
    pub fn rowtime(&self) -> Option<usize> {
        self.fields.iter().position(|f| f.time == Some(TimeAttr::Rowtime))
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} {}", c.name, c.ty)?;
            match c.time {
                Some(TimeAttr::Rowtime) => f.write_str(" *ROWTIME*")?,
                Some(TimeAttr::Proctime) => f.write_str(" *PROCTIME*")?,
                None => {}
            }
        }
        Ok(())
    }
}

/// Event time of a source table: its `WATERMARK FOR` column and how far the watermark trails
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rowtime {
    /// Index of the rowtime column in the table's rows.
    pub column: usize,
    /// The watermark trails the largest rowtime seen by this much (`WATERMARK FOR ts AS ts -
    /// INTERVAL '5' SECOND` is 5000).
    pub delay_ms: i64,
}

/// A window of a window aggregate or window join, sizes in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSpec {
    /// `TUMBLE(size [, offset])`.
    Tumble {
        /// Size.
        size: i64,
        /// Offset.
        offset: i64,
    },
    /// `HOP(slide, size [, offset])`.
    Hop {
        /// Slide.
        slide: i64,
        /// Size.
        size: i64,
        /// Offset.
        offset: i64,
    },
    /// `CUMULATE(step, size [, offset])`.
    Cumulate {
        /// Step.
        step: i64,
        /// Maximum size.
        size: i64,
        /// Offset.
        offset: i64,
    },
    /// `SESSION(gap)`.
    Session {
        /// Gap.
        gap: i64,
    },
}

/// Which window column a window aggregate outputs, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowProperty {
    /// `window_start` / `TUMBLE_START`.
    Start,
    /// `window_end` / `TUMBLE_END`.
    End,
    /// `window_time` / `TUMBLE_ROWTIME` (a rowtime attribute: end - 1 ms).
    Time,
}

/// A logical plan node.
#[derive(Debug, Clone)]
pub enum LogicalPlan {
    /// Reading a table: rows with every table column in declaration order (computed columns
    /// computed by `computed`, expressions over the row).
    Scan {
        /// The table.
        table: Box<TableDef>,
        /// `(column index, expression)` of each computed column, in declaration order.
        computed: Vec<(usize, BoundExpr)>,
        /// Event time.
        rowtime: Option<Rowtime>,
        /// What the query reads of each column, once [`push_down_projections`] has run
        /// (`None` before: everything).
        used: Option<Projection>,
        /// The output.
        schema: Schema,
    },
    /// `VALUES (...), (...)`: a bounded, constant input.
    Values {
        /// The rows.
        rows: Vec<Vec<BoundExpr>>,
        /// The output.
        schema: Schema,
    },
    /// Computes one expression per output column.
    Project {
        /// The input.
        input: Box<LogicalPlan>,
        /// One per output column, over the input's columns.
        exprs: Vec<BoundExpr>,
        /// The output.
        schema: Schema,
    },
    /// `GROUPING SETS`, `ROLLUP` and `CUBE` (Flink's `Expand`): each input row once per grouping
    /// set, in `ids` order, as the input's columns, then the grouping keys (`NULL` where the set
    /// leaves a key out), then the set's id (Flink's `$e`, `BIGINT NOT NULL`). A
    /// `GroupAggregate` over it groups by the keys and the id; aggregates read the input's
    /// columns, which keep their values in every set.
    Expand {
        /// The input.
        input: Box<LogicalPlan>,
        /// The grouping keys, over the input's columns.
        keys: Vec<BoundExpr>,
        /// Each set's id: bit `keys.len() - 1 - i` is set when the set leaves key `i` out
        /// (Flink's `ExpandUtil.genExpandId`).
        ids: Vec<i64>,
        /// The output.
        schema: Schema,
    },
    /// Keeps the rows for which the predicate is true.
    Filter {
        /// The input.
        input: Box<LogicalPlan>,
        /// Over the input's columns.
        predicate: BoundExpr,
    },
    /// A window TVF not followed by an aggregation: every row once per window it falls into,
    /// with `window_start`, `window_end`, `window_time` appended.
    WindowAssign {
        /// The input.
        input: Box<LogicalPlan>,
        /// The window.
        window: WindowSpec,
        /// The input's time attribute column the windows are over.
        time_col: usize,
        /// Whether that is event time (else processing time).
        event_time: bool,
        /// `PARTITION BY` columns of a `SESSION` TVF: sessions are cut per partition.
        partition_by: Vec<usize>,
        /// The output.
        schema: Schema,
    },
    /// Flink's sink upsert materializer (`SinkMaterializer`), under a sink whose primary key
    /// is not an upsert key of the query: per sink key it keeps the rows that claim it and
    /// emits one row per key (`+I`, `+U`, `-D`), resolving rows of different upsert keys as
    /// the `ON CONFLICT` clause says. Its columns are its input's.
    SinkMaterialize {
        /// The input, conformed to the sink's columns.
        input: Box<LogicalPlan>,
        /// The sink's primary key columns.
        pk: Vec<usize>,
        /// The input's smallest upsert key, which tells apart the rows of one sink key; `None`
        /// (an input without one) compares whole rows.
        upsert_key: Option<Vec<usize>>,
        /// How rows of different upsert keys for one sink key resolve.
        strategy: crate::ast::ConflictStrategy,
    },
    /// A windowed `GROUP BY`: rows are `keys ++ window properties ++ aggregates`.
    WindowAggregate {
        /// The input.
        input: Box<LogicalPlan>,
        /// The window.
        window: WindowSpec,
        /// The input's time attribute column.
        time_col: usize,
        /// Whether that is event time.
        event_time: bool,
        /// The grouping keys, over the input's columns.
        keys: Vec<BoundExpr>,
        /// Which window properties follow the keys, in order.
        properties: Vec<WindowProperty>,
        /// The aggregate calls.
        aggs: Vec<AggCall>,
        /// A legacy group window (`GROUP BY HOP(..)`) rather than a window table function:
        /// Flink's operators for the two list a hopping window's rows in different orders.
        group_window: bool,
        /// The output.
        schema: Schema,
    },
    /// A windowed `GROUP BY` over rows that already carry their window (`start`/`end`
    /// columns, from an earlier window aggregate): rows are `keys ++ window properties ++
    /// aggregates`, one per window and key when the watermark passes the window's end.
    AttachedWindowAggregate {
        /// The input.
        input: Box<LogicalPlan>,
        /// The window the input rows carry.
        window: WindowSpec,
        /// The input's `window_start` column.
        start: usize,
        /// The input's `window_end` column.
        end: usize,
        /// The grouping keys, over the input's columns.
        keys: Vec<BoundExpr>,
        /// The aggregate calls.
        aggs: Vec<AggCall>,
        /// The output.
        schema: Schema,
    },
    /// Flink's `ChangelogNormalize` over an upsert source (`upsert-kafka`): the upserts by key
    /// made a complete changelog. It keeps the last row of each key: a row for a new key is
    /// `+I`, a row for a known key `+U` (after `-U` of the old row, when asked for), a
    /// tombstone `-D` of the old row (and nothing for a key it does not hold); a row equal to
    /// the one held changes nothing. Rows are the input's.
    ChangelogNormalize {
        /// The upsert source.
        input: Box<LogicalPlan>,
        /// The key's columns (the table's primary key), over the input's columns.
        keys: Vec<usize>,
        /// A `WHERE` over the source, applied to each upsert as Flink pushes it in: a row that
        /// does not match deletes its key's row instead of replacing it.
        condition: Option<BoundExpr>,
    },
    /// `GROUP BY` without a window (Flink's `GroupAggregate`): one row per group, emitted when
    /// the group first appears and updated whenever an input row changes its aggregates. Rows
    /// are `keys ++ aggregates`; no time attribute survives it.
    GroupAggregate {
        /// The input.
        input: Box<LogicalPlan>,
        /// The grouping keys, over the input's columns (none: one global group).
        keys: Vec<BoundExpr>,
        /// The aggregate calls.
        aggs: Vec<AggCall>,
        /// Each aggregate's name as Flink's plans show it: its alias in the SELECT list, else
        /// `EXPR$n` after its position there, else `$fn` after its output column.
        agg_names: Vec<String>,
        /// The output.
        schema: Schema,
        /// A `STATE_TTL` hint for this aggregate, over `table.exec.state.ttl`.
        state_ttl: Option<StateTtlHint>,
    },
    /// `input CROSS JOIN UNNEST(collection)` (or `LEFT JOIN .. ON ..`): each input row once
    /// per element of the collection it holds, `input columns ++ element columns
    /// [++ ordinality]`. Records keep their timestamps, so the input's rowtime stays one.
    Unnest {
        /// The input.
        input: Box<LogicalPlan>,
        /// The collection, over the input's columns.
        collection: BoundExpr,
        /// What an element becomes.
        elements: UnnestElements,
        /// `WITH ORDINALITY`, `LEFT JOIN`.
        options: UnnestOptions,
        /// The `ON` condition (absent for `ON TRUE`), over the output columns: an element row
        /// is kept only when it holds.
        condition: Option<BoundExpr>,
        /// Which input columns the rows made must carry, once [`push_down_projections`] has
        /// run (`None` before: all). The others are read by nothing above, so they may be
        /// `NULL`: a row per element need not clone the whole collection again.
        carried: Option<Vec<bool>>,
        /// The output.
        schema: Schema,
    },
    /// `UNION ALL`.
    Union {
        /// The inputs (same column types).
        inputs: Vec<LogicalPlan>,
        /// The output.
        schema: Schema,
    },
    /// A window join: both inputs are window TVFs with the same window; rows of the same window
    /// and equal keys are joined. Output: left columns ++ right columns.
    WindowJoin {
        /// Left input (before window assignment).
        left: Box<LogicalPlan>,
        /// Right input (before window assignment).
        right: Box<LogicalPlan>,
        /// The window.
        window: WindowSpec,
        /// Time attribute column of each input.
        time_cols: (usize, usize),
        /// Equi-join keys over each input's windowed columns.
        keys: Vec<(BoundExpr, BoundExpr)>,
        /// A residual condition over the joined columns.
        condition: Option<BoundExpr>,
        /// Inner or outer.
        kind: crate::ast::JoinKind,
        /// The output.
        schema: Schema,
    },
    /// A regular join on equi-join keys (Flink's `Join`): every row of both inputs is kept
    /// (until a state TTL expires it) and joined with the other side's rows of its key. An
    /// inner join of insert-only inputs is insert-only; over updating inputs it passes their
    /// changes on; an outer join emits and retracts its `NULL`-padded rows (an updating
    /// result whatever its inputs).
    RegularJoin {
        /// Left input.
        left: Box<LogicalPlan>,
        /// Right input.
        right: Box<LogicalPlan>,
        /// Equi-join keys (none: one task joins every row with every row).
        keys: Vec<(BoundExpr, BoundExpr)>,
        /// Per key, whether NULL meets NULL on it (`IS NOT DISTINCT FROM`; `=` never matches
        /// NULL).
        nulls_meet: Vec<bool>,
        /// A residual condition over the joined columns.
        condition: Option<BoundExpr>,
        /// Inner or outer.
        kind: crate::ast::JoinKind,
        /// The `STATE_TTL` hints of the left and right input, which win over
        /// `table.exec.state.ttl` for that side's rows.
        state_ttl: (Option<StateTtlHint>, Option<StateTtlHint>),
        /// The output.
        schema: Schema,
    },
    /// An event-time temporal join (Flink's `TemporalJoin` on its `TemporalRowTimeJoinOperator`):
    /// `l JOIN r FOR SYSTEM_TIME AS OF l.t ON ..`, each left row joined with the version of the
    /// right (versioned) table's row of its key that was valid at the left row's time, once both
    /// inputs' watermarks pass that time. The right side's equi-join keys hold its primary key.
    /// Output: left columns ++ right columns; the left rowtime stays a time attribute, the
    /// right's does not. Its rows are the left rows' kinds.
    TemporalJoin {
        /// The probe (left) input.
        left: Box<LogicalPlan>,
        /// The versioned (right) input.
        right: Box<LogicalPlan>,
        /// Equi-join keys (at least one; the right ones hold the primary key).
        keys: Vec<(BoundExpr, BoundExpr)>,
        /// The left rowtime column and the right one (over the right input's columns).
        time_cols: (usize, usize),
        /// A residual condition over the joined columns.
        condition: Option<BoundExpr>,
        /// Inner or left outer.
        kind: crate::ast::JoinKind,
        /// The output.
        schema: Schema,
    },
    /// A lookup join (Flink's `LookupJoin`): `l [LEFT] JOIN d FOR SYSTEM_TIME AS OF l.proc_time
    /// ON ..` where `d` is a lookup table (a `jdbc` table). Each left row, when it arrives, is
    /// joined with the rows the table holds for its key at that moment, queried from the
    /// external system (maybe through a cache); nothing of the table is kept as state. Output:
    /// left columns ++ the table's columns (nullable for a left join); its rows are the left
    /// rows' kinds.
    LookupJoin {
        /// The probe (left) input.
        left: Box<LogicalPlan>,
        /// The lookup table's scan (never run as a source: it names the table and its
        /// columns, and projection push-down marks the columns read).
        right: Box<LogicalPlan>,
        /// Lookup keys: a left expression and the table's column (a `Column` over the right
        /// input's columns) it must equal; at least one.
        keys: Vec<(BoundExpr, BoundExpr)>,
        /// The rest of the `ON` condition over the joined columns, applied to each looked-up
        /// row.
        condition: Option<BoundExpr>,
        /// Inner or left outer.
        kind: crate::ast::JoinKind,
        /// The output.
        schema: Schema,
    },
    /// Window functions (`ROW_NUMBER() OVER (..)`, Flink's `LogicalOverAggregate`): the input's
    /// columns, then one per call. Only a Top-N filter over it makes it runnable (a [`Rank`]
    /// replaces it); one left in a plan is refused at binding.
    ///
    /// [`Rank`]: LogicalPlan::Rank
    Over {
        /// The input.
        input: Box<LogicalPlan>,
        /// `PARTITION BY` columns of the input.
        partition_by: Vec<usize>,
        /// `ORDER BY` of the window.
        order_by: Vec<SortKey>,
        /// The ranking function of each appended column (a Top-N's; then no `aggs`).
        calls: Vec<RankKind>,
        /// The aggregates of each appended column (an OVER aggregate's; then no `calls`).
        aggs: Vec<AggCall>,
        /// The `LAG` calls of the columns after the aggregates'.
        lags: Vec<LagCall>,
        /// The aggregates' frame.
        frame: OverFrame,
        /// The output.
        schema: Schema,
    },
    /// Top-N (Flink's `Rank`): per partition, the rows ranked `range` by `order_by`, updated as
    /// rows enter and leave it; with `output_rank` the rank is appended as a `BIGINT` column.
    /// Over a window TVF's rows (`window`), each window's rows once when it fires
    /// (`WindowRank`, insert-only).
    Rank {
        /// The input.
        input: Box<LogicalPlan>,
        /// `PARTITION BY` columns (none: one global partition).
        partition_by: Vec<usize>,
        /// The order ranks count in.
        order_by: Vec<SortKey>,
        /// `ROW_NUMBER`, `RANK` or `DENSE_RANK`.
        kind: RankKind,
        /// The ranks kept.
        range: RankRange,
        /// Whether the rank is an output column.
        output_rank: bool,
        /// The window the input rows carry, for a window Top-N.
        window: Option<RankWindow>,
        /// The output.
        schema: Schema,
    },
    /// Deduplication (Flink's `Deduplicate`, a Top-1 by a time attribute without the rank
    /// column): per key the first row (`keep_last` false) or the last by `order`, a processing
    /// or event time column. Over a window TVF's rows, per window (`WindowDeduplicate`).
    Deduplicate {
        /// The input.
        input: Box<LogicalPlan>,
        /// The key columns.
        keys: Vec<usize>,
        /// The time attribute column ordered by.
        order: usize,
        /// Whether that is event time (else processing time).
        rowtime: bool,
        /// `ORDER BY .. DESC`: keep the last row.
        keep_last: bool,
        /// The window the input rows carry, for a window deduplication.
        window: Option<RankWindow>,
    },
    /// `ORDER BY` a time attribute ascending without `LIMIT` (Flink's `TemporalSort`): on event
    /// time each row waits for the watermark to pass its time and goes out in the order of
    /// `order_by` (the rowtime first); on processing time the rows of a millisecond go out
    /// sorted by the keys after the first. Insert-only in and out, on one global task.
    TemporalSort {
        /// The input.
        input: Box<LogicalPlan>,
        /// The order: a time attribute ascending, then any columns.
        order_by: Vec<SortKey>,
        /// Whether the time attribute is event time (else processing time).
        rowtime: bool,
    },
    /// An interval join on event time: `r.t BETWEEN l.t + lower AND l.t + upper`.
    IntervalJoin {
        /// Left input.
        left: Box<LogicalPlan>,
        /// Right input.
        right: Box<LogicalPlan>,
        /// Equi-join keys.
        keys: Vec<(BoundExpr, BoundExpr)>,
        /// Rowtime column of each input.
        time_cols: (usize, usize),
        /// Bounds of `right.t - left.t` in ms, inclusive.
        bounds: (i64, i64),
        /// A residual condition over the joined columns.
        condition: Option<BoundExpr>,
        /// Inner or outer.
        kind: crate::ast::JoinKind,
        /// The output.
        schema: Schema,
    },
}

impl LogicalPlan {
    /// The node's output columns.
    pub fn schema(&self) -> &Schema {
        match self {
            LogicalPlan::Filter { input, .. }
            | LogicalPlan::ChangelogNormalize { input, .. }
            | LogicalPlan::Deduplicate { input, .. }
            | LogicalPlan::TemporalSort { input, .. }
            | LogicalPlan::SinkMaterialize { input, .. } => input.schema(),
            LogicalPlan::Scan { schema, .. }
            | LogicalPlan::Values { schema, .. }
            | LogicalPlan::Project { schema, .. }
            | LogicalPlan::Expand { schema, .. }
            | LogicalPlan::WindowAssign { schema, .. }
            | LogicalPlan::WindowAggregate { schema, .. }
            | LogicalPlan::AttachedWindowAggregate { schema, .. }
            | LogicalPlan::GroupAggregate { schema, .. }
            | LogicalPlan::Union { schema, .. }
            | LogicalPlan::Unnest { schema, .. }
            | LogicalPlan::WindowJoin { schema, .. }
            | LogicalPlan::RegularJoin { schema, .. }
            | LogicalPlan::TemporalJoin { schema, .. }
            | LogicalPlan::LookupJoin { schema, .. }
            | LogicalPlan::Over { schema, .. }
            | LogicalPlan::Rank { schema, .. }
            | LogicalPlan::IntervalJoin { schema, .. } => schema,
        }
    }

    /// The node's inputs, left to right.
    pub fn inputs(&self) -> Vec<&LogicalPlan> {
        match self {
            LogicalPlan::Scan { .. } | LogicalPlan::Values { .. } => Vec::new(),
            LogicalPlan::Project { input, .. }
            | LogicalPlan::Expand { input, .. }
            | LogicalPlan::Filter { input, .. }
            | LogicalPlan::WindowAssign { input, .. }
            | LogicalPlan::WindowAggregate { input, .. }
            | LogicalPlan::AttachedWindowAggregate { input, .. }
            | LogicalPlan::GroupAggregate { input, .. }
            | LogicalPlan::ChangelogNormalize { input, .. }
            | LogicalPlan::SinkMaterialize { input, .. }
            | LogicalPlan::Over { input, .. }
            | LogicalPlan::Rank { input, .. }
            | LogicalPlan::Deduplicate { input, .. }
            | LogicalPlan::TemporalSort { input, .. }
            | LogicalPlan::Unnest { input, .. } => vec![input],
            LogicalPlan::Union { inputs, .. } => inputs.iter().collect(),
            LogicalPlan::WindowJoin { left, right, .. }
            | LogicalPlan::RegularJoin { left, right, .. }
            | LogicalPlan::TemporalJoin { left, right, .. }
            | LogicalPlan::LookupJoin { left, right, .. }
            | LogicalPlan::IntervalJoin { left, right, .. } => vec![left, right],
        }
    }
}
