//! Schema text → [`Schema`], with Java Avro's `Schema.Parser` rules and messages: names
//! resolved against the enclosing namespace first, then the null namespace; named types
//! registered before their fields are read (so records may refer to themselves); no nested
//! unions and no two branches of one unnamed type; defaults checked against their types.

use std::collections::HashMap;

use crate::error::{AvroError, Result};
use crate::json::Json;
use crate::schema::{
    Enum, Field, Fixed, Logical, Name, Node, Order, Primitive, Props, Record, Schema, TypeId,
};

/// Properties a schema object spends on Avro itself; the rest are kept as properties (also
/// `default` on anything but an enum, as Java keeps it).
const SCHEMA_RESERVED: &[&str] = &[
    "doc",
    "fields",
    "items",
    "name",
    "namespace",
    "size",
    "symbols",
    "values",
    "type",
    "aliases",
];
/// Properties a field object spends on Avro itself.
const FIELD_RESERVED: &[&str] = &["default", "doc", "name", "order", "type", "aliases"];

/// Deepest nesting of types accepted (schemas are untrusted input; recursion is bounded).
const MAX_DEPTH: usize = 256;

impl Schema {
    /// Parses schema text.
    ///
    /// ```
    /// let s = spate_avro::Schema::parse(r#"{"type":"record","name":"r","fields":[{"name":"a","type":"long"}]}"#)?;
    /// assert_eq!(s.canonical_form(), r#"{"name":"r","type":"record","fields":[{"name":"a","type":"long"}]}"#);
    /// # Ok::<(), spate_avro::AvroError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Schema> {
        Schema::parse_with_references(text, &[])
    }

    /// Parses schema text whose named types may refer to the named types of `references`
    /// (a schema registry's schema references): those are copied in first, so the result
    /// stands alone.
    pub fn parse_with_references(text: &str, references: &[Schema]) -> Result<Schema> {
        let json = Json::parse(text).map_err(AvroError::Json)?;
        let mut p = Parser::default();
        for r in references {
            p.import(r)?;
        }
        let referenced = p.nodes.len() as u32;
        let root = p.parse(&json, None, 0)?;
        Ok(Schema {
            nodes: p.nodes,
            root,
            referenced,
        })
    }
}

#[derive(Default)]
struct Parser {
    nodes: Vec<Node>,
    names: HashMap<String, TypeId>,
}

fn fail<T>(message: String) -> Result<T> {
    Err(AvroError::Schema(message))
}

/// Java's name rule: a letter or `_`, then letters, digits or `_`.
fn validate_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    match chars.next() {
        None => return fail("Empty name".into()),
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => {
            return fail(format!("Illegal initial character: {name}"));
        }
        _ => {}
    }
    if chars.any(|c| !(c.is_ascii_alphanumeric() || c == '_')) {
        return fail(format!("Illegal character in: {name}"));
    }
    Ok(())
}

fn text<'j>(json: &'j Json, key: &str) -> Option<&'j str> {
    json.get(key).and_then(Json::as_str)
}

fn aliases(json: &Json) -> Result<Vec<String>> {
    match json.get("aliases") {
        None => Ok(Vec::new()),
        Some(Json::Array(items)) => items
            .iter()
            .map(|a| match a {
                Json::String(s) => Ok(s.clone()),
                _ => fail(format!("alias not a string: {}", a.to_text())),
            })
            .collect(),
        Some(other) => fail(format!("aliases not an array: {}", other.to_text())),
    }
}

fn props(json: &Json, reserved: &[&str]) -> Props {
    match json {
        Json::Object(members) => members
            .iter()
            .filter(|(k, _)| !reserved.contains(&k.as_str()))
            .cloned()
            .collect(),
        _ => Vec::new(),
    }
}

fn prop<'p>(props: &'p Props, key: &str) -> Option<&'p Json> {
    props.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// The logical type named by `props` when it is valid on `base` (`fixed_size` for fixed).
