//! Confluent's JSON Schema compatibility diff: walks an original (writer) and an update
//! (reader) schema side by side and lists the [`Difference`]s between them.
//!
//! Follows Confluent's `SchemaDiff` and its per-type diffs rule by rule, because the registry's
//! answer has to be Confluent's: which changes are compatible depends on subtle choices (a
//! property added to an open object is incompatible, to a closed one compatible; an `anyOf` in
//! the update is compatible when one branch is). Recursive schemas end: a pair of nodes met
//! again while it is being compared counts as compatible, as Confluent assumes; pairs whose
//! result needed no such assumption are remembered, so shared definitions are compared once.

use std::collections::{HashMap, HashSet};

use super::difference::{Difference, Kind as D};
use super::parse::{
    Additional, ArrayRules, Graph, Kind, Node, NodeId, NumberRules, ObjectRules, StringRules,
};

/// Which schema a node belongs to: 0 the original, 1 the update (`not` swaps them).
type Side = usize;
type At = (Side, NodeId);

/// The differences between `original` and `update`, in Confluent's order where it has one.
pub(crate) fn compare(original: &Graph, update: &Graph) -> Vec<Difference> {
    let mut differ = Differ {
        graphs: [original, update],
        memo: HashMap::new(),
        in_progress: HashSet::new(),
        assumptions: 0,
        depth: 0,
    };
    let mut out = Found::default();
    differ.compare(&mut out, Some((0, original.root)), Some((1, update.root)));
    out.diffs
}

/// Differences found for one pair, with paths relative to where it was entered.
#[derive(Debug, Default)]
struct Found {
    path: Vec<String>,
    diffs: Vec<Difference>,
}

impl Found {
    fn path_string(&self) -> String {
        format!("#/{}", self.path.join("/"))
    }

    fn add(&mut self, kind: D) {
        let path = self.path_string();
        self.diffs.push(Difference { kind, path });
    }

    fn add_at(&mut self, attribute: &str, kind: D) {
        self.path.push(attribute.to_string());
        self.add(kind);
        self.path.pop();
    }

    /// A scratch context at the same path, to see whether one alternative is compatible.
    fn fork(&self) -> Found {
        Found {
            path: self.path.clone(),
            diffs: Vec::new(),
        }
    }

    fn compatible(&self) -> bool {
        self.diffs.iter().all(|d| d.kind.compatible())
    }

    /// Adds differences computed relative to a pair, under the current path.
    fn add_rebased(&mut self, relative: &[Difference]) {
        let prefix = self.path_string();
        for d in relative {
            let path = match d.path.strip_prefix("#/") {
                Some("") | None => prefix.clone(),
                Some(rest) if self.path.is_empty() => format!("#/{rest}"),
                Some(rest) => format!("{prefix}/{rest}"),
            };
            self.diffs.push(Difference { kind: d.kind, path });
        }
    }

    fn scoped(&mut self, segment: &str, f: impl FnOnce(&mut Found)) {
        self.path.push(segment.to_string());
        f(self);
        self.path.pop();
    }
}

struct Differ<'g> {
    graphs: [&'g Graph; 2],
    memo: HashMap<(At, At), Vec<Difference>>,
    in_progress: HashSet<(At, At)>,
    /// How often a recursive pair was assumed compatible; a result that needed no assumption
    /// is exact and may be remembered.
    assumptions: usize,
    depth: usize,
}

/// How deep the walk may recurse; loading already bounds each schema's depth, this bounds the
/// walk of a pair of them, whose paths may be longer.
const MAX_DEPTH: usize = 512;

/// A node's Everit class, to tell whether two schemas are "the same type".
fn class(kind: &Kind) -> u8 {
    match kind {
        Kind::Any => 0,
        Kind::Nothing => 1,
        Kind::Null => 2,
        Kind::Boolean => 3,
        Kind::String(_) => 4,
        Kind::Number(_) => 5,
        Kind::Object(_) => 6,
        Kind::Array(_) => 7,
        Kind::Enum(_) => 8,
        Kind::Const(_) => 9,
        Kind::Combined(..) => 10,
        Kind::Not(_) => 11,
        Kind::Ref(_) => 12,
    }
}

