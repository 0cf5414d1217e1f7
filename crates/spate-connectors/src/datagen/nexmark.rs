//! The Nexmark benchmark's event generator (people put items up for auction and bid on them).
//!
//! This follows the generator model of Apache Beam's and Flink's Nexmark
//! (`GeneratorConfig` / `NexmarkGenerator`): event ids are interleaved 1 person : 3 auctions :
//! 46 bids in every 50 events; auctions are sold by existing (often "hot") people and bids go
//! to existing (often hot) auctions from existing (often hot) bidders; event time advances by a
//! fixed inter-event delay from a base time. Event `n` is a pure function of `n` and the seed
//! (each event draws from its own seeded generator), so the stream does not depend on the
//! parallelism and replays exactly after a restore.
//!
//! Differences from the Java generators, on purpose: a fixed base time (for reproducible
//! runs) instead of the wall clock, timestamps as epoch milliseconds, a SplitMix64 generator
//! instead of `java.util.Random` (so values differ, distributions do not), and bid channels /
//! urls drawn from a smaller deterministic set.
//!
//! ```
//! use spate_connectors::datagen::nexmark::{self, Event, NexmarkConfig};
//! use spate_engine::{StreamEnvironment, WatermarkStrategy};
//!
//! # fn main() -> Result<(), spate_engine::EngineError> {
//! let env = StreamEnvironment::new();
//! let bids = env
//!     .add_source("nexmark", nexmark::source(NexmarkConfig::default(), 1000), WatermarkStrategy::monotonic())
//!     .filter(|e: &Event| matches!(e, Event::Bid(_)))
//!     .collect();
//! env.execute()?;
//! assert_eq!(bids.values().len(), 920);
//! # Ok(()) }
//! ```

use spate_engine::Timestamp;
use spate_engine::source::SeededRng;

use super::{DatagenSource, IndexGenerator};

const PERSON_PROPORTION: u64 = 1;
const AUCTION_PROPORTION: u64 = 3;
const BID_PROPORTION: u64 = 46;
const PROPORTION_DENOMINATOR: u64 = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;

/// Ids of the first person and the first auction (as in Beam).
pub const FIRST_PERSON_ID: u64 = 1000;
/// See [`FIRST_PERSON_ID`].
pub const FIRST_AUCTION_ID: u64 = 1000;
/// Id of the first category; categories are `FIRST_CATEGORY_ID..FIRST_CATEGORY_ID + 5`.
pub const FIRST_CATEGORY_ID: u64 = 10;
const NUM_CATEGORIES: u64 = 5;
/// Hot auctions / sellers / bidders are the ids that are multiples of these.
const HOT_AUCTION_RATIO: u64 = 100;
const HOT_SELLER_RATIO: u64 = 100;
const HOT_BIDDER_RATIO: u64 = 100;
/// Bids and auctions may refer to ids slightly ahead of the last generated one.
const PERSON_ID_LEAD: u64 = 10;
const AUCTION_ID_LEAD: u64 = 10;

const FIRST_NAMES: [&str; 11] = [
    "Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter",
];
const LAST_NAMES: [&str; 9] = [
    "Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris",
];
const US_STATES: [&str; 6] = ["AZ", "CA", "ID", "OR", "WA", "WY"];
const US_CITIES: [&str; 10] = [
    "Phoenix",
    "Los Angeles",
    "San Francisco",
    "Boise",
    "Portland",
    "Bend",
    "Redmond",
    "Seattle",
    "Kent",
    "Cheyenne",
];
const HOT_CHANNELS: [&str; 4] = ["Google", "Facebook", "Baidu", "Apple"];
const CHANNELS: u64 = 10_000;

