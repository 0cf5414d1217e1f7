//! spate-broker
