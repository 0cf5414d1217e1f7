//! Reused memory for reply frames.
//!
//! A fetch reply is megabytes, and its record batches live on (as slices of the frame) until
//! the source task has decoded them. A fresh allocation per reply costs the kernel's zeroing
//! of fresh pages on every fetch: about a tenth of Nexmark q7's samples, on the fetcher
//! thread. A frame is read into one of a few pooled buffers instead, whichever is no longer
//! referenced by any earlier reply.

use bytes::{Bytes, BytesMut};

/// Buffers kept: about the replies in flight (a fetch per partition queue's room).
const POOLED: usize = 8;
/// The least a new buffer holds, so that small replies do not each make their own.
const MIN_CAPACITY: usize = 64 << 10;

/// A few buffers that reply frames are read into and handed out from as [`Bytes`].
#[derive(Debug, Default)]
pub(crate) struct ReplyBuffers {
    pool: Vec<BytesMut>,
    /// The pooled buffer replaced next when every one is still referenced.
    next_replaced: usize,
}

impl ReplyBuffers {
    /// `len` bytes filled by `fill` (given them zeroed), in memory that an earlier frame used
    /// when one is free again. On an error the buffer goes back to the pool.
    pub(crate) fn read<E>(
        &mut self,
        len: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<Bytes, E> {
        let buf = self.free_buffer(len);
        buf.resize(len, 0);
        fill(&mut buf[..])?;
        Ok(buf.split().freeze())
    }

    /// A pooled buffer, cleared, with room for `len` bytes.
    fn free_buffer(&mut self, len: usize) -> &mut BytesMut {
        let free = self.pool.iter_mut().position(|buf| {
            buf.clear();
            buf.try_reclaim(len)
        });
        let at = match free {
            Some(at) => at,
            None => {
                let fresh = BytesMut::with_capacity(len.max(MIN_CAPACITY));
                if self.pool.len() < POOLED {
                    self.pool.push(fresh);
                    self.pool.len() - 1
                } else {
                    // Every buffer is still referenced: one is let go (freed when its last
                    // reply is dropped) so the pool follows the replies' sizes.
                    let at = self.next_replaced;
                    self.next_replaced = (at + 1) % POOLED;
                    self.pool[at] = fresh;
                    at
                }
            }
        };
        &mut self.pool[at]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill_with(byte: u8) -> impl FnOnce(&mut [u8]) -> Result<(), ()> {
        move |b: &mut [u8]| {
            b.fill(byte);
            Ok(())
        }
    }

    #[test]
    fn a_buffer_is_reused_once_its_reply_is_dropped() {
        let mut buffers = ReplyBuffers::default();
        let first = buffers.read(100_000, fill_with(1)).unwrap();
        let at = first.as_ptr();
        assert!(first.iter().all(|b| *b == 1));
        drop(first);
        let second = buffers.read(90_000, fill_with(2)).unwrap();
        assert_eq!(
            second.as_ptr(),
            at,
            "the dropped reply's memory is read into again"
        );
        assert_eq!(second.len(), 90_000);
        assert!(second.iter().all(|b| *b == 2));
        assert_eq!(buffers.pool.len(), 1);
    }

    #[test]
    fn a_referenced_buffer_is_never_written_and_the_pool_is_bounded() {
        let mut buffers = ReplyBuffers::default();
        let held: Vec<Bytes> = (0..POOLED as u8 + 3)
            .map(|i| buffers.read(1000, fill_with(i + 1)).unwrap())
            .collect();
        // A slice outlives its frame's handle, as a chunk of record batches does; the last
        // frame's buffer is still in the pool.
        let slice = held[POOLED + 2].slice(10..20);
        drop(held);
        let reads: Vec<Bytes> = (0..POOLED)
            .map(|_| buffers.read(1000, fill_with(200)).unwrap())
            .collect();
        assert!(slice.iter().all(|b| *b == POOLED as u8 + 3), "{slice:?}");
        let next = &reads[0];
        assert!(next.iter().all(|b| *b == 200));
        assert!(buffers.pool.len() <= POOLED);
    }

    #[test]
    fn a_failed_fill_keeps_the_buffer_for_the_next_frame() {
        let mut buffers = ReplyBuffers::default();
        let failed: Result<Bytes, &str> = buffers.read(5000, |_| Err("reset"));
        assert_eq!(failed.unwrap_err(), "reset");
        let next = buffers.read(3000, fill_with(7)).unwrap();
        assert_eq!(next.len(), 3000);
        assert!(next.iter().all(|b| *b == 7));
        assert_eq!(buffers.pool.len(), 1);
    }

    #[test]
    fn a_larger_frame_than_any_free_buffer_gets_its_own() {
        let mut buffers = ReplyBuffers::default();
        drop(buffers.read(100, fill_with(1)).unwrap());
        let big = buffers.read(MIN_CAPACITY * 4, fill_with(3)).unwrap();
        assert_eq!(big.len(), MIN_CAPACITY * 4);
        assert!(big.iter().all(|b| *b == 3));
    }
}
