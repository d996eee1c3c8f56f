"""FileStreamSource / FileStreamSink: Kafka's example connectors, with its class names, keys and offsets.

The source reads lines appended to `file` (stdin without one) into `topic`, `batch.size` lines per poll at most;
its offsets are `{"filename": <file>}` -> `{"position": <bytes read>}`, so a restarted task resumes after the
last committed line. The sink appends each record's value to `file` (stdout without one), one line per record,
as Java prints it. The Kafka quickstart's step 7 (config/connect-file-source.properties, -sink) runs on these.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from typing import IO, Any

from strom.client.types import TopicPartition
from strom.connect.api import (
    ExactlyOnceSupport,
    OffsetAndMetadata,
    SinkConnector,
    SinkRecord,
    SinkTask,
    SourceConnector,
    SourceRecord,
    SourceTask,
    Task,
)
from strom.connect.config import NO_DEFAULT_VALUE, ConfigDef, ConfigException, Importance, NonEmptyString, Range, Type
from strom.connect.data import Schema
from strom.connect.errors import ConnectException
from strom.version import __version__

FILE_CONFIG = "file"
TOPIC_CONFIG = "topic"
TOPICS_CONFIG = "topics"
TASK_BATCH_SIZE_CONFIG = "batch.size"
DEFAULT_TASK_BATCH_SIZE = 2000
FILENAME_FIELD = "filename"
POSITION_FIELD = "position"

source_log = logging.getLogger("org.apache.kafka.connect.file.FileStreamSourceTask")
sink_log = logging.getLogger("org.apache.kafka.connect.file.FileStreamSinkTask")


def _source_config_def() -> ConfigDef:
    return (
        ConfigDef()
        .define(FILE_CONFIG, Type.STRING, None, Importance.HIGH, "Source filename. If not specified, the standard input will be used")
        .define(TOPIC_CONFIG, Type.STRING, NO_DEFAULT_VALUE, Importance.HIGH, "The topic to publish data to", NonEmptyString())
        .define(
            TASK_BATCH_SIZE_CONFIG,
            Type.INT,
            DEFAULT_TASK_BATCH_SIZE,
            Importance.LOW,
            "The maximum number of records the source task can read from the file each time it is polled",
            Range.at_least(1),
        )
    )


class FileStreamSourceConnector(SourceConnector):
    """org.apache.kafka.connect.file.FileStreamSourceConnector: one task reading one file."""

    def __init__(self) -> None:
        self.props: dict[str, str] = {}

    def version(self) -> str:
        return __version__

    def start(self, props: Mapping[str, str]) -> None:
        parsed = _source_config_def().parse(props)
        if not parsed.get(TOPIC_CONFIG):
            raise ConfigException(TOPIC_CONFIG, parsed.get(TOPIC_CONFIG), 'Missing required configuration "topic"')
        self.props = dict(props)

    def task_class(self) -> type[Task]:
        return FileStreamSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props)]  # only one input stream makes sense; the task gets the connector's config, as Kafka's

    def stop(self) -> None:
        pass

    def config(self) -> ConfigDef:
        return _source_config_def()

    def exactly_once_support(self, connector_config: Mapping[str, str]) -> ExactlyOnceSupport | None:
        return ExactlyOnceSupport.SUPPORTED

    def alter_offsets(
        self, connector_config: Mapping[str, str], offsets: Sequence[tuple[Mapping[str, Any], Mapping[str, Any] | None]]
    ) -> bool:
        """Offsets must look like the task's own: {"filename": ...} -> {"position": <non-negative int>}."""
        for partition, offset in offsets:
            if offset is None:
                continue
            if FILENAME_FIELD not in partition:
                raise ConnectException("Partition objects should contain the key 'filename'")
            if POSITION_FIELD not in offset:
                raise ConnectException("Offset objects should either be null or contain the key 'position'")
            position = offset[POSITION_FIELD]
            if not isinstance(position, int) or isinstance(position, bool):
                raise ConnectException("The value for the 'position' key in the offset is expected to be a Long value")
            if position < 0:
                raise ConnectException("The value for the 'position' key in the offset should be a non-negative value")
        return True


