"""ACLs end to end on a Strom broker with `authorizer.class.name` set: kafka-acls.sh and confluent-kafka's
AdminClient manage them; real clients are allowed or denied by them. Over PLAINTEXT every client is
User:ANONYMOUS, so the broker first runs with ANONYMOUS as a super user to write the ACLs, then restarts
without it (which also shows the ACLs persist in the embedded metadata store)."""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Iterator

import confluent_kafka as ck
import confluent_kafka.admin as cka
import pytest

from strom.cli import kafka_acls
from strom.testing.broker import BrokerProcess

AUTHORIZER = {"authorizer.class.name": "kafka.security.authorizer.AclAuthorizer"}


def acls_tool(bootstrap: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = kafka_acls.main(["--bootstrap-server", bootstrap, *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    with BrokerProcess(overrides={**AUTHORIZER, "super.users": "User:ANONYMOUS"}) as b:
        yield b


def test_kafka_acls_adds_lists_and_removes_in_kafkas_format(broker: BrokerProcess) -> None:
    code, out, err = acls_tool(broker.bootstrap, "--add", "--allow-principal", "User:alice", "--operation", "Read", "--topic", "t1")
    assert code == 0, err
    pattern = "ResourcePattern(resourceType=TOPIC, name=t1, patternType=LITERAL)"
    entry = "(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)"
    assert out == f"Adding ACLs for resource `{pattern}`: \n \t{entry} \n\n"
    code, out, _ = acls_tool(broker.bootstrap, "--list", "--topic", "t1")
    assert (code, out) == (0, f"Current ACLs for resource `{pattern}`: \n \t{entry} \n\n")
    code, out, _ = acls_tool(broker.bootstrap, "--remove", "--force", "--topic", "t1")
    assert (code, out) == (0, "")
    code, _, err = acls_tool(broker.bootstrap, "--add", "--allow-principal", "User:x", "--operation", "Read", "--cluster")
    assert code == 1
    assert err.splitlines()[0] == (
        "ResourceType CLUSTER only supports operations "
        "All, AlterConfigs, DescribeConfigs, IdempotentWrite, Alter, ClusterAction, Create, Describe"
    )


def test_confluent_admin_create_describe_delete_acls(broker: BrokerProcess) -> None:
    admin = cka.AdminClient({"bootstrap.servers": broker.bootstrap})
    binding = cka.AclBinding(
        cka.ResourceType.TOPIC,
        "orders",
        cka.ResourcePatternType.PREFIXED,
        "User:bob",
        "*",
        cka.AclOperation.WRITE,
        cka.AclPermissionType.ALLOW,
    )
    cluster = cka.AclBinding(
        cka.ResourceType.BROKER,
        "kafka-cluster",
        cka.ResourcePatternType.LITERAL,
        "User:bob",
        "*",
        cka.AclOperation.IDEMPOTENT_WRITE,
        cka.AclPermissionType.ALLOW,
    )
    for future in admin.create_acls([binding, cluster]).values():
        assert future.result(30) is None
    match = cka.AclBindingFilter(
        cka.ResourceType.TOPIC, "orders-eu", cka.ResourcePatternType.MATCH, None, None, cka.AclOperation.ANY, cka.AclPermissionType.ANY
    )
    assert admin.describe_acls(match).result(30) == [binding]
    everything = cka.AclBindingFilter(
        cka.ResourceType.ANY, None, cka.ResourcePatternType.ANY, "User:bob", None, cka.AclOperation.ANY, cka.AclPermissionType.ANY
    )
    deleted = admin.delete_acls([everything])[everything].result(30)
    assert sorted(deleted, key=str) == sorted([binding, cluster], key=str)
    assert admin.describe_acls(everything).result(30) == []
    bad = cka.AclBinding(
        cka.ResourceType.BROKER, "not-the-cluster", cka.ResourcePatternType.LITERAL, "User:bob", "*", cka.AclOperation.ALTER, 3
    )
    with pytest.raises(ck.KafkaException) as failed:
        admin.create_acls([bad])[bad].result(30)
    assert failed.value.args[0].code() == ck.KafkaError.INVALID_REQUEST


def test_anonymous_is_allowed_and_denied_by_persisted_acls(tmp_path_factory: pytest.TempPathFactory) -> None:
    """ACLs written while ANONYMOUS is a super user apply to it after a restart without super.users: a topic
    it may write is produced to, one it may not answers TOPIC_AUTHORIZATION_FAILED, and a consumer needs
    READ on its group."""
    open_topic, closed_topic = f"open-{uuid.uuid4().hex[:6]}", f"closed-{uuid.uuid4().hex[:6]}"
    base = tmp_path_factory.mktemp("acl-broker")
    first = BrokerProcess(log_dir=base, overrides={**AUTHORIZER, "super.users": "User:ANONYMOUS"}).start()
    try:
        admin = cka.AdminClient({"bootstrap.servers": first.bootstrap})
        for name in (open_topic, closed_topic):
            admin.create_topics([cka.NewTopic(name, 1, 1)])[name].result(30)
        for args in (
            ["--add", "--allow-principal", "User:ANONYMOUS", "--producer", "--consumer", "--topic", open_topic, "--group", "g-ok"],
            ["--add", "--allow-principal", "User:ANONYMOUS", "--operation", "Describe", "--operation", "Alter", "--cluster"],
            ["--add", "--allow-principal", "User:ANONYMOUS", "--operation", "Describe", "--topic", closed_topic],
        ):
            assert acls_tool(first.bootstrap, *args)[0] == 0
    finally:
        first.close()
    second = BrokerProcess(log_dir=base, port=first.port, overrides=AUTHORIZER).start()
    try:
        delivered: dict[str, ck.KafkaError | None] = {}
        producer = ck.Producer({"bootstrap.servers": second.bootstrap, "message.timeout.ms": 20000})
        for name in (open_topic, closed_topic):
            producer.produce(name, b"v", on_delivery=lambda err, msg: delivered.__setitem__(msg.topic(), err))
        producer.flush(30)
        assert delivered[open_topic] is None
        refused = delivered[closed_topic]
        assert refused is not None and refused.code() == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED
        consumer = ck.Consumer({"bootstrap.servers": second.bootstrap, "group.id": "g-ok", "auto.offset.reset": "earliest"})
        consumer.subscribe([open_topic])
        msg = consumer.poll(30)
        assert msg is not None and msg.error() is None and msg.value() == b"v"
        consumer.close()
        denied = ck.Consumer({"bootstrap.servers": second.bootstrap, "group.id": "g-denied", "auto.offset.reset": "earliest"})
        denied.subscribe([open_topic])
        msg = denied.poll(15)
        assert msg is not None and msg.error() is not None and msg.error().code() == ck.KafkaError.GROUP_AUTHORIZATION_FAILED
        denied.close()
        admin = cka.AdminClient({"bootstrap.servers": second.bootstrap})
        assert set(admin.list_topics(timeout=30).topics) >= {open_topic, closed_topic}
        code, _, err = acls_tool(second.bootstrap, "--list")
        assert code == 0, err
    finally:
        second.close()


def test_allow_everyone_if_no_acl_found_opens_resources_without_acls() -> None:
    """With allow.everyone.if.no.acl.found=true ANONYMOUS may do anything on a resource without ACLs (even
    create ACLs: the cluster has none), until an ACL names the resource: then the ACLs decide."""
    topic = f"open-{uuid.uuid4().hex[:6]}"
    with BrokerProcess(overrides={**AUTHORIZER, "allow.everyone.if.no.acl.found": "true"}) as b:
        producer = ck.Producer({"bootstrap.servers": b.bootstrap, "message.timeout.ms": 20000})
        delivered: list[ck.KafkaError | None] = []
        producer.produce(topic, b"v", on_delivery=lambda err, _msg: delivered.append(err))
        producer.flush(30)
        assert delivered == [None]  # auto-created and written: no ACL on the cluster or the topic
        code, _, err = acls_tool(b.bootstrap, "--add", "--deny-principal", "User:ANONYMOUS", "--operation", "Write", "--topic", topic)
        assert code == 0, err
        producer.produce(topic, b"v", on_delivery=lambda err, _msg: delivered.append(err))
        producer.flush(30)
        assert delivered[1] is not None and delivered[1].code() == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_without_an_authorizer_kafka_acls_reports_security_disabled(strom_broker: BrokerProcess) -> None:
    code, out, _ = acls_tool(strom_broker.bootstrap, "--list")
    assert code == 1
    assert out == (
        "Error while executing ACL command: org.apache.kafka.common.errors.SecurityDisabledException: "
        "No Authorizer is configured on the broker\n"
    )