fn logical(props: &Props, base: Option<Primitive>, fixed_size: Option<usize>) -> Option<Logical> {
    let name = prop(props, "logicalType")?.as_str()?;
    let on = |p: Primitive| base == Some(p);
    let l = match name {
        "decimal" => {
            let precision = u32::try_from(prop(props, "precision")?.as_i64()?).ok()?;
            let scale = match prop(props, "scale") {
                None => 0,
                Some(s) => u32::try_from(s.as_i64()?).ok()?,
            };
            if precision == 0 || scale > precision {
                return None;
            }
            match (base, fixed_size) {
                (Some(Primitive::Bytes), _) => {}
                (None, Some(size)) if u64::from(precision) <= max_fixed_precision(size) => {}
                _ => return None,
            }
            Logical::Decimal { precision, scale }
        }
        "uuid" if on(Primitive::String) || fixed_size == Some(16) => Logical::Uuid,
        "date" if on(Primitive::Int) => Logical::Date,
        "time-millis" if on(Primitive::Int) => Logical::TimeMillis,
        "time-micros" if on(Primitive::Long) => Logical::TimeMicros,
        "timestamp-millis" if on(Primitive::Long) => Logical::TimestampMillis,
        "timestamp-micros" if on(Primitive::Long) => Logical::TimestampMicros,
        "timestamp-nanos" if on(Primitive::Long) => Logical::TimestampNanos,
        "local-timestamp-millis" if on(Primitive::Long) => Logical::LocalTimestampMillis,
        "local-timestamp-micros" if on(Primitive::Long) => Logical::LocalTimestampMicros,
        "local-timestamp-nanos" if on(Primitive::Long) => Logical::LocalTimestampNanos,
        "duration" if fixed_size == Some(12) => Logical::Duration,
        _ => return None,
    };
    Some(l)
}

/// The most decimal digits a two's-complement number of `size` bytes always holds:
/// floor(log10(2^(8·size − 1) − 1)).
fn max_fixed_precision(size: usize) -> u64 {
    if size == 0 {
        return 0;
    }
    let bits = 8.0 * size as f64 - 1.0;
    // log10(2^bits - 1) is just under bits·log10(2) for the sizes that matter.
    ((bits * std::f64::consts::LOG10_2) - 1e-12).floor().max(0.0) as u64
}

impl Parser {
    fn push(&mut self, node: Node) -> TypeId {
        self.nodes.push(node);
        TypeId((self.nodes.len() - 1) as u32)
    }

    /// Copies a referenced schema's types in, registering its named types.
    fn import(&mut self, other: &Schema) -> Result<()> {
        let offset = self.nodes.len() as u32;
        let shift = |id: TypeId| TypeId(id.0 + offset);
        for node in &other.nodes {
            let moved = match node.clone() {
                Node::Record(mut r) => {
                    for f in &mut r.fields {
                        f.ty = shift(f.ty);
                    }
                    Node::Record(r)
                }
                Node::Array { items, props } => Node::Array {
                    items: shift(items),
                    props,
                },
                Node::Map { values, props } => Node::Map {
                    values: shift(values),
                    props,
                },
                Node::Union(branches) => Node::Union(branches.into_iter().map(shift).collect()),
                n => n,
            };
            let id = self.push(moved);
            if let Some(name) = self.nodes[id.index()].name() {
                // A type both references define is one type (Confluent resolves references
                // transitively, so shared ones meet here).
                self.names.entry(name.full()).or_insert(id);
            }
        }
        Ok(())
    }

    fn resolve(&self, name: &str, ns: Option<&str>) -> Option<TypeId> {
        if !name.contains('.')
            && let Some(ns) = ns
            && let Some(&id) = self.names.get(&format!("{ns}.{name}"))
        {
            return Some(id);
        }
        self.names.get(name).copied()
    }

