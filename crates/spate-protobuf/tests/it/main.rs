//! Integration tests of spate-protobuf, one module per concern, in one binary so they link once.

mod compat;
