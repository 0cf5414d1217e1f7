//! Spate's assignor data: what a member tells the leader (in the `user_data` of its consumer
//! subscription) and what the leader tells each member (in its assignment's `user_data`).
//!
//! Byte layout (big-endian, as Kafka's own protocol):
//!
//! ```text
//! subscription := version:u16 (=1) fingerprint:u64 process:string owned_generation:i32 tasks
//! assignment   := version:u16 (=1) generation:i32 tasks
//! tasks        := count:u32 (stage:u32 index:u32){count}
//! string       := len:u16 utf8{len}
//! ```
//!
//! A version this code does not know is an error naming the member, never a guess: a group
//! whose members disagree on the layout must not assign.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::task::TaskId;

/// The layout version written and read.
const VERSION: u16 = 1;
/// Largest task list accepted from a member (a job has a few thousand tasks at most).
const MAX_TASKS: u32 = 1 << 20;

/// What a member tells the leader when it joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSubscription {
    /// The fingerprint of the member's job plan: members of one group must agree on it.
    pub fingerprint: u64,
    /// Who the member is, for people (host and process id).
    pub process: String,
    /// The generation in which the member owned `owned` (-1 if it owns nothing).
    pub owned_generation: i32,
    /// The tasks it owned before this rebalance (what stickiness keeps).
    pub owned: Vec<TaskId>,
}

/// What the leader hands a member.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberAssignment {
    /// The generation the assignment belongs to.
    pub generation: i32,
    /// The member's tasks, sorted.
    pub tasks: Vec<TaskId>,
}

impl MemberSubscription {
    /// The bytes of the subscription's `user_data`.
    pub fn encode(&self) -> Bytes {
        let mut buf = BytesMut::new();
        buf.put_u16(VERSION);
        buf.put_u64(self.fingerprint);
        put_string(&mut buf, &self.process);
        buf.put_i32(self.owned_generation);
        put_tasks(&mut buf, &self.owned);
        buf.freeze()
    }

    /// Reads a subscription's `user_data`.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let mut buf = bytes;
        version(&mut buf)?;
        let fingerprint = take(&mut buf, 8)?.get_u64();
        let process = get_string(&mut buf)?;
        let owned_generation = take(&mut buf, 4)?.get_i32();
        let owned = get_tasks(&mut buf)?;
        end(buf)?;
        Ok(MemberSubscription {
            fingerprint,
            process,
            owned_generation,
            owned,
        })
    }
}

impl MemberAssignment {
    /// The bytes of the assignment's `user_data`.
    pub fn encode(&self) -> Bytes {
        let mut buf = BytesMut::new();
        buf.put_u16(VERSION);
        buf.put_i32(self.generation);
        put_tasks(&mut buf, &self.tasks);
        buf.freeze()
    }

    /// Reads an assignment's `user_data`.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let mut buf = bytes;
        version(&mut buf)?;
        let generation = take(&mut buf, 4)?.get_i32();
        let tasks = get_tasks(&mut buf)?;
        end(buf)?;
        Ok(MemberAssignment { generation, tasks })
    }
}

fn version(buf: &mut &[u8]) -> Result<(), String> {
    match take(buf, 2)?.get_u16() {
        VERSION => Ok(()),
        v => Err(format!(
            "assignor data of version {v}; this Spate reads version {VERSION}"
        )),
    }
}

/// The next `n` bytes, or an error if fewer are left.
fn take<'a>(buf: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
    if buf.len() < n {
        return Err(format!(
            "assignor data cut short ({} bytes left, {n} needed)",
            buf.len()
        ));
    }
    let (head, tail) = buf.split_at(n);
    *buf = tail;
    Ok(head)
}

fn end(buf: &[u8]) -> Result<(), String> {
    if buf.is_empty() {
        Ok(())
    } else {
        Err(format!("{} bytes after the assignor data", buf.len()))
    }
}

fn put_string(buf: &mut BytesMut, s: &str) {
    // Longer names are cut at a char boundary: the process name is for people only.
    let mut end = s.len().min(usize::from(u16::MAX));
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    buf.put_u16(end as u16);
    buf.put_slice(&s.as_bytes()[..end]);
}

fn get_string(buf: &mut &[u8]) -> Result<String, String> {
    let len = usize::from(take(buf, 2)?.get_u16());
    let bytes = take(buf, len)?;
    String::from_utf8(bytes.to_vec()).map_err(|_| "a process name that is not UTF-8".to_string())
}

fn put_tasks(buf: &mut BytesMut, tasks: &[TaskId]) {
    buf.put_u32(tasks.len() as u32);
    for t in tasks {
        buf.put_u32(t.stage);
        buf.put_u32(t.index);
    }
}

fn get_tasks(buf: &mut &[u8]) -> Result<Vec<TaskId>, String> {
    let count = take(buf, 4)?.get_u32();
    if count > MAX_TASKS || count as usize * 8 > buf.len() {
        return Err(format!("a list of {count} tasks in {} bytes", buf.len()));
    }
    let mut tasks = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let mut t = take(buf, 8)?;
        tasks.push(TaskId::new(t.get_u32(), t.get_u32()));
    }
    Ok(tasks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn subscriptions_round_trip(
            fingerprint in any::<u64>(),
            process in "\\PC{0,20}",
            owned_generation in any::<i32>(),
            owned in proptest::collection::vec((0u32..10, 0u32..100), 0..20),
        ) {
            let s = MemberSubscription {
                fingerprint,
                process,
                owned_generation,
                owned: owned.into_iter().map(|(s, i)| TaskId::new(s, i)).collect(),
            };
            prop_assert_eq!(MemberSubscription::decode(&s.encode()).unwrap(), s);
        }

        #[test]
        fn assignments_round_trip(generation in any::<i32>(), tasks in proptest::collection::vec((0u32..10, 0u32..100), 0..20)) {
            let a = MemberAssignment {
                generation,
                tasks: tasks.into_iter().map(|(s, i)| TaskId::new(s, i)).collect(),
            };
            prop_assert_eq!(MemberAssignment::decode(&a.encode()).unwrap(), a);
        }

        #[test]
        fn arbitrary_bytes_are_an_error_or_a_value_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = MemberSubscription::decode(&bytes);
            let _ = MemberAssignment::decode(&bytes);
        }
    }

    #[test]
    fn other_versions_and_lying_counts_are_refused() {
        let mut bytes = MemberAssignment::default().encode().to_vec();
        bytes[1] = 2;
        assert!(
            MemberAssignment::decode(&bytes)
                .unwrap_err()
                .contains("version 2")
        );
        // A count of 2^31 tasks in 0 bytes must not allocate.
        let lying = [0, 1, 0, 0, 0, 1, 0x80, 0, 0, 0];
        assert!(MemberAssignment::decode(&lying).unwrap_err().contains("tasks"));
        assert!(MemberSubscription::decode(&[0, 1, 0]).is_err());
    }
}