    fn parse(&mut self, json: &Json, ns: Option<&str>, depth: usize) -> Result<TypeId> {
        if depth > MAX_DEPTH {
            return fail(format!("schema nested deeper than {MAX_DEPTH} types"));
        }
        match json {
            Json::String(s) => {
                if let Some(kind) = Primitive::from_name(s) {
                    return Ok(self.push(Node::Primitive {
                        kind,
                        logical: None,
                        props: Vec::new(),
                    }));
                }
                self.resolve(s, ns)
                    .ok_or_else(|| AvroError::Schema(format!("Undefined name: {}", json.to_text())))
            }
            Json::Array(branches) => self.union(branches, ns, depth),
            Json::Object(_) => self.object(json, ns, depth),
            other => fail(format!("Schema not yet supported: {}", other.to_text())),
        }
    }

    fn union(&mut self, branches: &[Json], ns: Option<&str>, depth: usize) -> Result<TypeId> {
        let mut ids = Vec::with_capacity(branches.len());
        let mut seen: Vec<String> = Vec::new();
        for b in branches {
            let id = self.parse(b, ns, depth + 1)?;
            let key = match &self.nodes[id.index()] {
                Node::Union(_) => {
                    return fail(format!(
                        "Nested union: {}",
                        Json::Array(branches.to_vec()).to_text()
                    ));
                }
                n => n
                    .name()
                    .map(Name::full)
                    .unwrap_or_else(|| n.kind_name().to_string()),
            };
            if seen.contains(&key) {
                return fail(format!("Duplicate in union:{key}"));
            }
            seen.push(key);
            ids.push(id);
        }
        Ok(self.push(Node::Union(ids)))
    }

    fn object(&mut self, json: &Json, ns: Option<&str>, depth: usize) -> Result<TypeId> {
        let Some(ty) = text(json, "type") else {
            return fail(format!("No type: {}", json.to_text()));
        };
        if let Some(kind) = Primitive::from_name(ty) {
            let props = props(json, SCHEMA_RESERVED);
            let logical = logical(&props, Some(kind), None);
            return Ok(self.push(Node::Primitive { kind, logical, props }));
        }
        match ty {
            "record" | "error" | "enum" | "fixed" => self.named(json, ty, ns, depth),
            "array" => {
                let Some(items) = json.get("items") else {
                    return fail(format!("Array has no items type: {}", json.to_text()));
                };
                let items = self.parse(items, ns, depth + 1)?;
                Ok(self.push(Node::Array {
                    items,
                    props: props(json, SCHEMA_RESERVED),
                }))
            }
            "map" => {
                let Some(values) = json.get("values") else {
                    return fail(format!("Map has no values type: {}", json.to_text()));
                };
                let values = self.parse(values, ns, depth + 1)?;
                Ok(self.push(Node::Map {
                    values,
                    props: props(json, SCHEMA_RESERVED),
                }))
            }
            // `{"type": "SomeRecord"}`: a reference to a named type already defined.
            other => self
                .resolve(other, ns)
                .ok_or_else(|| AvroError::Schema(format!("Type not supported: {other}"))),
        }
    }

    fn named(&mut self, json: &Json, ty: &str, ns: Option<&str>, depth: usize) -> Result<TypeId> {
        let Some(raw) = text(json, "name") else {
            return fail(format!("No name in schema: {}", json.to_text()));
        };
        let name = self.name(raw, text(json, "namespace"), ns)?;
        let full = name.full();
        if Primitive::from_name(&full).is_some() {
            return fail(format!("Schemas may not be named after primitives: {full}"));
        }
        if self.names.contains_key(&full) {
            return fail(format!("Can't redefine: {full}"));
        }
        let doc = text(json, "doc").map(str::to_string);
        let aliases = qualify_aliases(aliases(json)?, name.namespace.as_deref());
        let mut props = props(json, SCHEMA_RESERVED);
        if ty == "enum" {
            // An enum spends `default` on itself; other types keep it as a property.
            props.retain(|(k, _)| k != "default");
        }
        let id = match ty {
            "enum" => self.push(Node::Enum(enum_type(json, name, doc, aliases, props)?)),
            "fixed" => {
                let size = match json.get("size").and_then(Json::as_i64) {
                    Some(s) if s >= 0 => s as usize,
                    _ => return fail(format!("Invalid or no size: {}", json.to_text())),
                };
                let logical = logical(&props, None, Some(size));
                self.push(Node::Fixed(Fixed {
                    name,
                    doc,
                    aliases,
                    size,
                    logical,
                    props,
                }))
            }
            _ => {
                // Registered before the fields are read, so a field may name the record.
                let record_ns = name.namespace.clone();
                let id = self.push(Node::Record(Record {
                    name,
                    doc,
                    aliases,
                    error: ty == "error",
                    fields: Vec::new(),
                    props,
                }));
                self.names.insert(full.clone(), id);
                let fields = self.fields(json, &full, record_ns.as_deref(), depth)?;
                if let Node::Record(r) = &mut self.nodes[id.index()] {
                    r.fields = fields;
                }
                return Ok(id);
            }
        };
        self.names.insert(full, id);
        Ok(id)
    }

