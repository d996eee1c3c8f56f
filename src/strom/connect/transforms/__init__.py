"""Kafka Connect's single message transforms and predicates with Kafka's class names and config keys, Debezium's
ExtractNewRecordState, and the transformation chain a connector config declares (``transforms=...``).

Modules are imported when a config names them (``registry.py``), so importing this package is cheap."""
