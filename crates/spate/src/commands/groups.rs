//! `spate groups list|describe|reset-offsets`.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail, ensure};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use crate::cli::{GroupsAction, ResetTarget};
use crate::client_properties::ClientSettings;
use crate::kafka_client::{self, CLUSTER_TIMEOUT};

/// A consumer that speaks for `group` (OffsetFetch/OffsetCommit) without ever joining it.
fn group_client(settings: &ClientSettings, group: &str) -> Result<BaseConsumer> {
    settings
        .consumer_config(group)?
        .create()
        .context("creating Kafka consumer")
}

pub async fn run(action: GroupsAction) -> Result<()> {
    match action {
        GroupsAction::List { client } => {
            let consumer = ClientSettings::from_args(&client)?.assign_consumer()?;
            let list = consumer
                .fetch_group_list(None, CLUSTER_TIMEOUT)
                .map_err(|e| kafka_client::client_error(&e, &client.bootstrap, "listing groups"))?;
            let mut groups: Vec<(String, String, usize)> = list
                .groups()
                .iter()
                .map(|g| (g.name().to_string(), g.state().to_string(), g.members().len()))
                .collect();
            groups.sort();
            println!("group\tstate\tmembers");
            for (name, state, members) in groups {
                println!("{name}\t{state}\t{members}");
            }
        }
        GroupsAction::Describe { group, client } => describe(&ClientSettings::from_args(&client)?, &group)?,
        GroupsAction::ResetOffsets {
            group,
            topic,
            target,
            execute,
            client,
        } => reset(
            &ClientSettings::from_args(&client)?,
            &group,
            &topic,
            &target,
            execute,
        )?,
    }
    Ok(())
}

fn describe(settings: &ClientSettings, group: &str) -> Result<()> {
    let bootstrap = settings.bootstrap.as_str();
    let consumer = group_client(settings, group)?;
    let list = consumer
        .fetch_group_list(Some(group), CLUSTER_TIMEOUT)
        .map_err(|e| kafka_client::client_error(&e, bootstrap, &format!("describing group {group}")))?;
    let info = list.groups().first();
    let state = info.map_or("Dead", |g| g.state());
    // (topic, partition) -> member id, from the members' consumer-protocol assignments.
    let mut owner: BTreeMap<(String, i32), String> = BTreeMap::new();
    if let Some(g) = info {
        println!(
            "group {group}: state {state}, protocol {} {}, {} member(s)",
            g.protocol_type(),
            g.protocol(),
            g.members().len()
        );
        for m in g.members() {
            println!(
                "  member {} (client {}, host {})",
                m.id(),
                m.client_id(),
                m.client_host()
            );
            for (topic, partitions) in decode_assignment(m.assignment().unwrap_or_default()) {
                for p in partitions {
                    owner.insert((topic.clone(), p), m.id().to_string());
                }
            }
        }
    } else {
        println!("group {group}: state {state}");
    }
    // Committed offsets of every partition of every (non-internal) topic that has one.
    let md = kafka_client::fetch_metadata(&consumer, bootstrap, None)?;
    let mut tpl = TopicPartitionList::new();
    for t in md.topics().iter().filter(|t| !t.name().starts_with("__")) {
        for p in t.partitions() {
            tpl.add_partition(t.name(), p.id());
        }
    }
    let committed = consumer
        .committed_offsets(tpl, CLUSTER_TIMEOUT)
        .context("fetching committed offsets")?;
    println!("topic\tpartition\tcommitted\tlog-end\tlag\tmember");
    let mut total_lag = 0i64;
    for e in committed.elements() {
        let Offset::Offset(offset) = e.offset() else {
            continue;
        };
        let (_, high) = consumer
            .fetch_watermarks(e.topic(), e.partition(), CLUSTER_TIMEOUT)
            .with_context(|| format!("offsets of {}/{}", e.topic(), e.partition()))?;
        let lag = (high - offset).max(0);
        total_lag += lag;
        let member = owner
            .get(&(e.topic().to_string(), e.partition()))
            .map_or("-", String::as_str);
        println!(
            "{}\t{}\t{offset}\t{high}\t{lag}\t{member}",
            e.topic(),
            e.partition()
        );
    }
    println!("total lag {total_lag}");
    Ok(())
}

/// Topics and partitions of a consumer-protocol assignment (version, \[topic, \[partition\]\], user
/// data); empty when the bytes are not that format.
fn decode_assignment(mut b: &[u8]) -> Vec<(String, Vec<i32>)> {
    fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if b.len() < n {
            return None;
        }
        let (head, rest) = b.split_at(n);
        *b = rest;
        Some(head)
    }
    fn i16_(b: &mut &[u8]) -> Option<i16> {
        take(b, 2).map(|x| i16::from_be_bytes([x[0], x[1]]))
    }
    fn i32_(b: &mut &[u8]) -> Option<i32> {
        take(b, 4).map(|x| i32::from_be_bytes([x[0], x[1], x[2], x[3]]))
    }
    let mut parse = || -> Option<Vec<(String, Vec<i32>)>> {
        i16_(&mut b)?;
        let topics = i32_(&mut b)?;
        let mut out = Vec::new();
        for _ in 0..topics.max(0) {
            let len = i16_(&mut b)?;
            let name = String::from_utf8(take(&mut b, len.max(0) as usize)?.to_vec()).ok()?;
            let n = i32_(&mut b)?;
            let mut parts = Vec::new();
            for _ in 0..n.max(0) {
                parts.push(i32_(&mut b)?);
            }
            out.push((name, parts));
        }
        Some(out)
    };
    parse().unwrap_or_default()
}

