//! Which parts of a row a query reads, so a format can skip the rest (projection push-down).
//!
//! The planner works out, for each column of a scanned table, whether the query reads it at all,
//! reads it whole, or reads only some fields of a `ROW` (`bid.price` of the Nexmark table reads
//! one of `bid`'s seven fields). A format told so may leave everything else `NULL` without
//! converting it; the row keeps its width, so column indexes do not change.

use crate::types::{DataType, TypeKind};

/// How much of one value is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnUse {
    /// The whole value.
    Whole,
    /// Some fields of a `ROW`: one entry per field, `None` for a field nothing reads.
    Fields(Vec<Option<ColumnUse>>),
}

impl ColumnUse {
    /// Widens `slot` to also cover `other`.
    pub fn merge_into(slot: &mut Option<ColumnUse>, other: &ColumnUse) {
        match (slot.as_mut(), other) {
            (None, _) => *slot = Some(other.clone()),
            (Some(ColumnUse::Whole), _) => {}
            (Some(s), ColumnUse::Whole) => *s = ColumnUse::Whole,
            (Some(ColumnUse::Fields(mine)), ColumnUse::Fields(theirs)) => {
                if mine.len() == theirs.len() {
                    for (m, t) in mine.iter_mut().zip(theirs) {
                        if let Some(t) = t {
                            Self::merge_into(m, t);
                        }
                    }
                } else {
                    // Not the same row type: nothing can be skipped safely.
                    *slot = Some(ColumnUse::Whole);
                }
            }
        }
    }

    /// Marks the field path `path` (field indexes, outermost first) of a value of type `ty` as
    /// read as `leaf` says, widening `slot`.
    pub fn mark_path(slot: &mut Option<ColumnUse>, ty: &DataType, path: &[usize], leaf: &ColumnUse) {
        let Some((&first, rest)) = path.split_first() else {
            Self::merge_into(slot, leaf);
            return;
        };
        let TypeKind::Row(fields) = &ty.kind else {
            *slot = Some(ColumnUse::Whole);
            return;
        };
        let Some(field) = fields.get(first) else {
            *slot = Some(ColumnUse::Whole);
            return;
        };
        match slot {
            Some(ColumnUse::Whole) => {}
            Some(ColumnUse::Fields(used)) if used.len() == fields.len() => {
                Self::mark_path(&mut used[first], &field.ty, rest, leaf);
            }
            _ => {
                let mut used = vec![None; fields.len()];
                Self::mark_path(&mut used[first], &field.ty, rest, leaf);
                *slot = Some(ColumnUse::Fields(used));
            }
        }
    }

    /// Whether any part of the value is left unread.
    pub fn skips_anything(&self) -> bool {
        match self {
            ColumnUse::Whole => false,
            ColumnUse::Fields(fields) => fields
                .iter()
                .any(|f| f.as_ref().is_none_or(ColumnUse::skips_anything)),
        }
    }
}

/// What a query reads of each of a table's columns (in the table's column order): `None` for a
/// column nothing reads.
pub type Projection = Vec<Option<ColumnUse>>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ident::Ident;
    use crate::types::RowField;

    fn row(fields: Vec<DataType>) -> DataType {
        DataType::new(TypeKind::Row(
            fields
                .into_iter()
                .enumerate()
                .map(|(i, ty)| RowField {
                    name: Ident::new(format!("f{i}")),
                    ty,
                    description: None,
                })
                .collect(),
        ))
    }

    #[test]
    fn paths_widen_to_whole_and_merge_field_by_field() {
        let int = DataType::new(TypeKind::Int);
        let inner = row(vec![int.clone(), int.clone()]);
        let outer = row(vec![int.clone(), inner, int]);
        let mut slot = None;
        ColumnUse::mark_path(&mut slot, &outer, &[1, 0], &ColumnUse::Whole);
        assert_eq!(
            slot,
            Some(ColumnUse::Fields(vec![
                None,
                Some(ColumnUse::Fields(vec![Some(ColumnUse::Whole), None])),
                None
            ]))
        );
        assert!(slot.as_ref().is_some_and(ColumnUse::skips_anything));
        let mut other = None;
        ColumnUse::mark_path(&mut other, &outer, &[2], &ColumnUse::Whole);
        ColumnUse::mark_path(&mut other, &outer, &[0], &ColumnUse::Whole);
        ColumnUse::mark_path(&mut other, &outer, &[1, 1], &ColumnUse::Whole);
        ColumnUse::merge_into(&mut slot, other.as_ref().unwrap_or(&ColumnUse::Whole));
        assert_eq!(
            slot,
            Some(ColumnUse::Fields(vec![
                Some(ColumnUse::Whole),
                Some(ColumnUse::Fields(vec![
                    Some(ColumnUse::Whole),
                    Some(ColumnUse::Whole)
                ])),
                Some(ColumnUse::Whole)
            ]))
        );
        assert!(!slot.as_ref().is_some_and(ColumnUse::skips_anything));
        ColumnUse::mark_path(&mut slot, &outer, &[], &ColumnUse::Whole);
        assert_eq!(slot, Some(ColumnUse::Whole));
    }
}