/// Generator parameters (defaults as in Beam's `NexmarkConfiguration`).
#[derive(Debug, Clone, PartialEq)]
pub struct NexmarkConfig {
    /// Seed mixed into every event's generator.
    pub seed: u64,
    /// Event time of event 0, in epoch milliseconds.
    pub base_time_ms: Timestamp,
    /// Events per second of event time (the inter-event delay is its inverse).
    pub events_per_second: u64,
    /// People considered active (sellers and bidders are drawn from the latest ones).
    pub num_active_people: u64,
    /// Auctions considered open (bids go to the latest ones).
    pub num_in_flight_auctions: u64,
    /// 1 in `hot_auction_ratio` bids goes to a random auction, the others to a hot one.
    pub hot_auction_ratio: u64,
    /// 1 in `hot_sellers_ratio` auctions has a random seller, the others a hot one.
    pub hot_sellers_ratio: u64,
    /// 1 in `hot_bidders_ratio` bids has a random bidder, the others a hot one.
    pub hot_bidders_ratio: u64,
    /// Average size of a person in bytes (padding goes to `extra`).
    pub avg_person_byte_size: u64,
    /// Average size of an auction in bytes.
    pub avg_auction_byte_size: u64,
    /// Average size of a bid in bytes.
    pub avg_bid_byte_size: u64,
}

impl Default for NexmarkConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            // 2015-07-15T00:00:00Z, the date Flink's Nexmark queries were written against.
            base_time_ms: 1_436_918_400_000,
            events_per_second: 10_000,
            num_active_people: 1000,
            num_in_flight_auctions: 100,
            hot_auction_ratio: 2,
            hot_sellers_ratio: 4,
            hot_bidders_ratio: 4,
            avg_person_byte_size: 200,
            avg_auction_byte_size: 500,
            avg_bid_byte_size: 100,
        }
    }
}

impl NexmarkConfig {
    /// Event time of event number `n`.
    pub fn timestamp_for_event(&self, n: u64) -> Timestamp {
        let offset = u128::from(n) * 1000 / u128::from(self.events_per_second.max(1));
        self.base_time_ms
            .saturating_add(i64::try_from(offset).unwrap_or(i64::MAX))
    }
}

/// A person who sells or bids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Person {
    /// Unique id (from [`FIRST_PERSON_ID`]).
    pub id: u64,
    /// Full name.
    pub name: String,
    /// Email address.
    pub email_address: String,
    /// Credit card number (four groups of four digits).
    pub credit_card: String,
    /// City.
    pub city: String,
    /// US state.
    pub state: String,
    /// Event time in epoch milliseconds.
    pub date_time: Timestamp,
    /// Padding up to the configured average size.
    pub extra: String,
}

/// An item put up for auction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Auction {
    /// Unique id (from [`FIRST_AUCTION_ID`]).
    pub id: u64,
    /// Item name.
    pub item_name: String,
    /// Item description.
    pub description: String,
    /// Starting price (in cents).
    pub initial_bid: u64,
    /// Reserve price (in cents), above the initial bid.
    pub reserve: u64,
    /// Event time in epoch milliseconds.
    pub date_time: Timestamp,
    /// When the auction closes, in epoch milliseconds.
    pub expires: Timestamp,
    /// Id of the selling person.
    pub seller: u64,
    /// Category id.
    pub category: u64,
    /// Padding up to the configured average size.
    pub extra: String,
}

/// A bid on an auction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bid {
    /// Id of the auction.
    pub auction: u64,
    /// Id of the bidding person.
    pub bidder: u64,
    /// Price (in cents).
    pub price: u64,
    /// Where the bid came from.
    pub channel: String,
    /// The bid's url.
    pub url: String,
    /// Event time in epoch milliseconds.
    pub date_time: Timestamp,
    /// Padding up to the configured average size.
    pub extra: String,
}

/// One Nexmark event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Event {
    /// A new person.
    Person(Person),
    /// A new auction.
    Auction(Auction),
    /// A bid.
    Bid(Bid),
}

impl Event {
    /// The event time in epoch milliseconds.
    pub fn date_time(&self) -> Timestamp {
        match self {
            Event::Person(p) => p.date_time,
            Event::Auction(a) => a.date_time,
            Event::Bid(b) => b.date_time,
        }
    }

