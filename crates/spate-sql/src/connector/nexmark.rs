//! The `nexmark` connector: the Nexmark benchmark's events from
//! `spate_connectors::datagen::nexmark`, with the Nexmark project's option names
//! (nexmark-flink's `NexmarkSourceOptions`).
//!
//! Tables:
//! - The project's own schema (`event_type INT, person ROW<..>, auction ROW<..>, bid
//!   ROW<..>`, as its `ddl_gen.sql`): every event, `event_type` 0 (person), 1 (auction) or 2
//!   (bid) and the other two rows NULL.
//! - A table of one kind: columns named as the fields of a person (`id, name, emailAddress,
//!   creditCard, city, state, dateTime, extra`), an auction (`id, itemName, description,
//!   initialBid, reserve, dateTime, expires, seller, category, extra`) or a bid (`auction,
//!   bidder, price, channel, url, dateTime, extra`); the kind is told by `emailAddress` or
//!   `creditCard`, `itemName`, `bidder`. Any subset and order of the fields.
//!
//! Options: `first-event.rate` (events per second of event time, default 10000;
//! `next-event.rate` must equal it: alternating rate shapes are not supported, so `rate.shape`
//! and `rate.period` have no effect), `rate.limited` (emit at that rate in wall-clock time, default
//! false: as fast as possible), `events.num` (0, the default: unbounded),
//! `person|auction|bid.avg-size`, `bid.hot-ratio.auctions`, `bid.hot-ratio.bidders`,
//! `auction.hot-ratio.sellers`; `person|auction|bid.proportion` must be the fixed 1 : 3 : 46.
//! Event times start at a fixed base time (2015-07-15) instead of the wall clock, so runs are
//! reproducible.

use std::sync::Arc;

use spate_connectors::datagen::nexmark::{self as nx, Event, NexmarkConfig};
use spate_engine::{DataStream, StreamEnvironment};

use super::columns::Columns;
use super::datagen::GenReader;
use super::opts::Options;
use super::source::add_source;
use super::{ConnectorContext, ScanPlan};
use crate::error::SqlError;
use crate::types::{DataType, TypeKind};
use crate::value::{Row, Value};

/// One field of an event, before it takes its column's type.
enum Field<'a> {
    Int(u64),
    Str(&'a str),
    Time(i64),
}

const PERSON: &[&str] = &[
    "id",
    "name",
    "emailAddress",
    "creditCard",
    "city",
    "state",
    "dateTime",
    "extra",
];
const AUCTION: &[&str] = &[
    "id",
    "itemName",
    "description",
    "initialBid",
    "reserve",
    "dateTime",
    "expires",
    "seller",
    "category",
    "extra",
];
const BID: &[&str] = &[
    "auction", "bidder", "price", "channel", "url", "dateTime", "extra",
];

fn person_field<'a>(p: &'a nx::Person, name: &str) -> Option<Field<'a>> {
    Some(match name {
        "id" => Field::Int(p.id),
        "name" => Field::Str(&p.name),
        "emailAddress" => Field::Str(&p.email_address),
        "creditCard" => Field::Str(&p.credit_card),
        "city" => Field::Str(&p.city),
        "state" => Field::Str(&p.state),
        "dateTime" => Field::Time(p.date_time),
        "extra" => Field::Str(&p.extra),
        _ => return None,
    })
}

fn auction_field<'a>(a: &'a nx::Auction, name: &str) -> Option<Field<'a>> {
    Some(match name {
        "id" => Field::Int(a.id),
        "itemName" => Field::Str(&a.item_name),
        "description" => Field::Str(&a.description),
        "initialBid" => Field::Int(a.initial_bid),
        "reserve" => Field::Int(a.reserve),
        "dateTime" => Field::Time(a.date_time),
        "expires" => Field::Time(a.expires),
        "seller" => Field::Int(a.seller),
        "category" => Field::Int(a.category),
        "extra" => Field::Str(&a.extra),
        _ => return None,
    })
}

