"""SASL on a Spate SASL_PLAINTEXT listener with both Python clients.

Usage: compat_sasl.py SASL_BOOTSTRAP ADMIN_USER ADMIN_PASSWORD

The admin user (SCRAM-SHA-512, a super user) was added offline with `spate users add`.
1. confluent-kafka's AdminClient logs in as the admin with SCRAM-SHA-512 and creates two users
   over the wire (AlterUserScramCredentials): carol (SCRAM-SHA-256) and dave (SCRAM-SHA-512);
   DescribeUserScramCredentials must list both with their mechanism and iterations. The
   broker authorizes every request (it has a SASL listener), so the admin also grants both ALL
   on the topic and READ on the group (CreateAcls; compat_acls.py covers ACLs in depth).
2. confluent-kafka produces as carol (SCRAM-SHA-256); kafka-python consumes as dave with PLAIN
   (checked against dave's SCRAM credential) and must read exactly what was acknowledged.
3. kafka-python produces as dave with SCRAM-SHA-512; confluent-kafka consumes as carol with
   PLAIN.
4. A wrong password fails in both clients with an authentication error, and afterwards the
   broker still serves a correct login.
Exit code 0 on success.
"""

import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)
from kafka import KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KpTopicPartition
from kafka.errors import KafkaError as KpKafkaError

TOPIC = "compat-sasl"
RECORDS = 200
DEADLINE_S = 45


def fail(msg: str) -> None:
    print(f"sasl: {msg}", file=sys.stderr)
    sys.exit(1)


def confluent(bootstrap, mechanism, user, password, **extra):
    conf = {
        "bootstrap.servers": bootstrap,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": mechanism,
        "sasl.username": user,
        "sasl.password": password,
    }
    conf.update(extra)
    return conf


def kafka_python(bootstrap, mechanism, user, password):
    return {
        "bootstrap_servers": bootstrap,
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": mechanism,
        "sasl_plain_username": user,
        "sasl_plain_password": password,
    }


def create_users(bootstrap, admin_user, admin_password):
    admin = AdminClient(confluent(bootstrap, "SCRAM-SHA-512", admin_user, admin_password))
    upserts = [
        UserScramCredentialUpsertion(
            "carol", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), b"c4rol-pw"
        ),
        UserScramCredentialUpsertion(
            "dave", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), b"d4ve-pw"
        ),
    ]
    for user, future in admin.alter_user_scram_credentials(upserts).items():
        future.result(timeout=30)
    described = admin.describe_user_scram_credentials(["carol", "dave"])
    got = {}
    for user, future in described.items():
        desc = future.result(timeout=30)
        got[user] = [(i.mechanism, i.iterations) for i in desc.scram_credential_infos]
    want = {
        "carol": [(ScramMechanism.SCRAM_SHA_256, 4096)],
        "dave": [(ScramMechanism.SCRAM_SHA_512, 8192)],
    }
    if got != want:
        fail(f"described credentials {got}, expected {want}")
    grants = [
        AclBinding(resource_type, name, ResourcePatternType.LITERAL, f"User:{user}", "*",
                   operation, AclPermissionType.ALLOW)
        for user in ("carol", "dave")
        for resource_type, name, operation in (
            (ResourceType.TOPIC, TOPIC, AclOperation.ALL),
            (ResourceType.GROUP, "compat-sasl", AclOperation.READ),
        )
    ]
    for future in admin.create_acls(grants).values():
        future.result(timeout=30)
    print("confluent-kafka admin (SCRAM-SHA-512) created carol and dave over the wire")


def produce_confluent(bootstrap, values):
    producer = Producer(confluent(bootstrap, "SCRAM-SHA-256", "carol", "c4rol-pw", acks="all"))
    acked = {}
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)
        else:
            acked[msg.offset()] = msg.value()

    for v in values:
        producer.produce(TOPIC, value=v, on_delivery=on_delivery)
    if producer.flush(30) != 0 or errors:
        fail(f"confluent-kafka produce as carol: {errors or 'not all delivered'}")
    return acked