    /// A named type's name: a dotted name carries its namespace; otherwise the `namespace`
    /// property, or the enclosing one. An empty namespace is none.
    fn name(&self, raw: &str, own: Option<&str>, enclosing: Option<&str>) -> Result<Name> {
        let (namespace, simple) = match raw.rsplit_once('.') {
            Some((ns, simple)) => (Some(ns.to_string()), simple.to_string()),
            None => (own.or(enclosing).map(str::to_string), raw.to_string()),
        };
        validate_name(&simple)?;
        let namespace = namespace.filter(|n| !n.is_empty());
        if let Some(ns) = &namespace {
            for part in ns.split('.') {
                validate_name(part)?;
            }
        }
        Ok(Name {
            name: simple,
            namespace,
        })
    }

    fn fields(&mut self, json: &Json, record: &str, ns: Option<&str>, depth: usize) -> Result<Vec<Field>> {
        let Some(Json::Array(items)) = json.get("fields") else {
            return fail(format!("Record has no fields: {}", json.to_text()));
        };
        let mut fields: Vec<Field> = Vec::with_capacity(items.len());
        for f in items {
            let Some(name) = text(f, "name") else {
                return fail(format!("No field name: {}", f.to_text()));
            };
            validate_name(name)?;
            let Some(ty_json) = f.get("type") else {
                return fail(format!("No field type: {}", f.to_text()));
            };
            let ty = self.parse(ty_json, ns, depth + 1)?;
            let order = match text(f, "order") {
                None | Some("ascending") => Order::Ascending,
                Some("descending") => Order::Descending,
                Some("ignore") => Order::Ignore,
                Some(other) => {
                    return fail(format!(
                        "No enum constant org.apache.avro.Schema.Field.Order.{}",
                        other.to_uppercase()
                    ));
                }
            };
            let default = f.get("default").cloned();
            if let Some(d) = &default
                && !self.valid_default(ty, d, 0)
            {
                return fail(format!(
                    "Invalid default for field {name}: {} not a {}",
                    d.to_text(),
                    self.type_text(ty)
                ));
            }
            if let Some((pos, old)) = fields.iter().enumerate().find(|(_, g)| g.name == name) {
                let kind = |t: TypeId| self.nodes[t.index()].kind_constant();
                return fail(format!(
                    "Duplicate field {name} in record {record}: {name} type:{} pos:{} and {name} type:{} pos:{pos}.",
                    kind(ty),
                    fields.len(),
                    kind(old.ty)
                ));
            }
            fields.push(Field {
                name: name.to_string(),
                ty,
                doc: text(f, "doc").map(str::to_string),
                default,
                order,
                aliases: aliases(f)?,
                props: props(f, FIELD_RESERVED),
            });
        }
        Ok(fields)
    }

    /// The type as the Java form prints it, for messages (the record being parsed may be
    /// incomplete, which only shortens the text).
    fn type_text(&self, ty: TypeId) -> String {
        let s = Schema {
            nodes: self.nodes.clone(),
            root: ty,
            referenced: 0,
        };
        s.to_java_string()
    }

