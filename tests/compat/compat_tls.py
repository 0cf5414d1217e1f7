"""TLS on Spate's SSL and SASL_SSL listeners with both Python clients and kcat.

Usage:
  compat_tls.py certs DIR
      Makes a CA, a broker certificate for localhost and 127.0.0.1 (DIR/broker.pem: chain and
      key in one file, as ssl.keystore.location takes it) and client certificates for alice
      (CN=alice,OU=compat,O=Spate) and, from another CA, mallory, with the openssl CLI. Prints
      alice's principal as OpenSSL writes the subject in RFC 2253 (what the broker must match).
  compat_tls.py check DIR SSL_BOOTSTRAP SASL_SSL_BOOTSTRAP ADMIN_USER ADMIN_PASSWORD
      The broker has an SSL listener with ssl.client.auth=required and a SASL_SSL listener
      (SCRAM-SHA-512 admin, a super user), both trusting DIR/ca.pem.
1. confluent-kafka's AdminClient logs in over SASL_SSL as the admin, creates the topic and
   grants alice's certificate principal ALL on it (CreateAcls).
2. confluent-kafka produces over SSL with alice's certificate; kafka-python reads it back over
   SSL with the same certificate; kcat produces and consumes over SSL too.
3. kafka-python produces over SASL_SSL with SCRAM-SHA-512 as the admin; confluent-kafka
   consumes everything over SASL_SSL.
4. alice writing another topic gets TOPIC_AUTHORIZATION_FAILED; clients with no client
   certificate, mallory's certificate or the wrong CA, and a wrong SASL password, all fail;
   afterwards alice is still served.
Exit code 0 on success.
"""

import os
import subprocess
import sys
import time

TOPIC = "compat-tls"
OTHER = "compat-tls-other"
RECORDS = 100
DEADLINE_S = 45


def fail(msg: str) -> None:
    print(f"tls: {msg}", file=sys.stderr)
    sys.exit(1)


def openssl(*args: str) -> str:
    return subprocess.run(["openssl", *args], check=True, capture_output=True, text=True).stdout


def make_ca(d: str, name: str) -> None:
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.pem", "-days", "2",
            "-subj", f"/CN={name}", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")


def make_leaf(d: str, ca: str, name: str, subj: str, ext: str) -> None:
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.csr", "-subj", subj)
    with open(f"{d}/{name}.ext", "w") as f:
        f.write(ext)
    openssl("x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/{ca}.pem",
            "-CAkey", f"{d}/{ca}.key", "-CAcreateserial", "-out", f"{d}/{name}.crt",
            "-days", "2", "-extfile", f"{d}/{name}.ext")


