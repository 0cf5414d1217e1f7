//! Schema resolution on generic values: a [`Datum`] decoded with the writer's schema turned
//! into the reader's, by the specification's rules (what Java's `ResolvingDecoder` does on the
//! bytes): record fields matched by name or the reader field's aliases, writer fields the
//! reader lacks dropped, reader fields the writer lacks filled from their defaults, `int →
//! long → float → double` and `string ↔ bytes` promoted, enum symbols matched by name (the
//! reader's default for an unknown one), unions resolved branch by branch.

use crate::datum::Datum;
use crate::error::{AvroError, Result};
use crate::json::Json;
use crate::schema::{Node, Primitive, Schema, TypeId};

const MAX_DEPTH: usize = 64;

impl Schema {
    /// `datum`, a value of `writer`, as a value of this (the reader's) schema.
    pub fn resolve(&self, writer: &Schema, datum: Datum) -> Result<Datum> {
        Resolver { writer, reader: self }.value(writer.root(), self.root(), datum, 0)
    }

    /// A field default (JSON, as schema text writes it) as a value of type `ty`: a union's
    /// default is read with the first branch it fits.
    pub fn default_datum(&self, ty: TypeId, json: &Json) -> Result<Datum> {
        default_datum(self, ty, json, 0)
    }
}

struct Resolver<'a> {
    writer: &'a Schema,
    reader: &'a Schema,
}

fn fail<T>(message: String) -> Result<T> {
    Err(AvroError::Resolve(message))
}

fn kind(schema: &Schema, id: TypeId) -> Option<Primitive> {
    match schema.node(id) {
        Node::Primitive { kind, .. } => Some(*kind),
        _ => None,
    }
}

