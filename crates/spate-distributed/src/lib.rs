//! One Spate job on several processes, coordinated through Kafka.
//!
//! Every process builds the same job and runs the tasks it owns (a task is a stage of the
//! job at one subtask index, see [`spate_engine::topology`]). What crosses stages goes
//! through Kafka, and so does every checkpoint, so a task can move to any process:
//!
//! - [`KafkaExchange`]: the engine's exchanges on repartition topics
//!   (`<group>-exchange-<n>`, one partition per downstream task), read read_committed.
//! - [`ProcessTxn`]: the process's one transactional producer (Kafka's exactly-once v2).
//!   Transaction `k` carries the exchange records between the barriers of the checkpoints
//!   before `k` and `k`, checkpoint `k`'s state and the owned tasks' offsets; it commits when
//!   checkpoint `k` completes, fenced by the group generation in its offset commit.
//! - [`KafkaCheckpoints`]: the engine's [`CheckpointPublisher`](spate_engine::checkpoint::CheckpointPublisher):
//!   changed state sections go to the stage's compacted changelog topic
//!   (`<group>-stage-<n>-changelog`, one partition per task) in that transaction.
//! - [`restore_tasks`]: a process taking tasks over reads their changelog partitions back
//!   into a checkpoint directory and the engine restores from it as from any checkpoint.
//! - [`run_distributed`]: one process of the job, driven by its group membership
//!   ([`spate_group::Membership`]): assigned tasks are restored and run, revoked ones
//!   stop with a committed checkpoint, lost ones are cancelled.
//! - [`DistributedError`]: the crate's errors.
//!
//! Processes checkpoint independently, as Kafka Streams' instances commit independently:
//! a downstream task sees only committed upstream records, so restoring one process's tasks
//! to their last committed checkpoint never duplicates or loses what another read.
//!
//! ```no_run
//! use std::collections::BTreeSet;
//! use std::sync::Arc;
//! use std::time::Duration;
//! use spate_distributed::{KafkaCheckpoints, KafkaExchange, KafkaSettings, ProcessTxn, ensure_topics, restore_tasks};
//! use spate_engine::exchange::TaskScope;
//! use spate_engine::StreamEnvironment;
//! use spate_group::GroupMetadata;
//! use spate_group::changelog::ChangelogWriter;
//! use spate_kafka_client::TxnProducerConfig;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let env = StreamEnvironment::new();
//! let settings = KafkaSettings {
//!     bootstrap: "localhost:9092".into(),
//!     security: Default::default(),
//!     group: "my-job".into(),
//!     replication_factor: 1,
//!     request_timeout: Duration::from_secs(30),
//! };
//! let topology = env.topology()?;
//! ensure_topics(&settings, &topology)?;
//! let owned: BTreeSet<(u32, u32)> = topology.tasks().into_iter().collect();
//! let restored = restore_tasks(&settings, &topology, &owned, 128, std::path::Path::new("/tmp/restore"))?;
//! if let Some(dir) = &restored.checkpoint {
//!     env.restore_from(dir);
//! }
//! let txn = Arc::new(ProcessTxn::init(
//!     TxnProducerConfig {
//!         bootstrap: settings.bootstrap.clone(),
//!         security: Default::default(),
//!         transactional_id: "my-job-process-1".into(),
//!         transaction_timeout: Duration::from_secs(10),
//!         request_timeout: Duration::from_secs(30),
//!     },
//!     restored.id,
//! )?);
//! let publisher = KafkaCheckpoints::new(
//!     txn.clone(),
//!     &settings.group,
//!     topology.clone(),
//!     owned.clone(),
//!     Box::new(|| GroupMetadata { group_id: "my-job".into(), generation_id: -1, member_id: String::new(), group_instance_id: None }),
//!     restored.writer,
//!     env.source_log_offsets(),
//! );
//! env.execute_tasks(TaskScope {
//!     owned,
//!     transport: Arc::new(KafkaExchange::new(settings.clone(), txn)),
//!     publisher: Some(Arc::new(publisher)),
//! })?;
//! # Ok(())
//! # }
//! ```

mod error;
pub mod exchange;
pub mod publish;
pub mod restore;
pub mod runner;
pub mod status;
pub mod topics;
pub mod txn;

pub use error::DistributedError;
pub use exchange::KafkaExchange;
pub use publish::KafkaCheckpoints;
pub use restore::{Restored, restore_tasks};
pub use runner::{JobBuilder, RunnerConfig, run_distributed};
pub use spate_group::ASSIGNOR_NAME;
pub use status::{InputStatus, JobStatus, MemberStatus, TaskStatus, job_status};
pub use topics::{KafkaSettings, ensure_topics, exchange_topic, stage_changelog};
pub use txn::ProcessTxn;