    /// The event as one JSON object in the layout of Flink's Nexmark Kafka source:
    /// `{"event_type":0|1|2,"person":{..}|null,"auction":{..}|null,"bid":{..}|null}` with
    /// camelCase fields and times in epoch milliseconds.
    pub fn to_json(&self) -> String {
        use serde_json::{Value, json};
        let (event_type, person, auction, bid) = match self {
            Event::Person(p) => (
                0,
                json!({"id": p.id, "name": p.name, "emailAddress": p.email_address,
                       "creditCard": p.credit_card, "city": p.city, "state": p.state,
                       "dateTime": p.date_time, "extra": p.extra}),
                Value::Null,
                Value::Null,
            ),
            Event::Auction(a) => (
                1,
                Value::Null,
                json!({"id": a.id, "itemName": a.item_name, "description": a.description,
                       "initialBid": a.initial_bid, "reserve": a.reserve, "dateTime": a.date_time,
                       "expires": a.expires, "seller": a.seller, "category": a.category,
                       "extra": a.extra}),
                Value::Null,
            ),
            Event::Bid(b) => (
                2,
                Value::Null,
                Value::Null,
                json!({"auction": b.auction, "bidder": b.bidder, "price": b.price,
                       "channel": b.channel, "url": b.url, "dateTime": b.date_time,
                       "extra": b.extra}),
            ),
        };
        json!({"event_type": event_type, "person": person, "auction": auction, "bid": bid}).to_string()
    }
}

/// Makes Nexmark event `n` (see the module docs); the [`IndexGenerator`] of [`source`].
#[derive(Debug, Clone)]
pub struct NexmarkGenerator {
    config: NexmarkConfig,
}

impl NexmarkGenerator {
    /// A generator with `config`.
    pub fn new(config: NexmarkConfig) -> Self {
        Self { config }
    }

    /// Event number `n`.
    pub fn event(&self, n: u64) -> Event {
        let c = &self.config;
        let mut rng = SeededRng::new(c.seed ^ n.wrapping_mul(0xa076_1d64_78bd_642f));
        let ts = c.timestamp_for_event(n);
        let rem = n % PROPORTION_DENOMINATOR;
        if rem < PERSON_PROPORTION {
            Event::Person(self.person(n, ts, &mut rng))
        } else if rem < PERSON_PROPORTION + AUCTION_PROPORTION {
            Event::Auction(self.auction(n, ts, &mut rng))
        } else {
            Event::Bid(self.bid(n, ts, &mut rng))
        }
    }

    fn person(&self, n: u64, ts: Timestamp, rng: &mut SeededRng) -> Person {
        let name = format!(
            "{} {}",
            FIRST_NAMES[rng.below(FIRST_NAMES.len() as u64) as usize],
            LAST_NAMES[rng.below(LAST_NAMES.len() as u64) as usize]
        );
        let email_address = format!("{}@{}.com", next_string(rng, 7), next_string(rng, 5));
        let credit_card = (0..4)
            .map(|_| format!("{:04}", rng.below(10_000)))
            .collect::<Vec<_>>()
            .join(" ");
        let city = US_CITIES[rng.below(US_CITIES.len() as u64) as usize].to_string();
        let state = US_STATES[rng.below(US_STATES.len() as u64) as usize].to_string();
        let size = 8 + name.len() + email_address.len() + credit_card.len() + city.len() + state.len() + 8;
        let extra = next_extra(rng, size as u64, self.config.avg_person_byte_size);
        Person {
            id: last_base0_person_id(n) + FIRST_PERSON_ID,
            name,
            email_address,
            credit_card,
            city,
            state,
            date_time: ts,
            extra,
        }
    }

