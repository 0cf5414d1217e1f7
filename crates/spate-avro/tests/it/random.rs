//! Random schemas and data from a seed, for the property tests: records, enums, fixed,
//! arrays, maps, unions and every primitive, nested a few levels deep, with namespaces,
//! defaults and logical types sprinkled in.

use spate_avro::{Datum, Node, Primitive, Schema, TypeId};

/// A small deterministic generator (xorshift64*), so a failing seed replays exactly.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Schema text with named types numbered so names never collide.
pub struct SchemaGen<'r> {
    rng: &'r mut Rng,
    named: usize,
}

impl<'r> SchemaGen<'r> {
    pub fn new(rng: &'r mut Rng) -> Self {
        SchemaGen { rng, named: 0 }
    }

    /// A top-level record.
    pub fn record_text(&mut self) -> String {
        self.record(0)
    }

    fn name(&mut self, prefix: &str) -> String {
        self.named += 1;
        format!("{prefix}{}", self.named)
    }

    fn primitive(&mut self) -> String {
        const P: [&str; 8] = [
            "null", "boolean", "int", "long", "float", "double", "bytes", "string",
        ];
        let p = P[self.rng.below(8) as usize];
        match (p, self.rng.below(6)) {
            ("int", 0) => r#"{"type":"int","logicalType":"date"}"#.into(),
            ("long", 0) => r#"{"type":"long","logicalType":"timestamp-millis"}"#.into(),
            ("long", 1) => r#"{"type":"long","logicalType":"timestamp-micros"}"#.into(),
            ("bytes", 0) => r#"{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}"#.into(),
            ("string", 0) => r#"{"type":"string","logicalType":"uuid"}"#.into(),
            _ => format!("\"{p}\""),
        }
    }

    fn record(&mut self, depth: usize) -> String {
        let name = self.name("R");
        let n = self.rng.below(5);
        let mut fields = Vec::new();
        for i in 0..n {
            let ty = self.any(depth + 1);
            fields.push(format!(r#"{{"name":"f{i}","type":{ty}}}"#));
        }
        let ns = if self.rng.chance(30) {
            r#","namespace":"ns.a""#
        } else {
            ""
        };
        format!(
            r#"{{"type":"record","name":"{name}"{ns},"fields":[{}]}}"#,
            fields.join(",")
        )
    }

    fn any(&mut self, depth: usize) -> String {
        let deep = depth >= 3;
        match if deep { 0 } else { self.rng.below(8) } {
            0..=2 => self.primitive(),
            3 => self.record(depth),
            4 => {
                let name = self.name("E");
                let n = 1 + self.rng.below(4);
                let symbols: Vec<String> = (0..n).map(|i| format!("\"S{i}\"")).collect();
                format!(
                    r#"{{"type":"enum","name":"{name}","symbols":[{}]}}"#,
                    symbols.join(",")
                )
            }
            5 => {
                let name = self.name("F");
                format!(
                    r#"{{"type":"fixed","name":"{name}","size":{}}}"#,
                    self.rng.below(5)
                )
            }
            6 => {
                let inner = self.any(depth + 1);
                if self.rng.chance(50) {
                    format!(r#"{{"type":"array","items":{inner}}}"#)
                } else {
                    format!(r#"{{"type":"map","values":{inner}}}"#)
                }
            }
            _ => {
                // A nullable union, sometimes with a third branch of another kind.
                let inner = self.record(depth + 1);
                if self.rng.chance(50) {
                    format!(r#"["null",{inner}]"#)
                } else {
                    format!(r#"["null","long",{inner}]"#)
                }
            }
        }
    }
}

/// A random datum of `ty`.
pub fn datum(schema: &Schema, ty: TypeId, rng: &mut Rng) -> Datum {
    match schema.node(ty) {
        Node::Primitive { kind, .. } => match kind {
            Primitive::Null => Datum::Null,
            Primitive::Boolean => Datum::Boolean(rng.chance(50)),
            Primitive::Int => Datum::Int(rng.next() as i32 >> rng.below(31)),
            Primitive::Long => Datum::Long(rng.next() as i64 >> rng.below(63)),
            // Finite values: NaN compares unequal and round-trips through JSON badly.
            Primitive::Float => Datum::Float((rng.next() as i32 >> 8) as f32 / 7.0),
            Primitive::Double => Datum::Double((rng.next() as i64 >> 11) as f64 / 3.0),
            Primitive::Bytes => Datum::Bytes((0..rng.below(6)).map(|_| rng.next() as u8).collect()),
            Primitive::String => Datum::String(text(rng)),
        },
        Node::Record(r) => Datum::Record(r.fields.iter().map(|f| datum(schema, f.ty, rng)).collect()),
        Node::Enum(e) => Datum::Enum(rng.below(e.symbols.len() as u64) as u32),
        Node::Fixed(f) => Datum::Fixed((0..f.size).map(|_| rng.next() as u8).collect()),
        Node::Array { items, .. } => {
            Datum::Array((0..rng.below(4)).map(|_| datum(schema, *items, rng)).collect())
        }
        Node::Map { values, .. } => {
            let n = rng.below(4);
            Datum::Map(
                (0..n)
                    .map(|i| (format!("k{i}{}", text(rng)), datum(schema, *values, rng)))
                    .collect(),
            )
        }
        Node::Union(branches) => {
            let i = rng.below(branches.len() as u64) as usize;
            Datum::Union(i as u32, Box::new(datum(schema, branches[i], rng)))
        }
    }
}

fn text(rng: &mut Rng) -> String {
    const CHARS: [char; 8] = ['a', 'Z', '0', ' ', '"', '\\', 'é', '🦀'];
    (0..rng.below(6)).map(|_| CHARS[rng.below(8) as usize]).collect()
}
