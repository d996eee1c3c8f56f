"""The history checker finds each anomaly it names, and only those: each test builds the smallest history that
has one, the way a real run would record it."""

from __future__ import annotations

import json
from pathlib import Path

from strom.testing.faults.artifacts import save_run
from strom.testing.faults.checker import check
from strom.testing.faults.history import History


def clean_history() -> History:
    """p0 writes three records to partition 0 and one to partition 1, all acknowledged; a group reads and
    commits them; a final read sees them all."""
    h = History(seed=7)
    for n, (partition, offset) in enumerate([(0, 0), (1, 0), (0, 1), (0, 2)]):
        h.send("p0", "t", partition, f"p0-{n}")
        h.ack("p0", "t", partition, offset, f"p0-{n}")
    for n, (partition, offset) in enumerate([(0, 0), (1, 0), (0, 1), (0, 2)]):
        h.consume("c0", "t", partition, offset, f"p0-{n}")
        h.consume("final", "t", partition, offset, f"p0-{n}")
    h.commit("c0", "g", "t", 0, 2)
    h.commit("c0", "g", "t", 0, 3)
    return h


def test_a_clean_history_passes() -> None:
    report = check(clean_history())
    assert report.ok, report.summary()
    assert (report.sent, report.acked, report.consumed) == (4, 4, 8)
    assert "lost=0" in report.summary()


def test_an_acknowledged_record_never_read_is_lost() -> None:
    h = clean_history()
    h.send("p0", "t", 1, "p0-4")
    h.ack("p0", "t", 1, 1, "p0-4")
    report = check(h)
    assert not report.ok
    assert report.lost_count == 1 and report.lost[0]["value"] == "p0-4" and report.lost[0]["offset"] == 1


def test_an_acknowledged_offset_holding_another_record_is_lost_and_divergent() -> None:
    """The zombie-leader case: p0-2 was acknowledged at offset 1, a new leader wrote p1-0 there, a reader saw
    p0-2 before the truncation and the final read sees p1-0."""
    h = clean_history()
    h.send("p1", "t", 0, "p1-0")
    h.ack("p1", "t", 0, 1, "p1-0")
    h.consume("final", "t", 0, 1, "p1-0")
    report = check(h)
    assert report.lost_count == 2  # both acknowledged at offset 1, one is gone
    assert report.divergent_count == 1 and report.divergent[0]["values"] == ["p0-2", "p1-0"]


def test_an_acknowledged_record_read_only_at_another_offset_is_lost() -> None:
    h = History(seed=1)
    h.send("p0", "t", 0, "p0-0")
    h.ack("p0", "t", 0, 5, "p0-0")
    h.consume("final", "t", 0, 6, "p0-0")
    report = check(h)
    assert report.lost_count == 1 and report.lost[0]["read_at"] == [6]


def test_an_acknowledgement_without_an_offset_needs_the_record_somewhere_in_its_partition() -> None:
    """Kafka answers a retried batch it already holds as a duplicate, with offset -1."""
    h = clean_history()
    h.send("p0", "t", 1, "p0-4")
    h.ack("p0", "t", 1, -1, "p0-4")
    h.consume("final", "t", 1, 7, "p0-4")
    h.send("p0", "t", 1, "p0-5")
    h.ack("p0", "t", 1, -1, "p0-5")
    report = check(h)
    assert report.lost_count == 1 and report.lost[0]["value"] == "p0-5"


def test_a_record_at_two_offsets_is_duplicated() -> None:
    h = clean_history()
    h.consume("final", "t", 0, 3, "p0-2")
    report = check(h)
    assert report.duplicated_count == 1 and report.duplicated[0]["at"] == [("t", 0, 1), ("t", 0, 3)]
    assert report.lost_count == 0 and report.reordered_count == 0


def test_a_consumer_reading_a_record_twice_is_not_a_duplicate() -> None:
    """At-least-once delivery after a rebalance reads the same offset again: the log holds it once."""
    h = clean_history()
    h.consume("c1", "t", 0, 1, "p0-2")
    assert check(h).ok


def test_records_landing_out_of_send_order_are_reordered() -> None:
    h = History(seed=3)
    for n, offset in enumerate([0, 2, 1]):
        h.send("p0", "t", 0, f"p0-{n}")
        h.ack("p0", "t", 0, offset, f"p0-{n}")
        h.consume("final", "t", 0, offset, f"p0-{n}")
    report = check(h)
    assert report.reordered_count == 1
    assert report.reordered[0] | {} == {
        "producer": "p0",
        "topic": "t",
        "partition": 0,
        "sent_first": "p0-1",
        "at": 2,
        "sent_then": "p0-2",
        "landed_at": 1,
    }


def test_order_is_per_producer_and_partition() -> None:
    """Two producers interleave freely in one partition; one producer's records in two partitions have no order."""
    h = History(seed=4)
    for process, partition, value, offset in [("p0", 0, "p0-0", 1), ("p1", 0, "p1-0", 0), ("p0", 1, "p0-1", 0), ("p0", 0, "p0-2", 2)]:
        h.send(process, "t", partition, value)
        h.ack(process, "t", partition, offset, value)
        h.consume("final", "t", partition, offset, value)
    assert check(h).ok


