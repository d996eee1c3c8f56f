"""Root conftest: fixtures live in strom.testing so tests and benchmarks share them."""

pytest_plugins = [
    "strom.testing.broker_fixtures",
    "strom.testing.kafka_fixtures",
]

# A sample project of its own: tests/integration/test_pytest_plugin.py runs it as its own pytest session.
collect_ignore = ["tests/plugin_sample"]
