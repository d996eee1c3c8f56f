"""Kafka Connect in Python: connectors, converters and transforms run by standalone or distributed workers.

A layer above the client (it produces and consumes through strom.client like any Kafka application) and below
the command-line tools that start workers."""
