"""PostgresConnector: Debezium's io.debezium.connector.postgresql.PostgresConnector in Python (one task: a
replication slot is read by one connection)."""

from __future__ import annotations

from collections.abc import Mapping

from strom.connect.api import SourceConnector, Task
from strom.connect.config import Config, ConfigDef
from strom.connect.connectors.postgres.config import config_def
from strom.connect.connectors.postgres.schema import DEBEZIUM_VERSION
from strom.connect.connectors.postgres.task import PostgresConnectorTask


class PostgresConnector(SourceConnector):
    def version(self) -> str:
        return DEBEZIUM_VERSION

    def start(self, props: Mapping[str, str]) -> None:
        self._props = dict(props)

    def task_class(self) -> type[Task]:
        return PostgresConnectorTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        """A single task whatever tasks.max says, as Debezium."""
        return [dict(self._props)]

    def stop(self) -> None:
        pass

    def config(self) -> ConfigDef:
        return config_def()

    def validate(self, connector_configs: Mapping[str, str]) -> Config:
        result = super().validate(connector_configs)
        if not (connector_configs.get("topic.prefix") or connector_configs.get("database.server.name")):
            for value in result.config_values:
                if value.name == "topic.prefix":
                    value.add_error_message("The 'topic.prefix' value is invalid: A value is required")
        return result
