//! Client quotas (KIP-13, KIP-55, KIP-124, KIP-546): produce and consume byte rates and the
//! share of request handling time per user, client id or both, with Kafka's defaults and
//! precedence, managed with AlterClientQuotas and DescribeClientQuotas and kept in
//! `DATA_DIR/broker/client-quotas`.
//!
//! A client over its rate is throttled Kafka's way (KIP-219): the response carries
//! `throttle_time_ms` and the connection reads nothing more for that long; replies of request
//! versions before KIP-219 (Produce < 6, Fetch < 8, Metadata < 6, ...) are themselves delayed instead, since those
//! clients do not back off on their own (Kafka's clients' `shouldClientThrottle`). A throttled
//! fetch returns no records. Produce and Fetch answer with the larger of their byte-rate and
//! request throttles.
//!
//! - `entity.rs`: entities, keys and Kafka's validation rules.
//! - `rate.rs`: the sampled rate and the throttle time (Kafka's `Rate` and `QuotaUtils`).
//! - `store.rs` + `file_format.rs`: the durable quota list.
//! - `manager.rs`: which quota applies to a request, and recording against it.
//! - `request_time.rs`: what the request quota exempts, and how request time is measured.

pub mod entity;
pub(crate) mod file_format;
pub(crate) mod manager;
pub mod rate;
pub(crate) mod request_time;
pub(crate) mod store;

pub use entity::{EntityName, QuotaEntity, QuotaKey};
pub use rate::QuotaWindow;
