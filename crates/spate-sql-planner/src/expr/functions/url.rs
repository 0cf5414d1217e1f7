//! `PARSE_URL(url, part[, key])` as Flink computes it: `java.net.URL` parses the text (JDK 17's
//! `URL(String)` and `URLStreamHandler.parseURL`, copied here step by step, quirks included:
//! no escaping or host checks, `:-1` is a valid port, a path without `//` has no authority),
//! and a URL Java refuses — no protocol, one without a handler, a bad port or IPv6 literal —
//! gives `NULL`. Parts are named in upper case (`host` is `NULL`). The key of `QUERY` is found
//! with Flink's `(&|^)key=([^&]*)`.

use std::borrow::Cow;

/// What `java.net.URL` keeps of a parsed URL (the getters Flink calls).
#[derive(Debug, Default, PartialEq, Eq)]
struct Url<'s> {
    protocol: String,
    host: Cow<'s, str>,
    authority: Option<&'s str>,
    user_info: Option<&'s str>,
    path: Cow<'s, str>,
    query: Option<&'s str>,
    reference: Option<&'s str>,
}

/// `PARSE_URL(url, part)`, or with `key` the value of that query parameter; `None` is `NULL`.
pub(crate) fn parse_url<'s>(url: &'s str, part: &str, key: Option<&str>) -> Option<Cow<'s, str>> {
    if key.is_some() && part != "QUERY" {
        return None;
    }
    let u = parse(url)?;
    Some(match part {
        "HOST" => u.host,
        "PATH" => u.path,
        "QUERY" => {
            let query = u.query?;
            return match key {
                Some(k) => query_value(query, k).map(Cow::Borrowed),
                None => Some(Cow::Borrowed(query)),
            };
        }
        "REF" => Cow::Borrowed(u.reference?),
        "PROTOCOL" => Cow::Owned(u.protocol),
        "FILE" => match u.query {
            Some(q) => Cow::Owned(format!("{}?{q}", u.path)),
            None => u.path,
        },
        "AUTHORITY" => Cow::Borrowed(u.authority?),
        "USERINFO" => Cow::Borrowed(u.user_info?),
        _ => return None,
    })
}

/// The first `key=value` of `query` that starts it or follows a `&`.
fn query_value<'q>(query: &'q str, key: &str) -> Option<&'q str> {
    let mut from = 0;
    loop {
        let rest = &query[from..];
        if let Some(value) = rest.strip_prefix(key).and_then(|r| r.strip_prefix('=')) {
            return Some(value.split('&').next().unwrap_or(value));
        }
        from += rest.find('&')? + 1;
    }
}

/// Protocols a JDK 17 has a handler for that parse like `http` (`jar` and `jrt` have parsers of
/// their own, which are not copied: they give `NULL` here).
const GENERIC: &[&str] = &["http", "https", "ftp", "file"];

/// `new URL(spec)`; `None` where Java throws.
fn parse(spec: &str) -> Option<Url<'_>> {
    let bytes = spec.as_bytes();
    // Java trims characters up to U+0020 at both ends.
    let mut limit = spec.len();
    while limit > 0 && bytes[limit - 1] <= b' ' {
        limit -= 1;
    }
    let mut start = 0;
    while start < limit && bytes[start] <= b' ' {
        start += 1;
    }
    if spec
        .get(start..start + 4)
        .is_some_and(|p| p.eq_ignore_ascii_case("url:"))
    {
        start += 4;
    }
    // The protocol: the text before the first ':' that comes before any '/'.
    let mut protocol = None;
    if bytes.get(start) != Some(&b'#') {
        let colon = spec[start..limit].find([':', '/']).map(|i| i + start);
        if let Some(i) = colon.filter(|&i| bytes[i] == b':') {
            let p = spec[start..i].to_ascii_lowercase();
            if is_valid_protocol(&p) {
                protocol = Some(p);
                start = i + 1;
            }
        }
    }
    let protocol = protocol?;
    let mut reference = None;
    if let Some(i) = spec[start..].find('#').map(|i| i + start) {
        reference = Some(spec.get(i + 1..limit).unwrap_or(""));
        limit = i;
    }
    if protocol == "mailto" {
        // The mailto handler: everything is the path, which must not be blank.
        let file = spec.get(start..limit).unwrap_or("");
        if file.bytes().all(|b| b == b' ') {
            return None;
        }
        return Some(Url {
            protocol,
            path: Cow::Borrowed(file),
            reference,
            ..Url::default()
        });
    }
    if !GENERIC.contains(&protocol.as_str()) {
        return None;
    }
    let mut u = parse_generic(spec, start, limit)?;
    u.protocol = protocol;
    u.reference = reference;
    Some(u)
}