impl<'g> Differ<'g> {
    fn node(&self, (side, id): At) -> &'g Node {
        &self.graphs[side].nodes[id]
    }

    fn compare(&mut self, out: &mut Found, original: Option<At>, update: Option<At>) {
        let (o, u) = match (original, update) {
            (None, None) => return,
            (None, Some(_)) => return out.add(D::SCHEMA_ADDED),
            (Some(_), None) => return out.add(D::SCHEMA_REMOVED),
            (Some(o), Some(u)) => (o, u),
        };
        let o = (o.0, self.graphs[o.0].resolve(o.1));
        let u = (u.0, self.graphs[u.0].resolve(u.1));
        if let Some(known) = self.memo.get(&(o, u)) {
            let known = known.clone();
            return out.add_rebased(&known);
        }
        if !self.in_progress.insert((o, u)) {
            self.assumptions += 1;
            return;
        }
        let before = self.assumptions;
        let mut found = Found::default();
        if self.depth >= MAX_DEPTH {
            // Refusing is safe where an unchecked pair might let an incompatible change in;
            // the result depends on the depth, so it is not remembered.
            found.add(D::TYPE_CHANGED);
            self.assumptions += 1;
        } else {
            self.depth += 1;
            self.compare_types(&mut found, o, u);
            self.depth -= 1;
        }
        self.in_progress.remove(&(o, u));
        out.add_rebased(&found.diffs);
        if self.assumptions == before {
            self.memo.insert((o, u), found.diffs);
        }
    }

    /// Whether `original` against `update` is compatible, its differences kept in `sub`.
    fn try_compare(&mut self, out: &Found, original: At, update: At) -> Found {
        let mut sub = out.fork();
        self.compare(&mut sub, Some(original), Some(update));
        sub
    }

    fn compare_types(&mut self, out: &mut Found, o: At, u: At) {
        let (on, un) = (self.node(o), self.node(u));
        match (&on.kind, &un.kind) {
            (Kind::Combined(..), Kind::Combined(..)) => {}
            (_, Kind::Combined(criterion, subs)) => {
                // An update that is a union reads the original when one branch does.
                let any = matches!(
                    criterion,
                    super::parse::Criterion::Any | super::parse::Criterion::One
                );
                if subs.len() == 1 || any {
                    for s in subs {
                        let sub = self.try_compare(out, o, (u.0, *s));
                        if sub.compatible() {
                            out.diffs.extend(sub.diffs);
                            if subs.len() > 1 {
                                out.add(D::SUM_TYPE_EXTENDED);
                            }
                            return;
                        }
                    }
                }
            }
            (Kind::Combined(criterion, subs), _) => {
                // An original that is an intersection is read when one of its parts is.
                let all = *criterion == super::parse::Criterion::All;
                if subs.len() == 1 || all {
                    for s in subs {
                        let sub = self.try_compare(out, (o.0, *s), u);
                        if sub.compatible() {
                            out.diffs.extend(sub.diffs);
                            if subs.len() > 1 {
                                out.add(D::PRODUCT_TYPE_NARROWED);
                            }
                            return;
                        }
                    }
                }
            }
            _ => {}
        }
        if class(&on.kind) != class(&un.kind) {
            if matches!(on.kind, Kind::Nothing) || matches!(un.kind, Kind::Any) {
                return;
            }
            if on.connect_bytes && un.connect_bytes {
                return;
            }
            return out.add(D::TYPE_CHANGED);
        }
        if on.id != un.id {
            out.add(D::ID_CHANGED);
        }
        if on.title != un.title {
            out.add(D::TITLE_CHANGED);
        }
        if on.description != un.description {
            out.add(D::DESCRIPTION_CHANGED);
        }
        if on.default != un.default {
            out.add(D::DEFAULT_CHANGED);
        }
        match (&on.kind, &un.kind) {
            (Kind::String(a), Kind::String(b)) => strings(out, a, b),
            (Kind::Number(a), Kind::Number(b)) => numbers(out, a, b),
            (Kind::Const(a), Kind::Const(b)) if a != b => out.add_at("const", D::ENUM_ARRAY_CHANGED),
            (Kind::Enum(a), Kind::Enum(b)) => enums(out, a, b),
            (Kind::Combined(..), Kind::Combined(..)) => self.combined(out, o, u),
            (Kind::Not(a), Kind::Not(b)) => {
                let (a, b) = ((o.0, *a), (u.0, *b));
                out.scoped("not", |out| {
                    // Reversed: the update must exclude no more than the original did.
                    let sub = self.try_compare(out, b, a);
                    out.add(if sub.compatible() {
                        D::NOT_TYPE_NARROWED
                    } else {
                        D::NOT_TYPE_EXTENDED
                    });
                });
            }
            (Kind::Object(a), Kind::Object(b)) => self.objects(out, (o.0, a), (u.0, b)),
            (Kind::Array(a), Kind::Array(b)) => self.arrays(out, (o.0, a), (u.0, b)),
            _ => {}
        }
    }

    /// Two combinations: the criterion, the number of branches, and a matching of compatible
    /// branch pairs that must cover the smaller side.
    fn combined(&mut self, out: &mut Found, o: At, u: At) {
        let (Kind::Combined(oc, osubs), Kind::Combined(uc, usubs)) = (&self.node(o).kind, &self.node(u).kind)
        else {
            return;
        };
        let (oc, uc) = (*oc, *uc);
        use super::parse::Criterion as C;
        if oc != uc {
            let (os, us) = (osubs.len() == 1, usubs.len() == 1);
            if uc == C::Any || (os && us) || (os && uc == C::One) || (us && oc == C::All) {
                out.add(D::COMBINED_TYPE_EXTENDED);
            } else {
                return out.add(D::COMBINED_TYPE_CHANGED);
            }
        }
        let osubs = self.distinct(o.0, osubs);
        let usubs = self.distinct(u.0, usubs);
        if osubs.len() < usubs.len() {
            out.add(if uc == C::All {
                D::PRODUCT_TYPE_EXTENDED
            } else {
                D::SUM_TYPE_EXTENDED
            });
        } else if osubs.len() > usubs.len() {
            out.add(if oc == C::All {
                D::PRODUCT_TYPE_NARROWED
            } else {
                D::SUM_TYPE_NARROWED
            });
        }
        // edges[i]: the update branches original branch i is compatible with, and how.
        let mut edges: Vec<Vec<(usize, Vec<Difference>)>> = Vec::new();
        for (i, os) in osubs.iter().enumerate() {
            let mut row = Vec::new();
            out.scoped(&format!("{}/{i}", oc.keyword()), |out| {
                for (j, us) in usubs.iter().enumerate() {
                    let sub = self.try_compare(out, (o.0, *os), (u.0, *us));
                    if sub.compatible() {
                        row.push((j, sub.diffs));
                    }
                }
            });
            edges.push(row);
        }
        let matching = max_matching(&edges, usubs.len());
        for (i, j) in matching.iter().enumerate() {
            if let Some(j) = j
                && let Some((_, diffs)) = edges[i].iter().find(|(k, _)| k == j)
            {
                out.diffs.extend(diffs.iter().cloned());
            }
        }
        let matched = matching.iter().filter(|m| m.is_some()).count();
        if matched < osubs.len().min(usubs.len()) {
            out.add(D::COMBINED_TYPE_SUBSCHEMAS_CHANGED);
        }
    }

    /// Branches with identical text collapse into one, as Confluent's set of branches does.
    fn distinct(&self, side: Side, subs: &[NodeId]) -> Vec<NodeId> {
        let mut seen = HashSet::new();
        subs.iter()
            .copied()
            .filter(|s| seen.insert(self.graphs[side].nodes[*s].text.as_str()))
            .collect()
    }

    fn objects(&mut self, out: &mut Found, (os, o): (Side, &ObjectRules), (us, u): (Side, &ObjectRules)) {
        let required_default = |side: Side, rules: &ObjectRules, name: &str| {
            rules
                .properties
                .iter()
                .find(|(n, _)| n == name)
                .is_some_and(|(_, id)| self.graphs[side].nodes[*id].default.is_some())
        };
        out.scoped("required", |out| {
            for (name, _) in &o.properties {
                if !u.properties.iter().any(|(n, _)| n == name) {
                    continue;
                }
                let (was, is) = (o.required.contains(name), u.required.contains(name));
                if was && !is {
                    out.add_at(name, D::REQUIRED_ATTRIBUTE_REMOVED);
                } else if !was && is {
                    out.add_at(
                        name,
                        if required_default(us, u, name) {
                            D::REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED
                        } else {
                            D::REQUIRED_ATTRIBUTE_ADDED
                        },
                    );
                }
            }
        });
        out.scoped("properties", |out| self.properties(out, (os, o), (us, u)));
        out.scoped("dependencies", |out| self.dependencies(out, (os, o), (us, u)));
        out.scoped("additionalProperties", |out| {
            self.additional(out, (os, o.additional), (us, u.additional), Direction::Properties)
        });
        limit(
            out,
            "maxProperties",
            o.max_properties,
            u.max_properties,
            [
                D::MAX_PROPERTIES_ADDED,
                D::MAX_PROPERTIES_REMOVED,
                D::MAX_PROPERTIES_INCREASED,
                D::MAX_PROPERTIES_DECREASED,
            ],
        );
        limit(
            out,
            "minProperties",
            o.min_properties,
            u.min_properties,
            [
                D::MIN_PROPERTIES_ADDED,
                D::MIN_PROPERTIES_REMOVED,
                D::MIN_PROPERTIES_INCREASED,
                D::MIN_PROPERTIES_DECREASED,
            ],
        );
    }

    fn properties(&mut self, out: &mut Found, (os, o): (Side, &ObjectRules), (us, u): (Side, &ObjectRules)) {
        let mut names: Vec<&String> = o.properties.iter().map(|(n, _)| n).collect();
        names.extend(
            u.properties
                .iter()
                .map(|(n, _)| n)
                .filter(|n| !o.properties.iter().any(|(m, _)| m == *n)),
        );
        for name in names {
            let op = o.properties.iter().find(|(n, _)| n == name).map(|(_, id)| *id);
            let up = u.properties.iter().find(|(n, _)| n == name).map(|(_, id)| *id);
            out.path.push(name.clone());
            match (op, up) {
                (Some(op), None) => self.property_removed(out, (os, op), (us, u), name),
                (None, Some(up)) => self.property_added(out, (os, o), (us, up), u, name),
                (Some(op), Some(up)) => self.compare(out, Some((os, op)), Some((us, up))),
                (None, None) => {}
            }
            out.path.pop();
        }
    }

    /// A property the update lacks: fine when the update lets any property in.
    fn property_removed(&mut self, out: &mut Found, op: At, (us, u): (Side, &ObjectRules), name: &str) {
        if open_object(u) {
            return out.add(D::PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL);
        }
        if let Some(partial) = partial_object(u, name) {
            let sub = self.try_compare(out, op, (us, partial));
            let ok = sub.compatible();
            out.diffs.extend(sub.diffs);
            return out.add(if ok {
                D::PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            } else {
                D::PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            });
        }
        out.add(if matches!(self.node(op).kind, Kind::Nothing) {
            D::PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL
        } else {
            D::PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL
        });
    }

    /// A property the original lacks: old data may hold anything under that name when the
    /// original was open, so only an unconstrained property reads it.
    fn property_added(
        &mut self,
        out: &mut Found,
        (os, o): (Side, &ObjectRules),
        up: At,
        u: &ObjectRules,
        name: &str,
    ) {
        let required = u.required.iter().any(|r| r == name);
        let has_default = self.node(up).default.is_some();
        if open_object(o) {
            return out.add(if matches!(self.node(up).kind, Kind::Any) {
                D::PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
            } else if required && has_default {
                D::REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL
            } else if required {
                D::REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
            } else {
                D::OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
            });
        }
        if let Some(partial) = partial_object(o, name) {
            let sub = self.try_compare(out, (os, partial), up);
            let ok = sub.compatible();
            out.diffs.extend(sub.diffs);
            out.add(if ok {
                D::PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            } else {
                D::PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            });
        }
        out.add(match (required, has_default) {
            (true, true) => D::REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL,
            (true, false) => D::REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL,
            (false, _) => D::OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL,
        });
    }

    fn dependencies(
        &mut self,
        out: &mut Found,
        (os, o): (Side, &ObjectRules),
        (us, u): (Side, &ObjectRules),
    ) {
        for name in union(&o.property_dependencies, &u.property_dependencies) {
            let a = o
                .property_dependencies
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, d)| d);
            let b = u
                .property_dependencies
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, d)| d);
            let kind = match (a, b) {
                (_, None) => Some(D::DEPENDENCY_ARRAY_REMOVED),
                (None, Some(_)) => Some(D::DEPENDENCY_ARRAY_ADDED),
                (Some(a), Some(b)) => {
                    let (a_in_b, b_in_a) = (a.iter().all(|x| b.contains(x)), b.iter().all(|x| a.contains(x)));
                    match (a_in_b, b_in_a) {
                        (true, true) => None,
                        (true, false) => Some(D::DEPENDENCY_ARRAY_EXTENDED),
                        (false, true) => Some(D::DEPENDENCY_ARRAY_NARROWED),
                        (false, false) => Some(D::DEPENDENCY_ARRAY_CHANGED),
                    }
                }
            };
            if let Some(kind) = kind {
                out.add_at(&name, kind);
            }
        }
        for name in union(&o.schema_dependencies, &u.schema_dependencies) {
            let a = o
                .schema_dependencies
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, d)| *d);
            let b = u
                .schema_dependencies
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, d)| *d);
            out.scoped(&name, |out| match (a, b) {
                (_, None) => out.add(D::DEPENDENCY_SCHEMA_REMOVED),
                (None, Some(_)) => out.add(D::DEPENDENCY_SCHEMA_ADDED),
                (Some(a), Some(b)) => self.compare(out, Some((os, a)), Some((us, b))),
            });
        }
    }

    fn additional(
        &mut self,
        out: &mut Found,
        (os, o): (Side, Additional),
        (us, u): (Side, Additional),
        dir: Direction,
    ) {
        let permits = |a: Additional| a != Additional::Forbidden;
        let schema = |a: Additional| match a {
            Additional::Schema(id) => Some(id),
            _ => None,
        };
        let [added, removed, narrowed, extended] = dir.kinds();
        if permits(o) != permits(u) {
            out.add(if permits(u) { added } else { removed });
        } else {
            match (schema(o), schema(u)) {
                (None, Some(_)) => out.add(narrowed),
                (Some(_), None) => out.add(extended),
                (a, b) => self.compare(out, a.map(|a| (os, a)), b.map(|b| (us, b))),
            }
        }
    }

    fn arrays(&mut self, out: &mut Found, (os, o): (Side, &ArrayRules), (us, u): (Side, &ArrayRules)) {
        out.scoped("items", |out| {
            self.compare(out, o.all_items.map(|i| (os, i)), u.all_items.map(|i| (us, i)))
        });
        self.tuples(out, (os, o), (us, u));
        out.scoped("additionalItems", |out| {
            self.additional(out, (os, o.additional), (us, u.additional), Direction::Items)
        });
        limit(
            out,
            "maxItems",
            o.max_items,
            u.max_items,
            [
                D::MAX_ITEMS_ADDED,
                D::MAX_ITEMS_REMOVED,
                D::MAX_ITEMS_INCREASED,
                D::MAX_ITEMS_DECREASED,
            ],
        );
        limit(
            out,
            "minItems",
            o.min_items,
            u.min_items,
            [
                D::MIN_ITEMS_ADDED,
                D::MIN_ITEMS_REMOVED,
                D::MIN_ITEMS_INCREASED,
                D::MIN_ITEMS_DECREASED,
            ],
        );
        if o.unique != u.unique {
            out.add_at(
                "uniqueItems",
                if o.unique {
                    D::UNIQUE_ITEMS_REMOVED
                } else {
                    D::UNIQUE_ITEMS_ADDED
                },
            );
        }
        limit(
            out,
            "maxContains",
            o.max_contains,
            u.max_contains,
            [
                D::MAX_CONTAINS_ADDED,
                D::MAX_CONTAINS_REMOVED,
                D::MAX_CONTAINS_INCREASED,
                D::MAX_CONTAINS_DECREASED,
            ],
        );
        limit(
            out,
            "minContains",
            o.min_contains,
            u.min_contains,
            [
                D::MIN_CONTAINS_ADDED,
                D::MIN_CONTAINS_REMOVED,
                D::MIN_CONTAINS_INCREASED,
                D::MIN_CONTAINS_DECREASED,
            ],
        );
    }

    /// Tuple items, position by position; extra positions on either side are judged by the
    /// other side's content model, as for object properties.
    fn tuples(&mut self, out: &mut Found, (os, o): (Side, &ArrayRules), (us, u): (Side, &ArrayRules)) {
        for i in 0..o.tuple.len().max(u.tuple.len()) {
            out.path.push(format!("items/{i}"));
            match (o.tuple.get(i), u.tuple.get(i)) {
                (Some(a), Some(b)) => self.compare(out, Some((os, *a)), Some((us, *b))),
                (Some(a), None) => {
                    if open_array(u) {
                        out.add(D::ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL);
                    } else if let Additional::Schema(partial) = u.additional {
                        let sub = self.try_compare(out, (os, *a), (us, partial));
                        let ok = sub.compatible();
                        out.diffs.extend(sub.diffs);
                        out.add(if ok {
                            D::ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                        } else {
                            D::ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                        });
                    } else if matches!(self.node((os, *a)).kind, Kind::Nothing) {
                        out.add(D::ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL);
                    } else {
                        out.add(D::ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL);
                    }
                }
                (None, Some(b)) => {
                    if open_array(o) {
                        out.add(if matches!(self.node((us, *b)).kind, Kind::Any) {
                            D::ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
                        } else {
                            D::ITEM_ADDED_TO_OPEN_CONTENT_MODEL
                        });
                    } else if let Additional::Schema(partial) = o.additional {
                        let sub = self.try_compare(out, (os, partial), (us, *b));
                        let ok = sub.compatible();
                        out.diffs.extend(sub.diffs);
                        out.add(if ok {
                            D::ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                        } else {
                            D::ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                        });
                    } else {
                        out.add(D::ITEM_ADDED_TO_CLOSED_CONTENT_MODEL);
                    }
                }
                (None, None) => {}
            }
            out.path.pop();
        }
    }
}

