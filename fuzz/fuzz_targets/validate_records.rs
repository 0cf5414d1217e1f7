//! Feeds arbitrary bytes to the produce path's batch and record validation
//! (`spate_log::validate_request`), the parser of every record batch a client sends.
//! Any panic, abort or out-of-memory is a bug: bad batches must become an error (and a Kafka
//! error code), nothing else.
//!
//! Arbitrary bytes almost never carry a valid CRC, which would keep the fuzzer at the header
//! check; so each input is also validated once more with its first batch's length and CRC fixed
//! up, which lets the fuzzer reach the record walker and the decompressors.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Fields of the v2 batch header this target patches.
const LENGTH_AT: usize = 8;
const CRC_AT: usize = 17;
const CRC_START: usize = 21;
const HEADER_LEN: usize = 61;

fuzz_target!(|data: &[u8]| {
    let _ = spate_log::validate_request(data);
    if data.len() >= HEADER_LEN {
        let mut fixed = data.to_vec();
        let length = (fixed.len() - 12) as i32;
        fixed[LENGTH_AT..LENGTH_AT + 4].copy_from_slice(&length.to_be_bytes());
        fixed[16] = 2; // magic
        let crc = crc32c::crc32c(&fixed[CRC_START..]);
        fixed[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_be_bytes());
        let _ = spate_log::validate_request(&fixed);
    }
});