impl Resolver<'_> {
    fn name(&self, schema: &Schema, id: TypeId) -> String {
        schema
            .name_of(id)
            .map_or_else(|| schema.kind_name(id).to_string(), |n| n.full())
    }

    fn mismatch<T>(&self, w: TypeId, r: TypeId) -> Result<T> {
        fail(format!(
            "Found {}, expecting {}",
            self.name(self.writer, w),
            self.name(self.reader, r)
        ))
    }

    /// Whether a writer value of `w` can be read as `r` (outside unions), for choosing a
    /// reader union's branch: the same kind (and name, for named types) first, then a
    /// promotion.
    fn matches(&self, w: TypeId, r: TypeId, exact: bool) -> bool {
        use Primitive::*;
        match (self.writer.node(w), self.reader.node(r)) {
            (Node::Primitive { kind: a, .. }, Node::Primitive { kind: b, .. }) => {
                a == b
                    || (!exact
                        && matches!(
                            (a, b),
                            (Int, Long | Float | Double)
                                | (Long, Float | Double)
                                | (Float, Double)
                                | (String, Bytes)
                                | (Bytes, String)
                        ))
            }
            (Node::Record(a), Node::Record(b)) => !exact || a.name.name == b.name.name,
            (Node::Enum(a), Node::Enum(b)) => !exact || a.name.name == b.name.name,
            (Node::Fixed(a), Node::Fixed(b)) => a.size == b.size && (!exact || a.name.name == b.name.name),
            (Node::Array { .. }, Node::Array { .. }) | (Node::Map { .. }, Node::Map { .. }) => true,
            _ => false,
        }
    }

    fn value(&self, w: TypeId, r: TypeId, datum: Datum, depth: usize) -> Result<Datum> {
        if depth > MAX_DEPTH {
            return fail("values nested too deeply".into());
        }
        // A writer union: the branch written is what is resolved.
        if let Node::Union(branches) = self.writer.node(w) {
            let Datum::Union(i, inner) = datum else {
                return fail(format!(
                    "a {} where a union value was expected",
                    datum.kind_name()
                ));
            };
            let Some(branch) = branches.get(i as usize) else {
                return fail(format!("union branch {i} of {}", branches.len()));
            };
            return self.value(*branch, r, *inner, depth + 1);
        }
        if let Node::Union(branches) = self.reader.node(r) {
            let chosen = branches
                .iter()
                .position(|b| self.matches(w, *b, true))
                .or_else(|| branches.iter().position(|b| self.matches(w, *b, false)));
            let Some(i) = chosen else {
                return fail(format!("Found {}, expecting union", self.name(self.writer, w)));
            };
            let inner = self.value(w, branches[i], datum, depth + 1)?;
            return Ok(Datum::Union(i as u32, Box::new(inner)));
        }
        use Primitive as P;
        match (self.writer.node(w), self.reader.node(r), datum) {
            (Node::Primitive { .. }, Node::Primitive { .. }, d) => {
                match (kind(self.writer, w), kind(self.reader, r), d) {
                    (a, b, d) if a == b => Ok(d),
                    (_, Some(P::Long), Datum::Int(v)) => Ok(Datum::Long(i64::from(v))),
                    (_, Some(P::Float), Datum::Int(v)) => Ok(Datum::Float(v as f32)),
                    (_, Some(P::Float), Datum::Long(v)) => Ok(Datum::Float(v as f32)),
                    (_, Some(P::Double), Datum::Int(v)) => Ok(Datum::Double(f64::from(v))),
                    (_, Some(P::Double), Datum::Long(v)) => Ok(Datum::Double(v as f64)),
                    (_, Some(P::Double), Datum::Float(v)) => Ok(Datum::Double(f64::from(v))),
                    (_, Some(P::Bytes), Datum::String(s)) => Ok(Datum::Bytes(s.into_bytes())),
                    (_, Some(P::String), Datum::Bytes(b)) => match String::from_utf8(b) {
                        Ok(s) => Ok(Datum::String(s)),
                        Err(_) => fail("bytes that are not UTF-8 read as a string".into()),
                    },
                    _ => self.mismatch(w, r),
                }
            }
            (Node::Record(wr), Node::Record(rr), Datum::Record(mut values)) => {
                let mut out = Vec::with_capacity(rr.fields.len());
                for f in &rr.fields {
                    let at = wr
                        .fields
                        .iter()
                        .position(|wf| wf.name == f.name || f.aliases.contains(&wf.name));
                    match (at, &f.default) {
                        (Some(i), _) if i < values.len() => {
                            let v = std::mem::replace(&mut values[i], Datum::Null);
                            out.push(self.value(wr.fields[i].ty, f.ty, v, depth + 1)?);
                        }
                        (_, Some(default)) => out.push(default_datum(self.reader, f.ty, default, depth + 1)?),
                        _ => {
                            return fail(format!(
                                "Found {}, expecting {}, missing required field {}",
                                wr.name.full(),
                                rr.name.full(),
                                f.name
                            ));
                        }
                    }
                }
                Ok(Datum::Record(out))
            }
            (Node::Enum(we), Node::Enum(re), Datum::Enum(i)) => {
                let symbol = we
                    .symbols
                    .get(i as usize)
                    .ok_or_else(|| AvroError::Resolve(format!("enum index {i}")))?;
                let found = re.symbols.iter().position(|s| s == symbol).or_else(|| {
                    re.default
                        .as_ref()
                        .and_then(|d| re.symbols.iter().position(|s| s == d))
                });
                match found {
                    Some(j) => Ok(Datum::Enum(j as u32)),
                    None => fail(format!("No match for {symbol}")),
                }
            }
            (Node::Fixed(wf), Node::Fixed(rf), d @ Datum::Fixed(_)) if wf.size == rf.size => Ok(d),
            (Node::Array { items: wi, .. }, Node::Array { items: ri, .. }, Datum::Array(items)) => {
                Ok(Datum::Array(
                    items
                        .into_iter()
                        .map(|v| self.value(*wi, *ri, v, depth + 1))
                        .collect::<Result<_>>()?,
                ))
            }
            (Node::Map { values: wv, .. }, Node::Map { values: rv, .. }, Datum::Map(entries)) => {
                Ok(Datum::Map(
                    entries
                        .into_iter()
                        .map(|(k, v)| Ok((k, self.value(*wv, *rv, v, depth + 1)?)))
                        .collect::<Result<_>>()?,
                ))
            }
            _ => self.mismatch(w, r),
        }
    }
}