/// Whose `additional*` keyword is compared, for the names of its differences.
#[derive(Clone, Copy)]
enum Direction {
    Properties,
    Items,
}

impl Direction {
    /// Added, removed, narrowed, extended.
    fn kinds(self) -> [D; 4] {
        match self {
            Direction::Properties => [
                D::ADDITIONAL_PROPERTIES_ADDED,
                D::ADDITIONAL_PROPERTIES_REMOVED,
                D::ADDITIONAL_PROPERTIES_NARROWED,
                D::ADDITIONAL_PROPERTIES_EXTENDED,
            ],
            Direction::Items => [
                D::ADDITIONAL_ITEMS_ADDED,
                D::ADDITIONAL_ITEMS_REMOVED,
                D::ADDITIONAL_ITEMS_NARROWED,
                D::ADDITIONAL_ITEMS_EXTENDED,
            ],
        }
    }
}

/// Any property may appear: no `additionalProperties` limit and no `patternProperties`.
fn open_object(o: &ObjectRules) -> bool {
    o.additional == Additional::Allowed && o.pattern_properties.is_empty()
}

/// The schema an object without `name` still applies to it: a matching pattern's, else
/// `additionalProperties`'.
fn partial_object(o: &ObjectRules, name: &str) -> Option<NodeId> {
    o.pattern_properties
        .iter()
        .find(|(re, _)| re.as_ref().is_some_and(|re| re.is_match(name)))
        .map(|(_, id)| *id)
        .or(match o.additional {
            Additional::Schema(id) => Some(id),
            _ => None,
        })
}

