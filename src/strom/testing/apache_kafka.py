"""Apache Kafka beside Strom: its jars from Maven Central (cached outside the repo), its tools, its broker.

Kafka is the reference for behaviour and speed; nothing of it is committed. The jars are fetched by
Maven coordinates into ~/.cache/strom/kafka-<version>/libs on first use.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from strom.testing.process import ServerProcess

KAFKA_VERSION = "3.9.1"
CACHE = Path(os.environ.get("STROM_CACHE", Path.home() / ".cache" / "strom"))

# script name -> main class (Kafka 3.9)
TOOLS = {
    "kafka-topics.sh": "org.apache.kafka.tools.TopicCommand",
    "kafka-console-producer.sh": "kafka.tools.ConsoleProducer",
    "kafka-console-consumer.sh": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "kafka-producer-perf-test.sh": "org.apache.kafka.tools.ProducerPerformance",
    "kafka-consumer-perf-test.sh": "org.apache.kafka.tools.ConsumerPerformance",
    "kafka-consumer-groups.sh": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "kafka-get-offsets.sh": "org.apache.kafka.tools.GetOffsetShell",
    "kafka-dump-log.sh": "kafka.tools.DumpLogSegments",
    "kafka-storage.sh": "kafka.tools.StorageTool",
    "kafka-broker-api-versions.sh": "kafka.admin.BrokerApiVersionsCommand",
    "kafka-server-start.sh": "kafka.Kafka",
    "kafka-leader-election.sh": "org.apache.kafka.tools.LeaderElectionCommand",
    "kafka-reassign-partitions.sh": "org.apache.kafka.tools.reassign.ReassignPartitionsCommand",
    "kafka-configs.sh": "kafka.admin.ConfigCommand",
}

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>strom.testing</groupId><artifactId>kafka-dist</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>{v}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>{v}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
"""


class KafkaUnavailable(RuntimeError):
    """Java or Maven is missing, or Maven could not fetch the jars."""


def java_available() -> bool:
    return shutil.which("java") is not None and shutil.which("mvn") is not None


@contextmanager
def _exclusive(home: Path) -> Iterator[None]:
    """One process at a time fetches into `home`; the others wait, then find the fetch done."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _maven(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """One quiet batch-mode Maven run; a cold fetch from Maven Central may take minutes."""
    return subprocess.run(["mvn", "-q", "-B", *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def _tail(proc: subprocess.CompletedProcess[str]) -> str:
    return f"{proc.stdout[-1500:]}{proc.stderr[-1500:]}"


def kafka_libs(version: str = KAFKA_VERSION) -> Path:
    """The directory of Kafka's jars, fetched with Maven on first use (one process at a time)."""
    home = CACHE / f"kafka-{version}"
    libs = home / "libs"
    with _exclusive(home):
        if (home / ".complete").exists() and any(libs.glob("kafka_2.13-*.jar")):
            return libs
        if not java_available():
            raise KafkaUnavailable("java and mvn are needed to run Apache Kafka's jars")
        (home / "pom.xml").write_text(_POM.format(v=version))
        proc = _maven(["dependency:copy-dependencies", f"-DoutputDirectory={libs}"], home)
        if proc.returncode != 0 or not any(libs.glob("kafka_2.13-*.jar")):
            raise KafkaUnavailable(f"Maven could not fetch Apache Kafka {version}: {_tail(proc)}")
        (home / ".complete").write_text("ok\n")
        (home / "log4j.properties").write_text(
            "log4j.rootLogger=WARN, stderr\nlog4j.appender.stderr=org.apache.log4j.ConsoleAppender\n"
            "log4j.appender.stderr.Target=System.err\nlog4j.appender.stderr.layout=org.apache.log4j.PatternLayout\n"
            "log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
        )
        return libs