fn is_valid_protocol(p: &str) -> bool {
    let mut chars = p.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
}

/// `URLStreamHandler.parseURL` for a URL without a context.
fn parse_generic(spec: &str, mut start: usize, mut limit: usize) -> Option<Url<'_>> {
    let mut u = Url::default();
    let mut spec_end = spec.len();
    let mut query_only = false;
    let mut path: Option<Cow<'_, str>> = None;
    if start < limit {
        // Java looks for '?' from the very start of the text, not from `start`.
        if let Some(q) = spec.find('?') {
            query_only = q == start;
            if q < limit {
                u.query = Some(&spec[q + 1..limit]);
                limit = q;
                spec_end = q;
            }
        }
    }
    let spec = &spec[..spec_end];
    let b = spec.as_bytes();
    let unc = start + 4 <= limit && b[start..start + 4] == *b"////";
    if !unc && start + 2 <= limit && b[start] == b'/' && b[start + 1] == b'/' {
        start += 2;
        let mut end = spec[start..].find('/').map(|i| i + start);
        if end.is_none_or(|i| i > limit) {
            end = spec[start..].find('?').map(|i| i + start);
            if end.is_none_or(|i| i > limit) {
                end = Some(limit);
            }
        }
        let end = end.unwrap_or(limit);
        let authority = &spec[start..end];
        u.authority = Some(authority);
        let host = match authority.find('@') {
            // Two '@': no user and no host.
            Some(at) if at != authority.rfind('@').unwrap_or(at) => None,
            Some(at) => {
                u.user_info = Some(&authority[..at]);
                Some(&authority[at + 1..])
            }
            None => Some(authority),
        };
        u.host = Cow::Borrowed(match host {
            Some(h) => host_without_port(h)?,
            None => "",
        });
        start = end;
        if !authority.is_empty() {
            path = Some(Cow::Borrowed(""));
        }
    }
    if start < limit {
        let rest = &spec[start..limit];
        path = Some(if rest.starts_with('/') {
            Cow::Borrowed(rest)
        } else if let Some(p) = path.filter(|p| !p.is_empty()) {
            // Only reached with an inherited path, which a URL without a context has not.
            Cow::Owned(format!("{p}/{rest}"))
        } else if u.authority.is_some() {
            Cow::Owned(format!("/{rest}"))
        } else {
            Cow::Borrowed(rest)
        });
    } else if query_only && let Some(p) = &path {
        let cut = p.rfind('/').unwrap_or(0);
        path = Some(Cow::Owned(format!("{}/", &p[..cut])));
    }
    u.path = path.unwrap_or(Cow::Borrowed(""));
    Some(u)
}

/// The host of `host[:port]` or `[v6]:port`; `None` for what Java refuses: an IPv6 literal
/// that is not one or is followed by anything but a port, a port that is not an `int`, or
/// below -1.
fn host_without_port(h: &str) -> Option<&str> {
    let (host, port) = if h.starts_with('[') {
        let close = h.find(']').filter(|&i| i > 2)?;
        if !is_ipv6_literal(&h[1..close]) {
            return None;
        }
        match h[close + 1..].strip_prefix(':') {
            Some(port) => (&h[..=close], port),
            None if close + 1 == h.len() => (h, ""),
            None => return None,
        }
    } else {
        match h.find(':') {
            Some(i) => (&h[..i], &h[i + 1..]),
            None => (h, ""),
        }
    };
    // Integer.parseInt: an optional sign and decimal digits, within an int.
    if !port.is_empty() {
        let digits = port.strip_prefix(['+', '-']).unwrap_or(port);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: i32 = port.parse().ok()?;
        if n < -1 {
            return None;
        }
    }
    Some(host)
}

