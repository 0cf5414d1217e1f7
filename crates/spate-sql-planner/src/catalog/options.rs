//! Connector and format options, with Flink's exact names.
//!
//! The lists are what Flink 2.3 (with the Kafka connector 4.0.1-2.0) prints as "Supported
//! options" when a table has an unknown one (`../shared/reference/flink-sql/run.sh` reproduces
//! it), plus the Nexmark project's source options. They include options Spate's connectors may
//! not honour yet: the catalog's job is to accept every valid Flink table and reject the rest;
//! the planner says which accepted options it cannot run.

use std::collections::BTreeSet;

use crate::ast::{ColumnKind, TableDef, TableOption};
use crate::error::{Result, SqlError};
use crate::ident::Loc;
use crate::suggest::did_you_mean;

/// Options Flink's factory helper accepts for every connector.
const COMMON: &[&str] = &[
    "connector",
    "property-version",
    "scan.watermark.alignment.group",
    "scan.watermark.alignment.max-drift",
    "scan.watermark.alignment.update-interval",
    "scan.watermark.emit.strategy",
    "scan.watermark.idle-timeout",
];

/// A supported connector.
struct ConnectorSpec {
    name: &'static str,
    /// Its own options (besides [`COMMON`] and format options).
    options: &'static [&'static str],
    /// Options that must be present.
    required: &'static [&'static str],
    /// Prefixes of passed-through options (`properties.` for Kafka's client).
    prefixes: &'static [&'static str],
    /// Whether it takes `format` (and for Kafka `key.format`/`value.format`).
    formats: FormatUse,
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum FormatUse {
    None,
    /// `format` only.
    Single,
    /// `format`, or `key.format` + `value.format`.
    KeyValue,
}

const KAFKA: ConnectorSpec = ConnectorSpec {
    name: "kafka",
    options: &[
        "format",
        "key.fields",
        "key.fields-prefix",
        "key.format",
        "properties.bootstrap.servers",
        "properties.group.id",
        "scan.bounded.mode",
        "scan.bounded.specific-offsets",
        "scan.bounded.timestamp-millis",
        "scan.parallelism",
        "scan.startup.mode",
        "scan.startup.specific-offsets",
        "scan.startup.timestamp-millis",
        "scan.topic-partition-discovery.interval",
        "sink.delivery-guarantee",
        "sink.parallelism",
        "sink.partitioner",
        "sink.semantic",
        "sink.transaction-naming-strategy",
        "sink.transactional-id-prefix",
        "topic",
        "topic-pattern",
        "value.fields-include",
        "value.format",
    ],
    required: &[],
    prefixes: &["properties."],
    formats: FormatUse::KeyValue,
};

const DATAGEN: ConnectorSpec = ConnectorSpec {
    name: "datagen",
    options: &["number-of-rows", "rows-per-second", "scan.parallelism"],
    required: &[],
    prefixes: &[],
    formats: FormatUse::None,
};

/// Per-field datagen options: `fields.<column>.<option>`.
const DATAGEN_FIELD: &[&str] = &[
    "kind",
    "min",
    "max",
    "max-past",
    "length",
    "var-len",
    "start",
    "end",
    "null-rate",
];

const PRINT: ConnectorSpec = ConnectorSpec {
    name: "print",
    options: &["print-identifier", "standard-error", "sink.parallelism"],
    required: &[],
    prefixes: &[],
    formats: FormatUse::None,
};

/// Flink's `upsert-kafka` (the list Flink 2.3 with the Kafka connector 4.0.1-2.0 prints); the
/// key is the table's `PRIMARY KEY`, so there is no `key.fields`, and no `format`.
const UPSERT_KAFKA: ConnectorSpec = ConnectorSpec {
    name: "upsert-kafka",
    options: &[
        "key.fields-prefix",
        "key.format",
        "properties.bootstrap.servers",
        "scan.bounded.mode",
        "scan.bounded.specific-offsets",
        "scan.bounded.timestamp-millis",
        "scan.parallelism",
        "sink.buffer-flush.interval",
        "sink.buffer-flush.max-rows",
        "sink.delivery-guarantee",
        "sink.parallelism",
        "sink.transaction-naming-strategy",
        "sink.transactional-id-prefix",
        "topic",
        "topic-pattern",
        "value.fields-include",
        "value.format",
    ],
    required: &["key.format", "value.format"],
    prefixes: &["properties."],
    formats: FormatUse::KeyValue,
};

