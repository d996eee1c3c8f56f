"""What source and sink tasks share: a thread per task, its life cycle and status reports (Java's WorkerTask).

A task runs on its own thread because connector code is synchronous and may block (a database driver, a file
read). The herder asks for a target state (STARTED, PAUSED) and for a stop; the task reports RUNNING, PAUSED,
FAILED (with the trace) and UNASSIGNED (stopped) through the listener, which the herder turns into status.
"""

from __future__ import annotations

import logging
import threading
import traceback
from abc import abstractmethod
from collections.abc import Callable

from strom.connect.rest.entities import ConnectorTaskId, State, TargetState

log = logging.getLogger("org.apache.kafka.connect.runtime.WorkerTask")

# (task id, new state, trace of a failure)
TaskStatusListener = Callable[[ConnectorTaskId, State, str | None], None]


class WorkerTask:
    def __init__(self, task_id: ConnectorTaskId, listener: TaskStatusListener, target_state: TargetState) -> None:
        self.id = task_id
        self.listener = listener
        self.target_state = target_state
        self.stopping = False
        self.failed = False
        self.cancelled = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self.run, name=f"task-thread-{task_id}", daemon=True)

    def start_thread(self) -> None:
        self._thread.start()

    # -- control (from the herder's thread) ------------------------------------------------------------

    def stop(self) -> None:
        """Asks the task to stop; await_stop() waits for it."""
        with self._wake:
            self.stopping = True
            self._wake.notify_all()
        self.on_stop_requested()

    def on_stop_requested(self) -> None:
        """Hook: wakes a task blocked in its client (consumer wakeup)."""

    def await_stop(self, timeout: float) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def cancel(self) -> None:
        """The task did not stop in task.shutdown.graceful.timeout.ms: its results are ignored from now on."""
        self.cancelled = True

    def transition_to(self, state: TargetState) -> None:
        with self._wake:
            self.target_state = state
            self._wake.notify_all()

    @property
    def paused(self) -> bool:
        return self.target_state is TargetState.PAUSED

    def await_unpaused(self) -> bool:
        """Blocks while PAUSED; True when the task may go on, False when it should stop."""
        with self._wake:
            if self.paused and not self.stopping:
                self._report(State.PAUSED)
            while self.paused and not self.stopping:
                self._wake.wait(1.0)
            if self.stopping:
                return False
        return True

    def sleep(self, seconds: float) -> bool:
        """Waits unless asked to stop; True when it slept the whole time."""
        with self._wake:
            if self.stopping:
                return False
            self._wake.wait(seconds)
            return not self.stopping

    # -- the thread ---------------------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self.initialize_and_start()
            if not self.stopping:
                self._report(State.PAUSED if self.paused else State.RUNNING)
                self.execute()
        except BaseException as exc:  # a task's failure must reach its status, whatever it raised
            self.failed = True
            log.error(
                "%s Task threw an uncaught and unrecoverable exception. Task is being killed and will not recover until manually restarted",
                self,
                exc_info=exc,
            )
            self._report(State.FAILED, "".join(traceback.format_exception(exc)))
        finally:
            try:
                self.close()
            except Exception:
                log.warning("%s Task failed to close cleanly", self, exc_info=True)
            if not self.failed:
                self._report(State.UNASSIGNED)

    def _report(self, state: State, trace: str | None = None) -> None:
        if self.cancelled:
            return
        try:
            self.listener(self.id, state, trace)
        except Exception:
            log.warning("%s Status listener failed", self, exc_info=True)

    def report_running(self) -> None:
        self._report(State.RUNNING)

    @abstractmethod
    def initialize_and_start(self) -> None:
        """Creates clients, initializes and starts the connector's task."""

    @abstractmethod
    def execute(self) -> None:
        """The poll/put loop, until stopping."""

    @abstractmethod
    def close(self) -> None:
        """Stops the connector's task and closes clients (also after a failure)."""

    def __str__(self) -> str:
        return f"{type(self).__name__}{{id={self.id}}}"
