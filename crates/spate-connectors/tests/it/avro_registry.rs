//! Typed records through `kafka::avro::AvroSerde` and Spate's schema registry served on a
//! real socket: an old producer's type read as today's (resolution by field name, a
//! promotion, a default), and bad frames refused with their place.

use std::sync::Arc;

use spate_avro::Datum;
use spate_connectors::kafka::avro::{AvroRecord, AvroSerde};
use spate_registry_client::{ClientConfig, RegistryClient};
use spate_schema_registry::{MemoryLog, Service, http};

fn registry() -> Arc<RegistryClient> {
    let service = Arc::new(Service::open(Box::new(MemoryLog::default())).expect("opens"));
    let url = http::serve_in_background(http::router(service, None)).expect("serves");
    Arc::new(RegistryClient::new(&ClientConfig::new(&url)).expect("client"))
}

/// What producers wrote last year.
#[derive(Debug, PartialEq)]
struct OldClick {
    user: i32,
    referrer: String,
}

impl AvroRecord for OldClick {
    const SCHEMA: &'static str = r#"{"type":"record","name":"Click","namespace":"shop","fields":[
        {"name":"user","type":"int"},{"name":"referrer","type":"string"}]}"#;
    fn to_datum(&self) -> Datum {
        Datum::Record(vec![Datum::Int(self.user), Datum::String(self.referrer.clone())])
    }
    fn from_datum(d: Datum) -> Result<Self, String> {
        match d {
            Datum::Record(f) => match <[Datum; 2]>::try_from(f) {
                Ok([Datum::Int(user), Datum::String(referrer)]) => Ok(OldClick { user, referrer }),
                Ok(other) => Err(format!("not an OldClick: {other:?}")),
                Err(f) => Err(format!("not an OldClick: {f:?}")),
            },
            other => Err(format!("not a record: {other:?}")),
        }
    }
}

/// Today's type: `user` widened, `referrer` dropped, `page` added with a default.
#[derive(Debug, PartialEq)]
struct Click {
    user: i64,
    page: Option<String>,
}

impl AvroRecord for Click {
    const SCHEMA: &'static str = r#"{"type":"record","name":"Click","namespace":"shop","fields":[
        {"name":"user","type":"long"},{"name":"page","type":["null","string"],"default":null}]}"#;
    fn to_datum(&self) -> Datum {
        let page = match &self.page {
            None => Datum::Union(0, Box::new(Datum::Null)),
            Some(p) => Datum::Union(1, Box::new(Datum::String(p.clone()))),
        };
        Datum::Record(vec![Datum::Long(self.user), page])
    }
    fn from_datum(d: Datum) -> Result<Self, String> {
        let Datum::Record(f) = d else {
            return Err("not a record".into());
        };
        match <[Datum; 2]>::try_from(f) {
            Ok([Datum::Long(user), Datum::Union(_, page)]) => Ok(Click {
                user,
                page: match *page {
                    Datum::String(p) => Some(p),
                    _ => None,
                },
            }),
            other => Err(format!("not a Click: {other:?}")),
        }
    }
}

#[test]
fn old_records_are_read_as_todays_type() {
    let client = registry();
    let old = AvroSerde::<OldClick>::new(client.clone(), "clicks-value").expect("serde");
    let new = AvroSerde::<Click>::new(client.clone(), "clicks-value").expect("serde");
    let mut old_bytes = Vec::new();
    old.serialize(
        &OldClick {
            user: 7,
            referrer: "ads".into(),
        },
        &mut old_bytes,
    )
    .expect("writes");
    let mut new_bytes = Vec::new();
    let today = Click {
        user: 1 << 40,
        page: Some("/cart".into()),
    };
    new.serialize(&today, &mut new_bytes)
        .expect("a BACKWARD-compatible version registers");
    assert_ne!(old_bytes[1..5], new_bytes[1..5], "two schema ids");
    let here = || "test".to_string();
    assert_eq!(
        new.deserialize(&old_bytes, here).expect("resolves"),
        Click { user: 7, page: None }
    );
    assert_eq!(new.deserialize(&new_bytes, here).expect("reads"), today);
    // The old type cannot read today's: a long does not narrow to its int.
    let e = old.deserialize(&new_bytes, here).unwrap_err().to_string();
    assert!(e.contains("Found long, expecting int"), "{e}");
    // Schemas are fetched once per id, registrations made once.
    let sent = client.requests_sent();
    for _ in 0..100 {
        new.deserialize(&old_bytes, here).expect("resolves");
        new.serialize(&today, &mut Vec::new()).expect("writes");
    }
    assert_eq!(client.requests_sent(), sent);
}

#[test]
fn bad_frames_are_errors_with_their_place() {
    let client = registry();
    let serde = AvroSerde::<Click>::new(client, "c-value").expect("serde");
    let mut good = Vec::new();
    serde
        .serialize(&Click { user: 1, page: None }, &mut good)
        .expect("writes");
    let place = || "topic t, partition 0, offset 9".to_string();
    let mut trailing = good.clone();
    trailing.push(0);
    for (bad, expected) in [
        (vec![], "empty"),
        (vec![3, 0, 0, 0, 1, 2], "magic byte 3"),
        (vec![0, 0, 0, 0, 99, 2, 0], "40403"),
        (good[..good.len() - 1].to_vec(), "schema id 1"),
        (trailing, "1 bytes after"),
    ] {
        let e = serde.deserialize(&bad, place).unwrap_err().to_string();
        assert!(e.starts_with("topic t, partition 0, offset 9: "), "{e}");
        assert!(e.contains(expected), "{expected}: {e}");
    }
}
