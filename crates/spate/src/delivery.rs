//! A window of in-flight produce deliveries: keeps the producer's pipe full while bounding
//! memory, and counts what was delivered and what failed.

use std::collections::VecDeque;
use std::time::Duration;

use anyhow::{Result, bail};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::ToBytes;
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};

/// Outcome of all deliveries.
#[derive(Debug, Default)]
pub struct Tally {
    pub delivered: u64,
    pub failed: u64,
    pub first_error: Option<String>,
}

pub struct Deliveries {
    pending: VecDeque<DeliveryFuture>,
    max_pending: usize,
    tally: Tally,
}

impl std::fmt::Debug for Deliveries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliveries")
            .field("pending", &self.pending.len())
            .field("tally", &self.tally)
            .finish()
    }
}

impl Deliveries {
    pub fn new(max_pending: usize) -> Deliveries {
        Deliveries {
            pending: VecDeque::new(),
            max_pending,
            tally: Tally::default(),
        }
    }

    /// Hands `record` to the producer, waiting for older deliveries when its queue or this
    /// window is full.
    pub async fn send<K, P>(
        &mut self,
        producer: &FutureProducer,
        mut record: FutureRecord<'_, K, P>,
    ) -> Result<()>
    where
        K: ToBytes + ?Sized,
        P: ToBytes + ?Sized,
    {
        loop {
            match producer.send_result(record) {
                Ok(delivery) => {
                    self.pending.push_back(delivery);
                    break;
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    if !self.settle_oldest().await {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
                Err((e, r)) => bail!("cannot produce to {}: {e}", r.topic),
            }
        }
        if self.pending.len() >= self.max_pending {
            self.settle_oldest().await;
        }
        Ok(())
    }

    async fn settle_oldest(&mut self) -> bool {
        let Some(delivery) = self.pending.pop_front() else {
            return false;
        };
        match delivery.await {
            Ok(Ok(_)) => self.tally.delivered += 1,
            Ok(Err((e, _))) => self.fail(e.to_string()),
            Err(_) => self.fail("producer closed before delivery".to_string()),
        }
        true
    }

    fn fail(&mut self, e: String) {
        self.tally.failed += 1;
        self.tally.first_error.get_or_insert(e);
    }

    /// Waits for every delivery still in flight.
    pub async fn finish(mut self) -> Tally {
        while self.settle_oldest().await {}
        self.tally
    }
}
