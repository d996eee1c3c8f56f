"""strom.Producer's len() while the client's loop thread hands over delivery reports."""

from __future__ import annotations

import sys
import threading
import time

from strom import Producer


def test_len_while_batch_reports_arrive() -> None:
    """flush() polls len() while the loop thread appends finished batches' reports: summing them must not iterate
    the live deque (a bench's flush() died with 'deque mutated during iteration')."""
    producer = Producer({"bootstrap.servers": "127.0.0.1:1"})
    reports = producer._batch_reports
    stop = threading.Event()

    def loop_thread() -> None:  # as Producer._batch_done does, without a broker
        while not stop.is_set():
            for _ in range(50):
                reports.append(([None, None], ("t", 0), None, 0, -1))
            reports.clear()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    feeder = threading.Thread(target=loop_thread)
    feeder.start()
    try:
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            assert len(producer) >= 0
    finally:
        stop.set()
        feeder.join()
        sys.setswitchinterval(interval)
        reports.clear()
        producer.close(0)
