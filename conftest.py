"""Root conftest: fixtures live in strom.testing so tests and benchmarks share them."""

pytest_plugins = [
    "strom.testing.broker_fixtures",
    "strom.testing.kafka_fixtures",
]
