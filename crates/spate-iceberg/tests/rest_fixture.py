"""An Iceberg REST catalog server for spate-iceberg's tests.

No real REST catalog server installs from the registries the project can reach (Java's
`iceberg-rest-fixture`, Polaris, Lakekeeper and Gravitino ship as Docker images or Maven/Gradle
builds), so this fixture does what Iceberg's own `iceberg-rest-fixture` does with its
`RESTCatalogAdapter` over a JDBC catalog: it serves the REST spec's routes over pyiceberg's
`SqlCatalog` (SQLite). The catalog logic is pyiceberg's: requirements are checked and updates
applied by `SqlCatalog.commit_table` (a `CommitFailedException` becomes 409), table creation
assigns fresh ids. Only the routes Spate and pyiceberg's `RestCatalog` use are served:

  GET  /v1/config                                     defaults/overrides (prefix)
  POST /v1/oauth/tokens                               client_credentials grant
  POST /v1/{prefix}/namespaces                        create
  GET|HEAD /v1/{prefix}/namespaces/{ns}               load / exists
  POST /v1/{prefix}/namespaces/{ns}/tables            create table
  GET|HEAD /v1/{prefix}/namespaces/{ns}/tables/{t}    load / exists
  POST /v1/{prefix}/namespaces/{ns}/tables/{t}        commit

  rest_fixture.py DB WAREHOUSE [--prefix P] [--token T] [--client ID:SECRET] [--tls PEM]
prints `PORT <n>` once listening on 127.0.0.1 (an ephemeral port) and serves until killed;
with --tls, https with the certificate chain and key in PEM.
With --token, every /v1 route but the token endpoint needs `Authorization: Bearer T`; with
--client, the token endpoint grants those client credentials a new token `tok-<n>`, which is
accepted too until the next grant revokes it.
"""
import json
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import (CommitFailedException, NamespaceAlreadyExistsError, NoSuchNamespaceError,
                                  NoSuchTableError, TableAlreadyExistsError)
from pyiceberg.partitioning import PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.table import CommitTableRequest

ERRORS = [
    (CommitFailedException, 409, "CommitFailedException"),
    (NoSuchTableError, 404, "NoSuchTableException"),
    (NoSuchNamespaceError, 404, "NoSuchNamespaceException"),
    (TableAlreadyExistsError, 409, "AlreadyExistsException"),
    (NamespaceAlreadyExistsError, 409, "AlreadyExistsException"),
    (ValueError, 400, "BadRequestException"),
]


class Fail(Exception):
    def __init__(self, code, kind, message):
        super().__init__(message)
        self.code, self.kind, self.message = code, kind, message


def parse_args(argv):
    opts = {"db": argv[0], "warehouse": argv[1], "prefix": "", "token": None, "client": None, "tls": None}
    rest = argv[2:]
    for flag, value in zip(rest[::2], rest[1::2]):
        opts[flag.lstrip("-")] = value
    return opts


