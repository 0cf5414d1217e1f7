//! Option values in Flink's notation (durations, memory sizes), shared by connector, format
//! and session options.

use std::time::Duration;

/// Parses a duration as Flink's `TimeUtils.parseDuration` does: a number, optional spaces, an
/// optional unit (`ms` when omitted; `s`, `min`, `h`, `d`, ... and their long names).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    let nanos_per: u128 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1_000_000,
        "ns" | "nano" | "nanos" | "nanosecond" | "nanoseconds" => 1,
        "µs" | "us" | "micro" | "micros" | "microsecond" | "microseconds" => 1_000,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000_000_000,
        "m" | "min" | "minute" | "minutes" => 60_000_000_000,
        "h" | "hour" | "hours" => 3_600_000_000_000,
        "d" | "day" | "days" => 86_400_000_000_000,
        _ => return None,
    };
    let nanos = u128::from(n).checked_mul(nanos_per)?;
    let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
    Some(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

/// A memory size (see [`parse_memory_size`]) that is positive and fits a `usize`: a buffer or
/// row-group size.
pub(crate) fn parse_positive_size(text: &str) -> Option<usize> {
    parse_memory_size(text)
        .filter(|n| *n > 0)
        .and_then(|n| usize::try_from(n).ok())
}

/// Parses a memory size as Flink's `MemorySize.parse` does: a number, optional spaces, an
/// optional unit (bytes when omitted; `kb`, `mb`, `gb`, `tb`).
pub fn parse_memory_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" | "bytes" => 1,
        "k" | "kb" | "kibibytes" => 1 << 10,
        "m" | "mb" | "mebibytes" => 1 << 20,
        "g" | "gb" | "gibibytes" => 1 << 30,
        "t" | "tb" | "tebibytes" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_flink_notation() {
        assert_eq!(parse_duration("5 s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_duration("500"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1min"), Some(Duration::from_secs(60)));
        assert_eq!(parse_duration("2 H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("10 ms"), Some(Duration::from_millis(10)));
        assert_eq!(parse_duration("5 parsecs"), None);
        assert_eq!(parse_duration("-1 s"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn memory_sizes_in_flink_notation() {
        assert_eq!(parse_memory_size("200b"), Some(200));
        assert_eq!(parse_memory_size("1 kb"), Some(1024));
        assert_eq!(parse_memory_size("64mb"), Some(64 << 20));
        assert_eq!(parse_memory_size("7"), Some(7));
        assert_eq!(parse_memory_size("1 zb"), None);
    }
}
