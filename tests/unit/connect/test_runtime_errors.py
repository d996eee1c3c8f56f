"""errors.tolerance and errors.retry.timeout as Kafka's RetryWithToleranceOperator applies them."""

from __future__ import annotations

import pytest

from strom.connect.errors import ConnectException, RetriableException
from strom.connect.runtime.errors import (
    ConsumedRecord,
    ErrorReporter,
    LogReporter,
    ProcessingContext,
    RetryWithToleranceOperator,
    Stage,
    ToleranceType,
)


class Recorder(ErrorReporter):
    def __init__(self) -> None:
        self.reported: list[ProcessingContext] = []

    def report(self, context: ProcessingContext) -> None:
        self.reported.append(context)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def operator(
    tolerance: ToleranceType, retry_timeout_ms: int = 0, delay_max_ms: int = 60000
) -> tuple[RetryWithToleranceOperator, Recorder, Clock]:
    clock, recorder = Clock(), Recorder()
    op = RetryWithToleranceOperator("c", 0, retry_timeout_ms, delay_max_ms, tolerance, [recorder], clock.sleep, lambda: clock.now)
    return op, recorder, clock


def boom() -> bytes:
    raise ValueError("bad bytes")


def test_tolerance_all_skips_and_reports() -> None:
    op, recorder, _ = operator(ToleranceType.ALL)
    consumed = ConsumedRecord("t", 0, 7, None, b"x")
    assert op.execute(boom, Stage.VALUE_CONVERTER, object, consumed) is None
    assert op.execute(lambda: b"ok", Stage.VALUE_CONVERTER, object, consumed) == b"ok"
    (context,) = recorder.reported
    assert (context.stage, context.consumed, str(context.error)) == (Stage.VALUE_CONVERTER, consumed, "bad bytes")
    assert op.total_skipped == 1


def test_tolerance_none_fails_after_reporting() -> None:
    op, recorder, _ = operator(ToleranceType.NONE)
    with pytest.raises(ConnectException, match="Tolerance exceeded in error handler"):
        op.execute(boom, Stage.TRANSFORMATION, object)
    assert len(recorder.reported) == 1


def test_a_connectors_own_failure_is_never_tolerated() -> None:
    op, recorder, _ = operator(ToleranceType.ALL)
    with pytest.raises(ValueError):
        op.execute(boom, Stage.TASK_PUT, object)
    assert recorder.reported == []


def test_retriable_failures_back_off_exponentially_until_the_retry_timeout() -> None:
    op, recorder, clock = operator(ToleranceType.ALL, retry_timeout_ms=5000, delay_max_ms=1000)
    calls = []

    def flaky() -> str:
        calls.append(clock.now)
        raise RetriableException("later")

    assert op.execute(flaky, Stage.KEY_CONVERTER, object) is None
    assert clock.sleeps[:3] == [0.3, 0.6, 1.0]  # 300 ms doubling, capped by errors.retry.delay.max.ms
    assert sum(clock.sleeps) == pytest.approx(5.0)  # never past errors.retry.timeout
    assert len(recorder.reported) == 1 and recorder.reported[0].attempts == len(calls)


def test_retriable_failure_that_recovers() -> None:
    op, recorder, _ = operator(ToleranceType.NONE, retry_timeout_ms=-1)
    attempts = iter([RetriableException("1"), RetriableException("2"), None])

    def recovers() -> str:
        exc = next(attempts)
        if exc is not None:
            raise exc
        return "done"

    assert op.execute(recovers, Stage.VALUE_CONVERTER, object) == "done"
    assert recorder.reported == []


def test_log_reporter_message() -> None:
    context = ProcessingContext("c", 1, Stage.VALUE_CONVERTER, "org.X", ValueError("v"), ConsumedRecord("t", 2, 9, None, b"v"))
    assert LogReporter(False).message(context) == (
        "Executing stage 'VALUE_CONVERTER' with class 'org.X', where consumed record is {topic='t', partition=2, offset=9}."
    )