def table_result(tbl):
    return {"metadata-location": tbl.metadata_location, "metadata": json.loads(tbl.metadata.model_dump_json()),
            "config": {}}


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so a single-threaded server never waits on an idle
    # keep-alive client (and SQLite sees one writer at a time).
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.dispatch("GET")

    def do_HEAD(self):
        self.dispatch("HEAD")

    def do_POST(self):
        self.dispatch("POST")

    def reply(self, code, body=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def dispatch(self, method):
        try:
            url = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            code, answer = self.route(method, url.path, urllib.parse.parse_qs(url.query), body)
            self.reply(code, answer)
        except Fail as f:
            self.reply(f.code, {"error": {"message": f.message, "type": f.kind, "code": f.code}})
        except Exception as e:  # noqa: BLE001 - every failure is an HTTP answer
            for cls, code, kind in ERRORS:
                if isinstance(e, cls):
                    self.reply(code, {"error": {"message": str(e), "type": kind, "code": code}})
                    return
            self.reply(500, {"error": {"message": repr(e), "type": "ServerError", "code": 500}})

    def route(self, method, path, query, body):
        opts = self.server.opts
        if method == "POST" and path == "/v1/oauth/tokens":
            return self.token(body)
        valid = {f"Bearer {t}" for t in (opts["token"], self.server.issued) if t}
        if valid and self.headers.get("Authorization") not in valid:
            raise Fail(401, "NotAuthorizedException", "Not authorized: missing or invalid bearer token")
        if method == "GET" and path == "/v1/config":
            # The warehouse the client asked for comes back as a default, for the test to see.
            asked = query.get("warehouse", [""])[0]
            return 200, {"defaults": {"fixture.default": "yes", "fixture.warehouse-asked": asked},
                         "overrides": {"prefix": opts["prefix"]} if opts["prefix"] else {}}
        routes = "/v1/" + opts["prefix"] + "/" if opts["prefix"] else "/v1/"
        if not path.startswith(routes + "namespaces"):
            raise Fail(404, "NoSuchRouteException", f"no route {method} {path}")
        parts = [urllib.parse.unquote(p) for p in path[len(routes):].split("/")]
        cat = self.server.catalog
        if parts == ["namespaces"] and method == "POST":
            req = json.loads(body)
            cat.create_namespace(tuple(req["namespace"]), req.get("properties") or {})
            return 200, {"namespace": req["namespace"], "properties": req.get("properties") or {}}
        ns = tuple(parts[1].split("\x1f")) if len(parts) > 1 else ()
        if len(parts) == 2 and method in ("GET", "HEAD"):
            props = cat.load_namespace_properties(ns)
            return (200, {"namespace": list(ns), "properties": props}) if method == "GET" else (204, None)
        if len(parts) == 3 and parts[2] == "tables" and method == "POST":
            req = json.loads(body)
            tbl = cat.create_table(ns + (req["name"],), schema=Schema.model_validate(req["schema"]),
                                   location=req.get("location"),
                                   partition_spec=PartitionSpec.model_validate(req.get("partition-spec") or {"fields": []}),
                                   properties=req.get("properties") or {})
            return 200, table_result(tbl)
        if len(parts) == 4 and parts[2] == "tables":
            ident = ns + (parts[3],)
            if method in ("GET", "HEAD"):
                tbl = cat.load_table(ident)
                return (200, table_result(tbl)) if method == "GET" else (204, None)
            if method == "POST":
                req = CommitTableRequest.model_validate_json(body)
                tbl = cat.load_table(ident)
                resp = cat.commit_table(tbl, req.requirements, req.updates)
                return 200, {"metadata-location": resp.metadata_location,
                             "metadata": json.loads(resp.metadata.model_dump_json())}
        raise Fail(404, "NoSuchRouteException", f"no route {method} {path}")

    def token(self, body):
        form = urllib.parse.parse_qs(body.decode())
        client = self.server.opts["client"]
        given = f"{form.get('client_id', [''])[0]}:{form.get('client_secret', [''])[0]}"
        if form.get("grant_type") != ["client_credentials"] or not client or given != client:
            return 401, {"error": "invalid_client", "error_description": "unknown client or wrong secret"}
        # Each grant issues a new token and revokes the one before (what a token rotation
        # looks like to a client holding the old one).
        self.server.grants += 1
        self.server.issued = f"tok-{self.server.grants}"
        return 200, {"access_token": self.server.issued, "token_type": "bearer", "expires_in": 3600,
                     "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"}


def main():
    opts = parse_args(sys.argv[1:])
    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.opts = opts
    server.grants, server.issued = 0, None
    if opts["tls"]:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(opts["tls"])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.catalog = SqlCatalog("rest", uri=f"sqlite:///{opts['db']}", warehouse=f"file://{opts['warehouse']}")
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


main()