    /// Java Avro's `isValidDefault` as of 1.12 (which Confluent's registry runs since 8.0.3):
    /// a union's default may fit any branch (1.11 wanted the first).
    fn valid_default(&self, ty: TypeId, d: &Json, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        match &self.nodes[ty.index()] {
            Node::Primitive { kind, .. } => match kind {
                Primitive::Null => matches!(d, Json::Null),
                Primitive::Boolean => matches!(d, Json::Bool(_)),
                Primitive::Int => d.as_i64().is_some_and(|v| i32::try_from(v).is_ok()),
                Primitive::Long => d.as_i64().is_some(),
                Primitive::Float | Primitive::Double => matches!(d, Json::Number(_)),
                Primitive::Bytes | Primitive::String => matches!(d, Json::String(_)),
            },
            Node::Enum(_) | Node::Fixed(_) => matches!(d, Json::String(_)),
            Node::Array { items, .. } => match d {
                Json::Array(elements) => elements.iter().all(|e| self.valid_default(*items, e, depth + 1)),
                _ => false,
            },
            Node::Map { values, .. } => match d {
                Json::Object(members) => members
                    .iter()
                    .all(|(_, v)| self.valid_default(*values, v, depth + 1)),
                _ => false,
            },
            Node::Union(branches) => branches.iter().any(|b| self.valid_default(*b, d, depth + 1)),
            Node::Record(r) => match d {
                Json::Object(_) => r
                    .fields
                    .iter()
                    .all(|f| match d.get(&f.name).or(f.default.as_ref()) {
                        Some(v) => self.valid_default(f.ty, v, depth + 1),
                        None => false,
                    }),
                _ => false,
            },
        }
    }
}

fn enum_type(
    json: &Json,
    name: Name,
    doc: Option<String>,
    aliases: Vec<String>,
    props: Props,
) -> Result<Enum> {
    let Some(Json::Array(items)) = json.get("symbols") else {
        return fail(format!("Enum has no symbols: {}", json.to_text()));
    };
    let mut symbols: Vec<String> = Vec::with_capacity(items.len());
    for s in items {
        let Json::String(s) = s else {
            return fail(format!("Enum symbol not a string: {}", s.to_text()));
        };
        validate_name(s)?;
        if symbols.contains(s) {
            return fail(format!("Duplicate enum symbol: {s}"));
        }
        symbols.push(s.clone());
    }
    let default = text(json, "default").map(str::to_string);
    if let Some(d) = &default
        && !symbols.contains(d)
    {
        return fail(format!(
            "The Enum Default: {d} is not in the enum symbol set: [{}]",
            symbols.join(", ")
        ));
    }
    Ok(Enum {
        name,
        doc,
        aliases,
        symbols,
        default,
        props,
    })
}

