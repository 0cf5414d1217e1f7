//! The SASL mechanisms Spate speaks (broker and client), by their IANA names.

use std::fmt;
use std::str::FromStr;

/// A SASL mechanism (`sasl.enabled.mechanisms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SaslMechanism {
    /// RFC 4616: user name and password in the clear, checked against the stored SCRAM
    /// credential of any mechanism.
    Plain,
    /// RFC 7677.
    ScramSha256,
    /// SCRAM (RFC 5802) with SHA-512, as Kafka offers it.
    ScramSha512,
}

impl SaslMechanism {
    /// Every mechanism this broker implements.
    pub const ALL: [SaslMechanism; 3] = [
        SaslMechanism::Plain,
        SaslMechanism::ScramSha256,
        SaslMechanism::ScramSha512,
    ];

    /// The IANA name clients send in SaslHandshake.
    pub fn name(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }

    /// Kafka's code of a SCRAM mechanism in the user-credential APIs (KIP-554); PLAIN has no
    /// credential of its own, so no code.
    pub fn scram_code(self) -> Option<i8> {
        match self {
            SaslMechanism::Plain => None,
            SaslMechanism::ScramSha256 => Some(1),
            SaslMechanism::ScramSha512 => Some(2),
        }
    }

    /// The SCRAM mechanism of a KIP-554 code.
    pub fn from_scram_code(code: i8) -> Option<SaslMechanism> {
        [SaslMechanism::ScramSha256, SaslMechanism::ScramSha512]
            .into_iter()
            .find(|m| m.scram_code() == Some(code))
    }
}

impl fmt::Display for SaslMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SaslMechanism {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        SaslMechanism::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                format!("unsupported SASL mechanism {s:?} (supported: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)")
            })
    }
}
