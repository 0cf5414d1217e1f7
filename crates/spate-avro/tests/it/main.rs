//! spate-avro's integration tests: random schemas and data checked against fastavro, the
//! reference Avro implementation the registry's Python clients use.

mod container;
mod fastavro;
mod random;
