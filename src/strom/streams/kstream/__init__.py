"""The DSL: StreamsBuilder, KStream, KTable, grouped and windowed streams, their options and windows."""
