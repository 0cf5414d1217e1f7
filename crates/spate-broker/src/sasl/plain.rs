//! SASL/PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd` in one message.

/// User name and password of a PLAIN message, or why it is malformed.
pub(crate) fn parse(message: &[u8]) -> Result<(String, String), String> {
    let text = std::str::from_utf8(message).map_err(|_| "PLAIN message is not UTF-8".to_string())?;
    let mut parts = text.split('\0');
    let (Some(authzid), Some(user), Some(password), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("PLAIN message is not authzid NUL user NUL password".to_string());
    };
    if user.is_empty() || password.is_empty() {
        return Err("PLAIN message has an empty user name or password".to_string());
    }
    if !authzid.is_empty() && authzid != user {
        return Err("authorization id differs from the user name".to_string());
    }
    Ok((user.to_string(), password.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_messages() {
        assert_eq!(parse(b"\0alice\0pw").unwrap(), ("alice".into(), "pw".into()));
        assert_eq!(
            parse(b"alice\0alice\0p\xc3\xa9").unwrap(),
            ("alice".into(), "pé".into())
        );
        for bad in [
            &b""[..],
            b"alice",
            b"\0alice",
            b"\0\0pw",
            b"\0a\0",
            b"x\0alice\0pw",
            b"\0a\0b\0c",
            b"\0a\0\xff",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Whatever a client sends, the PLAIN message parses or fails; it never panics.
        #[test]
        fn arbitrary_messages_never_panic(message in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = parse(&message);
        }
    }
}
