"""State stores (org.apache.kafka.streams.state): the interfaces, the Stores factory, and the layered
implementations under internals/."""