/// Java's `IPAddressUtil.isIPv6LiteralAddress`, near enough: an IPv6 address, optionally with a
/// `%scope` suffix.
fn is_ipv6_literal(s: &str) -> bool {
    let addr = s.split_once('%').map_or(s, |(a, _)| a);
    addr.parse::<std::net::Ipv6Addr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(url: &str, part: &str) -> Option<String> {
        parse_url(url, part, None).map(Cow::into_owned)
    }

    #[test]
    fn parts_like_flink() {
        // Flink run 4.
        let url = "http://user:pw@www.example.com:8080/path/to/page.html?k1=v1&k2=v2#frag";
        let parts = [
            "HOST",
            "PATH",
            "QUERY",
            "REF",
            "PROTOCOL",
            "FILE",
            "AUTHORITY",
            "USERINFO",
        ];
        let got: Vec<Option<String>> = parts.iter().map(|part| p(url, part)).collect();
        let want = [
            "www.example.com",
            "/path/to/page.html",
            "k1=v1&k2=v2",
            "frag",
            "http",
            "/path/to/page.html?k1=v1&k2=v2",
            "user:pw@www.example.com:8080",
            "user:pw",
        ];
        assert_eq!(got, want.map(|w| Some(w.to_string())));
        assert_eq!(parse_url(url, "QUERY", Some("k2")).as_deref(), Some("v2"));
        assert_eq!(parse_url(url, "QUERY", Some("k3")), None);
        assert_eq!(parse_url(url, "HOST", Some("k1")), None);
        assert_eq!(p(url, "host"), None);
        assert_eq!(p(url, "BOGUS"), None);
    }

    #[test]
    fn odd_urls_like_java() {
        // Flink run 4: (url, part, what Flink gave).
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("http://example.com", "PATH", Some("")),
            ("http://example.com", "QUERY", None),
            ("http://example.com", "REF", None),
            ("http://example.com", "USERINFO", None),
            ("http://example.com", "FILE", Some("")),
            ("http://example.com", "AUTHORITY", Some("example.com")),
            ("not a url", "HOST", None),
            ("foo://x/y", "HOST", None),
            ("HTTP://Example.COM/A", "PROTOCOL", Some("http")),
            ("HTTP://Example.COM/A", "HOST", Some("Example.COM")),
            ("http://[::1]:80/p", "HOST", Some("[::1]")),
            ("file:///tmp/x", "HOST", Some("")),
            ("file:///tmp/x", "PATH", Some("/tmp/x")),
            ("http://a.com/p?q=1#r?s", "QUERY", Some("q=1")),
            ("http://a.com/p?q=1#r?s", "REF", Some("r?s")),
            ("http://a.com?x=1", "PATH", Some("")),
            ("http://a.com?x=1", "QUERY", Some("x=1")),
            ("http://a.com/p q", "PATH", Some("/p q")),
            ("http://a.com:abc/", "HOST", None),
            ("//a.com/p", "HOST", None),
            ("http:/a.com/p", "HOST", Some("")),
            ("http:/a.com/p", "PATH", Some("/a.com/p")),
            ("mailto:a@b.c", "PATH", Some("a@b.c")),
            ("https://a.com/#", "REF", Some("")),
            ("https://a.com/?", "QUERY", Some("")),
            ("https://a.com:8080", "AUTHORITY", Some("a.com:8080")),
            ("ftp://a.com/f;type=a", "PATH", Some("/f;type=a")),
            ("  http://a.com/p", "HOST", Some("a.com")),
            ("http://a.com/p  ", "PATH", Some("/p")),
            ("", "HOST", None),
            ("http://a b.com/p", "HOST", Some("a b.com")),
            ("http://a.com:99999/p", "HOST", Some("a.com")),
            ("http://a.com:-1/p", "HOST", Some("a.com")),
            ("http://a.com:/p", "AUTHORITY", Some("a.com:")),
            ("http://@a.com/p", "USERINFO", Some("")),
            ("https:a.com/p", "PATH", Some("a.com/p")),
            ("https:a.com/p", "HOST", Some("")),
            ("Http://a.com/p", "PROTOCOL", Some("http")),
            ("http://a.com/p#x#y", "REF", Some("x#y")),
            ("http://a.com/p?x=1?y=2", "QUERY", Some("x=1?y=2")),
            ("http://a.com\\p", "HOST", Some("a.com\\p")),
            ("http://A.com.", "HOST", Some("A.com.")),
            ("http://a.com/%20", "PATH", Some("/%20")),
            ("http://a.com/../x/./y", "PATH", Some("/../x/./y")),
            ("http://a.com#f?q", "QUERY", None),
            ("http://a.com#f?q", "PATH", Some("")),
            ("1http://a.com/p", "HOST", None),
            ("ht-tp://a.com/p", "HOST", None),
            ("http://[::1/p", "HOST", None),
        ];
        let mut wrong = Vec::new();
        for (url, part, want) in cases {
            let got = p(url, part);
            if got.as_deref() != *want {
                wrong.push(format!("{url} {part}: got {got:?}, Flink gives {want:?}"));
            }
        }
        assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    }

    #[test]
    fn query_keys_are_whole_parameters() {
        assert_eq!(query_value("a.b=1&ab=2", "a.b"), Some("1"));
        assert_eq!(query_value("x=1&xx=2", "xx"), Some("2"));
        assert_eq!(query_value("x=&y=2", "x"), Some(""));
        assert_eq!(query_value("k=%20", "k"), Some("%20"));
        assert_eq!(query_value("xk=1", "k"), None);
        assert_eq!(query_value("x=1", ""), None);
    }
}
