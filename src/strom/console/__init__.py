"""A web console for a Kafka cluster (Strom or Apache Kafka), built on Strom's own client."""
