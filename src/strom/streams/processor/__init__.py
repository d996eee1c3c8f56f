"""The Processor API (``api``), the topology's node types and the builder the runtime and the DSL share."""