fn default_datum(schema: &Schema, ty: TypeId, json: &Json, depth: usize) -> Result<Datum> {
    if depth > MAX_DEPTH {
        return fail("default nested too deeply".into());
    }
    let bad = || {
        AvroError::Resolve(format!(
            "default {} does not fit {}",
            json.to_text(),
            schema.kind_name(ty)
        ))
    };
    Ok(match (schema.node(ty), json) {
        (Node::Primitive { kind, .. }, j) => match (kind, j) {
            (Primitive::Null, Json::Null) => Datum::Null,
            (Primitive::Boolean, Json::Bool(b)) => Datum::Boolean(*b),
            (Primitive::Int, j) => {
                Datum::Int(j.as_i64().and_then(|v| i32::try_from(v).ok()).ok_or_else(bad)?)
            }
            (Primitive::Long, j) => Datum::Long(j.as_i64().ok_or_else(bad)?),
            (Primitive::Float, Json::Number(n)) => Datum::Float(n.as_f64().ok_or_else(bad)? as f32),
            (Primitive::Double, Json::Number(n)) => Datum::Double(n.as_f64().ok_or_else(bad)?),
            (Primitive::String, Json::String(s)) => Datum::String(s.clone()),
            // Bytes defaults are strings of code points 0-255, one byte each.
            (Primitive::Bytes, Json::String(s)) => Datum::Bytes(s.chars().map(|c| c as u32 as u8).collect()),
            _ => return Err(bad()),
        },
        (Node::Enum(e), Json::String(s)) => {
            Datum::Enum(e.symbols.iter().position(|x| x == s).ok_or_else(bad)? as u32)
        }
        (Node::Fixed(f), Json::String(s)) => {
            let b: Vec<u8> = s.chars().map(|c| c as u32 as u8).collect();
            if b.len() != f.size {
                return Err(bad());
            }
            Datum::Fixed(b)
        }
        (Node::Array { items, .. }, Json::Array(elements)) => Datum::Array(
            elements
                .iter()
                .map(|e| default_datum(schema, *items, e, depth + 1))
                .collect::<Result<_>>()?,
        ),
        (Node::Map { values, .. }, Json::Object(members)) => Datum::Map(
            members
                .iter()
                .map(|(k, v)| Ok((k.clone(), default_datum(schema, *values, v, depth + 1)?)))
                .collect::<Result<_>>()?,
        ),
        (Node::Union(branches), j) => {
            let mut last = bad();
            for (i, b) in branches.iter().enumerate() {
                match default_datum(schema, *b, j, depth + 1) {
                    Ok(d) => return Ok(Datum::Union(i as u32, Box::new(d))),
                    Err(e) => last = e,
                }
            }
            return Err(last);
        }
        (Node::Record(r), Json::Object(_)) => Datum::Record(
            r.fields
                .iter()
                .map(|f| match json.get(&f.name).or(f.default.as_ref()) {
                    Some(v) => default_datum(schema, f.ty, v, depth + 1),
                    None => Err(bad()),
                })
                .collect::<Result<_>>()?,
        ),
        _ => return Err(bad()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Schema {
        Schema::parse(text).expect("parses")
    }

    #[test]
    fn records_resolve_by_name_with_promotions_defaults_enums_and_unions() {
        let writer = parse(
            r#"{"type":"record","name":"W","fields":[
                {"name":"gone","type":"string"},
                {"name":"n","type":"int"},
                {"name":"color","type":{"type":"enum","name":"C","symbols":["RED","TEAL"]}},
                {"name":"maybe","type":["null","int"]},
                {"name":"old_name","type":"string"}]}"#,
        );
        let reader = parse(
            r#"{"type":"record","name":"R","fields":[
                {"name":"n","type":"double"},
                {"name":"color","type":{"type":"enum","name":"C","symbols":["RED","BLUE"],"default":"BLUE"}},
                {"name":"maybe","type":["null","long"]},
                {"name":"renamed","aliases":["old_name"],"type":"bytes"},
                {"name":"added","type":{"type":"array","items":"int"},"default":[1,2]},
                {"name":"opt","type":["null","string"],"default":null}]}"#,
        );
        let w = Datum::Record(vec![
            Datum::String("x".into()),
            Datum::Int(7),
            Datum::Enum(1),
            Datum::Union(1, Box::new(Datum::Int(3))),
            Datum::String("hi".into()),
        ]);
        assert_eq!(
            reader.resolve(&writer, w).expect("resolves"),
            Datum::Record(vec![
                Datum::Double(7.0),
                Datum::Enum(1),
                Datum::Union(1, Box::new(Datum::Long(3))),
                Datum::Bytes(b"hi".to_vec()),
                Datum::Array(vec![Datum::Int(1), Datum::Int(2)]),
                Datum::Union(0, Box::new(Datum::Null)),
            ])
        );
    }

    #[test]
    fn what_cannot_be_read_says_so() {
        let writer = parse(r#"{"type":"record","name":"W","fields":[{"name":"a","type":"long"}]}"#);
        let narrower = parse(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#);
        let e = narrower
            .resolve(&writer, Datum::Record(vec![Datum::Long(1)]))
            .unwrap_err();
        assert_eq!(e.to_string(), "Found long, expecting int");
        let needs = parse(r#"{"type":"record","name":"R","fields":[{"name":"b","type":"long"}]}"#);
        let e = needs
            .resolve(&writer, Datum::Record(vec![Datum::Long(1)]))
            .unwrap_err();
        assert_eq!(e.to_string(), "Found W, expecting R, missing required field b");
    }

    #[test]
    fn a_reader_union_takes_the_same_kind_before_a_promotion() {
        let writer = parse(r#""int""#);
        let reader = parse(r#"["null","long","int"]"#);
        assert_eq!(
            reader.resolve(&writer, Datum::Int(5)).expect("resolves"),
            Datum::Union(2, Box::new(Datum::Int(5)))
        );
        let reader = parse(r#"["null","double"]"#);
        assert_eq!(
            reader.resolve(&writer, Datum::Int(5)).expect("resolves"),
            Datum::Union(1, Box::new(Datum::Double(5.0)))
        );
    }
}
