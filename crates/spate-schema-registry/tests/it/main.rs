//! spate-schema-registry's integration tests: the compatibility levels over tables of Avro
//! and JSON Schema evolutions, and a subject's life (ids, versions, deletes, modes, replay).

mod evolution;
mod http;
mod json_schema;
mod lifecycle;

use spate_schema_registry::{Compatibility, NewSchema, Registry, RegistryError, SchemaType};

/// An Avro schema to register.
pub fn avro(text: &str) -> NewSchema {
    NewSchema {
        schema_type: SchemaType::Avro,
        schema: text.to_string(),
        references: Vec::new(),
    }
}

/// A record `R` with these fields.
pub fn record(fields: &str) -> NewSchema {
    avro(&format!(
        r#"{{"type":"record","name":"R","namespace":"t","fields":[{fields}]}}"#
    ))
}

/// Registers and applies, as a server does once the records are written.
pub fn register(r: &mut Registry, subject: &str, s: &NewSchema) -> Result<i32, RegistryError> {
    let (id, writes) = r.register(subject, s)?;
    r.apply_all(&writes);
    Ok(id)
}

/// Sets a subject's level.
pub fn level(r: &mut Registry, subject: &str, c: Compatibility) {
    let w = r.set_compatibility(Some(subject), Some(c));
    r.apply_all(&w);
}
