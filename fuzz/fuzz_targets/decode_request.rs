//! Feeds arbitrary bytes to the broker's request decoder, the one place untrusted network bytes
//! are parsed. Any panic, abort or out-of-memory is a bug: bad frames must become a
//! `DecodeError` (and a closed connection), nothing else.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spate_broker::codec::decode_request(bytes::Bytes::copy_from_slice(data));
});