const BLACKHOLE: ConnectorSpec = ConnectorSpec {
    name: "blackhole",
    options: &[],
    required: &[],
    prefixes: &[],
    formats: FormatUse::None,
};

const FILESYSTEM: ConnectorSpec = ConnectorSpec {
    name: "filesystem",
    options: &[
        "auto-compaction",
        "compaction.file-size",
        "format",
        "partition.default-name",
        "partition.time-extractor.class",
        "partition.time-extractor.kind",
        "partition.time-extractor.timestamp-formatter",
        "partition.time-extractor.timestamp-pattern",
        "path",
        "sink.parallelism",
        "sink.partition-commit.delay",
        "sink.partition-commit.policy.class",
        "sink.partition-commit.policy.class.parameters",
        "sink.partition-commit.policy.kind",
        "sink.partition-commit.success-file.name",
        "sink.partition-commit.trigger",
        "sink.partition-commit.watermark-time-zone",
        "sink.rolling-policy.check-interval",
        "sink.rolling-policy.file-size",
        "sink.rolling-policy.inactivity-interval",
        "sink.rolling-policy.rollover-interval",
        "sink.shuffle-by-partition.enable",
        "source.monitor-interval",
        "source.path.regex-pattern",
        "source.report-statistics",
    ],
    required: &["path", "format"],
    prefixes: &[],
    formats: FormatUse::Single,
};

/// The Nexmark generator, with the Nexmark project's option names.
const NEXMARK: ConnectorSpec = ConnectorSpec {
    name: "nexmark",
    options: &[
        "rate.shape",
        "rate.period",
        "rate.limited",
        "first-event.rate",
        "next-event.rate",
        "person.avg-size",
        "auction.avg-size",
        "bid.avg-size",
        "person.proportion",
        "auction.proportion",
        "bid.proportion",
        "bid.hot-ratio.auctions",
        "bid.hot-ratio.bidders",
        "auction.hot-ratio.sellers",
        "events.num",
    ],
    required: &[],
    prefixes: &[],
    formats: FormatUse::None,
};

/// Flink's JDBC connector (flink-connector-jdbc's `JdbcDynamicTableFactory`: its scan, lookup
/// and sink options; Spate runs the sink for PostgreSQL URLs and says so for the rest).
const JDBC: ConnectorSpec = ConnectorSpec {
    name: "jdbc",
    options: &[
        "compatible-mode",
        "connection.max-retry-timeout",
        "driver",
        "filter.handling.policy",
        "lookup.cache",
        "lookup.cache.caching-missing-key",
        "lookup.cache.max-rows",
        "lookup.cache.ttl",
        "lookup.max-retries",
        "lookup.partial-cache.cache-missing-key",
        "lookup.partial-cache.expire-after-access",
        "lookup.partial-cache.expire-after-write",
        "lookup.partial-cache.max-rows",
        "password",
        "scan.auto-commit",
        "scan.fetch-size",
        "scan.partition.column",
        "scan.partition.lower-bound",
        "scan.partition.num",
        "scan.partition.upper-bound",
        "sink.buffer-flush.interval",
        "sink.buffer-flush.max-rows",
        "sink.max-retries",
        "sink.parallelism",
        "table-name",
        "url",
        "username",
    ],
    required: &["url", "table-name"],
    prefixes: &[],
    formats: FormatUse::None,
};

