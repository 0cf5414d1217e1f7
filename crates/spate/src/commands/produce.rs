//! `spate produce TOPIC`: one record per stdin line, every delivery confirmed before exit.

use anyhow::{Context, Result, bail};
use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::cli::{Acks, ProduceArgs};
use crate::client_properties::ClientSettings;
use crate::delivery::Deliveries;

/// Deliveries in flight at most; bounds memory on large inputs while keeping the pipe full.
const MAX_PENDING: usize = 100_000;

pub async fn run(args: ProduceArgs) -> Result<()> {
    let acks = match args.acks {
        Acks::All => "all",
        Acks::One => "1",
        Acks::Zero => "0",
    };
    let mut config = ClientSettings::from_args(&args.client)?.rdkafka()?;
    config
        .set("acks", acks)
        .set(
            "enable.idempotence",
            if matches!(args.acks, Acks::All) {
                "true"
            } else {
                "false"
            },
        )
        .set("linger.ms", "5")
        .set("message.timeout.ms", "30000");
    let producer: FutureProducer = config.create().context("creating Kafka producer")?;
    // Lines are bytes: a record is whatever was between two newlines, valid UTF-8 or not, so
    // nothing read is ever dropped for its encoding.
    let mut stdin = BufReader::new(tokio::io::stdin());
    let mut line = Vec::new();
    let mut deliveries = Deliveries::new(MAX_PENDING);
    let mut read_error = None;
    // A line the producer refuses (too large, ...) stops reading, but what was sent before it
    // is still delivered before the error is reported.
    let mut send_error = None;
    let mut line_number = 0u64;
    loop {
        line.clear();
        line_number += 1;
        match stdin.read_until(b'\n', &mut line).await {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                // Deliver what was read before the error, then report it.
                read_error = Some(e);
                break;
            }
        }
        let value = strip_newline(&line);
        let (key, value) = match &args.key_separator {
            Some(sep) => match split_once(value, sep.as_bytes()) {
                Some((k, v)) => (Some(k), v),
                None => (None, value),
            },
            None => (None, value),
        };
        let mut record = FutureRecord::to(&args.topic).payload(value);
        if let Some(k) = key {
            record = record.key(k);
        }
        if let Some(p) = args.partition {
            record = record.partition(p);
        }
        if let Err(e) = deliveries.send(&producer, record).await {
            send_error = Some(e.context(format!("line {line_number} of stdin")));
            break;
        }
    }
    let tally = deliveries.finish().await;
    if let Some(e) = send_error {
        return Err(e.context(format!(
            "stopped at line {line_number}; the {} line(s) before it were delivered{}",
            tally.delivered,
            if tally.failed > 0 {
                format!(", {} failed", tally.failed)
            } else {
                String::new()
            }
        )));
    }
    if let Some(e) = tally.first_error {
        bail!(
            "{} of {} record(s) not delivered to {}: {e}",
            tally.failed,
            tally.failed + tally.delivered,
            args.topic
        );
    }
    eprintln!("produced {} record(s) to {}", tally.delivered, args.topic);
    if let Some(e) = read_error {
        return Err(e).context(format!(
            "reading stdin after line {} (every line before it was produced)",
            tally.delivered
        ));
    }
    Ok(())
}

/// The line without one trailing `\n` or `\r\n`.
fn strip_newline(line: &[u8]) -> &[u8] {
    match line.strip_suffix(b"\n") {
        Some(line) => line.strip_suffix(b"\r").unwrap_or(line),
        None => line,
    }
}

/// `bytes` split at the first `sep` (an empty separator splits nothing off).
fn split_once<'a>(bytes: &'a [u8], sep: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    if sep.is_empty() {
        return None;
    }
    let at = bytes.windows(sep.len()).position(|w| w == sep)?;
    Some((&bytes[..at], &bytes[at + sep.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_ending_is_stripped() {
        assert_eq!(strip_newline(b"a\r\n"), b"a");
        assert_eq!(strip_newline(b"a\n"), b"a");
        assert_eq!(strip_newline(b"a\n\n"), b"a\n");
        assert_eq!(strip_newline(b"a\r"), b"a\r", "a CR alone is data");
        assert_eq!(strip_newline(b"a"), b"a");
    }

    #[test]
    fn keys_split_at_the_first_separator() {
        assert_eq!(split_once(b"k::v::w", b"::"), Some((&b"k"[..], &b"v::w"[..])));
        assert_eq!(split_once(b"\xffk=v", b"="), Some((&b"\xffk"[..], &b"v"[..])));
        assert_eq!(split_once(b"kv", b"="), None);
        assert_eq!(split_once(b"kv", b""), None);
    }
}