/// Aliases without a dot are in the type's namespace.
fn qualify_aliases(aliases: Vec<String>, ns: Option<&str>) -> Vec<String> {
    aliases
        .into_iter()
        .map(|a| match ns {
            Some(ns) if !a.contains('.') => format!("{ns}.{a}"),
            _ => a,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match Schema::parse(text) {
            Err(e) => e.to_string(),
            Ok(s) => panic!("parsed: {s:?}"),
        }
    }

    #[test]
    fn names_resolve_in_the_enclosing_namespace_then_the_null_one() {
        let s = Schema::parse(
            r#"{"type":"record","name":"R","namespace":"a.b","fields":[
                {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}},
                {"name":"e2","type":"E"},
                {"name":"self","type":["null","R"]}]}"#,
        )
        .expect("valid");
        let Node::Record(r) = s.node(s.root()) else {
            panic!()
        };
        assert_eq!(r.name.full(), "a.b.R");
        assert_eq!(
            s.name_of(r.fields[0].ty).map(Name::full).as_deref(),
            Some("a.b.E")
        );
        assert_eq!(r.fields[0].ty, r.fields[1].ty);
        let Node::Union(b) = s.node(r.fields[2].ty) else {
            panic!()
        };
        assert_eq!(b[1], s.root());
    }

    #[test]
    fn bad_schemas_get_java_avros_messages() {
        assert_eq!(err(r#""Foo""#), r#"Undefined name: "Foo""#);
        assert_eq!(err(r#"{"name":"x"}"#), r#"No type: {"name":"x"}"#);
        assert_eq!(err(r#"["int",["long"]]"#), r#"Nested union: ["int",["long"]]"#);
        assert_eq!(err(r#"["int","int"]"#), "Duplicate in union:int");
        assert_eq!(
            err(r#"{"type":"record","name":"1a","fields":[]}"#),
            "Illegal initial character: 1a"
        );
        assert_eq!(
            err(r#"{"type":"enum","name":"E","symbols":["A","A"]}"#),
            "Duplicate enum symbol: A"
        );
        assert_eq!(
            err(r#"{"type":"fixed","name":"F"}"#),
            r#"Invalid or no size: {"type":"fixed","name":"F"}"#
        );
        assert_eq!(
            err(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#),
            r#"Invalid default for field a: "x" not a "int""#
        );
        assert_eq!(
            err(r#"[{"type":"fixed","name":"F","size":1},{"type":"fixed","name":"F","size":2}]"#),
            "Can't redefine: F"
        );
        assert!(err("{").starts_with("schema is not valid JSON"));
    }

    #[test]
    fn invalid_logical_types_are_ignored() {
        let s = Schema::parse(r#"{"type":"string","logicalType":"date"}"#).expect("valid");
        assert_eq!(s.logical(s.root()), None);
        let s = Schema::parse(r#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":5}"#)
            .expect("valid");
        assert_eq!(s.logical(s.root()), None);
        let s =
            Schema::parse(r#"{"type":"fixed","name":"d","size":4,"logicalType":"decimal","precision":9}"#)
                .expect("valid");
        assert_eq!(
            s.logical(s.root()),
            Some(Logical::Decimal {
                precision: 9,
                scale: 0
            })
        );
        let s =
            Schema::parse(r#"{"type":"fixed","name":"d","size":4,"logicalType":"decimal","precision":10}"#)
                .expect("valid");
        assert_eq!(s.logical(s.root()), None);
    }

    #[test]
    fn a_union_default_may_fit_any_branch() {
        let field = |ty: &str, d: &str| {
            Schema::parse(&format!(
                r#"{{"type":"record","name":"R","fields":[{{"name":"a","type":{ty},"default":{d}}}]}}"#
            ))
        };
        assert!(field(r#"["null","int"]"#, "null").is_ok());
        assert!(field(r#"["null","int"]"#, "1").is_ok());
        assert!(field(r#"["null","int"]"#, r#""x""#).is_err());
    }

    #[test]
    fn a_repeated_field_is_named_with_both_places() {
        assert_eq!(
            err(
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"string"}]}"#
            ),
            "Duplicate field a in record R: a type:STRING pos:1 and a type:INT pos:0."
        );
    }

    #[test]
    fn referenced_types_are_named_not_inlined() {
        let address = Schema::parse(r#"{"type":"record","name":"Address","namespace":"a","fields":[{"name":"city","type":"string"}]}"#)
            .expect("valid");
        let s = Schema::parse_with_references(
            r#"{"type":"record","name":"Customer","namespace":"a","fields":[{"name":"home","type":"Address"}]}"#,
            &[address],
        )
        .expect("valid");
        assert_eq!(
            s.to_java_string(),
            r#"{"type":"record","name":"Customer","namespace":"a","fields":[{"name":"home","type":"Address"}]}"#
        );
        assert!(
            s.canonical_form()
                .contains(r#"{"name":"a.Address","type":"record""#)
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = format!(
            "{}\"int\"{}",
            "{\"type\":\"array\",\"items\":".repeat(5000),
            "}".repeat(5000)
        );
        // serde_json's own recursion limit (128) or ours: an error either way, never a crash.
        assert!(!err(&text).is_empty());
    }
}