/// Apache Iceberg's Flink connector (`FlinkDynamicTableFactory` with `FlinkCatalogFactory`'s
/// catalog options). Other options pass through as table or catalog properties, as in Flink.
const ICEBERG: ConnectorSpec = ConnectorSpec {
    name: "iceberg",
    options: &[
        "catalog-name",
        "catalog-type",
        "catalog-impl",
        "catalog-database",
        "catalog-table",
        "uri",
        "warehouse",
        "credential",
        "token",
        "oauth2-server-uri",
        "scope",
        "prefix",
        "clients",
        "cache-enabled",
        "io-impl",
        "property-version",
        "format-version",
        "upsert-enabled",
        "write-format",
        "target-file-size-bytes",
        "compression-codec",
        "compression-level",
        "sink.parallelism",
        "scan.parallelism",
        "streaming",
    ],
    required: &["catalog-name"],
    prefixes: &[
        "jdbc.", "write.", "commit.", "flink.", "read.", "rest.", "header.", "s3.", "client.",
    ],
    formats: FormatUse::None,
};

const CONNECTORS: &[&ConnectorSpec] = &[
    &KAFKA,
    &UPSERT_KAFKA,
    &DATAGEN,
    &PRINT,
    &BLACKHOLE,
    &FILESYSTEM,
    &NEXMARK,
    &JDBC,
    &ICEBERG,
];

/// Connectors Flink has that Spate does not run yet.
const NOT_YET: &[&str] = &["elasticsearch-7", "hbase-2.2", "kinesis"];

/// Flink's error for an `upsert-kafka` table without a primary key.
pub const UPSERT_KAFKA_NEEDS_A_KEY: &str = "'upsert-kafka' tables require to define a PRIMARY KEY constraint. \
     The PRIMARY KEY specifies which columns should be read from or write to the Kafka message key. \
     The PRIMARY KEY also defines records in the 'upsert-kafka' table should update or delete on which keys.";

/// The formats whose records are changes (Flink's CDC formats).
const CHANGELOG_FORMATS: &[&str] = &[
    "debezium-json",
    "canal-json",
    "maxwell-json",
    "debezium-avro-confluent",
];

/// A format whose schemas live in a schema registry: Flink's `avro-confluent` options under
/// the format's name (the two registry formats take the same ones).
macro_rules! registry_format {
    ($name:literal $(, $extra:literal)*) => {
        FormatSpec {
            name: $name,
            options: &[
                concat!($name, ".url"),
                concat!($name, ".schema-registry.url"),
                concat!($name, ".subject"),
                concat!($name, ".schema-registry.subject"),
                concat!($name, ".auto.register.schemas"),
                concat!($name, ".basic-auth.credentials-source"),
                concat!($name, ".basic-auth.user-info"),
                concat!($name, ".bearer-auth.credentials-source"),
                concat!($name, ".bearer-auth.token"),
                concat!($name, ".ssl.keystore.location"),
                concat!($name, ".ssl.keystore.password"),
                concat!($name, ".ssl.truststore.location"),
                concat!($name, ".ssl.truststore.password"),
                concat!($name, ".ignore-parse-errors"),
                $(concat!($name, ".", $extra),)*
            ],
        }
    };
}

/// A supported format and its options (with the format's name as prefix).
struct FormatSpec {
    name: &'static str,
    options: &'static [&'static str],
}

