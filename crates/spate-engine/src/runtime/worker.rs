//! The bounded worker pool: a fixed number of threads, each running its share of the tasks in a
//! round-robin loop and parking when none of them can make progress (woken by channel activity
//! or after a short timeout, which also drives processing time and idleness detection).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use crate::clock::now_millis;
use crate::error::{EngineError, FailureSlot};
use crate::runtime::channel::WorkerSignal;
use crate::runtime::task::{Step, Task};

pub(crate) struct ScheduledTask {
    pub(crate) name: String,
    pub(crate) task: Box<dyn Task>,
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// Runs tasks until all finished or the job failed.
pub(crate) fn run_worker(mut tasks: Vec<ScheduledTask>, signal: Arc<WorkerSignal>, failure: FailureSlot) {
    signal.bind_current();
    let mut done = vec![false; tasks.len()];
    let mut remaining = tasks.len();
    let mut quiet_rounds = 0u32;
    while remaining > 0 && !failure.is_cancelled() {
        let now = now_millis();
        let mut progressed = false;
        for (i, t) in tasks.iter_mut().enumerate() {
            if done[i] {
                continue;
            }
            match catch_unwind(AssertUnwindSafe(|| t.task.step(now))) {
                Ok(Step::Progress) => progressed = true,
                Ok(Step::Idle | Step::Blocked) => {}
                Ok(Step::Finished) => {
                    done[i] = true;
                    remaining -= 1;
                    progressed = true;
                }
                Err(payload) => {
                    failure.fail(EngineError::TaskPanicked {
                        task: t.name.clone(),
                        message: panic_message(payload.as_ref()),
                    });
                    return;
                }
            }
        }
        if progressed {
            quiet_rounds = 0;
        } else {
            quiet_rounds += 1;
            if quiet_rounds < 4 {
                std::thread::yield_now();
            } else {
                // Channel activity unparks us; the timeout bounds processing-time latency.
                std::thread::park_timeout(Duration::from_millis(2));
            }
        }
    }
}
