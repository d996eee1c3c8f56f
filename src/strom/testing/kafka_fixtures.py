"""Pytest fixtures for Apache Kafka (from Maven Central jars) and Debian ZooKeeper, run beside Strom."""