fn bid_field<'a>(b: &'a nx::Bid, name: &str) -> Option<Field<'a>> {
    Some(match name {
        "auction" => Field::Int(b.auction),
        "bidder" => Field::Int(b.bidder),
        "price" => Field::Int(b.price),
        "channel" => Field::Str(&b.channel),
        "url" => Field::Str(&b.url),
        "dateTime" => Field::Time(b.date_time),
        "extra" => Field::Str(&b.extra),
        _ => return None,
    })
}

/// The value of `f` as type `ty` (types were checked when the table was scanned).
fn typed(f: Field<'_>, ty: &DataType) -> Value {
    match (f, &ty.kind) {
        (Field::Int(i), _) => Value::Int(i64::try_from(i).unwrap_or(i64::MAX)),
        (Field::Str(s), _) => Value::String(s.to_string()),
        (Field::Time(ms), _) => Value::Timestamp(ms.saturating_mul(1000)),
    }
}

/// Which kind a field's values are, to check the column type against.
fn accepts(sample: &Field<'_>, ty: &DataType) -> bool {
    match sample {
        Field::Int(_) => matches!(ty.kind, TypeKind::BigInt),
        Field::Str(_) => matches!(ty.kind, TypeKind::Varchar(_) | TypeKind::Char(_)),
        Field::Time(_) => matches!(ty.kind, TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Person,
    Auction,
    Bid,
}

/// How an event becomes a row.
#[derive(Debug, Clone)]
enum Shape {
    /// `event_type`, `person`, `auction`, `bid` columns (each optional): (column, field names
    /// and types of its ROW) per part.
    All {
        width: usize,
        event_type: Option<usize>,
        person: Option<(usize, Vec<(String, DataType)>)>,
        auction: Option<(usize, Vec<(String, DataType)>)>,
        bid: Option<(usize, Vec<(String, DataType)>)>,
    },
    /// A table of one kind: (column, field name, type).
    One {
        width: usize,
        kind: Kind,
        fields: Vec<(usize, String, DataType)>,
    },
}

fn sample_person() -> nx::Person {
    nx::Person {
        id: 0,
        name: String::new(),
        email_address: String::new(),
        credit_card: String::new(),
        city: String::new(),
        state: String::new(),
        date_time: 0,
        extra: String::new(),
    }
}

fn sample_auction() -> nx::Auction {
    nx::Auction {
        id: 0,
        item_name: String::new(),
        description: String::new(),
        initial_bid: 0,
        reserve: 0,
        date_time: 0,
        expires: 0,
        seller: 0,
        category: 0,
        extra: String::new(),
    }
}

fn sample_bid() -> nx::Bid {
    nx::Bid {
        auction: 0,
        bidder: 0,
        price: 0,
        channel: String::new(),
        url: String::new(),
        date_time: 0,
        extra: String::new(),
    }
}

/// Checks that `name` is a field of `kind` and `ty` fits it.
fn check_field(options: Options<'_>, kind: Kind, name: &str, ty: &DataType) -> Result<(), SqlError> {
    let (p, a, b) = (sample_person(), sample_auction(), sample_bid());
    let (sample, names) = match kind {
        Kind::Person => (person_field(&p, name), PERSON),
        Kind::Auction => (auction_field(&a, name), AUCTION),
        Kind::Bid => (bid_field(&b, name), BID),
    };
    let Some(sample) = sample else {
        return Err(options.error(format!(
            "'{name}' is not a field of a Nexmark {kind:?}; its fields are {}",
            names.join(", ")
        )));
    };
    if !accepts(&sample, ty) {
        let want = match sample {
            Field::Int(_) => "BIGINT",
            Field::Str(_) => "STRING",
            Field::Time(_) => "TIMESTAMP(3)",
        };
        return Err(options.error(format!("the Nexmark field {name} is {want}, not {ty}")));
    }
    Ok(())
}

fn row_fields(options: Options<'_>, kind: Kind, ty: &DataType) -> Result<Vec<(String, DataType)>, SqlError> {
    let TypeKind::Row(fields) = &ty.kind else {
        return Err(options.error(format!("the Nexmark column {kind:?} must be a ROW, not {ty}")));
    };
    fields
        .iter()
        .map(|f| {
            check_field(options, kind, f.name.as_str(), &f.ty)?;
            Ok((f.name.as_str().to_string(), f.ty.clone()))
        })
        .collect()
}

fn shape(options: Options<'_>, columns: &Columns) -> Result<Shape, SqlError> {
    let names: Vec<&str> = columns.physical.iter().map(|(_, f)| f.name.as_str()).collect();
    let has = |n: &str| names.contains(&n);
    if has("event_type") || has("person") || has("bid") || (has("auction") && !has("bidder")) {
        let mut s = (None, None, None, None);
        for (index, f) in &columns.physical {
            match f.name.as_str() {
                "event_type" => {
                    if !matches!(
                        f.ty.kind,
                        TypeKind::Int | TypeKind::BigInt | TypeKind::SmallInt | TypeKind::TinyInt
                    ) {
                        return Err(options.error(format!("event_type must be an INT, not {}", f.ty)));
                    }
                    s.0 = Some(*index);
                }
                "person" => s.1 = Some((*index, row_fields(options, Kind::Person, &f.ty)?)),
                "auction" => s.2 = Some((*index, row_fields(options, Kind::Auction, &f.ty)?)),
                "bid" => s.3 = Some((*index, row_fields(options, Kind::Bid, &f.ty)?)),
                other => {
                    return Err(options.error(format!(
                        "'{other}' is not a column of the Nexmark event table (event_type, person, auction, bid)"
                    )));
                }
            }
        }
        return Ok(Shape::All {
            width: columns.width,
            event_type: s.0,
            person: s.1,
            auction: s.2,
            bid: s.3,
        });
    }
    let kind = if has("bidder") {
        Kind::Bid
    } else if has("itemName") {
        Kind::Auction
    } else if has("emailAddress") || has("creditCard") {
        Kind::Person
    } else {
        return Err(options.error(
            "a nexmark table has the columns event_type, person, auction, bid (every event), or the fields of \
             one kind of event: a bid (with a column bidder), an auction (itemName) or a person (emailAddress)",
        ));
    };
    let mut fields = Vec::new();
    for (index, f) in &columns.physical {
        check_field(options, kind, &f.name, &f.ty)?;
        fields.push((*index, f.name.clone(), f.ty.clone()));
    }
    Ok(Shape::One {
        width: columns.width,
        kind,
        fields,
    })
}

fn nested<'a>(fields: &[(String, DataType)], get: impl Fn(&str) -> Option<Field<'a>>) -> Value {
    Value::Row(
        fields
            .iter()
            .map(|(n, ty)| get(n).map_or(Value::Null, |f| typed(f, ty)))
            .collect(),
    )
}

impl Shape {
    fn row(&self, e: Event) -> Option<Row> {
        match self {
            Shape::All {
                width,
                event_type,
                person,
                auction,
                bid,
            } => {
                let mut row = vec![Value::Null; *width];
                let t = match &e {
                    Event::Person(p) => {
                        if let Some((c, fs)) = person {
                            row[*c] = nested(fs, |n| person_field(p, n));
                        }
                        0
                    }
                    Event::Auction(a) => {
                        if let Some((c, fs)) = auction {
                            row[*c] = nested(fs, |n| auction_field(a, n));
                        }
                        1
                    }
                    Event::Bid(b) => {
                        if let Some((c, fs)) = bid {
                            row[*c] = nested(fs, |n| bid_field(b, n));
                        }
                        2
                    }
                };
                if let Some(c) = event_type {
                    row[*c] = Value::Int(t);
                }
                Some(row)
            }
            Shape::One { width, kind, fields } => {
                let mut row = vec![Value::Null; *width];
                for (c, name, ty) in fields {
                    let f = match (&e, kind) {
                        (Event::Person(p), Kind::Person) => person_field(p, name),
                        (Event::Auction(a), Kind::Auction) => auction_field(a, name),
                        (Event::Bid(b), Kind::Bid) => bid_field(b, name),
                        _ => return None,
                    };
                    row[*c] = f.map_or(Value::Null, |f| typed(f, ty));
                }
                Some(row)
            }
        }
    }
}

fn ratio(options: Options<'_>, key: &str, default: u64) -> Result<u64, SqlError> {
    match options.u64(key)?.unwrap_or(default) {
        0 => Err(options.invalid(key, "must be at least 1")),
        r => Ok(r),
    }
}

fn config(options: Options<'_>) -> Result<(NexmarkConfig, bool), SqlError> {
    let rate = options.u64("first-event.rate")?.unwrap_or(10_000);
    if rate == 0 {
        return Err(options.invalid("first-event.rate", "must be at least 1"));
    }
    if let Some(next) = options.u64("next-event.rate")?
        && next != rate
    {
        return Err(options.invalid(
            "next-event.rate",
            format!("rates that alternate ({rate} and {next} events per second) are not supported; give next-event.rate = first-event.rate"),
        ));
    }
    for (key, fixed) in [
        ("person.proportion", 1),
        ("auction.proportion", 3),
        ("bid.proportion", 46),
    ] {
        if let Some(v) = options.u64(key)?
            && v != fixed
        {
            return Err(options.invalid(
                key,
                format!("only the standard proportions 1 : 3 : 46 (person : auction : bid) are supported, so this must be {fixed}"),
            ));
        }
    }
    let defaults = NexmarkConfig::default();
    let size = |key: &str, default: u64| -> Result<u64, SqlError> {
        Ok(options.memory_size(key)?.unwrap_or(default))
    };
    let config = NexmarkConfig {
        events_per_second: rate,
        hot_auction_ratio: ratio(options, "bid.hot-ratio.auctions", defaults.hot_auction_ratio)?,
        hot_bidders_ratio: ratio(options, "bid.hot-ratio.bidders", defaults.hot_bidders_ratio)?,
        hot_sellers_ratio: ratio(options, "auction.hot-ratio.sellers", defaults.hot_sellers_ratio)?,
        avg_person_byte_size: size("person.avg-size", defaults.avg_person_byte_size)?,
        avg_auction_byte_size: size("auction.avg-size", defaults.avg_auction_byte_size)?,
        avg_bid_byte_size: size("bid.avg-size", defaults.avg_bid_byte_size)?,
        ..defaults
    };
    // Read so a bad value is reported; the shape only matters with two rates.
    options.duration("rate.period")?;
    Ok((config, options.bool("rate.limited")?.unwrap_or(false)))
}

/// Adds a `nexmark` table's source.
pub(crate) fn scan(
    env: &StreamEnvironment,
    plan: &ScanPlan,
    ctx: &ConnectorContext,
    parallelism: Option<usize>,
) -> Result<DataStream<Row>, SqlError> {
    let options = Options::new(&plan.table);
    let columns = Columns::of(&plan.table);
    let shape = Arc::new(shape(options, &columns)?);
    let (config, limited) = config(options)?;
    let rate = config.events_per_second;
    let events = options.u64("events.num")?.unwrap_or(0);
    let mut source = nx::source(config, if events == 0 { u64::MAX } else { events });
    if events == 0 {
        source = source.unbounded();
    }
    if limited {
        source = source.with_rows_per_second(rate);
    }
    let reader = GenReader {
        source,
        to_row: move |e| shape.row(e),
    };
    add_source(env, plan, ctx, reader, parallelism)
}