fn reset(
    settings: &ClientSettings,
    group: &str,
    topic: &str,
    target: &ResetTarget,
    execute: bool,
) -> Result<()> {
    let bootstrap = settings.bootstrap.as_str();
    let consumer = group_client(settings, group)?;
    let list = consumer
        .fetch_group_list(Some(group), CLUSTER_TIMEOUT)
        .map_err(|e| kafka_client::client_error(&e, bootstrap, &format!("describing group {group}")))?;
    if let Some(g) = list.groups().first() {
        ensure!(
            g.members().is_empty(),
            "group {group} has {} active member(s) (state {}); stop them before resetting offsets",
            g.members().len(),
            g.state()
        );
    }
    let partitions = kafka_client::topic_partitions(&consumer, bootstrap, topic)?;
    let by_time = match &target.to_datetime {
        Some(t) => Some(parse_time_ms(t)?),
        None => None,
    };
    let times = match by_time {
        Some(ms) => {
            let mut tpl = TopicPartitionList::new();
            for &p in &partitions {
                tpl.add_partition_offset(topic, p, Offset::Offset(ms))?;
            }
            Some(
                consumer
                    .offsets_for_times(tpl, CLUSTER_TIMEOUT)
                    .context("looking up offsets by time")?,
            )
        }
        None => None,
    };
    let mut plan = TopicPartitionList::new();
    println!("topic\tpartition\tnew-offset");
    for &p in &partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, p, CLUSTER_TIMEOUT)
            .with_context(|| format!("offsets of {topic}/{p}"))?;
        let offset = if target.to_earliest {
            low
        } else if target.to_latest {
            high
        } else if let Some(o) = target.to_offset {
            // As Kafka's tool does: offsets outside the log are clamped to it.
            o.clamp(low, high)
        } else {
            match times
                .as_ref()
                .and_then(|t| t.find_partition(topic, p))
                .map(|e| e.offset())
            {
                Some(Offset::Offset(o)) => o,
                // No record at or after that time: the end of the partition.
                _ => high,
            }
        };
        println!("{topic}\t{p}\t{offset}");
        plan.add_partition_offset(topic, p, Offset::Offset(offset))?;
    }
    if !execute {
        println!("dry run: nothing changed (add --execute to apply)");
        return Ok(());
    }
    consumer.commit(&plan, CommitMode::Sync).map_err(|e| {
        kafka_client::client_error(
            &e,
            bootstrap,
            &format!("committing new offsets for group {group}"),
        )
    })?;
    println!("offsets of group {group} reset");
    Ok(())
}

/// `YYYY-MM-DDTHH:MM:SS[.mmm]Z` (UTC) or plain epoch milliseconds.
fn parse_time_ms(s: &str) -> Result<i64> {
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    let bad =
        || anyhow::anyhow!("--to-datetime {s:?}: expected YYYY-MM-DDTHH:MM:SS[.mmm]Z or epoch milliseconds");
    let t = s.strip_suffix('Z').ok_or_else(bad)?;
    let (date, time) = t.split_once('T').ok_or_else(bad)?;
    let d: Vec<i64> = date
        .split('-')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let (hms, millis) = match time.split_once('.') {
        Some((hms, frac)) => (hms, format!("{frac:0<3}")[..3].parse::<i64>().map_err(|_| bad())?),
        None => (time, 0),
    };
    let h: Vec<i64> = hms
        .split(':')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    if d.len() != 3
        || h.len() != 3
        || !(1..=12).contains(&d[1])
        || !(1..=31).contains(&d[2])
        || h[0] > 23
        || h[1] > 59
        || h[2] > 60
    {
        bail!(bad());
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, m, day) = (if d[1] <= 2 { d[0] - 1 } else { d[0] }, d[1], d[2]);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok(((days * 24 + h[0]) * 60 + h[1]) * 60_000 + h[2] * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utc_times() {
        assert_eq!(parse_time_ms("1970-01-01T00:00:00Z").unwrap(), 0);
        assert_eq!(
            parse_time_ms("2026-11-21T10:00:00.5Z").unwrap(),
            1_795_255_200_500
        );
        assert_eq!(parse_time_ms("1700000000000").unwrap(), 1_700_000_000_000);
        assert!(parse_time_ms("2026-13-01T00:00:00Z").is_err());
        assert!(parse_time_ms("yesterday").is_err());
    }

    #[test]
    fn decodes_consumer_assignments() {
        let mut b = vec![0, 0, 0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 5];
        b.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(decode_assignment(&b), vec![("t".to_string(), vec![3, 5])]);
        assert!(decode_assignment(&[1, 2, 3]).is_empty());
    }
}
