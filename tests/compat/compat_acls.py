"""ACLs on a Spate SASL_PLAINTEXT listener with both Python clients' admin APIs.

Usage: compat_acls.py SASL_BOOTSTRAP ADMIN_USER ADMIN_PASSWORD

The admin user is a super user (SCRAM-SHA-512). The broker's authorizer is on because it has a
SASL listener, and allow.everyone.if.no.acl.found is false.
1. confluent-kafka's AdminClient creates user erin and three ACLs with create_acls: READ on topic
   compat-acl (literal), READ on groups compat-acl-* (prefixed) and DENY of WRITE on compat-acl;
   describe_acls with a principal filter returns exactly them, and a MATCH filter on the topic
   returns the two that apply to it.
2. erin (confluent-kafka, SCRAM-SHA-256) reads what the admin wrote, as a member of group
   compat-acl-1, but her own write is refused with TOPIC_AUTHORIZATION_FAILED; group
   compat-other is GROUP_AUTHORIZATION_FAILED.
3. kafka-python's KafkaAdminClient (the admin, SCRAM-SHA-512) describes the same ACLs, creates
   one more, and delete_acls with erin's principal returns the four it removed; confluent-kafka
   then describes none, and its delete_acls of a filter matching nothing returns an empty list.
4. erin may not manage ACLs: create_acls fails with CLUSTER_AUTHORIZATION_FAILED.
Between 2 and 3, confluent-kafka's describe_topics with include_authorized_operations shows erin
READ and DESCRIBE on compat-acl (DESCRIBE implied by READ; WRITE denied), and its
describe_cluster (librdkafka 2.16 answers it from Metadata v10) with include_authorized_operations
shows the admin the cluster id Metadata reports, this one broker at the SASL listener's address
and every cluster operation, and erin (no ACL on the cluster) none; kafka-python's
describe_cluster, which sends DescribeCluster v2, shows both the same.
Exit code 0 on success.
"""

import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)
from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    KafkaAdminClient,
    ResourcePattern,
    ResourcePatternFilter,
)
from kafka.admin import ResourceType as KpResourceType

TOPIC = "compat-acl"
RECORDS = 20
DEADLINE_S = 30


def fail(msg: str) -> None:
    print(f"acls: {msg}", file=sys.stderr)
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


def erin_filter():
    return AclBindingFilter(
        ResourceType.ANY, None, ResourcePatternType.ANY, "User:erin", None,
        AclOperation.ANY, AclPermissionType.ANY,
    )


def grant(admin):
    upsert = UserScramCredentialUpsertion(
        "erin", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), b"er1n-pw"
    )
    for future in admin.alter_user_scram_credentials([upsert]).values():
        future.result(timeout=30)
    acls = [
        AclBinding(ResourceType.TOPIC, TOPIC, ResourcePatternType.LITERAL, "User:erin", "*",
                   AclOperation.READ, AclPermissionType.ALLOW),
        AclBinding(ResourceType.GROUP, "compat-acl-", ResourcePatternType.PREFIXED, "User:erin", "*",
                   AclOperation.READ, AclPermissionType.ALLOW),
        AclBinding(ResourceType.TOPIC, TOPIC, ResourcePatternType.LITERAL, "User:erin", "*",
                   AclOperation.WRITE, AclPermissionType.DENY),
    ]
    for binding, future in admin.create_acls(acls).items():
        future.result(timeout=30)
    described = admin.describe_acls(erin_filter()).result(timeout=30)
    if sorted(map(str, described)) != sorted(map(str, acls)):
        fail(f"described {described}, expected {acls}")
    match = AclBindingFilter(
        ResourceType.TOPIC, TOPIC, ResourcePatternType.MATCH, None, None,
        AclOperation.ANY, AclPermissionType.ANY,
    )
    applying = admin.describe_acls(match).result(timeout=30)
    if len(applying) != 2:
        fail(f"MATCH on {TOPIC} described {applying}, expected the 2 topic ACLs")
    print("confluent-kafka create_acls/describe_acls (principal and MATCH filters) as expected")


def admin_writes(bootstrap, user, password):
    producer = Producer(confluent(bootstrap, "SCRAM-SHA-512", user, password, acks="all"))
    errors = []
    for i in range(RECORDS):
        producer.produce(TOPIC, value=f"r{i}".encode(),
                         on_delivery=lambda err, msg: err and errors.append(err))
    if producer.flush(DEADLINE_S) != 0 or errors:
        fail(f"the admin's writes failed: {errors}")


