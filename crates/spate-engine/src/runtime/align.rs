//! Watermark alignment over the input channels of a task.
//!
//! The task's watermark is the minimum over its active channels. An idle channel does not hold
//! the watermark back; a channel that becomes active again with a watermark behind the task's
//! only rejoins the minimum once it has caught up (so it cannot move time backwards). When
//! every channel is idle the task's output becomes idle too. An ended channel counts as being
//! at `+inf`.

use crate::record::{MAX_WATERMARK, MIN_WATERMARK, Timestamp};

#[derive(Debug, Clone, Copy)]
struct ChannelState {
    watermark: Timestamp,
    idle: bool,
    ended: bool,
    /// Behind the emitted watermark after coming back from idle.
    catching_up: bool,
}

/// What changed after an input event.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AlignOutcome {
    pub(crate) watermark: Option<Timestamp>,
    pub(crate) idle: Option<bool>,
}

#[derive(Debug)]
pub(crate) struct WatermarkAligner {
    channels: Vec<ChannelState>,
    emitted: Timestamp,
    output_idle: bool,
}

impl WatermarkAligner {
    pub(crate) fn new(channels: usize) -> Self {
        let s = ChannelState {
            watermark: MIN_WATERMARK,
            idle: false,
            ended: false,
            catching_up: false,
        };
        Self {
            channels: vec![s; channels],
            emitted: MIN_WATERMARK,
            output_idle: false,
        }
    }

    pub(crate) fn all_ended(&self) -> bool {
        self.channels.iter().all(|c| c.ended)
    }

    pub(crate) fn on_watermark(&mut self, ch: usize, watermark: Timestamp) -> AlignOutcome {
        let c = &mut self.channels[ch];
        c.watermark = c.watermark.max(watermark);
        if c.catching_up && c.watermark >= self.emitted {
            c.catching_up = false;
        }
        self.recompute()
    }

    /// Records arrived on `ch`: it is active, whatever it said before.
    pub(crate) fn on_records(&mut self, ch: usize) -> AlignOutcome {
        if self.channels[ch].idle {
            self.on_idle(ch, false)
        } else {
            AlignOutcome::default()
        }
    }

    pub(crate) fn on_idle(&mut self, ch: usize, idle: bool) -> AlignOutcome {
        let emitted = self.emitted;
        let c = &mut self.channels[ch];
        if c.idle == idle {
            return AlignOutcome::default();
        }
        c.idle = idle;
        if !idle && c.watermark < emitted {
            c.catching_up = true;
        }
        self.recompute()
    }

    pub(crate) fn on_end(&mut self, ch: usize) -> AlignOutcome {
        let c = &mut self.channels[ch];
        c.ended = true;
        c.watermark = MAX_WATERMARK;
        self.recompute()
    }

    fn recompute(&mut self) -> AlignOutcome {
        let mut out = AlignOutcome::default();
        let mut any_live = false;
        let mut min = MAX_WATERMARK;
        let mut all_idle = true;
        for c in &self.channels {
            if c.ended {
                continue;
            }
            any_live = true;
            if c.idle {
                continue;
            }
            all_idle = false;
            if !c.catching_up {
                min = min.min(c.watermark);
            }
        }
        let idle_now = any_live && all_idle;
        if idle_now != self.output_idle {
            self.output_idle = idle_now;
            out.idle = Some(idle_now);
        }
        if !idle_now && min > self.emitted {
            self.emitted = min;
            out.watermark = Some(min);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimum_over_channels() {
        let mut a = WatermarkAligner::new(2);
        assert_eq!(a.on_watermark(0, 10).watermark, None);
        assert_eq!(a.on_watermark(1, 5).watermark, Some(5));
        assert_eq!(a.on_watermark(1, 20).watermark, Some(10));
        assert_eq!(
            a.on_watermark(0, 8).watermark,
            None,
            "channel watermarks never regress"
        );
    }

    #[test]
    fn idle_channel_releases_and_rejoins_after_catching_up() {
        let mut a = WatermarkAligner::new(2);
        a.on_watermark(0, 100);
        let o = a.on_idle(1, true);
        assert_eq!(o.watermark, Some(100));
        assert_eq!(a.on_idle(0, true).idle, Some(true));
        assert_eq!(a.on_idle(0, false).idle, Some(false));
        a.on_idle(1, false);
        assert_eq!(
            a.on_watermark(0, 150).watermark,
            Some(150),
            "channel 1 is still catching up"
        );
        assert_eq!(a.on_watermark(1, 120).watermark, None);
        assert_eq!(
            a.on_watermark(1, 160).watermark,
            None,
            "rejoined: min(150, 160) = 150"
        );
        assert_eq!(a.on_watermark(0, 200).watermark, Some(160));
    }

    #[test]
    fn ended_channels_count_as_infinite() {
        let mut a = WatermarkAligner::new(2);
        a.on_watermark(0, 7);
        assert_eq!(a.on_end(1).watermark, Some(7));
        assert!(!a.all_ended());
        assert_eq!(a.on_end(0).watermark, Some(MAX_WATERMARK));
        assert!(a.all_ended());
    }
}
