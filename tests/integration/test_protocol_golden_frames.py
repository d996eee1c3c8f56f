"""Golden frames from real clients: every request that librdkafka (confluent-kafka), kafka-python, aiokafka and
kcat send through a recording proxy must decode completely with our tables and re-encode to the very same bytes,
and every response the broker sent back must decode completely. This pins the schema tables to what real clients
put on the wire, field by field, beyond what the broker happens to read."""

from __future__ import annotations

import asyncio
import socket
import struct
import subprocess
import threading
import time
import uuid
from collections import Counter

import pytest

from strom.protocol.headers import decode_request_header, decode_response_header, encode_request_header
from strom.protocol.messages import REQUEST_TYPES, RESPONSE_TYPES, api_name

pytestmark = pytest.mark.timeout(240)


class RecordingProxy:
    """A TCP proxy in front of one broker that keeps every request and response frame, per connection."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.upstream_port = 0
        self.requests: list[bytes] = []
        self.responses: list[tuple[bytes, bytes]] = []  # (request frame, response frame), matched in order
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:  # the broker is gone (teardown): refuse the client too
                client.close()
                continue
            pending: list[bytes] = []  # this connection's requests awaiting their responses (Kafka answers in order)
            threading.Thread(target=self._pump, args=(client, upstream, pending, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, pending, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, pending: list[bytes], is_request: bool) -> None:
        buf = bytearray()
        try:
            while chunk := src.recv(1 << 16):
                buf += chunk
                # record the frames this chunk completes before forwarding it: a request is in `pending`
                # before the broker can have seen its last byte, so its response always finds it
                while len(buf) >= 4 and len(buf) >= 4 + struct.unpack_from(">i", buf)[0]:
                    size = struct.unpack_from(">i", buf)[0]
                    frame = bytes(buf[4 : 4 + size])
                    del buf[: 4 + size]
                    with self._lock:
                        if is_request:
                            self.requests.append(frame)
                            if not _is_acks_zero_produce(frame):
                                pending.append(frame)
                        elif pending:
                            self.responses.append((pending.pop(0), frame))
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            if is_request:  # the other pump ends on the shutdown; one side closes
                src.close()
                dst.close()

    def close(self) -> None:
        self._closed = True
        self.server.close()


def _is_acks_zero_produce(frame: bytes) -> bool:
    """Produce with acks=0 gets no response (the only request without one)."""
    try:
        header, pos = decode_request_header(frame)
        if header.api_key != 0:
            return False
        request, _ = REQUEST_TYPES[0].decode(frame, header.api_version, pos)
        return bool(request.acks == 0)
    except Exception:  # noqa: BLE001 - an undecodable frame is reported by the test itself
        return False


@pytest.fixture
def proxied_broker(strom_broker_factory):
    proxy = RecordingProxy()
    broker = strom_broker_factory(advertised_listeners=f"PLAINTEXT://127.0.0.1:{proxy.port}")
    proxy.upstream_port = broker.port
    yield proxy, f"127.0.0.1:{proxy.port}"
    proxy.close()


def _confluent(bootstrap: str, topic: str) -> None:
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])[topic].result(30)
    admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)])
    admin.create_partitions([NewPartitions(topic, 3)])[topic].result(30)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "compression.type": "lz4", "linger.ms": 5})
    for i in range(100):
        producer.produce(topic, key=b"k%d" % i, value=b"v" * i, headers=[("h", b"x")])
    assert producer.flush(30) == 0
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"golden-{uuid.uuid4().hex[:6]}", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    seen = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is not None and msg.error() is None:
            seen += 1
            if seen == 100:
                break
    consumer.commit(asynchronous=False)
    consumer.close()
    assert seen == 100


def _kafka_python(bootstrap: str, topic: str) -> None:
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, compression_type="gzip", acks="all")
    for i in range(20):
        producer.send(topic, key=b"kp%d" % i, value=b"x" * i)
    producer.flush(30)
    producer.close()
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"golden-kp-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest",
        consumer_timeout_ms=8000,
    )  # fmt: skip
    assert sum(1 for _ in consumer) >= 20
    consumer.commit()
    consumer.close()
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.list_groups()
    admin.describe_log_dirs()
    admin.describe_cluster()
    admin.close()


def _aiokafka(bootstrap: str, topic: str) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks=0)
        await producer.start()
        for i in range(10):
            await producer.send(topic, b"ai%d" % i)
        await producer.flush()
        await producer.stop()
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, group_id=f"golden-ai-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest"
        )
        await consumer.start()
        got = await consumer.getmany(timeout_ms=5000)
        await consumer.commit()
        await consumer.stop()
        assert got

    asyncio.run(run())


def _kcat(kcat: str, bootstrap: str, topic: str) -> None:
    subprocess.run([kcat, "-b", bootstrap, "-P", "-t", topic, "-z", "snappy"], input=b"a\nb\nc\n", check=True, timeout=30)
    subprocess.run([kcat, "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q"], check=True, timeout=30, capture_output=True)
    subprocess.run([kcat, "-b", bootstrap, "-L"], check=True, timeout=30, capture_output=True)


def test_real_client_frames_decode_and_reencode_byte_for_byte(proxied_broker, kcat):
    proxy, bootstrap = proxied_broker
    topic = f"golden-{uuid.uuid4().hex[:6]}"
    _confluent(bootstrap, f"{topic}-rdkafka")  # one topic per client: each reads only the codecs it produced
    _kafka_python(bootstrap, f"{topic}-kafka-python")
    _aiokafka(bootstrap, f"{topic}-aiokafka")
    _kcat(kcat, bootstrap, f"{topic}-kcat")

    with proxy._lock:
        requests = list(proxy.requests)
        responses = list(proxy.responses)
    seen: Counter[str] = Counter()
    for frame in requests:
        header, pos = decode_request_header(frame)
        cls = REQUEST_TYPES[header.api_key]
        request, end = cls.decode(frame, header.api_version, pos)
        label = f"{api_name(header.api_key)} v{header.api_version} from {header.client_id}"
        assert end == len(frame), f"{label}: {len(frame) - end} bytes not consumed"
        again = bytearray()
        encode_request_header(again, header)
        request.encode_into(again, header.api_version)
        assert bytes(again) == frame, f"{label}: re-encoding differs"
        seen[f"{api_name(header.api_key)} v{header.api_version}"] += 1
    for request_frame, response_frame in responses:
        header, _ = decode_request_header(request_frame)
        correlation_id, pos = decode_response_header(response_frame, header.api_key, header.api_version)
        assert correlation_id == header.correlation_id
        _, end = RESPONSE_TYPES[header.api_key].decode(response_frame, header.api_version, pos)
        assert end == len(response_frame), f"{api_name(header.api_key)} v{header.api_version} response has trailing bytes"
    # the clients' bread and butter must all have been seen
    names = {key.split()[0] for key in seen}
    assert {"ApiVersions", "Metadata", "Produce", "Fetch", "FindCoordinator", "JoinGroup", "SyncGroup", "OffsetCommit"} <= names
    assert {"CreateTopics", "DescribeConfigs", "CreatePartitions", "ListOffsets", "InitProducerId"} <= names
    print(dict(sorted(seen.items())))
