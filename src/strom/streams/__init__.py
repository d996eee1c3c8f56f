"""Kafka Streams for Python: the DSL, the Processor API, state stores and the runtime that runs them on Strom's client."""