const FORMATS: &[FormatSpec] = &[
    FormatSpec {
        name: "avro",
        options: &["avro.codec", "avro.timestamp_mapping.legacy"],
    },
    registry_format!("avro-confluent", "schema"),
    registry_format!("debezium-avro-confluent"),
    FormatSpec {
        name: "protobuf",
        options: &[
            "protobuf.message-class-name",
            "protobuf.proto-file",
            "protobuf.descriptor-file",
            "protobuf.ignore-parse-errors",
            "protobuf.read-default-values",
            "protobuf.write-null-string-literal",
        ],
    },
    registry_format!(
        "protobuf-confluent",
        "read-default-values",
        "write-null-string-literal"
    ),
    registry_format!(
        "json-confluent",
        "fail-on-missing-field",
        "timestamp-format.standard",
        "map-null-key.mode",
        "map-null-key.literal",
        "encode.decimal-as-plain-number",
        "encode.ignore-null-fields",
        "decode.json-parser.enabled"
    ),
    FormatSpec {
        name: "json",
        options: &[
            "json.decode.json-parser.enabled",
            "json.encode.decimal-as-plain-number",
            "json.encode.ignore-null-fields",
            "json.fail-on-missing-field",
            "json.ignore-parse-errors",
            "json.map-null-key.literal",
            "json.map-null-key.mode",
            "json.timestamp-format.standard",
        ],
    },
    FormatSpec {
        name: "csv",
        options: &[
            "csv.allow-comments",
            "csv.allow-trailing-comma",
            "csv.array-element-delimiter",
            "csv.disable-quote-character",
            "csv.empty-string-as-null",
            "csv.escape-character",
            "csv.fail-on-missing-columns",
            "csv.field-delimiter",
            "csv.ignore-parse-errors",
            "csv.ignore-trailing-unmappable",
            "csv.null-literal",
            "csv.quote-character",
            "csv.trim-spaces",
            "csv.write-bigdecimal-in-scientific-notation",
        ],
    },
    FormatSpec {
        name: "raw",
        options: &["raw.charset", "raw.endianness"],
    },
    // Flink passes every `parquet.*` key to parquet-mr; these are the ones Spate honours (or,
    // for the timestamp encoding, knowingly overrides: see spate-sql's format/parquet).
    FormatSpec {
        name: "parquet",
        options: &[
            "parquet.compression",
            "parquet.block.size",
            "parquet.page.size",
            "parquet.dictionary.page.size",
            "parquet.enable.dictionary",
            "parquet.writer.version",
            "parquet.write.int64.timestamp",
            "parquet.timestamp.time.unit",
            "parquet.utc-timezone",
        ],
    },
    FormatSpec {
        name: "debezium-json",
        options: &[
            "debezium-json.encode.decimal-as-plain-number",
            "debezium-json.encode.ignore-null-fields",
            "debezium-json.ignore-parse-errors",
            "debezium-json.map-null-key.literal",
            "debezium-json.map-null-key.mode",
            "debezium-json.schema-include",
            "debezium-json.timestamp-format.standard",
        ],
    },
    FormatSpec {
        name: "canal-json",
        options: &[
            "canal-json.database.include",
            "canal-json.encode.decimal-as-plain-number",
            "canal-json.encode.ignore-null-fields",
            "canal-json.ignore-parse-errors",
            "canal-json.map-null-key.literal",
            "canal-json.map-null-key.mode",
            "canal-json.table.include",
            "canal-json.timestamp-format.standard",
        ],
    },
    FormatSpec {
        name: "maxwell-json",
        options: &[
            "maxwell-json.encode.decimal-as-plain-number",
            "maxwell-json.encode.ignore-null-fields",
            "maxwell-json.ignore-parse-errors",
            "maxwell-json.map-null-key.literal",
            "maxwell-json.map-null-key.mode",
            "maxwell-json.timestamp-format.standard",
        ],
    },
];

/// Options with a fixed set of values (compared as Flink compares them: enums case-insensitively).
const ENUMS: &[(&str, &[&str])] = &[
    (
        "scan.startup.mode",
        &[
            "earliest-offset",
            "latest-offset",
            "group-offsets",
            "timestamp",
            "specific-offsets",
        ],
    ),
    (
        "scan.bounded.mode",
        &[
            "unbounded",
            "latest-offset",
            "group-offsets",
            "timestamp",
            "specific-offsets",
        ],
    ),
    (
        "sink.delivery-guarantee",
        &["none", "at-least-once", "exactly-once"],
    ),
    ("value.fields-include", &["ALL", "EXCEPT_KEY"]),
    ("json.timestamp-format.standard", &["SQL", "ISO-8601"]),
    ("json.map-null-key.mode", &["FAIL", "DROP", "LITERAL"]),
    ("debezium-json.timestamp-format.standard", &["SQL", "ISO-8601"]),
    ("debezium-json.map-null-key.mode", &["FAIL", "DROP", "LITERAL"]),
    ("canal-json.timestamp-format.standard", &["SQL", "ISO-8601"]),
    ("canal-json.map-null-key.mode", &["FAIL", "DROP", "LITERAL"]),
    ("maxwell-json.timestamp-format.standard", &["SQL", "ISO-8601"]),
    ("maxwell-json.map-null-key.mode", &["FAIL", "DROP", "LITERAL"]),
    ("raw.endianness", &["big-endian", "little-endian"]),
    ("lookup.cache", &["NONE", "PARTIAL", "FULL"]),
    ("filter.handling.policy", &["ALWAYS", "NEVER"]),
];

