"""The Kafka Streams runtime: threads, tasks, the assignor, restore, internal topics."""