def test_a_committed_offset_read_back_below_the_last_acknowledged_commit_is_reported() -> None:
    h = clean_history()
    h.committed("c1", "g", "t", 0, 3, invoked_at=h.now())
    h.committed("c1", "g", "t", 0, 2, invoked_at=h.now())  # the commit of 3 was lost
    h.committed("c1", "other-group", "t", 0, 1, invoked_at=h.now())
    report = check(h)
    assert report.commits_backwards_count == 1
    assert report.commits_backwards[0] | {"at": 0, "time": 0} == {
        "group": "g",
        "topic": "t",
        "partition": 0,
        "acknowledged": 3,
        "read": 2,
        "at": 0,
        "time": 0,
    }


def test_a_client_committing_a_lower_offset_later_is_not_a_lost_commit() -> None:
    """librdkafka re-sends commits queued for a coordinator that went away to the new one: the group's offset
    moves back because the client asked it to; reading back what was acknowledged last is correct."""
    h = clean_history()
    invoked = h.now()
    h.commit("c0", "g", "t", 0, 2)
    h.committed("c0", "g", "t", 0, 2, invoked_at=h.now())
    h.committed("c0", "g", "t", 0, 3, invoked_at=invoked)  # sent before the last commit was acknowledged
    assert check(h).ok


def test_aborted_records_read_under_read_committed_are_reported() -> None:
    h = History(seed=5)
    h.send("tx", "t", 0, "tx-0", txn="tx:1")
    h.send("tx", "t", 0, "tx-1", txn="tx:2")
    h.txn_end("tx", "tx:1", committed=False)
    h.txn_end("tx", "tx:2", committed=True)
    h.consume("rc", "t", 0, 0, "tx-0", read_committed=True)
    h.consume("ru", "t", 0, 0, "tx-0", read_committed=False)
    h.consume("rc", "t", 0, 2, "tx-1", read_committed=True)
    report = check(h)
    assert report.aborted_read_count == 1 and report.aborted_read[0]["by"] == "rc"


def test_a_failed_send_found_later_is_indeterminate_not_an_anomaly() -> None:
    h = clean_history()
    h.send("p0", "t", 1, "p0-4")
    h.send_error("p0", "t", 1, "p0-4", "KafkaError{code=_MSG_TIMED_OUT}")
    h.consume("final", "t", 1, 1, "p0-4")
    report = check(h)
    assert report.ok and report.failed == 1 and report.failed_but_present == 1


def test_a_saved_history_checks_the_same_and_keeps_its_seed(tmp_path: Path) -> None:
    h = clean_history()
    h.fault("partition", "broker 1 | brokers 0,2")
    h.send("p0", "t", 1, "p0-4")
    h.ack("p0", "t", 1, 1, "p0-4")
    loaded = History.load(h.save(tmp_path / "history.jsonl"))
    assert loaded.seed == 7 and loaded.events() == h.events()
    assert check(loaded).to_json() == check(h).to_json()
    assert History(seed=7).random.random() == loaded.random.random()


def test_a_failing_run_saves_history_report_and_broker_logs(tmp_path: Path) -> None:
    broker = tmp_path / "broker-0"
    (broker / "logs").mkdir(parents=True)
    (broker / "logs" / "server.log").write_text("INFO started\n")
    (broker / "broker.out").write_text("out\n")
    h = clean_history()
    h.ack("p0", "t", 1, 9, "never-read")
    report = check(h)
    saved = save_run(tmp_path / "run", h, report, [("broker-0", broker)], zookeeper_connect="127.0.0.1:1/none", zookeeper_timeout=0.5)
    assert json.loads((saved / "report.json").read_text())["lost_count"] == 1
    assert History.load(saved / "history.jsonl").events() == h.events()
    assert (saved / "brokers" / "broker-0" / "logs" / "server.log").read_text() == "INFO started\n"
    assert (saved / "brokers" / "broker-0" / "broker.out").exists()
    assert "error" in json.loads((saved / "zookeeper.json").read_text())  # no ZooKeeper there: noted, not raised


def test_a_record_below_a_groups_commit_that_no_member_consumed_is_skipped() -> None:
    """At least once: c1 resumed partition 0 past offset 1 (say, from a commit that should not have been there)
    and committed 3; c0 had consumed 0 and 2, nobody consumed 1."""
    h = History(seed=7)
    for offset in range(3):
        h.send("p0", "t", 0, f"p0-{offset}")
        h.ack("p0", "t", 0, offset, f"p0-{offset}")
        h.consume("final", "t", 0, offset, f"p0-{offset}")  # in the log: not lost
    h.consume("c0", "t", 0, 0, "p0-0")
    h.commit("c0", "g", "t", 0, 1)
    h.consume("c1", "t", 0, 2, "p0-2")
    h.commit("c1", "g", "t", 0, 3)
    h.consume("c2", "t", 0, 0, "p0-0")
    h.consume("c2", "t", 0, 1, "p0-1")  # a member of another group reading it does not count for g
    h.commit("c2", "other", "t", 0, 2)
    report = check(h)
    assert report.lost_count == 0 and report.skipped_count == 1 and not report.ok
    assert report.skipped == [{"group": "g", "topic": "t", "partition": 0, "offset": 1, "value": "p0-1", "committed": 3}]
    h.consume("c0", "t", 0, 1, "p0-1")  # consumed by a member of g after all (twice-read is fine: at least once)
    assert check(h).ok
