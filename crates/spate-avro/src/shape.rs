//! Whether two schemas write the same bytes for the same values: what lets a writer that encodes
//! by one schema register another (a user's own names, namespaces and docs for the schema a
//! table derives), without the bytes it writes lying about their schema.
//!
//! Names, namespaces, docs, aliases, defaults, sort orders and other properties never reach the
//! binary encoding; everything else does or changes how a reader reads it: the kind of every
//! type, union branches in order, record field names in order (readers match by them), enum
//! symbols in order, fixed sizes and logical types.

use crate::schema::{Node, Schema, TypeId};

impl Schema {
    /// `Ok` when `self` and `other` encode every value alike and read back as the same types;
    /// otherwise the first difference, with its path (`.field`, `[]` for items, `{}` for map
    /// values, `|n` for a union branch).
    pub fn encodes_like(&self, other: &Schema) -> Result<(), String> {
        let mut seen = Vec::new();
        same(self, self.root(), other, other.root(), "", &mut seen)
    }
}

fn same(
    a: &Schema,
    x: TypeId,
    b: &Schema,
    y: TypeId,
    path: &str,
    seen: &mut Vec<(TypeId, TypeId)>,
) -> Result<(), String> {
    // A named type met again on both sides was (or is being) compared: recursion ends here.
    if seen.contains(&(x, y)) {
        return Ok(());
    }
    seen.push((x, y));
    let at = |what: String| {
        let path = if path.is_empty() { "the root" } else { path };
        format!("at {path}: {what}")
    };
    match (a.node(x), b.node(y)) {
        (
            Node::Primitive {
                kind: k1,
                logical: l1,
                ..
            },
            Node::Primitive {
                kind: k2,
                logical: l2,
                ..
            },
        ) => {
            if k1 != k2 || l1 != l2 {
                return Err(at(format!("{k1:?} ({l1:?}) against {k2:?} ({l2:?})")));
            }
        }
        (Node::Record(r1), Node::Record(r2)) => {
            let n1: Vec<&str> = r1.fields.iter().map(|f| f.name.as_str()).collect();
            let n2: Vec<&str> = r2.fields.iter().map(|f| f.name.as_str()).collect();
            if n1 != n2 {
                return Err(at(format!("fields {n1:?} against {n2:?}")));
            }
            for (f1, f2) in r1.fields.iter().zip(&r2.fields) {
                same(a, f1.ty, b, f2.ty, &format!("{path}.{}", f1.name), seen)?;
            }
        }
        (Node::Enum(e1), Node::Enum(e2)) => {
            if e1.symbols != e2.symbols {
                return Err(at(format!("symbols {:?} against {:?}", e1.symbols, e2.symbols)));
            }
        }
        (Node::Fixed(f1), Node::Fixed(f2)) => {
            if f1.size != f2.size || f1.logical != f2.logical {
                return Err(at(format!("fixed({}) against fixed({})", f1.size, f2.size)));
            }
        }
        (Node::Array { items: i1, .. }, Node::Array { items: i2, .. }) => {
            same(a, *i1, b, *i2, &format!("{path}[]"), seen)?;
        }
        (Node::Map { values: v1, .. }, Node::Map { values: v2, .. }) => {
            same(a, *v1, b, *v2, &format!("{path}{{}}"), seen)?;
        }
        (Node::Union(b1), Node::Union(b2)) => {
            if b1.len() != b2.len() {
                return Err(at(format!(
                    "a union of {} branches against one of {}",
                    b1.len(),
                    b2.len()
                )));
            }
            for (i, (t1, t2)) in b1.iter().zip(b2).enumerate() {
                same(a, *t1, b, *t2, &format!("{path}|{i}"), seen)?;
            }
        }
        (n1, n2) => {
            return Err(at(format!(
                "{} against {}",
                n1.kind_constant(),
                n2.kind_constant()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::Schema;

    fn parse(s: &str) -> Schema {
        Schema::parse(s).expect("parses")
    }

    #[test]
    fn names_docs_and_defaults_do_not_matter() {
        let derived = parse(
            r#"{"type":"record","name":"record","namespace":"org.apache.flink.avro.generated","fields":[
              {"name":"id","type":"long"},{"name":"tag","type":["null","string"],"default":null},
              {"name":"at","type":{"type":"record","name":"record_at","fields":[{"name":"ms","type":"long"}]}}]}"#,
        );
        let own = parse(
            r#"{"type":"record","name":"Order","namespace":"com.acme","doc":"an order","fields":[
              {"name":"id","type":"long","doc":"key"},{"name":"tag","type":["null","string"]},
              {"name":"at","type":{"type":"record","name":"Stamp","fields":[{"name":"ms","type":"long","default":0}]}}]}"#,
        );
        assert_eq!(own.encodes_like(&derived), Ok(()));
    }

    #[test]
    fn what_changes_bytes_or_reading_is_a_difference() {
        let base = r#"{"type":"record","name":"R","fields":[{"name":"a","type":["null","long"]}]}"#;
        for (other, expected) in [
            (
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":["long","null"]}]}"#,
                "at .a|0",
            ),
            (
                r#"{"type":"record","name":"R","fields":[{"name":"b","type":["null","long"]}]}"#,
                "fields",
            ),
            (
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":["null","int"]}]}"#,
                "at .a|1",
            ),
            (
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":["null",{"type":"long","logicalType":"timestamp-millis"}]}]}"#,
                "at .a|1",
            ),
            (
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}"#,
                "LONG against UNION",
            ),
        ] {
            let e = parse(other).encodes_like(&parse(base)).expect_err(other);
            assert!(e.contains(expected), "{other}: {e}");
        }
    }

    #[test]
    fn recursive_schemas_compare_in_finite_time() {
        let list = r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"long"},{"name":"next","type":["null","Node"]}]}"#;
        let other = r#"{"type":"record","name":"Cell","fields":[{"name":"v","type":"long"},{"name":"next","type":["null","Cell"]}]}"#;
        assert_eq!(parse(list).encodes_like(&parse(other)), Ok(()));
    }
}