fn open_array(a: &ArrayRules) -> bool {
    a.additional == Additional::Allowed
}

fn union<T>(a: &[(String, T)], b: &[(String, T)]) -> Vec<String> {
    let mut names: Vec<String> = a.iter().map(|(n, _)| n.clone()).collect();
    names.extend(
        b.iter()
            .map(|(n, _)| n.clone())
            .filter(|n| !a.iter().any(|(m, _)| m == n)),
    );
    names
}

/// A numeric keyword: added, removed, increased or decreased (in that order of kinds).
fn limit(
    out: &mut Found,
    attribute: &str,
    o: Option<f64>,
    u: Option<f64>,
    [added, removed, inc, dec]: [D; 4],
) {
    let kind = match (o, u) {
        (None, Some(_)) => Some(added),
        (Some(_), None) => Some(removed),
        (Some(a), Some(b)) if a < b => Some(inc),
        (Some(a), Some(b)) if a > b => Some(dec),
        _ => None,
    };
    if let Some(kind) = kind {
        out.add_at(attribute, kind);
    }
}

fn strings(out: &mut Found, o: &StringRules, u: &StringRules) {
    limit(
        out,
        "maxLength",
        o.max_length,
        u.max_length,
        [
            D::MAX_LENGTH_ADDED,
            D::MAX_LENGTH_REMOVED,
            D::MAX_LENGTH_INCREASED,
            D::MAX_LENGTH_DECREASED,
        ],
    );
    limit(
        out,
        "minLength",
        o.min_length,
        u.min_length,
        [
            D::MIN_LENGTH_ADDED,
            D::MIN_LENGTH_REMOVED,
            D::MIN_LENGTH_INCREASED,
            D::MIN_LENGTH_DECREASED,
        ],
    );
    match (&o.pattern, &u.pattern) {
        (None, Some(_)) => out.add_at("pattern", D::PATTERN_ADDED),
        (Some(_), None) => out.add_at("pattern", D::PATTERN_REMOVED),
        (Some(a), Some(b)) if a != b => out.add_at("pattern", D::PATTERN_CHANGED),
        _ => {}
    }
}

