//! Messages: which messages and enums of a scope match, and a message's fields and oneofs
//! (Confluent's `SchemaDiff.compareTypeElements` and `MessageSchemaDiff`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use prost_reflect::{EnumDescriptor, FieldDescriptor, FileDescriptor, MessageDescriptor};

use super::DifferenceKind::*;
use super::field::{self, Label};
use super::{Context, enums};

/// The messages and enums declared in one scope (a file or a message).
pub(super) struct Types {
    /// Map entries left out: in `.proto` text a map is a field, not a message, and Confluent
    /// compares the text's elements.
    messages: Vec<MessageDescriptor>,
    enums: Vec<EnumDescriptor>,
}

impl Types {
    pub(super) fn of_file(file: &FileDescriptor) -> Types {
        Types {
            messages: file.messages().filter(|m| !m.is_map_entry()).collect(),
            enums: file.enums().collect(),
        }
    }

    fn of_message(message: &MessageDescriptor) -> Types {
        Types {
            messages: message.child_messages().filter(|m| !m.is_map_entry()).collect(),
            enums: message.child_enums().collect(),
        }
    }
}

/// Matches the two scopes' messages, then enums, by simple name.
pub(super) fn compare_types(ctx: &mut Context, original: Types, update: Types) {
    let indexed = |ms: Vec<MessageDescriptor>| -> BTreeMap<String, (usize, MessageDescriptor)> {
        ms.into_iter()
            .enumerate()
            .map(|(i, m)| (m.name().to_string(), (i, m)))
            .collect()
    };
    let original_messages = indexed(original.messages);
    let update_messages = indexed(update.messages);
    let names: BTreeSet<&String> = original_messages.keys().chain(update_messages.keys()).collect();
    for name in names {
        ctx.at(name, |ctx| {
            match (original_messages.get(name), update_messages.get(name)) {
                (Some(_), None) => ctx.add(MessageRemoved),
                (None, Some(_)) => ctx.add(MessageAdded),
                (Some((oi, o)), Some((ui, u))) => {
                    compare_message(ctx, o, u);
                    if oi != ui {
                        ctx.add(MessageMoved);
                    }
                }
                (None, None) => {}
            }
        });
    }

    let by_name = |es: Vec<EnumDescriptor>| -> BTreeMap<String, EnumDescriptor> {
        es.into_iter().map(|e| (e.name().to_string(), e)).collect()
    };
    let original_enums = by_name(original.enums);
    let update_enums = by_name(update.enums);
    let names: BTreeSet<&String> = original_enums.keys().chain(update_enums.keys()).collect();
    for name in names {
        ctx.at(name, |ctx| {
            match (original_enums.get(name), update_enums.get(name)) {
                (Some(_), None) => ctx.add(EnumRemoved),
                (None, Some(_)) => ctx.add(EnumAdded),
                (Some(o), Some(u)) => enums::compare(ctx, o, u),
                (None, None) => {}
            }
        });
    }
}

/// Compares two messages of one name: their fields, unless the original is already being
/// compared further up (a recursive type), then their nested messages and enums.
pub(super) fn compare_message(ctx: &mut Context, original: &MessageDescriptor, update: &MessageDescriptor) {
    let name = original.full_name().to_string();
    let entered = !ctx.in_progress.contains(&name);
    if entered {
        ctx.in_progress.push(name);
        compare_members(ctx, &Members::of(original), &Members::of(update), update);
    }
    compare_types(ctx, Types::of_message(original), Types::of_message(update));
    if entered {
        ctx.in_progress.pop();
    }
}

/// A message's fields by number, plain fields and oneof members alike, and its oneofs.
struct Members {
    by_number: BTreeMap<u32, FieldDescriptor>,
    /// The oneof each member belongs to, by number.
    oneof_of: HashMap<u32, String>,
    /// Each oneof's member numbers, by the oneof's name.
    oneofs: BTreeMap<String, Vec<u32>>,
}

impl Members {
    fn of(message: &MessageDescriptor) -> Members {
        let mut members = Members {
            by_number: BTreeMap::new(),
            oneof_of: HashMap::new(),
            oneofs: BTreeMap::new(),
        };
        for oneof in message.oneofs().filter(|o| !o.is_synthetic()) {
            members.oneofs.insert(oneof.name().to_string(), Vec::new());
        }
        for f in message.fields() {
            if let Some(oneof) = field::real_oneof(&f) {
                members.oneof_of.insert(f.number(), oneof.name().to_string());
                members
                    .oneofs
                    .entry(oneof.name().to_string())
                    .or_default()
                    .push(f.number());
            }
            members.by_number.insert(f.number(), f);
        }
        members
    }
}

