"""ConsumerGroupDescribe (API key 69, KIP-848): field tables written from Kafka's public message specs (3.9: v0)."""

from strom.protocol.compiler import F, Field, define_message

API_KEY = 69
VERSIONS = "0"
FLEXIBLE = "0+"


def _assignment(name: str) -> list[Field]:
    return [F("topic_partitions", f"[]{name}", fields=[F("topic_id", "uuid"), F("topic_name", "string"), F("partitions", "[]int32")])]


define_message(
    globals(),
    "ConsumerGroupDescribeRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("group_ids", "[]string"),
        F("include_authorized_operations", "bool"),
    ],
)

define_message(
    globals(),
    "ConsumerGroupDescribeResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F(
            "groups",
            "[]ConsumerGroupDescribedGroup",
            fields=[
                F("error_code", "int16"),
                F("error_message", "string", nullable="0+", default="null"),
                F("group_id", "string"),
                F("group_state", "string"),
                F("group_epoch", "int32"),
                F("assignment_epoch", "int32"),
                F("assignor_name", "string"),
                F(
                    "members",
                    "[]ConsumerGroupDescribedMember",
                    fields=[
                        F("member_id", "string"),
                        F("instance_id", "string", nullable="0+", default="null"),
                        F("rack_id", "string", nullable="0+", default="null"),
                        F("member_epoch", "int32"),
                        F("client_id", "string"),
                        F("client_host", "string"),
                        F("subscribed_topic_names", "[]string"),
                        F("subscribed_topic_regex", "string", nullable="0+", default="null"),
                        F("assignment", "ConsumerGroupMemberAssignment", fields=_assignment("ConsumerGroupAssignedTopicPartitions")),
                        F("target_assignment", "ConsumerGroupTargetAssignment", fields=_assignment("ConsumerGroupTargetTopicPartitions")),
                    ],
                ),
                F("authorized_operations", "int32", default="-2147483648"),
            ],
        ),
    ],
)