class FileStreamSourceTask(SourceTask):
    """Reads complete lines; an unfinished last line waits for its newline."""

    def __init__(self) -> None:
        self.filename: str | None = None
        self.stream: IO[bytes] | None = None
        self.buffer = b""
        self.stream_offset = 0
        self.topic = ""
        self.batch_size = DEFAULT_TASK_BATCH_SIZE
        self._stopped = threading.Event()

    def version(self) -> str:
        return __version__

    def start(self, props: Mapping[str, str]) -> None:
        self.filename = props.get(FILE_CONFIG) or None
        if self.filename is None:
            self.stream = sys.stdin.buffer
        self.topic = props[TOPIC_CONFIG]
        self.batch_size = int(props.get(TASK_BATCH_SIZE_CONFIG, DEFAULT_TASK_BATCH_SIZE))

    def _open(self) -> bool:
        assert self.filename is not None
        try:
            stream = open(self.filename, "rb")  # noqa: SIM115 - kept open across polls
        except FileNotFoundError:
            source_log.warning("Couldn't find file %s for FileStreamSourceTask, sleeping to wait for it to be created", self.filename)
            return False
        offset = self.context.offset_storage_reader().offset({FILENAME_FIELD: self.filename})
        if offset is not None:
            position = offset.get(POSITION_FIELD)
            if not isinstance(position, int):
                stream.close()
                raise ConnectException("Offset position is the incorrect type")
            source_log.debug("Found previous offset, trying to skip to file offset %d", position)
            stream.seek(position)
            self.stream_offset = position
        else:
            self.stream_offset = 0
        self.stream = stream
        source_log.debug("Opened %s for reading", self.filename)
        return True

    def poll(self) -> list[SourceRecord] | None:
        if self.stream is None and not self._open():
            self._stopped.wait(1.0)
            return None
        assert self.stream is not None
        records = self._lines()
        if records:
            return records
        chunk = self.stream.read1(65536) if hasattr(self.stream, "read1") else self.stream.read(65536)
        if chunk:
            self.buffer += chunk
            records = self._lines()
            if records:
                return records
        if not chunk:
            self._stopped.wait(1.0)  # Kafka waits a second for more data
        return None

    def _lines(self) -> list[SourceRecord]:
        """Complete lines from the buffer, at most batch.size; each carries the position after it."""
        records: list[SourceRecord] = []
        partition = {FILENAME_FIELD: self.filename}
        now = int(time.time() * 1000)
        buffer, pos, offset = self.buffer, 0, self.stream_offset
        search, topic, schema = _EOL.search, self.topic, Schema.STRING_SCHEMA
        while len(records) < self.batch_size:
            match = search(buffer, pos)
            if match is None:
                break
            end, next_start = match.span()
            if next_start == len(buffer) and buffer[end] == 0x0D:
                break  # a \r at the end: wait to see whether \n follows
            line = buffer[pos:end].decode("utf-8", errors="replace")
            offset += next_start - pos
            pos = next_start
            records.append(SourceRecord(partition, {POSITION_FIELD: offset}, topic, None, None, None, schema, line, now))
        self.buffer = buffer[pos:]
        self.stream_offset = offset
        return records

    def stop(self) -> None:
        self._stopped.set()
        if self.stream is not None and self.stream is not sys.stdin.buffer:
            try:
                self.stream.close()
            except OSError:
                pass
            self.stream = None


_EOL = re.compile(rb"\r\n|\r|\n")  # Java's BufferedReader line ends


class FileStreamSinkConnector(SinkConnector):
    """org.apache.kafka.connect.file.FileStreamSinkConnector: appends values to one file."""

    def __init__(self) -> None:
        self.props: dict[str, str] = {}

    def version(self) -> str:
        return __version__

    def start(self, props: Mapping[str, str]) -> None:
        _sink_config_def().parse(props)
        self.props = dict(props)

    def task_class(self) -> type[Task]:
        return FileStreamSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props) for _ in range(max_tasks)]

    def stop(self) -> None:
        pass

    def config(self) -> ConfigDef:
        return _sink_config_def()

    def alter_offsets(self, connector_config: Mapping[str, str], offsets: Mapping[TopicPartition, int | None]) -> bool:
        return True  # the file keeps no offsets of its own


def _sink_config_def() -> ConfigDef:
    return ConfigDef().define(
        FILE_CONFIG, Type.STRING, None, Importance.HIGH, "Destination filename. If not specified, the standard output will be used"
    )


class FileStreamSinkTask(SinkTask):
    def __init__(self) -> None:
        self.filename: str | None = None
        self.output: IO[str] | None = None

    def version(self) -> str:
        return __version__

    def start(self, props: Mapping[str, str]) -> None:
        self.filename = props.get(FILE_CONFIG) or None
        if self.filename is None:
            self.output = sys.stdout
        else:
            try:
                self.output = open(self.filename, "a", encoding="utf-8")  # noqa: SIM115 - kept open while the task runs
            except OSError as exc:
                raise ConnectException(f"Couldn't find or create file '{self.filename}' for FileStreamSinkTask") from exc

    def put(self, records: Collection[SinkRecord]) -> None:
        assert self.output is not None
        for record in records:
            sink_log.debug("Writing line to %s: %s", self.filename or "stdout", record.value)
            self.output.write(java_string(record.value) + "\n")
        self.output.flush()  # lines show up as they arrive, as Java's unbuffered PrintStream writes them

    def flush(self, current_offsets: Mapping[TopicPartition, OffsetAndMetadata]) -> None:
        if self.output is not None:
            sink_log.debug("Flushing %s", self.filename or "stdout")
            self.output.flush()
            if self.filename is not None:
                os.fsync(self.output.fileno())

    def stop(self) -> None:
        if self.output is not None and self.output is not sys.stdout:
            self.output.close()
        self.output = None


def java_string(value: Any) -> str:
    """String.valueOf as Java prints a record value: null, true/false, {k=v, ...}, [a, b], Struct{...}."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java_string(k)}={java_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(java_string(v) for v in value) + "]"
    if isinstance(value, bytes | bytearray):
        return "[B@" + format(id(value) & 0xFFFFFFFF, "x")
    return repr(value) if not isinstance(value, int | float) else str(value)