/// Fields are matched by number across the whole message, whatever oneof they sit in, so
/// that moving a field between oneofs cannot hide a change of its type or its removal.
fn compare_members(
    ctx: &mut Context,
    original: &Members,
    update: &Members,
    update_message: &MessageDescriptor,
) {
    // A oneof dropped with all its members is a deletion, accepted like a removed field.
    let deleted: HashSet<&String> = original
        .oneofs
        .iter()
        .filter(|(name, members)| {
            !update.oneofs.contains_key(*name) && !members.iter().any(|n| update.by_number.contains_key(n))
        })
        .map(|(name, _)| name)
        .collect();

    new_exclusivity(ctx, original, update, update_message);

    let names: BTreeSet<&String> = original.oneofs.keys().chain(update.oneofs.keys()).collect();
    for name in names {
        ctx.at(name, |ctx| {
            if !update.oneofs.contains_key(name) {
                ctx.add(OneofRemoved);
            } else if !original.oneofs.contains_key(name) {
                ctx.add(OneofAdded);
            }
        });
    }

    let numbers: BTreeSet<u32> = original
        .by_number
        .keys()
        .chain(update.by_number.keys())
        .copied()
        .collect();
    for n in numbers {
        let original_oneof = original.oneof_of.get(&n);
        let update_oneof = update.oneof_of.get(&n);
        match (original.by_number.get(&n), update.by_number.get(&n)) {
            (Some(o), None) => match original_oneof {
                Some(oneof) if !deleted.contains(oneof) => {
                    ctx.at(oneof, |ctx| ctx.at(n, |ctx| ctx.add(OneofFieldRemoved)));
                }
                Some(_) => {}
                None => ctx.at(n, |ctx| {
                    ctx.add(if field::label(o) == Some(Label::Required) {
                        RequiredFieldRemoved
                    } else {
                        FieldRemoved
                    })
                }),
            },
            (None, Some(u)) => match update_oneof {
                Some(oneof) => ctx.at(oneof, |ctx| ctx.at(n, |ctx| ctx.add(OneofFieldAdded))),
                None => ctx.at(n, |ctx| {
                    ctx.add(if field::label(u) == Some(Label::Required) {
                        RequiredFieldAdded
                    } else {
                        FieldAdded
                    })
                }),
            },
            (Some(o), Some(u)) => {
                if original_oneof.is_some() && update_oneof.is_none() {
                    ctx.at(n, |ctx| ctx.add(OneofFieldMovedToTopLevel));
                }
                // Reported where the field now is.
                match update_oneof {
                    Some(oneof) => ctx.at(oneof, |ctx| ctx.at(n, |ctx| field::compare(ctx, o, u))),
                    None => ctx.at(n, |ctx| field::compare(ctx, o, u)),
                }
            }
            (None, None) => {}
        }
    }
}

/// A oneof of the update whose members were independent in the original (plain fields, or
/// members of different oneofs) makes old data that set several of them unreadable as one.
/// Members new in the update do not count: old data never set them.
fn new_exclusivity(
    ctx: &mut Context,
    original: &Members,
    update: &Members,
    update_message: &MessageDescriptor,
) {
    // Declaration order, as Confluent walks the update's oneofs.
    for oneof in update_message.oneofs().filter(|o| !o.is_synthetic()) {
        let Some(members) = update.oneofs.get(oneof.name()) else {
            continue;
        };
        let mut groups = HashSet::new();
        let mut plain_moved_in = 0;
        for n in members {
            if let Some(from) = original.oneof_of.get(n) {
                groups.insert(format!("oneof:{from}"));
            } else if original.by_number.contains_key(n) {
                groups.insert(format!("field:{n}"));
                plain_moved_in += 1;
            }
        }
        if groups.len() > 1 {
            ctx.at(oneof.name(), |ctx| {
                ctx.add(if plain_moved_in > 1 {
                    MultipleFieldsMovedToOneof
                } else {
                    FieldMovedToExistingOneof
                })
            });
        }
    }
}