/// Boolean options (`true`/`false`, any case).
const BOOLEANS: &[&str] = &[
    "scan.auto-commit",
    "lookup.cache.caching-missing-key",
    "lookup.partial-cache.cache-missing-key",
    "json.fail-on-missing-field",
    "json.ignore-parse-errors",
    "json.encode.decimal-as-plain-number",
    "json.encode.ignore-null-fields",
    "json.decode.json-parser.enabled",
    "debezium-json.schema-include",
    "debezium-json.ignore-parse-errors",
    "debezium-json.encode.decimal-as-plain-number",
    "debezium-json.encode.ignore-null-fields",
    "canal-json.ignore-parse-errors",
    "canal-json.encode.decimal-as-plain-number",
    "canal-json.encode.ignore-null-fields",
    "maxwell-json.ignore-parse-errors",
    "maxwell-json.encode.decimal-as-plain-number",
    "maxwell-json.encode.ignore-null-fields",
    "csv.allow-comments",
    "csv.ignore-parse-errors",
    "csv.disable-quote-character",
    "csv.empty-string-as-null",
    "csv.fail-on-missing-columns",
    "csv.ignore-trailing-unmappable",
    "csv.trim-spaces",
    "csv.write-bigdecimal-in-scientific-notation",
    "csv.allow-trailing-comma",
    "standard-error",
    "parquet.enable.dictionary",
    "parquet.write.int64.timestamp",
    "parquet.utc-timezone",
    "auto-compaction",
    "sink.shuffle-by-partition.enable",
    "source.report-statistics",
    "rate.limited",
];

struct Ctx<'a> {
    table: &'a TableDef,
    connector: &'a str,
}

impl Ctx<'_> {
    fn get(&self, key: &str) -> Option<&TableOption> {
        self.table.options.iter().rfind(|o| o.key == key)
    }

    fn err(&self, msg: String, loc: Loc) -> SqlError {
        SqlError::validation(
            format!("table {}: {msg}", self.table.name),
            loc.pos().or(self.table.loc.pos()),
        )
    }

    fn missing(&self, what: &str) -> SqlError {
        self.err(
            format!("connector '{}' needs the option {what}", self.connector),
            self.table.loc,
        )
    }
}