def erin_reads_but_cannot_write(bootstrap):
    producer = Producer(confluent(bootstrap, "SCRAM-SHA-256", "erin", "er1n-pw",
                                  **{"message.timeout.ms": 10000}))
    errors = []
    producer.produce(TOPIC, value=b"erin", on_delivery=lambda err, msg: errors.append(err))
    producer.flush(DEADLINE_S)
    if len(errors) != 1 or errors[0] is None or errors[0].code() != KafkaError.TOPIC_AUTHORIZATION_FAILED:
        fail(f"erin's write: expected TOPIC_AUTHORIZATION_FAILED, got {errors}")
    consumer = Consumer(confluent(bootstrap, "SCRAM-SHA-256", "erin", "er1n-pw", **{
        "group.id": "compat-acl-1", "auto.offset.reset": "earliest", "enable.auto.commit": False,
    }))
    consumer.subscribe([TOPIC])
    values = []
    deadline = time.time() + DEADLINE_S
    while len(values) < RECORDS and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            fail(f"erin's read: {msg.error()}")
        values.append(msg.value())
    consumer.commit(asynchronous=False)
    consumer.close()
    if values != [f"r{i}".encode() for i in range(RECORDS)]:
        fail(f"erin read {len(values)} of {RECORDS} records")
    other = Consumer(confluent(bootstrap, "SCRAM-SHA-256", "erin", "er1n-pw", **{
        "group.id": "compat-other", "auto.offset.reset": "earliest",
    }))
    other.subscribe([TOPIC])
    error = None
    deadline = time.time() + DEADLINE_S
    while error is None and time.time() < deadline:
        msg = other.poll(0.5)
        if msg is not None and msg.error():
            error = msg.error()
    other.close()
    if error is None or error.code() != KafkaError.GROUP_AUTHORIZATION_FAILED:
        fail(f"group compat-other: expected GROUP_AUTHORIZATION_FAILED, got {error}")
    print("erin read with group compat-acl-1; her write and group compat-other were refused")


def erin_sees_her_operations(bootstrap):
    from confluent_kafka import TopicCollection
    admin = AdminClient(confluent(bootstrap, "SCRAM-SHA-256", "erin", "er1n-pw"))
    described = admin.describe_topics(TopicCollection([TOPIC]), include_authorized_operations=True)
    ops = set(described[TOPIC].result(DEADLINE_S).authorized_operations or [])
    # READ granted, DESCRIBE implied by it, WRITE denied.
    if ops != {AclOperation.READ, AclOperation.DESCRIBE}:
        fail(f"erin's authorized operations on {TOPIC}: {sorted(str(o) for o in ops)}")
    print(f"describe_topics shows erin's authorized operations on {TOPIC}: READ, DESCRIBE")


CLUSTER_OPERATIONS = {
    AclOperation.CREATE,
    AclOperation.CLUSTER_ACTION,
    AclOperation.DESCRIBE_CONFIGS,
    AclOperation.ALTER_CONFIGS,
    AclOperation.IDEMPOTENT_WRITE,
    AclOperation.ALTER,
    AclOperation.DESCRIBE,
}


def describe_cluster_shows_operations(bootstrap, user, password):
    admin = AdminClient(confluent(bootstrap, "SCRAM-SHA-512", user, password))
    cluster = admin.describe_cluster(include_authorized_operations=True).result(DEADLINE_S)
    metadata_cluster_id = admin.list_topics(timeout=DEADLINE_S).cluster_id
    if not cluster.cluster_id or cluster.cluster_id != metadata_cluster_id:
        fail(f"describe_cluster's cluster id {cluster.cluster_id!r}, Metadata's {metadata_cluster_id!r}")
    nodes = [f"{n.host}:{n.port}" for n in cluster.nodes]
    if nodes != [bootstrap]:
        fail(f"describe_cluster's brokers {nodes}, expected [{bootstrap}]")
    if cluster.controller is None or cluster.controller.id != cluster.nodes[0].id:
        fail(f"describe_cluster's controller {cluster.controller}, expected broker {cluster.nodes[0].id}")
    ops = set(cluster.authorized_operations or [])
    if ops != CLUSTER_OPERATIONS:
        fail(f"the admin's cluster operations: {sorted(str(o) for o in ops)}")
    erin = AdminClient(confluent(bootstrap, "SCRAM-SHA-256", "erin", "er1n-pw"))
    erin_cluster = erin.describe_cluster(include_authorized_operations=True).result(DEADLINE_S)
    if erin_cluster.authorized_operations:
        fail(f"erin's cluster operations: {sorted(str(o) for o in erin_cluster.authorized_operations)}")
    print(f"describe_cluster: cluster {cluster.cluster_id}, broker {nodes[0]}, "
          "every cluster operation for the admin and none for erin")
    for who, mechanism, password, expected in [
        (user, "SCRAM-SHA-512", password, {op.name for op in CLUSTER_OPERATIONS}),
        ("erin", "SCRAM-SHA-256", "er1n-pw", set()),
    ]:
        kp_admin = KafkaAdminClient(bootstrap_servers=bootstrap, security_protocol="SASL_PLAINTEXT",
                                    sasl_mechanism=mechanism, sasl_plain_username=who,
                                    sasl_plain_password=password)
        try:
            described = kp_admin.describe_cluster()
        finally:
            kp_admin.close()
        # Only DescribeCluster v2 carries is_fenced; kafka-python falls back to Metadata
        # (which would agree too) when the broker does not offer DescribeCluster.
        if any("is_fenced" not in b for b in described["brokers"]):
            fail(f"kafka-python fell back to Metadata: {described}")
        kp_nodes = [f"{b['host']}:{b['port']}" for b in described["brokers"]]
        if described["cluster_id"] != cluster.cluster_id or kp_nodes != [bootstrap]:
            fail(f"kafka-python's describe_cluster as {who}: {described}")
        if set(described["authorized_operations"]) != expected:
            fail(f"kafka-python's describe_cluster: {who}'s operations {described['authorized_operations']}")
    print("kafka-python describe_cluster (DescribeCluster v2) agrees, for the admin and for erin")


