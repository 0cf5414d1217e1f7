//! Drives the SASL exchange of an unauthenticated connection (SaslHandshake, then
//! SaslAuthenticate rounds of PLAIN or SCRAM) with arbitrary frames, against a credential store
//! with the users alice (SCRAM-SHA-512, "wonderland") and bob (SCRAM-SHA-256, "builder").
//!
//! Input: one byte choosing the enabled mechanisms (bit 0 PLAIN, bit 1 SCRAM-SHA-256, bit 2
//! SCRAM-SHA-512; none set = all), then up to 8 frames, each behind a big-endian u16 length
//! (the last one cut short if the input ends). Any panic, abort or out-of-memory is a bug; so is
//! an authentication without a password: a SCRAM proof cannot be forged (the server nonce is
//! random), so only a PLAIN token carrying the user's password may authenticate.
#![no_main]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use spate_broker::SaslMechanism;
use spate_broker::credentials::CredentialStore;
use spate_broker::sasl_exchange::{SaslExchange, Step};

const MAX_FRAMES: usize = 8;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    credentials: Arc<CredentialStore>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        // The store lives in a file; one directory per fuzzing process, left for the OS to clean.
        let dir = std::env::temp_dir().join(format!("spate-fuzz-sasl-{}", std::process::id()));
        let store = CredentialStore::open(&PathBuf::from(&dir)).expect("open the credential store");
        store
            .set_password("alice", SaslMechanism::ScramSha512, "wonderland", 4096)
            .expect("add alice");
        store
            .set_password("bob", SaslMechanism::ScramSha256, "builder", 4096)
            .expect("add bob");
        Fixture {
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a tokio runtime"),
            credentials: Arc::new(store),
        }
    })
}

fn mechanisms(mask: u8) -> Vec<SaslMechanism> {
    let all = [SaslMechanism::Plain, SaslMechanism::ScramSha256, SaslMechanism::ScramSha512];
    let chosen: Vec<_> = all
        .into_iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, m)| m)
        .collect();
    if chosen.is_empty() { all.to_vec() } else { chosen }
}

fn frames(mut data: &[u8]) -> Vec<Bytes> {
    let mut out = Vec::new();
    while data.len() >= 2 && out.len() < MAX_FRAMES {
        let len = usize::from(u16::from_be_bytes([data[0], data[1]])).min(data.len() - 2);
        out.push(Bytes::copy_from_slice(&data[2..2 + len]));
        data = &data[2 + len..];
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mask, rest)) = data.split_first() else {
        return;
    };
    let fixture = fixture();
    let mut exchange = SaslExchange::new(fixture.credentials.clone(), &mechanisms(mask));
    for frame in frames(rest) {
        match fixture.runtime.block_on(exchange.handle(frame.clone())) {
            Step::Dispatch(_) | Step::Reply(_) => {}
            Step::Authenticated { user, .. } => {
                let password: &[u8] = match user.as_str() {
                    "alice" => b"wonderland",
                    "bob" => b"builder",
                    other => panic!("authenticated {other:?}, who has no credential"),
                };
                assert!(contains(&frame, password), "{user} authenticated without the password");
                return;
            }
            Step::Failed { .. } | Step::Close(_) => return,
        }
    }
});
