#!/usr/bin/env bash
# Installs everything Spate's tests and demo need beyond the Rust toolchain:
#   - kcat (Debian package) for the compatibility script,
#   - chromium (Debian package) for the dashboard's headless-browser test,
#   - confluent-kafka (with its schema-registry, Avro, Protobuf and JSON Schema extras: fastavro,
#     protobuf, jsonschema) and
#     kafka-python (PyPI) in a virtualenv at .tools/venv,
#   - pyiceberg (with its SQLite/PostgreSQL SqlCatalog, pyarrow and pyiceberg-core extras) and
#     pyarrow in the same virtualenv, the reference readers of the Parquet files and Iceberg tables Spate writes,
#     and DataFusion's Python package, through which pyiceberg-core's iceberg-rust reads tables with deletes,
#   - cargo-machete (crates.io) for the unused-dependency check,
#   - cargo-fuzz (crates.io) for the short fuzz pass.
# Idempotent: when everything is present it only checks and returns within a second or two.
# The compat script finds the Python clients via .tools/venv/bin/python.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.tools/venv"

# Versions known to install from PyPI here (confluent-kafka ships manylinux wheels bundling
# librdkafka, so no C toolchain or librdkafka-dev is needed).
CONFLUENT_KAFKA_VERSION="2.16.1"
KAFKA_PYTHON_VERSION="3.0.12"
# pyiceberg-core (Rust transforms) is needed for partitioned appends; pyarrow 26 comes with the
# pyarrow extra and is pinned too so the Parquet writer the tests use does not drift.
PYICEBERG_VERSION="0.12.0"
PYARROW_VERSION="26.0.1"
# pyiceberg cannot read equality deletes; Apache Iceberg's Rust implementation (iceberg-rust,
# inside pyiceberg-core 0.10.1, built on DataFusion 53) can, through DataFusion's Python
# package, whose FFI must match.
DATAFUSION_VERSION="53.0.0"

log() { echo "install-deps: $*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        log "need root (or sudo) to run: $*"
        return 1
    fi
}

install_apt_packages() {
    local missing=()
    local pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Try without refreshing the package lists first; update only if that fails (stale or
    # empty lists on a fresh machine).
    if ! as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
        as_root apt-get update -q >/dev/null
        as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

python_clients_ok() {
    [ -x "$VENV/bin/python" ] || return 1
    "$VENV/bin/python" - "$CONFLUENT_KAFKA_VERSION" "$KAFKA_PYTHON_VERSION" "$PYICEBERG_VERSION" "$PYARROW_VERSION" "$DATAFUSION_VERSION" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
import confluent_kafka, kafka  # noqa: F401  (the import itself is the check)
# The schema registry's serializers (issue 43) and fastavro, the reference Avro codec.
import fastavro, confluent_kafka.schema_registry.avro, confluent_kafka.schema_registry.protobuf  # noqa: F401
# The JSON Schema serde (jsonschema, referencing), for the registry's JSON schema type.
import confluent_kafka.schema_registry.json_schema  # noqa: F401
# spate-iceberg's reference readers (issue 44); its REST catalog tests also use pyiceberg's
# RestCatalog (requests) and serve the REST routes over SqlCatalog (tests/rest_fixture.py).
import pyarrow.parquet, pyiceberg.catalog.sql, pyiceberg.catalog.rest, pyiceberg_core  # noqa: F401
# iceberg-rust's reader of tables with row-level deletes (pyiceberg_core.datafusion).
import datafusion, pyiceberg_core.datafusion  # noqa: F401
want_ck, want_kp, want_pi, want_pa, want_df = sys.argv[1:6]
ok = version("confluent-kafka") == want_ck and version("kafka-python") == want_kp
ok = ok and version("pyiceberg") == want_pi and version("pyarrow") == want_pa
ok = ok and version("datafusion") == want_df
sys.exit(0 if ok else 1)
EOF
}

install_python_clients() {
    if python_clients_ok; then
        return 0
    fi
    local python="${PYTHON:-python3}"
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating virtualenv $VENV"
        mkdir -p "$(dirname "$VENV")"
        if ! "$python" -m venv "$VENV" >/dev/null 2>&1; then
            # Debian's python3 splits venv into its own package.
            install_apt_packages python3-venv
            "$python" -m venv "$VENV"
        fi
    fi
    log "pip install confluent-kafka==$CONFLUENT_KAFKA_VERSION kafka-python==$KAFKA_PYTHON_VERSION pyiceberg==$PYICEBERG_VERSION pyarrow==$PYARROW_VERSION datafusion==$DATAFUSION_VERSION"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "confluent-kafka[avro,schemaregistry,protobuf,json]==$CONFLUENT_KAFKA_VERSION" "kafka-python==$KAFKA_PYTHON_VERSION" \
        "pyiceberg[sql-sqlite,sql-postgres,pyarrow,pyiceberg-core]==$PYICEBERG_VERSION" "pyarrow==$PYARROW_VERSION" \
        "datafusion==$DATAFUSION_VERSION"
    python_clients_ok || {
        log "python Kafka clients did not import after install"
        return 1
    }
}

# The unused-dependency gate of scripts/test.sh. Built once (about a minute); pinned so the
# check does not change under us.
CARGO_MACHETE_VERSION="0.9.2"
install_cargo_machete() {
    if cargo machete --version 2>/dev/null | grep -q "$CARGO_MACHETE_VERSION"; then
        return 0
    fi
    log "cargo install --locked cargo-machete@$CARGO_MACHETE_VERSION"
    cargo install --locked --quiet "cargo-machete@$CARGO_MACHETE_VERSION"
}

# The short fuzz pass of scripts/test.sh (scripts/fuzz-smoke.sh); pinned likewise.
CARGO_FUZZ_VERSION="0.13.2"
install_cargo_fuzz() {
    if cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
        return 0
    fi
    log "cargo install --locked cargo-fuzz@$CARGO_FUZZ_VERSION"
    cargo install --locked --quiet "cargo-fuzz@$CARGO_FUZZ_VERSION"
}

# libssl-dev and pkg-config: rdkafka's `ssl` feature links the system OpenSSL; openssl: the TLS
# compat check (tests/compat/compat_tls.py) makes its certificates with the CLI; postgresql and
# postgresql-client: the jdbc connector's tests start a private server (initdb, pg_ctl) and
# check tables with psql.
install_apt_packages kcat chromium libssl-dev pkg-config openssl postgresql postgresql-client
install_python_clients
install_cargo_machete
install_cargo_fuzz
log "ok (kcat $(kcat -V 2>/dev/null | sed -n 's/^Version \([^ ]*\).*/\1/p'), python clients in $VENV)"
