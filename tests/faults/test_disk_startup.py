"""A log dir that cannot be used when the broker starts: Kafka marks it offline and serves the other dirs.

The partition whose log is in that dir answers KAFKA_STORAGE_ERROR (it is not recreated empty in another dir:
its records are still in the broken one), the others are served as before, and once the dir is back and the
broker restarted, every record of both reads back."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.protocol.errors import ErrorCode
from strom.protocol.schema.describe_log_dirs import DescribeLogDirsRequest
from strom.testing.broker import BrokerProcess
from tests.faults.test_disk_full import TOPIC, call, fetch, produce, read_all, server_log

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def test_a_log_dir_unusable_at_start_up_is_offline_and_the_broker_serves_the_others(tmp_path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    broker = BrokerProcess(overrides={"log.dirs": f"{one},{two}"})
    broker.start()
    try:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        admin.create_topics([NewTopic(TOPIC, 2, 1)])[TOPIC].result(20)
        broken, kept = (0, 1) if (two / f"{TOPIC}-0").is_dir() else (1, 0)
        assert (two / f"{TOPIC}-{broken}").is_dir() and (one / f"{TOPIC}-{kept}").is_dir()
        for tag in range(3):
            for partition in (0, 1):
                assert produce(broker.port, partition, tag) == (0, tag * 16)
        assert broker.stop() == 0
        # the second dir is unusable: a file where the directory should be (as a failed mount would leave it)
        two.rename(tmp_path / "two-away")
        two.write_text("not a directory")
        broker.start()
        assert produce(broker.port, broken, 9)[0] == ErrorCode.KAFKA_STORAGE_ERROR
        assert fetch(broker.port, broken)[0] == ErrorCode.KAFKA_STORAGE_ERROR
        assert not (one / f"{TOPIC}-{broken}").exists()  # not recreated empty in the live dir
        assert [o for o, _ in read_all(broker.port, kept)] == list(range(48))
        assert produce(broker.port, kept, 3) == (0, 48)
        described = asyncio.run(call(broker.port, DescribeLogDirsRequest(topics=None), 2))
        errors = {r.log_dir: r.error_code for r in described.results}
        assert errors[str(two.resolve())] == ErrorCode.KAFKA_STORAGE_ERROR and errors[str(one.resolve())] == 0
        assert f"Failed to create or validate data directory {two}" in server_log(broker)
        assert broker.stop() == 0
        # the dir is back: everything of both partitions reads back
        two.unlink()
        shutil.move(tmp_path / "two-away", two)
        broker.start()
        assert [o for o, _ in read_all(broker.port, broken)] == list(range(48))
        assert [o for o, _ in read_all(broker.port, kept)] == list(range(64))
    except BaseException:
        print(server_log(broker)[-4000:])
        raise
    finally:
        broker.close()
