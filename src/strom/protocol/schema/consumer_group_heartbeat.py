"""ConsumerGroupHeartbeat (API key 68, KIP-848): field tables written from Kafka's public message specs.

Kafka 3.9 has v0 (the Java 3.9 consumer uses it). v1 is Kafka 4.0's (KIP-848 GA, KIP-1082): it adds the topic
regex and makes the client choose its own member id; librdkafka 2.10+ requires it for group.protocol=consumer.
"""

from strom.protocol.compiler import F, define_message

API_KEY = 68
VERSIONS = "0-1"
FLEXIBLE = "0+"

_TOPIC_PARTITIONS = [F("topic_id", "uuid"), F("partitions", "[]int32")]

define_message(
    globals(),
    "ConsumerGroupHeartbeatRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("group_id", "string"),
        F("member_id", "string"),
        F("member_epoch", "int32"),
        F("instance_id", "string", nullable="0+", default="null"),
        F("rack_id", "string", nullable="0+", default="null"),
        F("rebalance_timeout_ms", "int32", default="-1"),
        F("subscribed_topic_names", "[]string", nullable="0+", default="null"),
        F("subscribed_topic_regex", "string", "1+", nullable="1+", default="null"),
        F("server_assignor", "string", nullable="0+", default="null"),
        F("topic_partitions", "[]ConsumerGroupHeartbeatRequestTopicPartitions", nullable="0+", default="null", fields=_TOPIC_PARTITIONS),
    ],
)

define_message(
    globals(),
    "ConsumerGroupHeartbeatResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
        F("error_message", "string", nullable="0+", default="null"),
        F("member_id", "string", nullable="0+", default="null"),
        F("member_epoch", "int32"),
        F("heartbeat_interval_ms", "int32"),
        F(
            "assignment",
            "ConsumerGroupHeartbeatAssignment",
            nullable="0+",
            default="null",
            fields=[F("topic_partitions", "[]ConsumerGroupHeartbeatResponseTopicPartitions", fields=_TOPIC_PARTITIONS)],
        ),
    ],
)
