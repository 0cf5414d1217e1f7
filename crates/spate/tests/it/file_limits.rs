//! A broker refuses, up front and leaving nothing behind, to create more partitions than its
//! open-file limit can hold; before the fix it created them until open() failed with EMFILE,
//! left orphan directories, and then could not accept connections.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use common::Broker;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;

fn admin(bootstrap: &str) -> AdminClient<DefaultClientContext> {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap()
}

#[test]
fn partitions_beyond_the_open_file_limit_are_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let broker = Broker::start_with_file_limit(&data, &dir.path().join("broker.log"), 2400);
    let admin = admin(&broker.addr);
    let options = AdminOptions::new().request_timeout(Some(Duration::from_secs(30)));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let created = runtime
        .block_on(admin.create_topics(
            &[NewTopic::new("too-many", 2000, TopicReplication::Fixed(1))],
            &options,
        ))
        .unwrap();
    assert_eq!(
        created,
        vec![Err(("too-many".to_string(), RDKafkaErrorCode::PolicyViolation))]
    );
    let leftovers: Vec<_> = std::fs::read_dir(data.join("log"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("too-many"))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");

    // What fits is still created, and the broker keeps serving.
    let created = runtime
        .block_on(admin.create_topics(&[NewTopic::new("fits", 50, TopicReplication::Fixed(1))], &options))
        .unwrap();
    assert_eq!(created, vec![Ok("fits".to_string())]);
}
