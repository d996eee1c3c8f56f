"""The ACL allow/deny matrix with real principals: a SASL_PLAINTEXT (PLAIN) listener, User:admin a super user,
alice a producer (with a transactional id), bob a consumer; confluent-kafka produces, consumes with a group,
runs transactions and calls the admin APIs as each of them."""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import confluent_kafka as ck
import confluent_kafka.admin as cka
import pytest

from strom.cli import kafka_acls
from strom.client.admin import AdminClient
from strom.client.admin_types import AclBindingFilter
from strom.protocol.errors import ErrorCode, KafkaError
from strom.testing.broker import BrokerProcess, free_port
from tests.integration.test_acls_java import shape

JAAS = (
    'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" '
    'user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";'
)
SUFFIX = uuid.uuid4().hex[:6]
TOPIC, OTHER, TXN, GROUP = f"orders-{SUFFIX}", f"other-{SUFFIX}", f"tx-{SUFFIX}", f"g-{SUFFIX}"


@pytest.fixture(scope="module")
def sasl() -> Iterator[str]:
    plain, sasl_port = free_port(), free_port()
    b = BrokerProcess(
        port=plain,
        overrides={
            "listeners": f"PLAINTEXT://127.0.0.1:{plain},SASL_PLAINTEXT://127.0.0.1:{sasl_port}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
            "sasl.enabled.mechanisms": "PLAIN",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config": JAAS,
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": "User:admin",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
        },
    ).start()
    bootstrap = f"127.0.0.1:{sasl_port}"
    admin = cka.AdminClient(conf(bootstrap, "admin"))
    for name in (TOPIC, OTHER):
        admin.create_topics([cka.NewTopic(name, 1, 1)])[name].result(30)
    acls = [binding(cka.ResourceType.TOPIC, TOPIC, "User:alice", op) for op in (cka.AclOperation.WRITE, cka.AclOperation.DESCRIBE)] + [
        binding(cka.ResourceType.TRANSACTIONAL_ID, TXN, "User:alice", cka.AclOperation.WRITE),
        binding(cka.ResourceType.TOPIC, TOPIC, "User:bob", cka.AclOperation.READ),
        binding(cka.ResourceType.GROUP, GROUP, "User:bob", cka.AclOperation.READ),
        binding(cka.ResourceType.TOPIC, TOPIC, "User:bob", cka.AclOperation.WRITE, cka.AclPermissionType.DENY),
        binding(cka.ResourceType.TOPIC, "*", "User:bob", cka.AclOperation.WRITE),  # DENY on TOPIC still wins
    ]
    for future in admin.create_acls(acls).values():
        future.result(30)
    yield bootstrap
    b.close()


def conf(bootstrap: str, user: str, **extra: Any) -> dict[str, Any]:
    return {
        "bootstrap.servers": bootstrap,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanisms": "PLAIN",
        "sasl.username": user,
        "sasl.password": f"{user}-secret",
        **extra,
    }


def binding(rtype: Any, name: str, principal: str, op: Any, perm: Any = cka.AclPermissionType.ALLOW) -> cka.AclBinding:
    return cka.AclBinding(rtype, name, cka.ResourcePatternType.LITERAL, principal, "*", op, perm)


def produce(bootstrap: str, user: str, topic: str) -> ck.KafkaError | None:
    errors: list[ck.KafkaError | None] = []
    producer = ck.Producer(conf(bootstrap, user, **{"message.timeout.ms": 15000}))
    producer.produce(topic, b"v-" + user.encode(), on_delivery=lambda err, _msg: errors.append(err))
    producer.flush(30)
    assert len(errors) == 1
    return errors[0]


def test_produce_is_allowed_by_write_and_denied_otherwise(sasl: str) -> None:
    assert produce(sasl, "alice", TOPIC) is None
    denied = produce(sasl, "alice", OTHER)
    assert denied is not None and denied.code() == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED
    denied = produce(sasl, "bob", TOPIC)  # ALLOW WRITE on * but DENY WRITE on the topic
    assert denied is not None and denied.code() == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_consume_needs_read_on_topic_and_group(sasl: str) -> None:
    assert produce(sasl, "admin", TOPIC) is None
    consumer = ck.Consumer(conf(sasl, "bob", **{"group.id": GROUP, "auto.offset.reset": "earliest"}))
    consumer.subscribe([TOPIC])
    msg = consumer.poll(30)
    assert msg is not None and msg.error() is None
    consumer.commit(asynchronous=False)
    consumer.close()
    stranger = ck.Consumer(conf(sasl, "bob", **{"group.id": f"other-{GROUP}", "auto.offset.reset": "earliest"}))
    stranger.subscribe([TOPIC])
    msg = stranger.poll(15)
    assert msg is not None and msg.error() is not None and msg.error().code() == ck.KafkaError.GROUP_AUTHORIZATION_FAILED
    stranger.close()