fn numbers(out: &mut Found, o: &NumberRules, u: &NumberRules) {
    limit(
        out,
        "maximum",
        o.maximum,
        u.maximum,
        [
            D::MAXIMUM_ADDED,
            D::MAXIMUM_REMOVED,
            D::MAXIMUM_INCREASED,
            D::MAXIMUM_DECREASED,
        ],
    );
    limit(
        out,
        "minimum",
        o.minimum,
        u.minimum,
        [
            D::MINIMUM_ADDED,
            D::MINIMUM_REMOVED,
            D::MINIMUM_INCREASED,
            D::MINIMUM_DECREASED,
        ],
    );
    limit(
        out,
        "exclusiveMaximum",
        o.exclusive_maximum,
        u.exclusive_maximum,
        [
            D::EXCLUSIVE_MAXIMUM_ADDED,
            D::EXCLUSIVE_MAXIMUM_REMOVED,
            D::EXCLUSIVE_MAXIMUM_INCREASED,
            D::EXCLUSIVE_MAXIMUM_DECREASED,
        ],
    );
    limit(
        out,
        "exclusiveMinimum",
        o.exclusive_minimum,
        u.exclusive_minimum,
        [
            D::EXCLUSIVE_MINIMUM_ADDED,
            D::EXCLUSIVE_MINIMUM_REMOVED,
            D::EXCLUSIVE_MINIMUM_INCREASED,
            D::EXCLUSIVE_MINIMUM_DECREASED,
        ],
    );
    let multiple = match (o.multiple_of, u.multiple_of) {
        (None, None) => None,
        (Some(a), Some(b)) if a == b => None,
        (None, Some(_)) => Some(D::MULTIPLE_OF_ADDED),
        (Some(_), None) => Some(D::MULTIPLE_OF_REMOVED),
        (Some(a), Some(b)) if divides(a, b) => Some(D::MULTIPLE_OF_EXPANDED),
        (Some(a), Some(b)) if divides(b, a) => Some(D::MULTIPLE_OF_REDUCED),
        _ => Some(D::MULTIPLE_OF_CHANGED),
    };
    if let Some(kind) = multiple {
        out.add_at("multipleOf", kind);
    }
    if o.integer != u.integer {
        out.add(if o.integer {
            D::TYPE_EXTENDED
        } else {
            D::TYPE_NARROWED
        });
    }
}

