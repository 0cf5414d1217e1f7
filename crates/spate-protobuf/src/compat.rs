//! Protobuf compatibility: not checked yet, so every check refuses (the safe answer: a
//! subject under a compatibility level takes no second PROTOBUF version until the rules land).

use crate::ProtoSchema;

/// Why `update` may not follow `original`: always one reason until the rules are written.
pub fn incompatibilities(_original: &ProtoSchema, _update: &ProtoSchema) -> Vec<String> {
    vec!["Spate's registry does not check PROTOBUF compatibility yet".to_string()]
}