def test_transactions_need_write_on_the_transactional_id(sasl: str) -> None:
    producer = ck.Producer(conf(sasl, "alice", **{"transactional.id": TXN}))
    producer.init_transactions(30)
    producer.begin_transaction()
    producer.produce(TOPIC, b"in-txn")
    producer.commit_transaction(30)
    refused = ck.Producer(conf(sasl, "alice", **{"transactional.id": f"not-{TXN}"}))
    with pytest.raises(ck.KafkaException) as failed:
        refused.init_transactions(30)
    assert failed.value.args[0].code() == ck.KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED


def test_admin_calls_follow_the_acls(sasl: str) -> None:
    bob = cka.AdminClient(conf(sasl, "bob"))
    with pytest.raises(ck.KafkaException) as failed:
        bob.create_topics([cka.NewTopic(f"new-{SUFFIX}", 1, 1)])[f"new-{SUFFIX}"].result(30)
    assert failed.value.args[0].code() == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED
    everything = cka.AclBindingFilter(
        cka.ResourceType.ANY, None, cka.ResourcePatternType.ANY, None, None, cka.AclOperation.ANY, cka.AclPermissionType.ANY
    )
    with pytest.raises(ck.KafkaException) as failed:
        bob.delete_acls([everything])[everything].result(30)
    assert failed.value.args[0].code() == ck.KafkaError.CLUSTER_AUTHORIZATION_FAILED
    # confluent-kafka's describe_acls answers [] on DescribeAcls' top-level error; Strom's client raises it
    strom_bob = AdminClient(conf(sasl, "bob"))
    with pytest.raises(KafkaError) as refused:
        strom_bob.describe_acls(AclBindingFilter(1, None, 1, None, None, 1, 1)).result(30)
    strom_bob.close()
    assert refused.value.code() == ErrorCode.CLUSTER_AUTHORIZATION_FAILED
    visible = set(cka.AdminClient(conf(sasl, "alice")).list_topics(timeout=30).topics)
    assert TOPIC in visible and OTHER not in visible  # Metadata hides what alice may not describe


def _java_config(tmp_path: Path, user: str) -> str:
    path = tmp_path / f"{user}.properties"
    path.write_text(
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
        f'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="{user}" password="{user}-secret";\n'
    )
    return str(path)


@pytest.mark.java
def test_java_clients_and_tools_meet_the_same_acls(sasl: str, kafka_tool: Callable[..., Any], tmp_path: Path) -> None:
    alice, bob, admin = (_java_config(tmp_path, u) for u in ("alice", "bob", "admin"))
    produced = kafka_tool(
        "kafka-console-producer.sh", ["--bootstrap-server", sasl, "--topic", OTHER, "--producer.config", alice], input="x\n"
    )
    assert "TopicAuthorizationException" in produced.stdout + produced.stderr
    consumed = kafka_tool(
        "kafka-console-consumer.sh",
        ["--bootstrap-server", sasl, "--topic", TOPIC, "--group", f"java-{GROUP}", "--consumer.config", bob, "--timeout-ms", "10000"],
    )
    assert "GroupAuthorizationException" in consumed.stdout + consumed.stderr
    listed = kafka_tool("kafka.admin.AclCommand", ["--bootstrap-server", sasl, "--command-config", admin, "--list", "--topic", TOPIC])
    assert listed.returncode == 0, listed.stderr[-2000:]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert kafka_acls.main(["--bootstrap-server", sasl, "--command-config", admin, "--list", "--topic", TOPIC]) == 0
    assert shape(out.getvalue()) == shape(listed.stdout) and "User:bob" in listed.stdout
    refused = kafka_tool("kafka.admin.AclCommand", ["--bootstrap-server", sasl, "--command-config", bob, "--list"])
    assert "ClusterAuthorizationException" in refused.stdout + refused.stderr


@pytest.mark.java
@pytest.mark.slow
def test_java_transactions_need_write_on_the_transactional_id(sasl: str, kafka_tool: Callable[..., Any], tmp_path: Path) -> None:
    alice = _java_config(tmp_path, "alice")
    args = ["--topic", TOPIC, "--num-records", "20", "--record-size", "10", "--throughput", "-1", "--producer.config", alice]
    args += ["--producer-props", f"bootstrap.servers={sasl}", "--transaction-duration-ms", "100"]
    allowed = kafka_tool("kafka-producer-perf-test.sh", [*args, "--transactional-id", TXN])
    assert allowed.returncode == 0 and "20 records sent" in allowed.stdout, allowed.stderr[-2000:]
    refused = kafka_tool("kafka-producer-perf-test.sh", [*args, "--transactional-id", f"not-{TXN}"])
    assert "TransactionalIdAuthorizationException" in refused.stdout + refused.stderr