/// Whether `b` is a whole multiple of `a` (decimal multiples such as 0.1 and 0.3 included).
fn divides(a: f64, b: f64) -> bool {
    if a == 0.0 {
        return false;
    }
    let ratio = b / a;
    (ratio - ratio.round()).abs() < 1e-9 * ratio.abs().max(1.0)
}

fn enums(out: &mut Found, o: &[spate_avro::Json], u: &[spate_avro::Json]) {
    let (o_in_u, u_in_o) = (o.iter().all(|v| u.contains(v)), u.iter().all(|v| o.contains(v)));
    let kind = match (o_in_u, u_in_o) {
        (true, true) => return,
        (true, false) => D::ENUM_ARRAY_EXTENDED,
        (false, true) => D::ENUM_ARRAY_NARROWED,
        (false, false) => D::ENUM_ARRAY_CHANGED,
    };
    out.add_at("enum", kind);
}

/// A maximum matching of original branches to update branches (Kuhn's augmenting paths):
/// for each original branch, the update branch it is matched with.
fn max_matching(edges: &[Vec<(usize, Vec<Difference>)>], right: usize) -> Vec<Option<usize>> {
    fn augment(
        i: usize,
        edges: &[Vec<(usize, Vec<Difference>)>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for (j, _) in &edges[i] {
            if seen[*j] {
                continue;
            }
            seen[*j] = true;
            if owner[*j].is_none_or(|k| augment(k, edges, seen, owner)) {
                owner[*j] = Some(i);
                return true;
            }
        }
        false
    }
    let mut owner: Vec<Option<usize>> = vec![None; right];
    for i in 0..edges.len() {
        let mut seen = vec![false; right];
        augment(i, edges, &mut seen, &mut owner);
    }
    let mut matched = vec![None; edges.len()];
    for (j, i) in owner.iter().enumerate() {
        if let Some(i) = i {
            matched[*i] = Some(j);
        }
    }
    matched
}
