//! Enums: constants matched by number (Confluent's `EnumSchemaDiff`). Every change here is
//! compatible for Confluent; the differences are listed so a caller can show them.

use std::collections::{BTreeMap, BTreeSet};

use prost_reflect::EnumDescriptor;

use super::Context;
use super::DifferenceKind::*;

pub(super) fn compare(ctx: &mut Context, original: &EnumDescriptor, update: &EnumDescriptor) {
    let original = by_number(original);
    let update = by_number(update);
    let numbers: BTreeSet<i32> = original.keys().chain(update.keys()).copied().collect();
    for n in numbers {
        ctx.at(n, |ctx| match (original.get(&n), update.get(&n)) {
            (Some(_), None) => ctx.add(EnumConstRemoved),
            (None, Some(_)) => ctx.add(EnumConstAdded),
            (Some(o), Some(u)) if o != u => ctx.add(EnumConstChanged),
            _ => {}
        });
    }
}

/// The constants' names by number; of aliases (`allow_alias`), the last declared wins, as in
/// Confluent's map.
fn by_number(e: &EnumDescriptor) -> BTreeMap<i32, String> {
    e.values().map(|v| (v.number(), v.name().to_string())).collect()
}
