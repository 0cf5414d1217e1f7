//! What every connection shares: storage, configuration, id allocation, append notifications.

use std::sync::Arc;

use spate_log::LogStore;
use tokio::sync::watch;

use crate::acl::authorizer::Authorizer;
use crate::acl::store::AclStore;
use crate::fetch_sessions::FetchSessionCache;
use crate::groups::{GroupConfig, GroupCoordinator};
use crate::handshake_failure_log::{HANDSHAKE_FAILURE_LOG_WINDOW, HandshakeFailureLog};
use crate::log_cleaner::LogCleaner;
use crate::memory_budget::MemoryBudget;
use crate::producer_ids::ProducerIdAllocator;
use crate::quotas::manager::QuotaManager;
use crate::quotas::store::QuotaStore;
use crate::sasl::credentials::CredentialStore;
use crate::sasl::plain_verifier::PlainVerifier;
use crate::syncer::Syncer;
use crate::txn::{self, TransactionCoordinator};
use crate::{BrokerConfig, Result, state_file};

#[derive(Debug)]
pub(crate) struct BrokerState {
    pub(crate) config: BrokerConfig,
    pub(crate) cluster_id: String,
    pub(crate) store: Arc<LogStore>,
    /// SCRAM credentials, also what PLAIN checks passwords against.
    pub(crate) credentials: Arc<CredentialStore>,
    /// The ACLs and who may do what.
    pub(crate) authorizer: Authorizer,
    /// Random per start: keys the made-up salts of unknown SCRAM users.
    pub(crate) sasl_secret: [u8; 16],
    /// Checks PLAIN passwords within `sasl_plain_limits`.
    pub(crate) plain_verifier: PlainVerifier,
    pub(crate) producer_ids: ProducerIdAllocator,
    pub(crate) groups: Arc<GroupCoordinator>,
    pub(crate) syncer: Syncer,
    pub(crate) txn: TransactionCoordinator,
    /// Request frames being received, across connections.
    pub(crate) request_memory: Arc<MemoryBudget>,
    /// Replies built but not yet sent, across connections.
    pub(crate) reply_memory: Arc<MemoryBudget>,
    /// Bumped after every append so that long-polling fetches re-check for data.
    appended: watch::Sender<u64>,
    /// Compacts `cleanup.policy=compact` topics in the background.
    pub(crate) cleaner: LogCleaner,
    /// Which failed TLS handshakes and SASL logins get a warning line.
    pub(crate) handshake_failures: HandshakeFailureLog,
    /// Incremental fetch sessions (KIP-227).
    pub(crate) fetch_sessions: FetchSessionCache,
    /// Client quotas: their durable list and the byte rates measured against them.
    pub(crate) quotas: QuotaManager,
}

impl BrokerState {
    pub(crate) fn new(config: BrokerConfig, store: Arc<LogStore>) -> Result<Self> {
        let broker_dir = config.data_dir.join("broker");
        let cluster_id_path = broker_dir.join("cluster-id");
        let cluster_id = match state_file::read(&cluster_id_path)? {
            Some(id) if !id.trim().is_empty() => id.trim().to_string(),
            _ => {
                let id = uuid::Uuid::new_v4().simple().to_string();
                state_file::write_atomically(&cluster_id_path, &format!("{id}\n"))?;
                id
            }
        };
        let producer_ids = ProducerIdAllocator::open(broker_dir.join("producer-ids"))?;
        let groups = Arc::new(GroupCoordinator::open(&store, GroupConfig::default())?);
        let txn = TransactionCoordinator::open(txn::coordinator_dir(&broker_dir))?;
        // Before serving anyone, a restart completes the transactions whose outcome was decided
        // and aborts those that timed out (also while the broker was down); open ones stay open.
        txn.resolve(&store, &groups, crate::clock::now_ms());
        let credentials = Arc::new(CredentialStore::open(&config.data_dir)?);
        let plain_verifier = PlainVerifier::new(&config.sasl_plain_limits);
        let authorizer = Authorizer::new(&config, AclStore::open(&config.data_dir)?);
        let quotas = QuotaManager::new(QuotaStore::open(&config.data_dir)?, config.quota_window);
        let fetch_sessions = FetchSessionCache::new(config.fetch_session_cache_slots);
        let request_memory = MemoryBudget::new(config.request_memory_bytes);
        let reply_memory = MemoryBudget::new(config.reply_memory_bytes);
        let cleaner = LogCleaner::start(&config.cleaner, &store).map_err(|source| crate::Error::Io {
            path: "spate-cleaner thread".into(),
            source,
        })?;
        Ok(BrokerState {
            config,
            cluster_id,
            store,
            credentials,
            authorizer,
            sasl_secret: *uuid::Uuid::new_v4().as_bytes(),
            plain_verifier,
            producer_ids,
            groups,
            syncer: Syncer::start().map_err(|source| crate::Error::Io {
                path: "spate-fsync thread".into(),
                source,
            })?,
            txn,
            request_memory,
            reply_memory,
            appended: watch::channel(0).0,
            cleaner,
            handshake_failures: HandshakeFailureLog::new(HANDSHAKE_FAILURE_LOG_WINDOW),
            fetch_sessions,
            quotas,
        })
    }

    pub(crate) fn notify_appended(&self) {
        self.appended.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// How many times [`Self::notify_appended`] ran (wrapping): in-process readers compare it
    /// instead of subscribing.
    pub(crate) fn append_generation(&self) -> u64 {
        *self.appended.borrow()
    }

    pub(crate) fn subscribe_appends(&self) -> watch::Receiver<u64> {
        self.appended.subscribe()
    }
}
