//! The subject of a client certificate as Kafka names the principal: with the default
//! `ssl.principal.mapping.rules=DEFAULT`, `DefaultKafkaPrincipalBuilder` takes
//! `X500Principal.getName()`, the RFC 2253 string of the subject — relative names last to
//! first (`CN=alice,OU=eng,O=Example`), no blanks after commas, Java's keywords for CN, C, L,
//! ST, O, OU, STREET, DC and UID, every other attribute as its dotted OID with the value's DER
//! bytes in hex (`1.2.840.113549.1.9.1=#16...` for an e-mail address), and `,=+<>#;"\` as well
//! as leading and trailing blanks escaped with a backslash.
//!
//! Only the certificate's subject is read (a minimal DER walk); the signature and everything
//! else were checked by the TLS handshake before this runs.

/// `User:`-less principal name of a DER certificate's subject, `None` when the DER is not a
/// certificate this can read.
pub(crate) fn subject_name(cert_der: &[u8]) -> Option<String> {
    let (cert, _) = expect(cert_der, SEQUENCE)?;
    let (tbs, _) = expect(cert, SEQUENCE)?;
    let mut rest = tbs;
    // version [0] EXPLICIT, optional
    if rest.first() == Some(&0xA0) {
        rest = tlv(rest)?.2;
    }
    // serialNumber, signature, issuer, validity
    for tag in [INTEGER, SEQUENCE, SEQUENCE, SEQUENCE] {
        rest = expect(rest, tag)?.1;
    }
    let (subject, _) = expect(rest, SEQUENCE)?;
    rfc2253(subject)
}

const INTEGER: u8 = 0x02;
const OID: u8 = 0x06;
const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;

/// One TLV: `(tag, contents, rest, whole encoding)`.
type Tlv<'a> = (u8, &'a [u8], &'a [u8], &'a [u8]);

fn tlv(input: &[u8]) -> Option<Tlv<'_>> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for b in input.get(2..2 + n)? {
            len = (len << 8) | usize::from(*b);
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    let contents = input.get(header..end)?;
    Some((tag, contents, &input[end..], &input[..end]))
}

/// The contents of a TLV with `tag`, and what follows it.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (t, contents, rest, _) = tlv(input)?;
    (t == tag).then_some((contents, rest))
}

/// An RDNSequence's contents as RFC 2253 (last RDN first).
fn rfc2253(mut name: &[u8]) -> Option<String> {
    let mut rdns = Vec::new();
    while !name.is_empty() {
        let (mut set, rest) = expect(name, SET)?;
        name = rest;
        let mut avas = Vec::new();
        while !set.is_empty() {
            let (ava, rest) = expect(set, SEQUENCE)?;
            set = rest;
            let (oid, value) = expect(ava, OID)?;
            avas.push(attribute(&dotted(oid)?, value)?);
        }
        rdns.push(avas.join("+"));
    }
    rdns.reverse();
    Some(rdns.join(","))
}

/// `KEYWORD=value` of one attribute; `value_tlv` is its whole DER value.
fn attribute(oid: &str, value_tlv: &[u8]) -> Option<String> {
    let (tag, contents, _, whole) = tlv(value_tlv)?;
    let keyword = match oid {
        "2.5.4.3" => Some("CN"),
        "2.5.4.6" => Some("C"),
        "2.5.4.7" => Some("L"),
        "2.5.4.8" => Some("ST"),
        "2.5.4.10" => Some("O"),
        "2.5.4.11" => Some("OU"),
        "2.5.4.9" => Some("STREET"),
        "0.9.2342.19200300.100.1.25" => Some("DC"),
        "0.9.2342.19200300.100.1.1" => Some("UID"),
        _ => None,
    };
    match (keyword, text(tag, contents)) {
        (Some(k), Some(s)) => Some(format!("{k}={}", escape(&s))),
        // Unknown attributes and non-string values: OID and hex of the DER value, as Java.
        (k, _) => {
            let hex: String = whole.iter().map(|b| format!("{b:02x}")).collect();
            Some(format!("{}=#{hex}", k.unwrap_or(oid)))
        }
    }
}

/// The text of a DirectoryString-like value.
fn text(tag: u8, contents: &[u8]) -> Option<String> {
    match tag {
        // UTF8String, PrintableString, IA5String, VisibleString
        0x0C | 0x13 | 0x16 | 0x1A => String::from_utf8(contents.to_vec()).ok(),
        // T61String: Latin-1 in practice
        0x14 => Some(contents.iter().map(|&b| char::from(b)).collect()),
        // BMPString: UTF-16BE
        0x1E => {
            if !contents.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = contents
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        // UniversalString: UTF-32BE
        0x1C => {
            if !contents.len().is_multiple_of(4) {
                return None;
            }
            contents
                .chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect()
        }
        _ => None,
    }
}

fn escape(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let lead = chars.iter().take_while(|c| **c == ' ').count();
    let trail = chars.iter().rev().take_while(|c| **c == ' ').count();
    let mut out = String::with_capacity(value.len());
    for (i, c) in chars.iter().enumerate() {
        let blank_edge = *c == ' ' && (i < lead || i >= chars.len().saturating_sub(trail));
        if ",=+<>#;\"\\".contains(*c) || blank_edge {
            out.push('\\');
        }
        if *c == '\0' {
            out.push_str("00");
        } else {
            out.push(*c);
        }
    }
    out
}

/// An OBJECT IDENTIFIER's contents in dotted form.
fn dotted(oid: &[u8]) -> Option<String> {
    let mut arcs: Vec<u64> = Vec::new();
    let mut n: u64 = 0;
    for (i, b) in oid.iter().enumerate() {
        n = n.checked_mul(128)? | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (n / 40).min(2);
                arcs.push(first);
                arcs.push(n - first * 40);
            } else {
                arcs.push(n);
            }
            n = 0;
        } else if i == oid.len() - 1 {
            return None;
        }
    }
    if arcs.is_empty() {
        return None;
    }
    Some(arcs.iter().map(u64::to_string).collect::<Vec<_>>().join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert_with(dn: rcgen::DistinguishedName) -> Vec<u8> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = dn;
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn subject_reads_last_rdn_first_with_java_keywords() {
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CountryName, "DE");
        dn.push(rcgen::DnType::OrganizationName, "Spate, Inc.");
        dn.push(rcgen::DnType::OrganizationalUnitName, "eng");
        dn.push(rcgen::DnType::CommonName, " alice+bob ");
        assert_eq!(
            subject_name(&cert_with(dn)).unwrap(),
            r"CN=\ alice\+bob\ ,OU=eng,O=Spate\, Inc.,C=DE"
        );
    }

    #[test]
    fn unknown_attributes_are_oid_and_hex() {
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(
            rcgen::DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]),
            rcgen::DnValue::Ia5String("a@b".try_into().unwrap()),
        );
        dn.push(rcgen::DnType::CommonName, "alice");
        assert_eq!(
            subject_name(&cert_with(dn)).unwrap(),
            "CN=alice,1.2.840.113549.1.9.1=#1603614062"
        );
    }

    #[test]
    fn garbage_is_none() {
        assert_eq!(subject_name(b""), None);
        assert_eq!(subject_name(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(dotted(&[0x2a, 0x86]), None);
        assert_eq!(dotted(&[0x55, 0x04, 0x03]).unwrap(), "2.5.4.3");
    }
}