def consume_kafka_python(bootstrap, count):
    consumer = KafkaConsumer(
        **kafka_python(bootstrap, "PLAIN", "dave", "d4ve-pw"),
        enable_auto_commit=False,
        consumer_timeout_ms=5000,
    )
    tp = KpTopicPartition(TOPIC, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    got = {}
    deadline = time.time() + DEADLINE_S
    while len(got) < count and time.time() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            for r in records:
                got[r.offset] = r.value
    consumer.close()
    return got


def produce_kafka_python(bootstrap, values):
    producer = KafkaProducer(**kafka_python(bootstrap, "SCRAM-SHA-512", "dave", "d4ve-pw"), acks="all")
    futures = [producer.send(TOPIC, value=v) for v in values]
    producer.flush(timeout=30)
    return {f.get(timeout=30).offset: v for f, v in zip(futures, values)}


def consume_confluent(bootstrap, start, count):
    consumer = Consumer(
        confluent(
            bootstrap,
            "PLAIN",
            "carol",
            "c4rol-pw",
            **{"group.id": "compat-sasl", "enable.auto.commit": False},
        )
    )
    consumer.assign([TopicPartition(TOPIC, 0, start)])
    got = {}
    deadline = time.time() + DEADLINE_S
    while len(got) < count and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            fail(f"confluent-kafka consume as carol: {msg.error()}")
        got[msg.offset()] = msg.value()
    consumer.close()
    return got


def wrong_passwords_fail(bootstrap):
    reported = []
    admin = AdminClient(
        confluent(
            bootstrap,
            "SCRAM-SHA-256",
            "carol",
            "not-her-password",
            error_cb=lambda e: reported.append(e),
        )
    )
    try:
        admin.list_topics(timeout=5)
        fail("confluent-kafka listed topics with a wrong password")
    except KafkaException:
        pass
    deadline = time.time() + 10
    while not any("uthentication" in str(e) for e in reported) and time.time() < deadline:
        admin.poll(0.2)
    if not any("uthentication" in str(e) for e in reported):
        fail(f"confluent-kafka reported no authentication error: {reported}")
    # Otherwise it keeps retrying in the background.
    del admin
    try:
        KafkaProducer(
            **kafka_python(bootstrap, "SCRAM-SHA-512", "dave", "wrong"),
            max_block_ms=5000,
            bootstrap_timeout_ms=5000,
        )
        fail("kafka-python connected with a wrong password")
    except KpKafkaError as e:
        print(f"kafka-python refused as expected: {type(e).__name__}")
    print("wrong passwords fail in both clients")


def main() -> None:
    bootstrap, admin_user, admin_password = sys.argv[1], sys.argv[2], sys.argv[3]
    create_users(bootstrap, admin_user, admin_password)

    first = [f"confluent-{i}".encode() for i in range(RECORDS)]
    acked = produce_confluent(bootstrap, first)
    read = consume_kafka_python(bootstrap, len(acked))
    if read != acked:
        fail(f"kafka-python (PLAIN) read {len(read)} records, {len(acked)} acknowledged; differ")
    print(f"{RECORDS} records: confluent-kafka SCRAM-SHA-256 -> kafka-python PLAIN")

    wrong_passwords_fail(bootstrap)

    second = [f"kafka-python-{i}".encode() for i in range(RECORDS)]
    acked2 = produce_kafka_python(bootstrap, second)
    read2 = consume_confluent(bootstrap, min(acked2), len(acked2))
    if read2 != acked2:
        fail(f"confluent-kafka (PLAIN) read {len(read2)} records, {len(acked2)} acknowledged; differ")
    print(f"{RECORDS} records: kafka-python SCRAM-SHA-512 -> confluent-kafka PLAIN")


if __name__ == "__main__":
    main()
