"""Debezium's PostgresConnector on Apache Kafka's Java Connect worker (standalone), the reference Strom's
PostgresConnector is compared with (interop tests, bench/connect_bench.py), and Debezium's JdbcSinkConnector
(bench/connect_sink_bench.py: debezium_libs(DEBEZIUM_JDBC_VERSION, artifact="debezium-connector-jdbc"), which adds
PostgreSQL's JDBC driver and caches into ~/.cache/strom/debezium-connector-jdbc-<version>/libs).

The jars come from Maven Central on first use into ~/.cache/strom/debezium-<version>/libs (never committed):
debezium-connector-postgres, Kafka's connect-runtime/connect-json, on one class path.
"""

from __future__ import annotations

import json
import shutil
import socket
import urllib.request
from pathlib import Path
from typing import Any

from strom.testing.apache_kafka import CACHE, KAFKA_VERSION, KafkaUnavailable, _exclusive, _maven, _tail
from strom.testing.broker import free_port
from strom.testing.process import ServerProcess

DEBEZIUM_VERSION = "2.5.4.Final"
# Debezium's JDBC sink: the first release Maven serves here; 3.0 needs Java 17 and Kafka Connect >= 3.8.
DEBEZIUM_JDBC_VERSION = "3.0.0.Final"

# jackson-core/jsr310 pinned to the version Kafka's connect-json needs (Debezium's tree would pull an older one).
_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>strom.testing</groupId><artifactId>debezium-dist</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-core</artifactId><version>2.16.2</version></dependency>
    <dependency><groupId>com.fasterxml.jackson.datatype</groupId><artifactId>jackson-datatype-jsr310</artifactId><version>2.16.2</version></dependency>
    <dependency><groupId>io.debezium</groupId><artifactId>{a}</artifactId><version>{d}</version></dependency>
{extra}    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId><version>{k}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-json</artifactId><version>{k}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
"""

_PG_DRIVER = "    <dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId><version>42.7.4</version></dependency>\n"

_LOG4J = (
    "log4j.rootLogger=WARN, stderr\nlog4j.appender.stderr=org.apache.log4j.ConsoleAppender\n"
    "log4j.appender.stderr.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
)


def debezium_libs(
    version: str = DEBEZIUM_VERSION, kafka_version: str = KAFKA_VERSION, artifact: str = "debezium-connector-postgres"
) -> Path:
    """The class path for one Debezium connector (`artifact`) plus Kafka's Connect runtime."""
    home = CACHE / (f"debezium-{version}" if artifact == "debezium-connector-postgres" else f"{artifact}-{version}")
    libs = home / "libs"
    with _exclusive(home):
        if (home / ".complete").exists() and any(libs.glob(f"{artifact}-*.jar")):
            return libs
        if shutil.which("java") is None or shutil.which("mvn") is None:
            raise KafkaUnavailable("java and mvn are needed to run Debezium's jars")
        extra = _PG_DRIVER if artifact == "debezium-connector-jdbc" else ""  # the JDBC sink ships no driver
        (home / "pom.xml").write_text(_POM.format(a=artifact, d=version, k=kafka_version, extra=extra))
        if libs.exists():
            shutil.rmtree(libs)
        proc = _maven(["dependency:copy-dependencies", f"-DoutputDirectory={libs}"], home)
        if proc.returncode != 0 or not any(libs.glob(f"{artifact}-*.jar")):
            raise KafkaUnavailable(f"Maven could not fetch Debezium {version}: {_tail(proc)}")
        (home / "log4j.properties").write_text(_LOG4J)
        (home / ".complete").write_text("ok\n")
        return libs


class JavaConnectStandalone(ServerProcess):
    """`connect-standalone.sh worker.properties connector.properties` with Debezium on the class path."""

    name = "Kafka Connect (Java)"
    stop_timeout = 30.0

    def __init__(self, bootstrap: str, connector: dict[str, str], worker: dict[str, str] | None = None, libs: Path | None = None) -> None:
        super().__init__(None, "strom-javaconnect-", "connect.log")
        self.libs = libs or debezium_libs()
        self.rest_port = free_port()
        self.worker = {
            "bootstrap.servers": bootstrap,
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "offset.storage.file.filename": str(self.base / "offsets"),
            "offset.flush.interval.ms": "1000",
            "listeners": f"http://127.0.0.1:{self.rest_port}",
            **(worker or {}),
        }
        self.connector = connector

    def start(self, timeout: float = 120.0) -> JavaConnectStandalone:
        worker = self.base / "worker.properties"
        worker.write_text("".join(f"{k}={v}\n" for k, v in self.worker.items()))
        connector = self.base / "connector.properties"
        connector.write_text("".join(f"{k}={v}\n" for k, v in self.connector.items()))
        log4j = self.libs.parent / "log4j.properties"
        args = ["java", "-Xmx512m", f"-Dlog4j.configuration=file:{log4j}", "-cp", f"{self.libs}/*"]
        args += ["org.apache.kafka.connect.cli.ConnectStandalone", str(worker), str(connector)]
        self._launch(args, self._rest_up, timeout, 0.2)
        return self

    def _rest_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.rest_port), timeout=0.5):
                return True
        except OSError:
            return False

    def status(self) -> dict[str, Any]:
        """GET /connectors/<name>/status."""
        url = f"http://127.0.0.1:{self.rest_port}/connectors/{self.connector['name']}/status"
        with urllib.request.urlopen(url, timeout=5) as resp:
            body: dict[str, Any] = json.loads(resp.read())
            return body
