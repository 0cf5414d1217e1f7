//! `jdbc:postgresql://host[:port][,host2[:port2]]/database[?key=value&...]` as the PostgreSQL
//! JDBC driver reads it, into the Rust client's connection settings.
//!
//! Only the driver's properties that change what Spate does are taken; any other is refused by
//! name rather than ignored, so a setting the user relies on (TLS above all: Spate connects
//! without it) never silently does nothing.

use std::time::Duration;

use postgres::Config;
use postgres::config::SslMode;

/// The prefix of the URLs the PostgreSQL dialect handles (Flink's `PostgresDialect.canHandle`).
const PREFIX: &str = "jdbc:postgresql:";

/// Driver properties (`?key=value`) Spate honours.
const KNOWN: &[&str] = &[
    "user",
    "password",
    "ApplicationName",
    "applicationName",
    "connectTimeout",
    "currentSchema",
    "sslmode",
    "options",
    "loginTimeout",
    "tcpKeepAlive",
    "reWriteBatchedInserts",
    "prepareThreshold",
];

/// Connection settings from `url`, with `username`/`password` from the table's options (they
/// override the URL's `user`/`password`, as the driver's `DriverManager` properties do), and
/// `connect_timeout` (`connection.max-retry-timeout`) unless the URL sets `connectTimeout`.
pub(crate) fn config(
    url: &str,
    username: Option<&str>,
    password: Option<&str>,
    connect_timeout: Duration,
) -> Result<Config, String> {
    let Some(rest) = url.strip_prefix(PREFIX) else {
        return Err(format!(
            "the URL '{url}' is not a PostgreSQL URL (jdbc:postgresql://host:port/database); \
             Spate's jdbc connector speaks to PostgreSQL only"
        ));
    };
    let rest = rest
        .strip_prefix("//")
        .ok_or_else(|| format!("the URL '{url}' names no host (jdbc:postgresql://host:port/database)"))?;
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (hosts, database) = rest.split_once('/').unwrap_or((rest, ""));
    let mut config = Config::new();
    config.connect_timeout(connect_timeout);
    // The driver's default application name, so the sessions show in `pg_stat_activity`.
    config.application_name("Spate");
    if !database.is_empty() {
        config.dbname(&decode(database)?);
    }
    for host in hosts.split(',').filter(|h| !h.is_empty()) {
        let (name, port) = split_port(host).map_err(|e| format!("the URL '{url}': {e}"))?;
        config.host(name);
        config.port(port);
    }
    if hosts.is_empty() {
        config.host("localhost");
        config.port(5432);
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = decode(value)?;
        match key {
            "user" => {
                config.user(&value);
            }
            "password" => {
                config.password(&value);
            }
            "ApplicationName" | "applicationName" => {
                config.application_name(&value);
            }
            // Spate batches rows into multi-row statements and prepares its statements
            // itself, which is what these tune in the driver.
            "reWriteBatchedInserts" | "prepareThreshold" => {}
            "tcpKeepAlive" => {
                config.keepalives(value.eq_ignore_ascii_case("true"));
            }
            "connectTimeout" | "loginTimeout" => {
                let secs: u64 = value
                    .parse()
                    .map_err(|_| format!("the URL's {key} '{value}' is not a number of seconds"))?;
                if secs > 0 {
                    config.connect_timeout(Duration::from_secs(secs));
                }
            }
            "currentSchema" => {
                config.options(&format!("-c search_path={value}"));
            }
            "options" => {
                config.options(&value);
            }
            "sslmode" => match value.as_str() {
                "disable" | "allow" | "prefer" => {
                    config.ssl_mode(SslMode::Disable);
                }
                other => {
                    return Err(format!(
                        "sslmode={other}: Spate's jdbc connector does not speak TLS to PostgreSQL yet \
                         (use sslmode=disable, allow or prefer)"
                    ));
                }
            },
            other => {
                return Err(format!(
                    "the URL's property '{other}' is not supported by Spate's jdbc connector (supported: {})",
                    KNOWN.join(", ")
                ));
            }
        }
    }
    if let Some(user) = username {
        config.user(user);
    }
    if let Some(password) = password {
        config.password(password);
    }
    if config.get_user().is_none() {
        // What the driver does without one: the operating system's user name.
        config.user(&std::env::var("USER").unwrap_or_else(|_| "postgres".to_string()));
    }
    Ok(config)
}

/// `host`, `host:port` or `[v6]:port` (port 5432 when absent).
fn split_port(host: &str) -> Result<(&str, u16), String> {
    let (name, port) = if let Some(v6) = host.strip_prefix('[') {
        let (name, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("'{host}' has no closing ']'"))?;
        (name, after.strip_prefix(':'))
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    let port = match port {
        None | Some("") => 5432,
        Some(p) => p.parse().map_err(|_| format!("'{p}' is not a port"))?,
    };
    Ok((name, port))
}

/// Percent-decoding of a URL part (the driver decodes with `URLDecoder`).
fn decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("'{text}' has a bad %-escape"))?;
                out.push(hex);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("'{text}' is not UTF-8 once decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use postgres::config::Host;

    fn cfg(url: &str) -> Result<Config, String> {
        config(url, None, None, Duration::from_secs(60))
    }

    #[test]
    fn hosts_ports_database_and_properties() {
        let c = cfg("jdbc:postgresql://db.example:6543/shop?user=me&currentSchema=sales&connectTimeout=5")
            .expect("valid");
        assert_eq!(c.get_hosts(), [Host::Tcp("db.example".into())]);
        assert_eq!(c.get_ports(), [6543]);
        assert_eq!(c.get_dbname(), Some("shop"));
        assert_eq!(c.get_user(), Some("me"));
        assert_eq!(c.get_options(), Some("-c search_path=sales"));
        assert_eq!(c.get_connect_timeout(), Some(&Duration::from_secs(5)));
        let c = cfg("jdbc:postgresql://a,b:5433,[::1]:7/x").expect("valid");
        assert_eq!(c.get_ports(), [5432, 5433, 7]);
        assert_eq!(c.get_hosts()[2], Host::Tcp("::1".into()));
    }

    #[test]
    fn table_options_override_the_urls_credentials() {
        let c = config(
            "jdbc:postgresql://h/d?user=a&password=b",
            Some("u"),
            Some("p%"),
            Duration::from_secs(1),
        )
        .expect("valid");
        assert_eq!(c.get_user(), Some("u"));
        assert_eq!(c.get_password(), Some(&b"p%"[..]));
    }

    #[test]
    fn other_databases_tls_and_unknown_properties_are_refused() {
        let e = cfg("jdbc:mysql://h/d").expect_err("mysql");
        assert!(e.contains("PostgreSQL only"), "{e}");
        let e = cfg("jdbc:postgresql://h/d?sslmode=require").expect_err("tls");
        assert!(e.contains("TLS"), "{e}");
        let e = cfg("jdbc:postgresql://h/d?sslfactory=x").expect_err("unknown");
        assert!(e.contains("'sslfactory'"), "{e}");
        assert!(cfg("jdbc:postgresql://h:x/d").is_err());
    }
}