/// Validates a table's `WITH` options and metadata columns against its connector.
pub(crate) fn validate_options(table: &TableDef) -> Result<()> {
    // A key given twice is not an error in Flink: the last value counts (as `TableDef::option`
    // reads it), so only the last occurrence of each key is validated.
    let Some(conn) = table.options.iter().rfind(|o| o.key == "connector") else {
        return Err(SqlError::validation(
            format!(
                "table {}: the option 'connector' is required (one of: {})",
                table.name,
                connector_names().join(", ")
            ),
            table.loc.pos(),
        ));
    };
    let connector = conn.value.as_str();
    let Some(spec) = CONNECTORS.iter().find(|c| c.name == connector) else {
        let msg = if NOT_YET.contains(&connector) {
            format!("connector '{connector}' is not supported yet")
        } else {
            format!(
                "unknown connector '{connector}'{}",
                did_you_mean(connector, connector_names())
            )
        };
        return Err(SqlError::validation(
            format!(
                "table {}: {msg}; supported connectors: {}",
                table.name,
                connector_names().join(", ")
            ),
            conn.loc.pos(),
        ));
    };
    let cx = Ctx { table, connector };

    // Which formats are in use, and the option prefixes they bring.
    let mut allowed: BTreeSet<String> = COMMON.iter().chain(spec.options).map(|s| s.to_string()).collect();
    if spec.formats != FormatUse::None {
        for (format_key, prefix) in [("format", ""), ("key.format", "key."), ("value.format", "value.")] {
            if !prefix.is_empty() && spec.formats != FormatUse::KeyValue {
                continue;
            }
            let Some(o) = cx.get(format_key) else {
                continue;
            };
            let Some(f) = FORMATS.iter().find(|f| f.name == o.value) else {
                return Err(cx.err(
                    format!(
                        "format '{}' is not supported{}; supported formats: {}",
                        o.value,
                        did_you_mean(&o.value, FORMATS.iter().map(|f| f.name)),
                        FORMATS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
                    ),
                    o.loc,
                ));
            };
            // Flink's filesystem connector writes `avro` as Avro container files, a bulk
            // format Spate's line-based file connector does not write yet; Protobuf messages
            // and Confluent's binary frames carry no delimiter a line-based file could cut
            // them at.
            let binary = f.name.contains("avro") || f.name.contains("protobuf") || f.name == "json-confluent";
            if binary && spec.formats == FormatUse::Single {
                let why = if f.name.contains("avro") {
                    "Flink writes Avro container files there"
                } else {
                    "binary messages have no line to end at"
                };
                return Err(cx.err(
                    format!(
                        "format '{}' is not supported by Spate's filesystem connector yet ({why}); use it with \
                         the kafka or upsert-kafka connector",
                        f.name
                    ),
                    o.loc,
                ));
            }
            allowed.extend(f.options.iter().map(|opt| format!("{prefix}{opt}")));
        }
    }
    if spec.name == "datagen" {
        for c in &table.columns {
            if let ColumnKind::Physical(_) = c.kind {
                allowed.extend(
                    DATAGEN_FIELD
                        .iter()
                        .map(|f| format!("fields.{}.{f}", c.name.as_str())),
                );
            }
        }
    }

    // Every option must be known.
    for o in &table.options {
        if allowed.contains(&o.key) || spec.prefixes.iter().any(|p| o.key.starts_with(p)) {
            continue;
        }
        let mut list: Vec<&str> = allowed.iter().map(String::as_str).collect();
        let mut shown = list.clone();
        for p in spec.prefixes {
            shown.push(match *p {
                "properties." => "properties.*",
                other => other,
            });
        }
        if spec.name == "datagen" {
            shown.push("fields.<column>.<kind|min|max|max-past|length|var-len|start|end|null-rate>");
        }
        shown.sort_unstable();
        list.sort_unstable();
        let hint = did_you_mean(&o.key, list.iter().copied());
        return Err(cx.err(
            format!(
                "unsupported option '{}' for connector '{}'{hint}\nsupported options: {}",
                o.key,
                spec.name,
                shown.join(", ")
            ),
            o.loc,
        ));
    }

    // Values (of the occurrence that counts).
    for o in &table.options {
        if !cx.get(&o.key).is_some_and(|last| std::ptr::eq(last, o)) {
            continue;
        }
        let bare = strip_format_prefix(&o.key);
        if let Some((_, values)) = ENUMS.iter().find(|(k, _)| *k == bare)
            && !values.iter().any(|v| v.eq_ignore_ascii_case(&o.value))
        {
            return Err(cx.err(
                format!(
                    "invalid value '{}' for option '{}'; valid values: {}",
                    o.value,
                    o.key,
                    values.join(", ")
                ),
                o.loc,
            ));
        }
        if BOOLEANS.contains(&bare)
            && !(o.value.eq_ignore_ascii_case("true") || o.value.eq_ignore_ascii_case("false"))
        {
            return Err(cx.err(
                format!("option '{}' takes true or false, not '{}'", o.key, o.value),
                o.loc,
            ));
        }
    }

    for r in spec.required {
        if cx.get(r).is_none() {
            return Err(cx.missing(&format!("'{r}'")));
        }
    }
    match spec.name {
        "kafka" => validate_kafka(&cx)?,
        "upsert-kafka" if table.primary_key.is_none() => {
            return Err(cx.err(UPSERT_KAFKA_NEEDS_A_KEY.to_string(), table.loc));
        }
        "upsert-kafka" => {
            // Its records are upserts by key already: a value that is itself a changelog
            // cannot be one.
            if let Some(o) = cx.get("value.format")
                && CHANGELOG_FORMATS.contains(&o.value.as_str())
            {
                return Err(cx.err(
                    format!(
                        "'upsert-kafka' connector doesn't support '{0}' as value format, because '{0}' is not in insert-only mode.",
                        o.value
                    ),
                    o.loc,
                ));
            }
        }
        "datagen" => validate_datagen(&cx)?,
        "jdbc" => validate_jdbc(&cx)?,
        "iceberg" => validate_iceberg(&cx)?,
        _ => {}
    }
    if spec.formats == FormatUse::Single
        && let Some(f) = cx.get("format")
        && f.value == "raw"
    {
        raw_single_column(&cx, f)?;
    }
    super::metadata::validate_metadata(table)
}

