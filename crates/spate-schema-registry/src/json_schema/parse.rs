//! Reads JSON Schema documents into the shapes Confluent's compatibility rules talk about.
//!
//! Confluent loads a schema with the Everit library and diffs Everit's schema classes, so what
//! counts as "the same type" is Everit's classification, not the JSON: `{"type":"string",
//! "enum":[..]}` is an `allOf` of an enum and a string, `{"properties":{..}}` without a `type`
//! is still an object schema, `{"type":["string","null"]}` is an `anyOf`. This module makes the
//! same classification, so the diff in [`compat`](super::compat) can follow Confluent's rules
//! one to one. Nodes live in one arena per schema and `$ref`s point at node ids, so recursive
//! schemas are finite graphs.

use std::collections::HashMap;

use spate_avro::Json;

/// A node's index in its [`Graph`].
pub(crate) type NodeId = usize;

/// One schema and the documents it refers to, loaded.
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    /// Every loaded (sub)schema.
    pub nodes: Vec<Node>,
    /// The root schema.
    pub root: NodeId,
}

/// A (sub)schema: the keywords every schema may carry, and its kind.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// `$id` (or draft 4's `id`), `title`, `description`, `default`, as written.
    pub id: Option<Json>,
    pub title: Option<Json>,
    pub description: Option<Json>,
    pub default: Option<Json>,
    /// Kafka Connect marks its bytes with `"connect.type":"bytes"`; Confluent treats two such
    /// schemas as one type whatever their `type`.
    pub connect_bytes: bool,
    /// The schema's own JSON, to tell two subschemas of a combination apart.
    pub text: String,
    pub kind: Kind,
}

/// Everit's schema classes, as far as the diff tells them apart.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// `{}` or `true`: anything.
    Any,
    /// `false`: nothing.
    Nothing,
    Null,
    Boolean,
    String(StringRules),
    Number(NumberRules),
    Object(ObjectRules),
    Array(ArrayRules),
    Enum(Vec<Json>),
    Const(Json),
    Combined(Criterion, Vec<NodeId>),
    Not(NodeId),
    /// A `$ref`, to the node it resolves to.
    Ref(NodeId),
}

/// `allOf`, `anyOf` or `oneOf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Criterion {
    All,
    Any,
    One,
}

