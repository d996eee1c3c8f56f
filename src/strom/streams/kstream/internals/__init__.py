"""The DSL's processors and the graph of operations StreamsBuilder writes into the topology."""