/// `key.json.x` / `value.json.x` → `json.x`.
fn strip_format_prefix(key: &str) -> &str {
    key.strip_prefix("key.")
        .or_else(|| key.strip_prefix("value."))
        .filter(|rest| FORMATS.iter().any(|f| rest.starts_with(&format!("{}.", f.name))))
        .unwrap_or(key)
}

fn connector_names() -> Vec<&'static str> {
    CONNECTORS.iter().map(|c| c.name).collect()
}

fn validate_kafka(cx: &Ctx<'_>) -> Result<()> {
    match (cx.get("topic"), cx.get("topic-pattern")) {
        (Some(_), Some(p)) => {
            return Err(cx.err("give either 'topic' or 'topic-pattern', not both".into(), p.loc));
        }
        (None, None) => return Err(cx.missing("'topic' (or 'topic-pattern')")),
        _ => {}
    }
    match (cx.get("format"), cx.get("value.format")) {
        (Some(_), Some(v)) => {
            return Err(cx.err("give either 'format' or 'value.format', not both".into(), v.loc));
        }
        (None, None) => return Err(cx.missing("'format' (or 'value.format')")),
        _ => {}
    }
    match (cx.get("key.format"), cx.get("key.fields")) {
        (Some(k), None) => {
            return Err(cx.err(
                "'key.format' needs 'key.fields' (the key's columns, separated by ';')".into(),
                k.loc,
            ));
        }
        (None, Some(k)) => {
            return Err(cx.err("'key.fields' needs 'key.format'".into(), k.loc));
        }
        (Some(_), Some(fields)) => {
            for f in fields.value.split(';') {
                if cx.table.column(f).is_none() {
                    return Err(cx.err(
                        format!("'key.fields' names '{f}', which is not a column"),
                        fields.loc,
                    ));
                }
            }
        }
        (None, None) => {}
    }
    for (mode_key, prefix) in [
        ("scan.startup.mode", "scan.startup"),
        ("scan.bounded.mode", "scan.bounded"),
    ] {
        let Some(mode) = cx.get(mode_key) else { continue };
        let needed = match mode.value.to_ascii_lowercase().as_str() {
            "timestamp" => format!("{prefix}.timestamp-millis"),
            "specific-offsets" => format!("{prefix}.specific-offsets"),
            _ => continue,
        };
        if cx.get(&needed).is_none() {
            return Err(cx.err(
                format!("'{mode_key}' = '{}' needs the option '{needed}'", mode.value),
                mode.loc,
            ));
        }
    }
    if let Some(g) = cx.get("sink.delivery-guarantee")
        && g.value.eq_ignore_ascii_case("exactly-once")
        && cx.get("sink.transactional-id-prefix").is_none()
    {
        return Err(cx.err(
            "'sink.delivery-guarantee' = 'exactly-once' needs 'sink.transactional-id-prefix'".into(),
            g.loc,
        ));
    }
    if cx.get("key.format").is_none()
        && let Some(f) = cx.get("format").or(cx.get("value.format"))
        && f.value == "raw"
    {
        raw_single_column(cx, f)?;
    }
    Ok(())
}

fn raw_single_column(cx: &Ctx<'_>, format: &TableOption) -> Result<()> {
    let physical = cx
        .table
        .columns
        .iter()
        .filter(|c| matches!(c.kind, ColumnKind::Physical(_)))
        .count();
    if physical != 1 {
        return Err(cx.err(
            format!("the 'raw' format needs exactly one physical column, the table has {physical}"),
            format.loc,
        ));
    }
    Ok(())
}

