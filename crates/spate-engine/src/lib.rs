//! spate-engine
