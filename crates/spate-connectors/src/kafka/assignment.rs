//! Which source subtask reads which partition.
//!
//! The scheme is Flink's `KafkaSourceEnumerator.getSplitOwner`: a topic's partitions are dealt
//! round robin to the subtasks, starting at a subtask derived from the topic name's Java
//! `String.hashCode`, so the partitions of several topics spread evenly and the owner of a
//! partition depends only on (topic, partition, parallelism). That is what lets a restored job
//! at another parallelism find its partitions in every old subtask's position.

/// Java's `String.hashCode` (UTF-16 code units, wrapping `i32` arithmetic).
fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, unit| h.wrapping_mul(31).wrapping_add(i32::from(unit)))
}

/// The subtask (of `parallelism`) that owns `partition` of `topic`:
/// `(((hash(topic) * 31) & 0x7FFFFFFF) % parallelism + partition) % parallelism`.
pub fn partition_owner(topic: &str, partition: i32, parallelism: usize) -> usize {
    let p = parallelism.max(1) as i64;
    let start = i64::from(java_string_hash(topic).wrapping_mul(31) & 0x7FFF_FFFF) % p;
    // Partitions are never negative in Kafka; rem_euclid keeps a bad input in range anyway.
    (start + i64::from(partition)).rem_euclid(p) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hash_matches_known_values() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("hello"), 99_162_322);
        assert_eq!(
            java_string_hash("orders-topic"),
            "orders-topic"
                .encode_utf16()
                .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
        );
    }

    #[test]
    fn partitions_spread_evenly_and_deterministically() {
        for parallelism in 1..6 {
            let mut counts = vec![0; parallelism];
            for partition in 0..(parallelism as i32 * 4) {
                let owner = partition_owner("t", partition, parallelism);
                assert_eq!(owner, partition_owner("t", partition, parallelism));
                counts[owner] += 1;
            }
            assert!(counts.iter().all(|&c| c == 4), "{counts:?}");
        }
        assert_eq!(partition_owner("t", -3, 4), partition_owner("t", -3, 4));
        assert!(partition_owner("t", -3, 4) < 4);
    }
}
