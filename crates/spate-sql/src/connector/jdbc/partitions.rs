//! The ranges of a partitioned scan (`scan.partition.*`): Flink's
//! `JdbcNumericBetweenParametersProvider.ofBatchNum`, so each partition reads the same rows as
//! in Flink — `column BETWEEN lo AND hi`, `num` ranges covering `lower..=upper` without overlap,
//! the first ones one value longer when the count does not divide evenly. Rows outside the
//! bounds are read by no partition, as in Flink.

/// The inclusive ranges of `num` partitions over `lower..=upper` (`lower <= upper`, `num >= 1`;
/// fewer partitions than asked when the range holds fewer values).
pub(crate) fn ranges(lower: i64, upper: i64, num: u64) -> Vec<(i64, i64)> {
    // Flink computes in `long`; i128 keeps the full i64 range exact.
    let count = i128::from(upper) - i128::from(lower) + 1;
    let num = i128::from(num.max(1)).min(count);
    // Flink divides in doubles (`Math.ceil((double) count / num)`): for ranges past 2^53
    // values the size is the double's, not the exact ceiling, and so are the ranges.
    let size = ((count as f64) / (num as f64)).ceil() as i128;
    // How many partitions keep the full `size`: the rest are one shorter.
    let big = count - (size - 1) * num;
    let mut out = Vec::new();
    let mut start = i128::from(lower);
    for i in 0..num - 1 {
        let end = start + size - 1 - i128::from(i >= big);
        out.push((clamp(start), clamp(end)));
        start = end + 1;
    }
    out.push((clamp(start), upper));
    out
}

fn clamp(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// The partitions subtask `subtask` of `parallelism` reads: every `parallelism`-th, so they
/// spread evenly whatever their number.
pub(crate) fn of_subtask(all: &[(i64, i64)], subtask: usize, parallelism: usize) -> Vec<(i64, i64)> {
    all.iter()
        .enumerate()
        .filter(|(i, _)| i % parallelism.max(1) == subtask)
        .map(|(_, r)| *r)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_flinks_numeric_between_provider() {
        // Flink's JdbcNumericBetweenParametersProviderTest: 1..=10 in 3 -> [1,4] [5,7] [8,10].
        assert_eq!(ranges(1, 10, 3), [(1, 4), (5, 7), (8, 10)]);
        assert_eq!(
            ranges(-5, -1, 5),
            [(-5, -5), (-4, -4), (-3, -3), (-2, -2), (-1, -1)]
        );
        assert_eq!(ranges(0, 2, 10), [(0, 0), (1, 1), (2, 2)]);
        assert_eq!(ranges(7, 7, 1), [(7, 7)]);
        assert_eq!(ranges(0, 99, 4), [(0, 24), (25, 49), (50, 74), (75, 99)]);
        // Flink's testBatchNumNotDivisible and testBatchMaxMinTooLarge.
        assert_eq!(ranges(-5, 11, 5), [(-5, -2), (-1, 2), (3, 5), (6, 8), (9, 11)]);
        assert_eq!(
            ranges(2_260_418_954_055_131_340, 3_875_220_057_236_942_850, 3),
            [
                (2_260_418_954_055_131_340, 2_798_685_988_449_068_491),
                (2_798_685_988_449_068_492, 3_336_953_022_843_005_643),
                (3_336_953_022_843_005_644, 3_875_220_057_236_942_850)
            ]
        );
        let wide = ranges(i64::MIN, i64::MAX, 2);
        assert_eq!(wide, [(i64::MIN, -1), (0, i64::MAX)]);
    }

    #[test]
    fn subtasks_take_every_nth_partition() {
        let all = ranges(1, 10, 3);
        assert_eq!(of_subtask(&all, 0, 2), [(1, 4), (8, 10)]);
        assert_eq!(of_subtask(&all, 1, 2), [(5, 7)]);
        assert!(of_subtask(&all, 3, 4).is_empty());
    }
}