def kafka_clients_jar(version: str = KAFKA_VERSION) -> Path:
    """The kafka-clients jar of a release, whose common/message/*.json are Kafka's message specs: the one
    among Kafka's fetched jars when present, else fetched alone with Maven into the cache on first use."""
    dist = CACHE / f"kafka-{version}"
    in_libs = dist / "libs" / f"kafka-clients-{version}.jar"
    if (dist / ".complete").exists() and in_libs.exists():
        return in_libs
    home = CACHE / "kafka-clients"
    jar = home / f"kafka-clients-{version}.jar"
    with _exclusive(home):
        if jar.exists():
            return jar
        if shutil.which("mvn") is None:
            raise KafkaUnavailable(f"mvn is needed to fetch kafka-clients {version} from Maven Central")
        proc = _maven(["dependency:copy", f"-Dartifact=org.apache.kafka:kafka-clients:{version}", f"-DoutputDirectory={home}"], home)
        if proc.returncode != 0 or not jar.exists():
            raise KafkaUnavailable(f"Maven could not fetch kafka-clients {version}: {_tail(proc)}")
        return jar


def kafka_streams_jar(version: str = KAFKA_VERSION) -> Path:
    """The kafka-streams jar of a release (the reference for Strom's Streams: describe() text, serde bytes),
    fetched alone with Maven into the cache on first use; run it with ``kafka_libs()`` for its dependencies."""
    home = CACHE / "kafka-streams"
    jar = home / f"kafka-streams-{version}.jar"
    with _exclusive(home):
        if jar.exists():
            return jar
        if shutil.which("mvn") is None:
            raise KafkaUnavailable(f"mvn is needed to fetch kafka-streams {version} from Maven Central")
        proc = _maven(["dependency:copy", f"-Dartifact=org.apache.kafka:kafka-streams:{version}", f"-DoutputDirectory={home}"], home)
        if proc.returncode != 0 or not jar.exists():
            raise KafkaUnavailable(f"Maven could not fetch kafka-streams {version}: {_tail(proc)}")
        return jar


def java_command(main_class: str, args: list[str], version: str = KAFKA_VERSION, heap: str = "512m") -> list[str]:
    libs = kafka_libs(version)
    log4j = libs.parent / "log4j.properties"
    return [
        "java",
        f"-Xmx{heap}",
        "-XX:+UseG1GC",
        f"-Dlog4j.configuration=file:{log4j}",
        "-cp",
        f"{libs}/*",
        main_class,
        *args,
    ]


def run_kafka_tool(
    tool: str, args: list[str], input: str | None = None, timeout: float = 120, version: str = KAFKA_VERSION
) -> subprocess.CompletedProcess[str]:
    """Runs one of Kafka's tools by script name (kafka-topics.sh ...) or main class."""
    main_class = TOOLS.get(tool, tool)
    return subprocess.run(java_command(main_class, args, version), input=input, capture_output=True, text=True, timeout=timeout)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ApacheKafka(ServerProcess):
    """A single-node KRaft Apache Kafka on free loopback ports, with a temp log dir."""

    name = "Apache Kafka"
    stop_timeout = 30.0

    def __init__(self, overrides: dict[str, str] | None = None, version: str = KAFKA_VERSION, log_dir: Path | None = None) -> None:
        super().__init__(log_dir, "apache-kafka-", "kafka.out")
        self.version = version
        self.port = _free_port()
        self.controller_port = _free_port()
        self.props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.base / "data"),
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            **(overrides or {}),
        }

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> ApacheKafka:
        cfg = self.base / "server.properties"
        self.base.mkdir(parents=True, exist_ok=True)
        cfg.write_text("".join(f"{k}={v}\n" for k, v in self.props.items()))
        if not (self.base / "data" / "meta.properties").exists():
            fmt = run_kafka_tool("kafka-storage.sh", ["format", "-t", "strom-reference-cluster0", "-c", str(cfg)], version=self.version)
            if fmt.returncode != 0:
                raise KafkaUnavailable(f"kafka-storage format failed: {fmt.stderr[-2000:]}")
        try:
            self._launch(java_command("kafka.Kafka", [str(cfg)], self.version, heap="1g"), self._listening, timeout, 0.3)
        except RuntimeError as exc:
            raise KafkaUnavailable(str(exc)) from None
        time.sleep(1.0)  # the socket opens a moment before the broker is registered
        return self

    def _listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None