    fn auction(&self, n: u64, ts: Timestamp, rng: &mut SeededRng) -> Auction {
        let c = &self.config;
        let seller = if rng.below(c.hot_sellers_ratio) > 0 {
            (last_base0_person_id(n) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO
        } else {
            self.next_base0_person_id(n, rng)
        } + FIRST_PERSON_ID;
        let category = FIRST_CATEGORY_ID + rng.below(NUM_CATEGORIES);
        let initial_bid = next_price(rng);
        let expires = ts.saturating_add(self.next_auction_length_ms(n, ts, rng));
        let item_name = next_string(rng, 20);
        let description = next_string(rng, 100);
        let reserve = initial_bid + next_price(rng);
        let size = 8 + item_name.len() + description.len() + 8 + 8 + 8 + 8 + 8;
        let extra = next_extra(rng, size as u64, c.avg_auction_byte_size);
        Auction {
            id: last_base0_auction_id(n) + FIRST_AUCTION_ID,
            item_name,
            description,
            initial_bid,
            reserve,
            date_time: ts,
            expires,
            seller,
            category,
            extra,
        }
    }

    fn bid(&self, n: u64, ts: Timestamp, rng: &mut SeededRng) -> Bid {
        let c = &self.config;
        let auction = if rng.below(c.hot_auction_ratio) > 0 {
            (last_base0_auction_id(n) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO
        } else {
            self.next_base0_auction_id(n, rng)
        } + FIRST_AUCTION_ID;
        let bidder = if rng.below(c.hot_bidders_ratio) > 0 {
            (last_base0_person_id(n) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1
        } else {
            self.next_base0_person_id(n, rng)
        } + FIRST_PERSON_ID;
        let price = next_price(rng);
        let (channel, url) = if rng.below(2) > 0 {
            let i = rng.below(HOT_CHANNELS.len() as u64) as usize;
            let channel = HOT_CHANNELS[i];
            (
                channel.to_string(),
                format!("https://www.nexmark.com/{channel}/item.htm?query=1"),
            )
        } else {
            let i = rng.below(CHANNELS);
            (
                format!("channel-{i}"),
                format!("https://www.nexmark.com/item.htm?query=1&channel_id={i}"),
            )
        };
        let size = 8 + 8 + 8 + channel.len() + url.len() + 8;
        let extra = next_extra(rng, size as u64, c.avg_bid_byte_size);
        Bid {
            auction,
            bidder,
            price,
            channel,
            url,
            date_time: ts,
            extra,
        }
    }

    /// A person id among the active people (or slightly ahead of the last one).
    fn next_base0_person_id(&self, n: u64, rng: &mut SeededRng) -> u64 {
        let num_people = last_base0_person_id(n) + 1;
        let active = num_people.min(self.config.num_active_people);
        num_people - active + rng.below(active + PERSON_ID_LEAD)
    }

    /// An auction id among the in-flight auctions (or slightly ahead of the last one).
    fn next_base0_auction_id(&self, n: u64, rng: &mut SeededRng) -> u64 {
        let max_auction = last_base0_auction_id(n);
        let min_auction = max_auction.saturating_sub(self.config.num_in_flight_auctions);
        min_auction + rng.below(max_auction - min_auction + 1 + AUCTION_ID_LEAD)
    }

    /// Auctions last up to twice the time it takes to start `num_in_flight_auctions` more.
    fn next_auction_length_ms(&self, n: u64, ts: Timestamp, rng: &mut SeededRng) -> i64 {
        let c = &self.config;
        let events_for_auctions = c.num_in_flight_auctions * PROPORTION_DENOMINATOR / AUCTION_PROPORTION;
        let future = c.timestamp_for_event(n.saturating_add(events_for_auctions));
        let horizon = future.saturating_sub(ts);
        1 + rng.below(horizon.saturating_mul(2).max(1) as u64) as i64
    }
}

/// The id (from 0) of the last person generated at or before event `n`.
pub fn last_base0_person_id(n: u64) -> u64 {
    let epoch = n / PROPORTION_DENOMINATOR;
    // Written for any proportions, as in Beam (with one person per epoch the offset is 0).
    let offset = n % PROPORTION_DENOMINATOR;
    let offset = if offset >= PERSON_PROPORTION {
        PERSON_PROPORTION - 1
    } else {
        offset
    };
    epoch * PERSON_PROPORTION + offset
}

/// The id (from 0) of the last auction generated at or before event `n` (0 before the first).
pub fn last_base0_auction_id(n: u64) -> u64 {
    let mut epoch = n / PROPORTION_DENOMINATOR;
    let mut offset = n % PROPORTION_DENOMINATOR;
    if offset < PERSON_PROPORTION {
        // A person event: the last auction is the last one of the previous epoch.
        if epoch == 0 {
            return 0;
        }
        epoch -= 1;
        offset = AUCTION_PROPORTION - 1;
    } else if offset >= PERSON_PROPORTION + AUCTION_PROPORTION {
        offset = AUCTION_PROPORTION - 1;
    } else {
        offset -= PERSON_PROPORTION;
    }
    epoch * AUCTION_PROPORTION + offset
}

fn next_f64(rng: &mut SeededRng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A price in cents, log-uniform between 1 and 1,000,000 dollars.
fn next_price(rng: &mut SeededRng) -> u64 {
    (10f64.powf(next_f64(rng) * 6.0) * 100.0).round() as u64
}

/// 3 to `max_len` lowercase letters with occasional spaces, trimmed.
fn next_string(rng: &mut SeededRng, max_len: u64) -> String {
    let len = 3 + rng.below(max_len - 3);
    let s = next_exact_string(rng, len);
    s.trim().to_string()
}

fn next_exact_string(rng: &mut SeededRng, len: u64) -> String {
    (0..len)
        .map(|_| {
            if rng.below(13) == 0 {
                ' '
            } else {
                char::from(b'a' + rng.below(26) as u8)
            }
        })
        .collect()
}

/// Padding so records average `avg_size` bytes (±20 %).
fn next_extra(rng: &mut SeededRng, current: u64, avg_size: u64) -> String {
    if current > avg_size {
        return String::new();
    }
    let wanted = avg_size - current;
    let delta = (wanted as f64 * 0.2).round() as u64;
    let len = wanted - delta + if delta == 0 { 0 } else { rng.below(2 * delta) };
    next_exact_string(rng, len)
}

impl IndexGenerator for NexmarkGenerator {
    type Item = Event;
    fn generate(&mut self, index: u64) -> (Event, Timestamp) {
        let e = self.event(index);
        let ts = e.date_time();
        (e, ts)
    }
}

/// A source of the first `max_events` Nexmark events (use `.unbounded()` for an endless one,
/// `.with_rows_per_second(..)` to throttle). Records carry their event time as source timestamp.
pub fn source(config: NexmarkConfig, max_events: u64) -> DatagenSource<NexmarkGenerator> {
    DatagenSource::new(NexmarkGenerator::new(config), 0, max_events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::VecBatch;
    use spate_engine::{SourceContext, SourceStatus};

    #[test]
    fn events_interleave_1_3_46_and_refer_to_existing_ids() {
        let g = NexmarkGenerator::new(NexmarkConfig::default());
        let (mut people, mut auctions, mut bids) = (0u64, 0u64, 0u64);
        let mut max_person = 0;
        let mut max_auction = 0;
        let mut hot_bids = 0;
        for n in 0..50_000 {
            match g.event(n) {
                Event::Person(p) => {
                    assert_eq!(p.id, FIRST_PERSON_ID + people, "person ids are dense");
                    people += 1;
                    max_person = p.id;
                }
                Event::Auction(a) => {
                    assert_eq!(a.id, FIRST_AUCTION_ID + auctions, "auction ids are dense");
                    auctions += 1;
                    max_auction = a.id;
                    assert!(a.seller <= max_person + PERSON_ID_LEAD, "seller exists");
                    assert!(a.reserve >= a.initial_bid && a.expires > a.date_time);
                    assert!((FIRST_CATEGORY_ID..FIRST_CATEGORY_ID + NUM_CATEGORIES).contains(&a.category));
                }
                Event::Bid(b) => {
                    bids += 1;
                    assert!(b.auction >= FIRST_AUCTION_ID && b.auction <= max_auction + AUCTION_ID_LEAD);
                    assert!(b.bidder >= FIRST_PERSON_ID && b.bidder <= max_person + PERSON_ID_LEAD);
                    hot_bids += u64::from((b.auction - FIRST_AUCTION_ID).is_multiple_of(HOT_AUCTION_RATIO));
                }
            }
        }
        assert_eq!((people, auctions, bids), (1000, 3000, 46_000));
        // Half the bids go to hot auctions (plus the random ones that happen to be hot).
        assert!((23_000..26_000).contains(&hot_bids), "hot bids: {hot_bids}");
    }

    #[test]
    fn timestamps_advance_by_the_inter_event_delay() {
        let config = NexmarkConfig {
            events_per_second: 1000,
            ..NexmarkConfig::default()
        };
        let g = NexmarkGenerator::new(config.clone());
        for n in [0u64, 1, 49, 50, 12345] {
            assert_eq!(g.event(n).date_time(), config.base_time_ms + n as i64);
        }
    }

    #[test]
    fn sizes_average_near_the_configuration() {
        let g = NexmarkGenerator::new(NexmarkConfig::default());
        let (mut total, mut count) = (0usize, 0usize);
        for n in 0..5000 {
            if let Event::Bid(b) = g.event(n) {
                total += 8 * 4 + b.channel.len() + b.url.len() + b.extra.len();
                count += 1;
            }
        }
        let avg = total / count;
        assert!((80..=120).contains(&avg), "average bid size {avg}");
    }

    #[test]
    fn json_has_flink_layout() {
        let g = NexmarkGenerator::new(NexmarkConfig::default());
        let v: serde_json::Value = serde_json::from_str(&g.event(0).to_json()).unwrap();
        assert_eq!(v["event_type"], 0);
        assert_eq!(v["person"]["id"], FIRST_PERSON_ID);
        assert!(v["bid"].is_null());
        let v: serde_json::Value = serde_json::from_str(&g.event(7).to_json()).unwrap();
        assert_eq!(v["event_type"], 2);
        assert!(v["bid"]["price"].as_u64().unwrap() >= 100);
    }

    #[test]
    fn parallel_output_and_restore_are_exact() {
        let ctx = |s, p| SourceContext {
            subtask: s,
            parallelism: p,
        };
        let mut single = source(NexmarkConfig::default(), 600);
        single.open_subtask(&ctx(0, 1));
        let mut b = VecBatch::new(1000);
        assert_eq!(single.poll_into(&mut b), SourceStatus::Finished);
        let expected = b.records;

        let mut got = Vec::new();
        let mut positions = Vec::new();
        for s in 0..3 {
            let mut src = source(NexmarkConfig::default(), 600);
            src.open_subtask(&ctx(s, 3));
            let mut b = VecBatch::new(70);
            src.poll_into(&mut b);
            got.extend(b.records);
            positions.push(src.position());
        }
        // Restore at parallelism 2 from the 3 positions taken mid-way.
        for s in 0..2 {
            let mut src = source(NexmarkConfig::default(), 600);
            src.open_subtask(&ctx(s, 2));
            src.restore(&ctx(s, 2), &positions).unwrap();
            let mut b = VecBatch::new(1000);
            assert_eq!(src.poll_into(&mut b), SourceStatus::Finished);
            got.extend(b.records);
        }
        got.sort_by_key(|(e, ts)| (*ts, e.to_json()));
        let mut expected = expected;
        expected.sort_by_key(|(e, ts)| (*ts, e.to_json()));
        assert_eq!(got, expected);
    }
}