def kafka_python_admin(bootstrap, user, password):
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_plain_username=user,
        sasl_plain_password=password,
    )
    try:
        any_resource = ResourcePatternFilter(KpResourceType.ANY, None, ACLResourcePatternType.ANY)
        acl_filter = ACLFilter(principal="User:erin", host=None, operation=ACLOperation.ANY,
                               permission_type=ACLPermissionType.ANY, resource_pattern=any_resource)
        acls, error = admin.describe_acls(acl_filter)
        if len(acls) != 3:
            fail(f"kafka-python described {acls} ({error}), expected erin's 3 ACLs")
        extra = ACL(principal="User:erin", host="*", operation=ACLOperation.DESCRIBE,
                    permission_type=ACLPermissionType.ALLOW,
                    resource_pattern=ResourcePattern(KpResourceType.TRANSACTIONAL_ID, "compat-tx"))
        result = admin.create_acls([extra])
        if result["failed"] or len(result["succeeded"]) != 1:
            fail(f"kafka-python create_acls: {result}")
        deleted = admin.delete_acls([acl_filter])
        (_, matched, error), = deleted
        if len(matched) != 4:
            fail(f"kafka-python delete_acls removed {matched} ({error}), expected 4")
    finally:
        admin.close()
    print("kafka-python describe_acls/create_acls/delete_acls as expected")


def nothing_left_and_erin_cannot_manage(bootstrap, user, password):
    admin = AdminClient(confluent(bootstrap, "SCRAM-SHA-512", user, password))
    left = admin.describe_acls(erin_filter()).result(timeout=30)
    if left:
        fail(f"ACLs left after delete_acls: {left}")
    for future in admin.delete_acls([erin_filter()]).values():
        if future.result(timeout=30):
            fail("delete_acls of a filter matching nothing removed something")
    erin = AdminClient(confluent(bootstrap, "SCRAM-SHA-256", "erin", "er1n-pw"))
    one = AclBinding(ResourceType.TOPIC, "t", ResourcePatternType.LITERAL, "User:erin", "*",
                     AclOperation.ALL, AclPermissionType.ALLOW)
    try:
        for future in erin.create_acls([one]).values():
            future.result(timeout=30)
        fail("erin created an ACL")
    except KafkaException as e:
        if e.args[0].code() != KafkaError.CLUSTER_AUTHORIZATION_FAILED:
            fail(f"erin's create_acls: expected CLUSTER_AUTHORIZATION_FAILED, got {e}")
    print("no ACLs left; erin may not manage ACLs (CLUSTER_AUTHORIZATION_FAILED)")


def main() -> None:
    bootstrap, user, password = sys.argv[1], sys.argv[2], sys.argv[3]
    admin = AdminClient(confluent(bootstrap, "SCRAM-SHA-512", user, password))
    grant(admin)
    admin_writes(bootstrap, user, password)
    erin_reads_but_cannot_write(bootstrap)
    erin_sees_her_operations(bootstrap)
    describe_cluster_shows_operations(bootstrap, user, password)
    kafka_python_admin(bootstrap, user, password)
    nothing_left_and_erin_cannot_manage(bootstrap, user, password)


if __name__ == "__main__":
    main()
