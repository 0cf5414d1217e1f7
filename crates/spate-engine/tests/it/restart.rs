//! Restart strategies retry transient failures and give up at once on fatal ones: a fenced
//! producer or a bad configuration does not get better by restarting, so retrying it only
//! hides the cause behind a delay.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use spate_engine::{
    EngineError, RestartStrategy, Source, SourceBatch, SourceContext, SourceStatus, StreamEnvironment,
    WatermarkStrategy,
};

/// Fails every poll with a fatal or a transient error and counts its opens (one per attempt).
#[derive(Clone)]
struct FailingSource {
    opens: Arc<AtomicUsize>,
    fatal: bool,
}

impl Source<u64> for FailingSource {
    fn open(&mut self, _: &SourceContext) -> Result<usize, EngineError> {
        self.opens.fetch_add(1, Ordering::SeqCst);
        Ok(1)
    }
    fn poll(&mut self, _: &mut SourceBatch<u64>) -> Result<SourceStatus, EngineError> {
        let cause = std::io::Error::other("the broker went away");
        Err(if self.fatal {
            EngineError::fatal(cause)
        } else {
            EngineError::connector(cause)
        })
    }
    fn snapshot_position(&mut self, _: u64) -> Result<Vec<u8>, EngineError> {
        Ok(Vec::new())
    }
    fn restore_positions(&mut self, _: &SourceContext, _: &[Vec<u8>]) -> Result<(), EngineError> {
        Ok(())
    }
}

/// Runs the failing job with 3 restarts allowed; returns the error and the number of attempts.
fn run(fatal: bool) -> (EngineError, usize) {
    let opens = Arc::new(AtomicUsize::new(0));
    let env = StreamEnvironment::new();
    env.set_restart_strategy(RestartStrategy::FixedDelay {
        attempts: 3,
        delay: Duration::from_millis(1),
    });
    let source = FailingSource {
        opens: opens.clone(),
        fatal,
    };
    env.add_source("failing", source, WatermarkStrategy::no_watermarks())
        .for_each_batch(|_| {});
    let err = env.execute().expect_err("the source fails every poll");
    (err, opens.load(Ordering::SeqCst))
}

#[test]
fn a_fatal_error_is_not_retried() {
    let (err, attempts) = run(true);
    assert!(err.is_fatal(), "{err}");
    assert_eq!(attempts, 1, "a fatal error must fail the job at once: {err}");
    assert!(err.to_string().contains("the broker went away"), "{err}");
}

#[test]
fn a_transient_error_is_retried_until_the_attempts_run_out() {
    let (err, attempts) = run(false);
    assert!(!err.is_fatal(), "{err}");
    assert_eq!(attempts, 4, "one run and three restarts: {err}");
}