def certs(d: str) -> None:
    os.makedirs(d, exist_ok=True)
    make_ca(d, "ca")
    make_ca(d, "rogue")
    make_leaf(d, "ca", "broker", "/CN=broker",
              "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    with open(f"{d}/broker.pem", "w") as out:
        for part in ("broker.crt", "broker.key"):
            with open(f"{d}/{part}") as f:
                out.write(f.read())
    client_ext = "extendedKeyUsage=clientAuth\n"
    # OpenSSL's -subj is written first RDN first: O, OU, CN in the certificate.
    make_leaf(d, "ca", "alice", "/O=Spate/OU=compat/CN=alice", client_ext)
    make_leaf(d, "rogue", "mallory", "/O=Spate/OU=compat/CN=alice", client_ext)
    print(principal_of(d, "alice"))


def principal_of(d: str, name: str) -> str:
    subject = openssl("x509", "-in", f"{d}/{name}.crt", "-noout", "-subject", "-nameopt", "RFC2253")
    return "User:" + subject.strip().removeprefix("subject=")


def ssl_conf(d: str, bootstrap: str, cert: str = "alice", ca: str = "ca", **extra) -> dict:
    conf = {
        "bootstrap.servers": bootstrap,
        "security.protocol": "SSL",
        "ssl.ca.location": f"{d}/{ca}.pem",
        "socket.timeout.ms": 5000,
        "message.timeout.ms": 10000,
    }
    if cert:
        conf["ssl.certificate.location"] = f"{d}/{cert}.crt"
        conf["ssl.key.location"] = f"{d}/{cert}.key"
    conf.update(extra)
    return conf


def sasl_ssl_conf(d: str, bootstrap: str, user: str, password: str, **extra) -> dict:
    conf = {
        "bootstrap.servers": bootstrap,
        "security.protocol": "SASL_SSL",
        "ssl.ca.location": f"{d}/ca.pem",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": user,
        "sasl.password": password,
        "socket.timeout.ms": 5000,
    }
    conf.update(extra)
    return conf


def setup(d, sasl_ssl, admin, password, alice):
    from confluent_kafka.admin import (AclBinding, AclOperation, AclPermissionType, AdminClient,
                                       NewTopic, ResourcePatternType, ResourceType)

    client = AdminClient(sasl_ssl_conf(d, sasl_ssl, admin, password))
    for f in client.create_topics([NewTopic(TOPIC, 1), NewTopic(OTHER, 1)]).values():
        f.result(timeout=20)
    acl = AclBinding(ResourceType.TOPIC, TOPIC, ResourcePatternType.LITERAL, alice, "*",
                     AclOperation.ALL, AclPermissionType.ALLOW)
    for f in client.create_acls([acl]).values():
        f.result(timeout=20)


def confluent_produce(conf, topic, values):
    from confluent_kafka import Producer

    errors = []
    p = Producer(conf)
    for v in values:
        p.produce(topic, v.encode(), on_delivery=lambda e, _m: e and errors.append(e))
    left = p.flush(20)
    if left or errors:
        return errors[0] if errors else f"{left} records unacknowledged"
    return None


def confluent_consume(conf, topic, count):
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({**conf, "group.id": "compat-tls-reader", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, 0)])
    out, deadline = [], time.time() + DEADLINE_S
    while len(out) < count and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            fail(f"confluent consumer error: {m.error()}")
        out.append(m.value().decode())
    c.close()
    return out


def kafka_python_ssl(d, bootstrap, cert="alice"):
    return {
        "bootstrap_servers": bootstrap,
        "security_protocol": "SSL",
        "ssl_cafile": f"{d}/ca.pem",
        "ssl_certfile": f"{d}/{cert}.crt" if cert else None,
        "ssl_keyfile": f"{d}/{cert}.key" if cert else None,
        "ssl_check_hostname": True,
    }


def kafka_python_consume(conf, topic, count):
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(**conf, enable_auto_commit=False, consumer_timeout_ms=1000)
    tp = TopicPartition(topic, 0)
    c.assign([tp])
    c.seek(tp, 0)
    out, deadline = [], time.time() + DEADLINE_S
    while len(out) < count and time.time() < deadline:
        for batch in c.poll(timeout_ms=500).values():
            out.extend(m.value.decode() for m in batch)
    c.close()
    return out


def kcat(d, bootstrap, *args, stdin=None):
    cmd = ["kcat", "-b", bootstrap, "-X", "security.protocol=SSL", "-X", f"ssl.ca.location={d}/ca.pem",
           "-X", f"ssl.certificate.location={d}/alice.crt", "-X", f"ssl.key.location={d}/alice.key", *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=DEADLINE_S)


def refused_confluent(conf, what):
    from confluent_kafka.admin import AdminClient

    try:
        AdminClient(conf).list_topics(timeout=4)
    except Exception:  # noqa: BLE001  (any failure is the expected outcome)
        return
    fail(f"{what}: the client got metadata")


def refused_kafka_python(conf, what):
    from kafka import KafkaConsumer

    try:
        c = KafkaConsumer(**conf, api_version_auto_timeout_ms=5000)
        topics = c.topics()
        c.close()
    except Exception:  # noqa: BLE001  (any failure is the expected outcome)
        return
    fail(f"{what}: the client listed topics {sorted(topics)}")


