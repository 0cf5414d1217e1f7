//! [`LocalExchange`]: an in-memory [`ExchangeTransport`], so the engine's tests can run one
//! job as several attempts with disjoint task sets in one process. Nothing is durable: a
//! position is the number of events a receiver took.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;

use super::{ExchangeEvent, ExchangeReceiver, ExchangeSender, ExchangeTransport};
use crate::error::EngineError;

type Log = Vec<(usize, ExchangeEvent)>;

/// An in-memory transport: one append-only log per (exchange, partition).
#[derive(Debug, Clone, Default)]
pub struct LocalExchange {
    logs: Arc<Mutex<HashMap<(usize, usize), Log>>>,
}

impl LocalExchange {
    /// An empty transport.
    pub fn new() -> Self {
        Self::default()
    }

    fn logs(&self) -> MutexGuard<'_, HashMap<(usize, usize), Log>> {
        self.logs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct LocalSender {
    exchange: usize,
    from: usize,
    partitions: usize,
    transport: LocalExchange,
}

impl ExchangeSender for LocalSender {
    fn records(&mut self, partition: usize, encoded: Bytes) -> Result<(), EngineError> {
        self.transport
            .logs()
            .entry((self.exchange, partition))
            .or_default()
            .push((self.from, ExchangeEvent::Records(encoded)));
        Ok(())
    }

    fn broadcast(&mut self, event: ExchangeEvent) -> Result<(), EngineError> {
        let mut logs = self.transport.logs();
        for p in 0..self.partitions {
            logs.entry((self.exchange, p))
                .or_default()
                .push((self.from, event.clone()));
        }
        Ok(())
    }

    fn flush(&mut self, _checkpoint_id: u64) -> Result<(), EngineError> {
        Ok(())
    }
}

struct LocalReceiver {
    key: (usize, usize),
    next: usize,
    transport: LocalExchange,
}

impl ExchangeReceiver for LocalReceiver {
    fn poll(&mut self, out: &mut Vec<(usize, ExchangeEvent)>) -> Result<(), EngineError> {
        let logs = self.transport.logs();
        if let Some(log) = logs.get(&self.key) {
            out.extend(log[self.next.min(log.len())..].iter().cloned());
            self.next = log.len();
        }
        Ok(())
    }

    fn position(&self) -> Vec<u8> {
        (self.next as u64).to_be_bytes().to_vec()
    }
}

impl ExchangeTransport for LocalExchange {
    fn sender(
        &self,
        exchange: usize,
        from: usize,
        partitions: usize,
    ) -> Result<Box<dyn ExchangeSender>, EngineError> {
        Ok(Box::new(LocalSender {
            exchange,
            from,
            partitions,
            transport: self.clone(),
        }))
    }

    fn receiver(
        &self,
        exchange: usize,
        to: usize,
        _upstreams: usize,
        position: Option<&[u8]>,
    ) -> Result<Box<dyn ExchangeReceiver>, EngineError> {
        let next = match position {
            None => 0,
            Some(p) => {
                let bytes: [u8; 8] = p.try_into().map_err(|_| {
                    EngineError::Checkpoint(format!("exchange {exchange}: a position of {} bytes", p.len()))
                })?;
                usize::try_from(u64::from_be_bytes(bytes)).unwrap_or(usize::MAX)
            }
        };
        Ok(Box::new(LocalReceiver {
            key: (exchange, to),
            next,
            transport: self.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receivers_see_their_partition_in_order_and_resume_at_a_position() {
        let t = LocalExchange::new();
        let mut s0 = t.sender(0, 0, 2).unwrap();
        let mut s1 = t.sender(0, 1, 2).unwrap();
        s0.records(1, Bytes::from_static(b"a")).unwrap();
        s1.broadcast(ExchangeEvent::Watermark(5)).unwrap();
        s0.records(0, Bytes::from_static(b"b")).unwrap();
        let mut r1 = t.receiver(0, 1, 2, None).unwrap();
        let mut got = Vec::new();
        r1.poll(&mut got).unwrap();
        assert_eq!(
            got,
            [
                (0, ExchangeEvent::Records(Bytes::from_static(b"a"))),
                (1, ExchangeEvent::Watermark(5))
            ]
        );
        let at = r1.position();
        s1.broadcast(ExchangeEvent::End).unwrap();
        let mut again = t.receiver(0, 1, 2, Some(&at)).unwrap();
        got.clear();
        again.poll(&mut got).unwrap();
        assert_eq!(got, [(1, ExchangeEvent::End)]);
    }
}