/// Flink's `JdbcDynamicTableFactory` checks: credentials and scan partitioning come whole.
fn validate_jdbc(cx: &Ctx<'_>) -> Result<()> {
    let groups: [&[&str]; 2] = [
        &["username", "password"],
        &[
            "scan.partition.column",
            "scan.partition.num",
            "scan.partition.lower-bound",
            "scan.partition.upper-bound",
        ],
    ];
    for group in groups {
        let given = group.iter().filter(|k| cx.get(k).is_some()).count();
        if given != 0 && given != group.len() {
            return Err(cx.err(
                format!(
                    "Either all or none of the following options should be provided:\n{}",
                    group.join("\n")
                ),
                cx.table.loc,
            ));
        }
    }
    Ok(())
}

/// The catalog must be one Spate opens, and upserts wait for the changelog work (Iceberg's
/// equality deletes).
fn validate_iceberg(cx: &Ctx<'_>) -> Result<()> {
    let catalog_type = cx.get("catalog-type");
    let catalog_impl = cx.get("catalog-impl");
    if let (Some(t), Some(_)) = (catalog_type, catalog_impl) {
        return Err(cx.err(
            "Cannot create catalog: both catalog-type and catalog-impl are set".to_string(),
            t.loc,
        ));
    }
    if let Some(t) = catalog_type
        && !["hadoop", "rest"].contains(&t.value.to_ascii_lowercase().as_str())
    {
        return Err(cx.err(
            format!(
                "'catalog-type' = '{}' is not supported by Spate; use hadoop, rest, or catalog-impl = 'org.apache.iceberg.jdbc.JdbcCatalog'",
                t.value
            ),
            t.loc,
        ));
    }
    if let Some(i) = catalog_impl
        && i.value != "org.apache.iceberg.jdbc.JdbcCatalog"
    {
        return Err(cx.err(
            format!(
                "'catalog-impl' = '{}' is not supported by Spate; only org.apache.iceberg.jdbc.JdbcCatalog",
                i.value
            ),
            i.loc,
        ));
    }
    for key in ["write.upsert.enabled", "upsert-enabled"] {
        let Some(o) = cx.get(key) else { continue };
        if !o.value.eq_ignore_ascii_case("true") && !o.value.eq_ignore_ascii_case("false") {
            return Err(cx.err(format!("'{key}' = '{}' is not true or false", o.value), o.loc));
        }
        if o.value.eq_ignore_ascii_case("true") && cx.table.primary_key.is_none() {
            // Flink's `FlinkSink`, word for word: upserts delete by the equality fields,
            // which a SQL table's primary key gives.
            return Err(cx.err(
                "Equality field columns shouldn't be empty when configuring to use UPSERT data stream."
                    .to_string(),
                o.loc,
            ));
        }
    }
    for key in ["write-format", "write.format.default"] {
        if let Some(o) = cx.get(key)
            && !o.value.eq_ignore_ascii_case("parquet")
        {
            return Err(cx.err(
                format!(
                    "'{key}' = '{}': Spate writes Iceberg data files in parquet only",
                    o.value
                ),
                o.loc,
            ));
        }
    }
    Ok(())
}

fn validate_datagen(cx: &Ctx<'_>) -> Result<()> {
    for o in &cx.table.options {
        let Some(rest) = o.key.strip_prefix("fields.") else {
            continue;
        };
        let Some((col, opt)) = rest.rsplit_once('.') else {
            continue;
        };
        if opt == "kind" {
            if !(o.value == "random" || o.value == "sequence") {
                return Err(cx.err(
                    format!(
                        "invalid value '{}' for option '{}'; valid values: random, sequence",
                        o.value, o.key
                    ),
                    o.loc,
                ));
            }
            if o.value == "sequence" {
                for bound in ["start", "end"] {
                    let k = format!("fields.{col}.{bound}");
                    if cx.get(&k).is_none() {
                        return Err(cx.err(format!("a sequence field needs '{k}'"), o.loc));
                    }
                }
            }
        }
    }
    Ok(())
}