def check(d, ssl, sasl_ssl, admin, password):
    from confluent_kafka import KafkaError
    from kafka import KafkaProducer

    alice = principal_of(d, "alice")
    if alice != "User:CN=alice,OU=compat,O=Spate":
        fail(f"unexpected RFC 2253 subject from openssl: {alice}")
    setup(d, sasl_ssl, admin, password, alice)

    first = [f"ssl-{i}" for i in range(RECORDS)]
    err = confluent_produce(ssl_conf(d, ssl), TOPIC, first)
    if err:
        fail(f"confluent-kafka over SSL as {alice}: {err}")
    got = kafka_python_consume(kafka_python_ssl(d, ssl), TOPIC, RECORDS)
    if got != first:
        fail(f"kafka-python over SSL read {len(got)} records, not the {RECORDS} written")
    print(f"SSL: confluent-kafka wrote and kafka-python read {RECORDS} records as {alice}")

    r = kcat(d, ssl, "-P", "-t", TOPIC, stdin="kcat-0\nkcat-1\n")
    if r.returncode != 0:
        fail(f"kcat -P over SSL: {r.stderr.strip()}")
    r = kcat(d, ssl, "-C", "-t", TOPIC, "-o", "beginning", "-e", "-q")
    lines = r.stdout.split()
    if r.returncode != 0 or lines[-2:] != ["kcat-0", "kcat-1"]:
        fail(f"kcat -C over SSL: rc {r.returncode}, last {lines[-2:]}: {r.stderr.strip()}")
    print("SSL: kcat wrote and read back 2 records with the client certificate")

    second = [f"scram-{i}" for i in range(RECORDS)]
    p = KafkaProducer(bootstrap_servers=sasl_ssl, security_protocol="SASL_SSL", ssl_cafile=f"{d}/ca.pem",
                      sasl_mechanism="SCRAM-SHA-512", sasl_plain_username=admin,
                      sasl_plain_password=password)
    for v in second:
        p.send(TOPIC, v.encode()).get(timeout=20)
    p.close()
    everything = first + ["kcat-0", "kcat-1"] + second
    got = confluent_consume(sasl_ssl_conf(d, sasl_ssl, admin, password), TOPIC, len(everything))
    if got != everything:
        fail(f"confluent-kafka over SASL_SSL read {len(got)} records, not {len(everything)}")
    print("SASL_SSL: kafka-python wrote with SCRAM-SHA-512, confluent-kafka read all")

    err = confluent_produce(ssl_conf(d, ssl), OTHER, ["nope"])
    code = err.code() if isinstance(err, KafkaError) else None
    if code != KafkaError.TOPIC_AUTHORIZATION_FAILED:
        fail(f"alice writing {OTHER}: expected TOPIC_AUTHORIZATION_FAILED, got {err}")
    print(f"alice writing {OTHER}: TOPIC_AUTHORIZATION_FAILED")

    refused_confluent(ssl_conf(d, ssl, cert=None), "SSL without a client certificate")
    refused_confluent(ssl_conf(d, ssl, cert="mallory"), "a certificate from another CA")
    refused_confluent(ssl_conf(d, ssl, ca="rogue"), "a client trusting another CA")
    refused_confluent(sasl_ssl_conf(d, sasl_ssl, admin, "wrong"), "a wrong SCRAM password")
    refused_kafka_python(kafka_python_ssl(d, ssl, cert=None), "kafka-python without a client certificate")
    err = confluent_produce(ssl_conf(d, ssl), TOPIC, ["after"])
    if err:
        fail(f"alice after the refused clients: {err}")
    print("refused: no client certificate, foreign certificate, wrong CA, wrong password; alice still served")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "certs":
        certs(sys.argv[2])
    elif len(sys.argv) == 7 and sys.argv[1] == "check":
        check(*sys.argv[2:])
    else:
        fail(__doc__)


if __name__ == "__main__":
    main()
