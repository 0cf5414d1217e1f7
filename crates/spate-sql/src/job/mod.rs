//! Running SQL: logical plans become engine jobs.

mod accumulate;
mod append_top_n;
mod attached;
mod calc;
mod call_inputs;
mod changelog_normalize;
mod consumer_filters;
mod deduplicate;
mod fail;
mod group_aggregate;
mod int_aggregate;
mod int_column;
mod join;
mod join_key;
mod mini_batch;
mod not_null;
mod over_aggregate;
mod packed_rows;
mod path_picks;
mod plan_keys;
mod rank_emit;
mod retractable_top_n;
mod retracting_session;
mod retracting_window;
mod sink_materializer;
mod slice_order;
mod state_ttl;
mod translate;
mod unnest;
mod updatable_top_n;
mod wall_clock;
mod welford;
mod window_output;
mod window_rank;

pub use crate::connector::{NOT_NULL_ENFORCER, NotNullEnforcer};
pub use translate::Translator;
