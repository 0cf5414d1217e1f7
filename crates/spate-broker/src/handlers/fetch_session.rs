//! The session side of Fetch (KIP-227, Kafka's `FetchManager.newContext` and `FetchContext`):
//! what a request's session id and epoch ask for, the request an incremental fetch stands for,
//! and the response cut down to what its session has not been told. The cache itself is
//! [`crate::fetch_sessions`].

use kafka_protocol::ResponseError;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{FetchRequest, FetchResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use crate::clock::now_ms;
use crate::fetch_sessions::{
    CachedPartition, Changes, FINAL_EPOCH, INITIAL_EPOCH, PartitionNews, SessionPartitions, TopicKey,
};
use crate::state::BrokerState;

/// The first Fetch version with session fields.
const FIRST_SESSION_VERSION: i16 = 7;
/// The first Fetch version that names topics by id.
const FIRST_TOPIC_ID_VERSION: i16 = 13;

/// What the request's session fields ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionContext {
    /// No session: every requested partition is answered, with session id 0.
    Sessionless,
    /// A full request that creates a session of its partitions when answered.
    Full,
    /// An incremental request on session `id`: its partitions are read, news is answered.
    Incremental { id: i32 },
}

/// Reads the request's session fields (Kafka's `FetchManager.newContext`): epoch -1 wants no
/// session and closes the one named, epoch 0 replaces the one named with a new one, a later
/// epoch continues a session, whose partitions then become the request's.
pub(crate) fn session_context(
    state: &BrokerState,
    mut req: FetchRequest,
    version: i16,
) -> Result<(FetchRequest, SessionContext), ResponseError> {
    if version < FIRST_SESSION_VERSION {
        return Ok((req, SessionContext::Sessionless));
    }
    let cache = &state.fetch_sessions;
    match req.session_epoch {
        FINAL_EPOCH | INITIAL_EPOCH => {
            if req.session_id != 0 {
                cache.remove(req.session_id);
            }
            let context = if req.session_epoch == INITIAL_EPOCH {
                SessionContext::Full
            } else {
                SessionContext::Sessionless
            };
            Ok((req, context))
        }
        epoch => {
            let uses_topic_ids = version >= FIRST_TOPIC_ID_VERSION;
            let mut changes = Changes::default();
            for ft in &req.topics {
                let topic = topic_key(version, &ft.topic.0, ft.topic_id);
                for fp in &ft.partitions {
                    changes.upserts.push((
                        (topic.clone(), fp.partition),
                        fp.fetch_offset,
                        fp.partition_max_bytes,
                    ));
                }
            }
            for forgotten in &req.forgotten_topics_data {
                let topic = topic_key(version, &forgotten.topic.0, forgotten.topic_id);
                for &partition in &forgotten.partitions {
                    changes.forgotten.push((topic.clone(), partition));
                }
            }
            let partitions = cache.update(req.session_id, epoch, uses_topic_ids, changes, now_ms())?;
            req.topics = fetch_topics(partitions);
            req.forgotten_topics_data = Vec::new();
            let id = req.session_id;
            Ok((req, SessionContext::Incremental { id }))
        }
    }
}

fn topic_key(version: i16, name: &str, id: uuid::Uuid) -> TopicKey {
    if version >= FIRST_TOPIC_ID_VERSION {
        TopicKey::Id(id)
    } else {
        TopicKey::Name(name.to_string())
    }
}

/// A session's partitions as the topics of a request.
fn fetch_topics(partitions: SessionPartitions) -> Vec<FetchTopic> {
    let mut topics: Vec<FetchTopic> = Vec::new();
    for ((topic, partition), cached) in partitions {
        let fp = FetchPartition::default()
            .with_partition(partition)
            .with_fetch_offset(cached.fetch_offset)
            .with_partition_max_bytes(cached.max_bytes);
        let same_topic = topics.last().is_some_and(|last| match &topic {
            TopicKey::Name(name) => last.topic.0.as_str() == name,
            TopicKey::Id(id) => last.topic_id == *id,
        });
        if !same_topic {
            let mut ft = FetchTopic::default();
            match &topic {
                TopicKey::Name(name) => ft.topic = TopicName(StrBytes::from_string(name.clone())),
                TopicKey::Id(id) => ft.topic_id = *id,
            }
            topics.push(ft);
        }
        if let Some(last) = topics.last_mut() {
            last.partitions.push(fp);
        }
    }
    topics
}

/// The response as the session context wants it: a full request's partitions become a new
/// session (its id in the response), an incremental one keeps only partitions with news.
pub(crate) fn for_session(
    state: &BrokerState,
    context: SessionContext,
    req: &FetchRequest,
    version: i16,
    mut response: FetchResponse,
) -> FetchResponse {
    let cache = &state.fetch_sessions;
    match context {
        SessionContext::Sessionless => {}
        SessionContext::Full => {
            let mut partitions = SessionPartitions::new();
            for (ft, tr) in req.topics.iter().zip(&response.responses) {
                let topic = topic_key(version, &ft.topic.0, ft.topic_id);
                for (fp, pd) in ft.partitions.iter().zip(&tr.partitions) {
                    let mut cached = CachedPartition::requested(fp.fetch_offset, fp.partition_max_bytes);
                    cached.high_watermark = pd.high_watermark;
                    cached.last_stable_offset = pd.last_stable_offset;
                    cached.log_start_offset = pd.log_start_offset;
                    partitions.insert((topic.clone(), fp.partition), cached);
                }
            }
            response.session_id = cache.create(version >= FIRST_TOPIC_ID_VERSION, partitions, now_ms());
        }
        SessionContext::Incremental { id } => {
            for (ft, tr) in req.topics.iter().zip(response.responses.iter_mut()) {
                let topic = topic_key(version, &ft.topic.0, ft.topic_id);
                tr.partitions.retain(|pd| {
                    let news = PartitionNews {
                        has_records: pd.records.as_ref().is_some_and(|r| !r.is_empty()),
                        error_code: pd.error_code,
                        high_watermark: pd.high_watermark,
                        last_stable_offset: pd.last_stable_offset,
                        log_start_offset: pd.log_start_offset,
                    };
                    cache.must_respond(id, &(topic.clone(), pd.partition_index), news)
                });
            }
            response.responses.retain(|tr| !tr.partitions.is_empty());
            response.session_id = id;
        }
    }
    response
}
