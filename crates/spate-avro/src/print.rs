//! Schemas back to text: Java Avro's `Schema.toString()` (the form a Confluent registry
//! stores and returns), the specification's Parsing Canonical Form, and its 64-bit Rabin
//! fingerprint.

use std::collections::HashSet;

use crate::json::{Json, comma_separated, write_string, write_strings};
use crate::schema::{Name, Node, Order, Schema, TypeId};

/// The CRC-64-AVRO fingerprint of the empty input, which is also the polynomial.
const EMPTY: u64 = 0xc15d_213a_a4d7_a795;

impl Schema {
    /// The schema as Java Avro's `Schema.toString()` writes it: compact JSON, attributes in
    /// Java's order, a namespace written only where it differs from the enclosing one, a named
    /// type spelled out once and referred to by name after. Named types that came from
    /// references ([`Schema::parse_with_references`]) are referred to by name, as Confluent's
    /// registry stores such a schema.
    pub fn to_java_string(&self) -> String {
        let mut out = String::new();
        let mut w = JavaWriter {
            schema: self,
            seen: (0..self.referenced).map(TypeId).collect(),
            space: None,
        };
        w.write(self.root, &mut out);
        out
    }

    /// The Parsing Canonical Form: only the attributes that matter for reading, full names,
    /// a fixed attribute order, no spaces. Two schemas with one canonical form read the same
    /// bytes the same way.
    pub fn canonical_form(&self) -> String {
        let mut out = String::new();
        let mut seen = HashSet::new();
        self.canonical(self.root, &mut seen, &mut out);
        out
    }

    /// The 64-bit Rabin fingerprint (CRC-64-AVRO) of the canonical form.
    pub fn fingerprint(&self) -> u64 {
        rabin(self.canonical_form().as_bytes())
    }