impl Criterion {
    /// The keyword, as Confluent's paths name it.
    pub fn keyword(self) -> &'static str {
        match self {
            Criterion::All => "allOf",
            Criterion::Any => "anyOf",
            Criterion::One => "oneOf",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct StringRules {
    pub max_length: Option<f64>,
    pub min_length: Option<f64>,
    pub pattern: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct NumberRules {
    pub integer: bool,
    pub maximum: Option<f64>,
    pub minimum: Option<f64>,
    pub exclusive_maximum: Option<f64>,
    pub exclusive_minimum: Option<f64>,
    pub multiple_of: Option<f64>,
}

/// What `additionalProperties` / `additionalItems` allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Additional {
    /// Absent or `true`.
    Allowed,
    /// `false`.
    Forbidden,
    /// A schema (even `{}`, which Everit keeps as a schema).
    Schema(NodeId),
}

#[derive(Debug, Clone)]
pub(crate) struct ObjectRules {
    pub properties: Vec<(String, NodeId)>,
    pub required: Vec<String>,
    pub additional: Additional,
    /// `patternProperties`; a pattern Rust's regex cannot compile matches nothing.
    pub pattern_properties: Vec<(Option<regex::Regex>, NodeId)>,
    pub max_properties: Option<f64>,
    pub min_properties: Option<f64>,
    pub property_dependencies: Vec<(String, Vec<String>)>,
    pub schema_dependencies: Vec<(String, NodeId)>,
}

#[derive(Debug, Clone)]
pub(crate) struct ArrayRules {
    /// `items` as one schema for every item.
    pub all_items: Option<NodeId>,
    /// `items` as a list (a tuple).
    pub tuple: Vec<NodeId>,
    pub additional: Additional,
    pub max_items: Option<f64>,
    pub min_items: Option<f64>,
    pub unique: bool,
    pub max_contains: Option<f64>,
    pub min_contains: Option<f64>,
}

impl Graph {
    /// The node behind any chain of `$ref`s (a chain that loops is read as "anything").
    pub fn resolve(&self, mut id: NodeId) -> NodeId {
        for _ in 0..=self.nodes.len() {
            match self.nodes[id].kind {
                Kind::Ref(target) => id = target,
                _ => return id,
            }
        }
        id
    }

    /// Whether `id` is a `$ref` chain that never reaches a schema.
    fn loops(&self, id: NodeId) -> bool {
        matches!(self.nodes[self.resolve(id)].kind, Kind::Ref(_))
    }
}

/// One loaded document: the schema itself (index 0) or a reference, by the name it is known by.
#[derive(Debug)]
pub(crate) struct Document<'a> {
    pub name: Option<&'a str>,
    pub json: &'a Json,
}

/// How deep loading may recurse (nesting and `$ref` chains together): far beyond real
/// schemas, and well within a request thread's stack.
const MAX_DEPTH: usize = 256;

/// A location: a document and a JSON pointer into it, unescaped.
type Location = (usize, Vec<String>);

/// Loads `docs[0]` (refs resolved among `docs`) into a [`Graph`].
pub(crate) fn load(docs: &[Document<'_>]) -> Result<Graph, String> {
    let base = docs
        .first()
        .and_then(|d| d.json.get("$id").or_else(|| d.json.get("id")))
        .and_then(Json::as_str)
        .map(str::to_string);
    let mut loader = Loader {
        docs,
        base,
        nodes: Vec::new(),
        seen: HashMap::new(),
        depth: 0,
    };
    let root = loader.load((0, Vec::new()))?;
    let graph = Graph {
        nodes: loader.nodes,
        root,
    };
    if graph.loops(root) {
        return Err("the schema is a $ref to itself".into());
    }
    Ok(graph)
}

struct Loader<'d, 'a> {
    docs: &'d [Document<'a>],
    /// The root's `$id`, against which references' names and `$ref`s are resolved.
    base: Option<String>,
    nodes: Vec<Node>,
    seen: HashMap<Location, NodeId>,
    depth: usize,
}

/// The JSON at `pointer` in `json`.
fn at<'j>(json: &'j Json, pointer: &[String]) -> Option<&'j Json> {
    pointer.iter().try_fold(json, |j, seg| match j {
        Json::Object(_) => j.get(seg),
        Json::Array(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

fn number(json: &Json, key: &str) -> Result<Option<f64>, String> {
    match json.get(key) {
        None => Ok(None),
        Some(Json::Number(n)) => Ok(n.as_f64()),
        Some(other) => Err(format!("{key} must be a number, found {}", other.to_text())),
    }
}

fn array<'j>(json: &'j Json, key: &str) -> Result<Option<&'j [Json]>, String> {
    match json.get(key) {
        None => Ok(None),
        Some(Json::Array(items)) => Ok(Some(items)),
        Some(other) => Err(format!("{key} must be an array, found {}", other.to_text())),
    }
}

fn members<'j>(json: &'j Json, key: &str) -> Result<&'j [(String, Json)], String> {
    match json.get(key) {
        None => Ok(&[]),
        Some(Json::Object(m)) => Ok(m),
        Some(other) => Err(format!("{key} must be an object, found {}", other.to_text())),
    }
}

fn strings(items: &[Json], key: &str) -> Result<Vec<String>, String> {
    items
        .iter()
        .map(|j| {
            j.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{key} must hold strings, found {}", j.to_text()))
        })
        .collect()
}

const OBJECT_KEYWORDS: &[&str] = &[
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "dependencies",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
];
const ARRAY_KEYWORDS: &[&str] = &[
    "items",
    "additionalItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
];
const NUMBER_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];
const STRING_KEYWORDS: &[&str] = &["minLength", "maxLength", "pattern", "format"];

/// `"a/b"` resolved against `base` as a URI reference (enough for the relative names schemas
/// use: a name with a scheme stands alone, others replace the base's last segment).
fn resolve_uri(base: Option<&str>, reference: &str) -> String {
    match base {
        Some(base) if !reference.contains(':') && !reference.is_empty() => {
            let dir = base.rfind('/').map_or("", |i| &base[..=i]);
            format!("{dir}{reference}")
        }
        _ => reference.to_string(),
    }
}

/// A `$ref` fragment (`/definitions/a~1b`) as unescaped segments.
fn pointer(fragment: &str) -> Result<Vec<String>, String> {
    let decoded = percent_decode(fragment);
    if decoded.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = decoded.strip_prefix('/') else {
        return Err(format!("$ref fragment '#{fragment}' is not a JSON pointer"));
    };
    Ok(rest
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Loader<'_, '_> {
    /// The node at `loc`, loaded once however often it is reached.
    fn load(&mut self, loc: Location) -> Result<NodeId, String> {
        if let Some(id) = self.seen.get(&loc) {
            return Ok(*id);
        }
        let json = at(self.docs[loc.0].json, &loc.1)
            .ok_or_else(|| format!("no schema at '#/{}'", loc.1.join("/")))?;
        let id = self.nodes.len();
        // A placeholder first: a `$ref` back to this location finds it, so recursion ends.
        self.nodes.push(Node {
            id: None,
            title: None,
            description: None,
            default: None,
            connect_bytes: false,
            text: json.to_text(),
            kind: Kind::Any,
        });
        self.seen.insert(loc.clone(), id);
        if self.depth >= MAX_DEPTH {
            return Err(format!(
                "the schema nests deeper than {MAX_DEPTH} levels (counting $refs)"
            ));
        }
        self.depth += 1;
        let node = self.node(&loc, json);
        self.depth -= 1;
        self.nodes[id] = node?;
        Ok(id)
    }

    fn child(&mut self, loc: &Location, path: &[&str]) -> Result<NodeId, String> {
        let mut pointer = loc.1.clone();
        pointer.extend(path.iter().map(|s| s.to_string()));
        self.load((loc.0, pointer))
    }

    fn node(&mut self, loc: &Location, json: &Json) -> Result<Node, String> {
        let mut node = Node {
            id: json.get("$id").or_else(|| json.get("id")).cloned(),
            title: json.get("title").cloned(),
            description: json.get("description").cloned(),
            default: json.get("default").cloned(),
            connect_bytes: json.get("connect.type").and_then(Json::as_str) == Some("bytes"),
            text: json.to_text(),
            kind: Kind::Any,
        };
        node.kind = match json {
            Json::Bool(true) => Kind::Any,
            Json::Bool(false) => Kind::Nothing,
            Json::Object(_) => self.kind(loc, json)?,
            other => {
                return Err(format!(
                    "a schema must be an object or a boolean, found {}",
                    other.to_text()
                ));
            }
        };
        Ok(node)
    }

    /// Everit's classification: each keyword family gives one schema; several are an `allOf`.
    fn kind(&mut self, loc: &Location, json: &Json) -> Result<Kind, String> {
        if let Some(r) = json.get("$ref") {
            let r = r.as_str().ok_or("$ref must be a string")?;
            return Ok(Kind::Ref(self.reference(loc.0, r)?));
        }
        let mut parts = Vec::new();
        if let Some(values) = array(json, "enum")? {
            parts.push(Kind::Enum(values.to_vec()));
        }
        for c in [Criterion::All, Criterion::Any, Criterion::One] {
            if let Some(subs) = array(json, c.keyword())? {
                let ids = (0..subs.len())
                    .map(|i| self.child(loc, &[c.keyword(), &i.to_string()]))
                    .collect::<Result<_, _>>()?;
                parts.push(Kind::Combined(c, ids));
            }
        }
        if json.get("not").is_some() {
            parts.push(Kind::Not(self.child(loc, &["not"])?));
        }
        if let Some(value) = json.get("const") {
            parts.push(Kind::Const(value.clone()));
        }
        let typed = match json.get("type") {
            None => None,
            Some(Json::String(t)) => Some(t.as_str()),
            Some(Json::Array(types)) => {
                let mut subs = Vec::new();
                for t in types {
                    let t = t.as_str().ok_or("type must hold strings")?;
                    let kind = self.typed(loc, json, t)?;
                    subs.push(self.synthetic(json, kind));
                }
                parts.push(Kind::Combined(Criterion::Any, subs));
                None
            }
            Some(other) => {
                return Err(format!(
                    "type must be a string or an array, found {}",
                    other.to_text()
                ));
            }
        };
        match typed {
            Some(t) => parts.push(self.typed(loc, json, t)?),
            // Without `type`, each keyword family present implies its schema.
            None if json.get("type").is_none() => {
                let has = |keys: &[&str]| keys.iter().any(|k| json.get(k).is_some());
                if has(OBJECT_KEYWORDS) {
                    parts.push(self.object(loc, json)?);
                }
                if has(ARRAY_KEYWORDS) {
                    parts.push(self.array(loc, json)?);
                }
                if has(NUMBER_KEYWORDS) {
                    parts.push(Kind::Number(number_rules(json, false)?));
                }
                if has(STRING_KEYWORDS) {
                    parts.push(Kind::String(string_rules(json)?));
                }
            }
            None => {}
        }
        Ok(match parts.len() {
            0 => Kind::Any,
            1 => parts.remove(0),
            _ => {
                let subs = parts.into_iter().map(|k| self.synthetic(json, k)).collect();
                Kind::Combined(Criterion::All, subs)
            }
        })
    }

    /// A node Everit makes up (a part of an implied `allOf`); it has no location of its own.
    fn synthetic(&mut self, json: &Json, kind: Kind) -> NodeId {
        self.nodes.push(Node {
            id: None,
            title: None,
            description: None,
            default: None,
            connect_bytes: false,
            text: format!("{}#{}", json.to_text(), self.nodes.len()),
            kind,
        });
        self.nodes.len() - 1
    }

    fn typed(&mut self, loc: &Location, json: &Json, t: &str) -> Result<Kind, String> {
        Ok(match t {
            "string" => Kind::String(string_rules(json)?),
            "integer" => Kind::Number(number_rules(json, true)?),
            "number" => Kind::Number(number_rules(json, false)?),
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            "array" => self.array(loc, json)?,
            "object" => self.object(loc, json)?,
            other => return Err(format!("unknown type: [{other}]")),
        })
    }

    fn object(&mut self, loc: &Location, json: &Json) -> Result<Kind, String> {
        let mut properties = Vec::new();
        for (name, _) in members(json, "properties")? {
            properties.push((name.clone(), self.child(loc, &["properties", name])?));
        }
        let mut pattern_properties = Vec::new();
        for (pattern, _) in members(json, "patternProperties")? {
            let id = self.child(loc, &["patternProperties", pattern])?;
            pattern_properties.push((regex::Regex::new(pattern).ok(), id));
        }
        let mut property_dependencies = Vec::new();
        let mut schema_dependencies = Vec::new();
        for (name, dep) in members(json, "dependencies")? {
            match dep {
                Json::Array(items) => {
                    property_dependencies.push((name.clone(), strings(items, "dependencies")?))
                }
                _ => schema_dependencies.push((name.clone(), self.child(loc, &["dependencies", name])?)),
            }
        }
        Ok(Kind::Object(ObjectRules {
            properties,
            required: strings(array(json, "required")?.unwrap_or_default(), "required")?,
            additional: self.additional(loc, json, "additionalProperties")?,
            pattern_properties,
            max_properties: number(json, "maxProperties")?,
            min_properties: number(json, "minProperties")?,
            property_dependencies,
            schema_dependencies,
        }))
    }

    fn array(&mut self, loc: &Location, json: &Json) -> Result<Kind, String> {
        let (all_items, tuple) = match json.get("items") {
            None => (None, Vec::new()),
            Some(Json::Array(items)) => {
                let ids = (0..items.len())
                    .map(|i| self.child(loc, &["items", &i.to_string()]))
                    .collect::<Result<_, _>>()?;
                (None, ids)
            }
            Some(_) => (Some(self.child(loc, &["items"])?), Vec::new()),
        };
        Ok(Kind::Array(ArrayRules {
            all_items,
            tuple,
            additional: self.additional(loc, json, "additionalItems")?,
            max_items: number(json, "maxItems")?,
            min_items: number(json, "minItems")?,
            unique: matches!(json.get("uniqueItems"), Some(Json::Bool(true))),
            max_contains: number(json, "maxContains")?,
            min_contains: number(json, "minContains")?,
        }))
    }

    fn additional(&mut self, loc: &Location, json: &Json, key: &str) -> Result<Additional, String> {
        Ok(match json.get(key) {
            None | Some(Json::Bool(true)) => Additional::Allowed,
            Some(Json::Bool(false)) => Additional::Forbidden,
            Some(_) => Additional::Schema(self.child(loc, &[key])?),
        })
    }

    /// The node a `$ref` in document `doc` names: a pointer into that document, or into a
    /// reference whose name matches (Confluent registers each reference under its name,
    /// resolved against the root's `$id`).
    fn reference(&mut self, doc: usize, r: &str) -> Result<NodeId, String> {
        let (uri, fragment) = r.split_once('#').unwrap_or((r, ""));
        let target = if uri.is_empty() {
            doc
        } else {
            let wanted = resolve_uri(self.base.as_deref(), uri);
            let base = self.base.as_deref();
            self.docs
                .iter()
                .position(|d| d.name.is_some_and(|n| n == uri || resolve_uri(base, n) == wanted))
                .ok_or_else(|| format!("$ref '{r}' names no schema reference"))?
        };
        let pointer = pointer(fragment)?;
        if at(self.docs[target].json, &pointer).is_none() {
            return Err(format!("$ref '{r}' points at nothing"));
        }
        self.load((target, pointer))
    }
}

fn string_rules(json: &Json) -> Result<StringRules, String> {
    Ok(StringRules {
        max_length: number(json, "maxLength")?,
        min_length: number(json, "minLength")?,
        pattern: match json.get("pattern") {
            None => None,
            Some(Json::String(p)) => Some(p.clone()),
            Some(other) => return Err(format!("pattern must be a string, found {}", other.to_text())),
        },
    })
}

fn number_rules(json: &Json, integer: bool) -> Result<NumberRules, String> {
    // Draft 4's boolean exclusiveMaximum/Minimum only qualify maximum/minimum.
    let limit = |key: &str| match json.get(key) {
        Some(Json::Bool(_)) => Ok(None),
        _ => number(json, key),
    };
    Ok(NumberRules {
        integer,
        maximum: number(json, "maximum")?,
        minimum: number(json, "minimum")?,
        exclusive_maximum: limit("exclusiveMaximum")?,
        exclusive_minimum: limit("exclusiveMinimum")?,
        multiple_of: number(json, "multipleOf")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(text: &str) -> Result<Graph, String> {
        let json = Json::parse(text)?;
        load(&[Document {
            name: None,
            json: &json,
        }])
    }

    fn root_kind(text: &str) -> Kind {
        let g = graph(text).expect("loads");
        g.nodes[g.root].kind.clone()
    }

    #[test]
    fn keyword_families_classify_as_everit_does() {
        assert!(matches!(
            root_kind(r#"{"type":"integer"}"#),
            Kind::Number(NumberRules { integer: true, .. })
        ));
        assert!(matches!(root_kind(r#"{"properties":{"a":{}}}"#), Kind::Object(_)));
        assert!(matches!(root_kind(r#"{"maxLength":3}"#), Kind::String(_)));
        assert!(matches!(root_kind("{}"), Kind::Any));
        assert!(matches!(root_kind("false"), Kind::Nothing));
        // A nullable type is a union; a typed enum is an enum and a type together.
        assert!(
            matches!(root_kind(r#"{"type":["string","null"]}"#), Kind::Combined(Criterion::Any, s) if s.len() == 2)
        );
        assert!(
            matches!(root_kind(r#"{"type":"string","enum":["a"]}"#), Kind::Combined(Criterion::All, s) if s.len() == 2)
        );
    }

    #[test]
    fn refs_resolve_within_the_document_and_recursion_is_finite() {
        let g = graph(
            r##"{"type":"object","properties":{"next":{"$ref":"#"},"v":{"$ref":"#/definitions/v"}},"definitions":{"v":{"type":"string"}}}"##,
        )
        .expect("loads");
        let Kind::Object(o) = &g.nodes[g.root].kind else {
            panic!("an object")
        };
        assert_eq!(g.resolve(o.properties[0].1), g.root);
        assert!(matches!(
            g.nodes[g.resolve(o.properties[1].1)].kind,
            Kind::String(_)
        ));
    }

    #[test]
    fn refs_to_a_reference_go_by_its_name() {
        let address =
            Json::parse(r#"{"type":"object","properties":{"street":{"type":"string"}}}"#).expect("json");
        let order =
            Json::parse(r#"{"type":"object","properties":{"to":{"$ref":"address.json"}}}"#).expect("json");
        let docs = [
            Document {
                name: None,
                json: &order,
            },
            Document {
                name: Some("address.json"),
                json: &address,
            },
        ];
        let g = load(&docs).expect("loads");
        let Kind::Object(o) = &g.nodes[g.root].kind else {
            panic!("an object")
        };
        assert!(matches!(
            g.nodes[g.resolve(o.properties[0].1)].kind,
            Kind::Object(_)
        ));
        assert!(
            load(&docs[..1]).is_err(),
            "without the reference the $ref resolves to nothing"
        );
    }

    #[test]
    fn malformed_schemas_say_what_is_wrong() {
        // 300 definitions, each a $ref to the next: too deep to load on a request's stack.
        let defs: Vec<String> = (0..300)
            .map(|i| format!(r##""d{i}":{{"$ref":"#/definitions/d{}"}}"##, i + 1))
            .collect();
        let chain = format!(
            r##"{{"$ref":"#/definitions/d0","definitions":{{{},"d300":{{}}}}}}"##,
            defs.join(",")
        );
        for (text, says) in [
            (r#"{"type":"strin"}"#, "unknown type"),
            (
                r#"{"type":"string","maxLength":"x"}"#,
                "maxLength must be a number",
            ),
            (r#"{"properties":[]}"#, "properties must be an object"),
            (r##"{"$ref":"#/definitions/x"}"##, "points at nothing"),
            (r##"{"$ref":"#"}"##, "$ref to itself"),
            (r#"{"items":[1]}"#, "object or a boolean"),
            (&chain, "deeper than 256"),
        ] {
            let e = graph(text).expect_err(text);
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}