    fn canonical(&self, id: TypeId, seen: &mut HashSet<TypeId>, out: &mut String) {
        let node = self.node(id);
        if let Some(name) = node.name()
            && !seen.insert(id)
        {
            write_string(&name.full(), out);
            return;
        }
        match node {
            Node::Primitive { kind, .. } => write_string(kind.name(), out),
            Node::Union(branches) => {
                out.push('[');
                comma_separated(branches, out, |b, out| self.canonical(*b, seen, out));
                out.push(']');
            }
            Node::Array { items, .. } => {
                out.push_str(r#"{"type":"array","items":"#);
                self.canonical(*items, seen, out);
                out.push('}');
            }
            Node::Map { values, .. } => {
                out.push_str(r#"{"type":"map","values":"#);
                self.canonical(*values, seen, out);
                out.push('}');
            }
            Node::Record(r) => {
                canonical_name(&r.name, "record", out);
                out.push_str(r#","fields":["#);
                comma_separated(&r.fields, out, |f, out| {
                    out.push_str(r#"{"name":"#);
                    write_string(&f.name, out);
                    out.push_str(r#","type":"#);
                    self.canonical(f.ty, seen, out);
                    out.push('}');
                });
                out.push_str("]}");
            }
            Node::Enum(e) => {
                canonical_name(&e.name, "enum", out);
                out.push_str(r#","symbols":["#);
                write_strings(&e.symbols, out);
                out.push_str("]}");
            }
            Node::Fixed(f) => {
                canonical_name(&f.name, "fixed", out);
                out.push_str(&format!(r#","size":{}}}"#, f.size));
            }
        }
    }
}

fn canonical_name(name: &Name, ty: &str, out: &mut String) {
    out.push_str(r#"{"name":"#);
    write_string(&name.full(), out);
    out.push_str(r#","type":"#);
    write_string(ty, out);
}

/// CRC-64-AVRO over `bytes`.
pub fn rabin(bytes: &[u8]) -> u64 {
    static TABLE: std::sync::OnceLock<[u64; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u64; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut fp = i as u64;
            for _ in 0..8 {
                fp = (fp >> 1) ^ (EMPTY & (fp & 1).wrapping_neg());
            }
            *slot = fp;
        }
        t
    });
    bytes.iter().fold(EMPTY, |fp, &b| {
        (fp >> 8) ^ table[((fp ^ u64::from(b)) & 0xff) as usize]
    })
}

struct JavaWriter<'s> {
    schema: &'s Schema,
    seen: HashSet<TypeId>,
    /// The enclosing namespace.
    space: Option<String>,
}

impl JavaWriter<'_> {
    /// A name relative to `space`: the simple name inside it, the full name elsewhere.
    fn qualified(name: &Name, space: Option<&str>) -> String {
        if name.namespace.as_deref() == space {
            name.name.clone()
        } else {
            name.full()
        }
    }

    /// A named type written again: Java's `Name.getQualified`, the simple name inside its own
    /// namespace unless that name is also a type keyword.
    fn reference(&self, name: &Name) -> String {
        const KEYWORDS: [&str; 14] = [
            "record", "enum", "array", "map", "union", "fixed", "string", "bytes", "int", "long", "float",
            "double", "boolean", "null",
        ];
        if KEYWORDS.contains(&name.name.as_str()) {
            name.full()
        } else {
            Self::qualified(name, self.space.as_deref())
        }
    }

    /// `"name"` and, where it differs from the enclosing one, `"namespace"` (`""` to leave a
    /// namespace for the null one).
    fn name(&self, name: &Name, out: &mut String) {
        out.push_str(r#","name":"#);
        write_string(&name.name, out);
        match (&name.namespace, &self.space) {
            (Some(ns), space) if Some(ns) != space.as_ref() => {
                out.push_str(r#","namespace":"#);
                write_string(ns, out);
            }
            (None, Some(_)) => out.push_str(r#","namespace":"""#),
            _ => {}
        }
    }

    fn doc(doc: Option<&str>, out: &mut String) {
        if let Some(d) = doc {
            out.push_str(r#","doc":"#);
            write_string(d, out);
        }
    }

    fn props(props: &[(String, Json)], out: &mut String) {
        for (k, v) in props {
            out.push(',');
            write_string(k, out);
            out.push(':');
            v.write(out);
        }
    }

    fn aliases(aliases: &[String], own: &Name, out: &mut String) {
        if aliases.is_empty() {
            return;
        }
        out.push_str(r#","aliases":["#);
        comma_separated(aliases, out, |a, out| {
            let (ns, simple) = match a.rsplit_once('.') {
                Some((ns, s)) => (Some(ns.to_string()), s.to_string()),
                None => (None, a.clone()),
            };
            let alias = Name {
                name: simple,
                namespace: ns,
            };
            write_string(&Self::qualified(&alias, own.namespace.as_deref()), out);
        });
        out.push(']');
    }

    fn write(&mut self, id: TypeId, out: &mut String) {
        let schema = self.schema;
        let node = schema.node(id);
        if let Some(name) = node.name()
            && !self.seen.insert(id)
        {
            write_string(&self.reference(name), out);
            return;
        }
        match node {
            Node::Primitive { kind, props, .. } if props.is_empty() => write_string(kind.name(), out),
            Node::Primitive { kind, props, .. } => {
                out.push_str(r#"{"type":"#);
                write_string(kind.name(), out);
                Self::props(props, out);
                out.push('}');
            }
            Node::Union(branches) => {
                out.push('[');
                comma_separated(branches, out, |b, out| self.write(*b, out));
                out.push(']');
            }
            Node::Array { items, props } => {
                out.push_str(r#"{"type":"array","items":"#);
                self.write(*items, out);
                Self::props(props, out);
                out.push('}');
            }
            Node::Map { values, props } => {
                out.push_str(r#"{"type":"map","values":"#);
                self.write(*values, out);
                Self::props(props, out);
                out.push('}');
            }
            Node::Record(r) => {
                out.push_str(if r.error {
                    r#"{"type":"error""#
                } else {
                    r#"{"type":"record""#
                });
                self.name(&r.name, out);
                let saved = std::mem::replace(&mut self.space, r.name.namespace.clone());
                Self::doc(r.doc.as_deref(), out);
                out.push_str(r#","fields":["#);
                comma_separated(&r.fields, out, |f, out| {
                    out.push_str(r#"{"name":"#);
                    write_string(&f.name, out);
                    out.push_str(r#","type":"#);
                    self.write(f.ty, out);
                    Self::doc(f.doc.as_deref(), out);
                    if let Some(d) = &f.default {
                        out.push_str(r#","default":"#);
                        d.write(out);
                    }
                    match f.order {
                        Order::Ascending => {}
                        Order::Descending => out.push_str(r#","order":"descending""#),
                        Order::Ignore => out.push_str(r#","order":"ignore""#),
                    }
                    if !f.aliases.is_empty() {
                        out.push_str(r#","aliases":["#);
                        write_strings(&f.aliases, out);
                        out.push(']');
                    }
                    Self::props(&f.props, out);
                    out.push('}');
                });
                out.push(']');
                Self::props(&r.props, out);
                Self::aliases(&r.aliases, &r.name, out);
                out.push('}');
                self.space = saved;
            }
            Node::Enum(e) => {
                out.push_str(r#"{"type":"enum""#);
                self.name(&e.name, out);
                Self::doc(e.doc.as_deref(), out);
                out.push_str(r#","symbols":["#);
                write_strings(&e.symbols, out);
                out.push(']');
                if let Some(d) = &e.default {
                    out.push_str(r#","default":"#);
                    write_string(d, out);
                }
                Self::props(&e.props, out);
                Self::aliases(&e.aliases, &e.name, out);
                out.push('}');
            }
            Node::Fixed(f) => {
                out.push_str(r#"{"type":"fixed""#);
                self.name(&f.name, out);
                Self::doc(f.doc.as_deref(), out);
                out.push_str(&format!(r#","size":{}"#, f.size));
                Self::props(&f.props, out);
                Self::aliases(&f.aliases, &f.name, out);
                out.push('}');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_of_the_spec_examples() {
        // Values from the Avro specification's test data (share/test/data/schema-tests.txt).
        assert_eq!(rabin(b"\"int\"") as i64, 8247732601305521295);
        assert_eq!(rabin(b"\"null\"") as i64, 7195948357588979594);
        assert_eq!(rabin(b""), EMPTY);
    }

    #[test]
    fn canonical_form_strips_orders_and_qualifies() {
        let s = Schema::parse(
            r#"{"namespace":"x.y","type":"record","name":"R","doc":"d","fields":[
                {"type":{"type":"int","logicalType":"date"},"name":"a","default":1},
                {"name":"b","type":{"type":"fixed","size":4,"name":"F"}},
                {"name":"c","type":"F"}]}"#,
        )
        .expect("valid");
        assert_eq!(
            s.canonical_form(),
            r#"{"name":"x.y.R","type":"record","fields":[{"name":"a","type":"int"},{"name":"b","type":{"name":"x.y.F","type":"fixed","size":4}},{"name":"c","type":"x.y.F"}]}"#
        );
    }

    #[test]
    fn java_form_keeps_attributes_in_javas_order() {
        let s = Schema::parse(
            r#"{"fields":[{"default":null,"type":["null",{"type":"enum","name":"E","namespace":"o","symbols":["A"],"default":"A"}],"name":"a","order":"descending","p":1},
                {"name":"t","type":{"type":"long","logicalType":"timestamp-millis"}},
                {"name":"e","type":"o.E"}],
              "name":"R","namespace":"x","type":"record","aliases":["Old"],"q":[1]}"#,
        )
        .expect("valid");
        assert_eq!(
            s.to_java_string(),
            r#"{"type":"record","name":"R","namespace":"x","fields":[{"name":"a","type":["null",{"type":"enum","name":"E","namespace":"o","symbols":["A"],"default":"A"}],"default":null,"order":"descending","p":1},{"name":"t","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"e","type":"o.E"}],"q":[1],"aliases":["Old"]}"#
        );
        // What it prints parses to the same schema.
        let again = Schema::parse(&s.to_java_string()).expect("valid");
        assert_eq!(again.to_java_string(), s.to_java_string());
    }
}
