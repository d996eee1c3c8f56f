"""What confluent_kafka.admin offers, under the same names, so `from strom.admin import AdminClient, NewTopic`
works where `from confluent_kafka.admin import ...` did. The classes live in strom.client.admin(_types)."""

from strom.client.admin import AdminClient
from strom.client.admin_types import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AlterConfigOpType,
    ClusterMetadata,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    ConsumerGroupDescription,
    ConsumerGroupListing,
    ConsumerGroupTopicPartitions,
    DeletedRecords,
    DescribeClusterResult,
    ListConsumerGroupsResult,
    MemberAssignment,
    MemberDescription,
    NewPartitions,
    NewTopic,
    Node,
    PartitionMetadata,
    ResourcePatternType,
    ResourceType,
    TopicDescription,
    TopicMetadata,
)
from strom.client.types import OFFSET_INVALID, TopicPartition
from strom.protocol.errors import KafkaError, KafkaException

BrokerMetadata = Node  # confluent's name for a broker in ClusterMetadata.brokers (id, host, port)

# confluent-kafka's module-level copies of the ResourceType and ConfigSource values
RESOURCE_UNKNOWN = ResourceType.UNKNOWN
RESOURCE_ANY = ResourceType.ANY
RESOURCE_TOPIC = ResourceType.TOPIC
RESOURCE_GROUP = ResourceType.GROUP
RESOURCE_BROKER = ResourceType.BROKER
RESOURCE_TRANSACTIONAL_ID = ResourceType.TRANSACTIONAL_ID
CONFIG_SOURCE_UNKNOWN_CONFIG = ConfigSource.UNKNOWN_CONFIG
CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG = ConfigSource.DYNAMIC_TOPIC_CONFIG
CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG = ConfigSource.DYNAMIC_BROKER_CONFIG
CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG = ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG
CONFIG_SOURCE_STATIC_BROKER_CONFIG = ConfigSource.STATIC_BROKER_CONFIG
CONFIG_SOURCE_DEFAULT_CONFIG = ConfigSource.DEFAULT_CONFIG
CONFIG_SOURCE_GROUP_CONFIG = ConfigSource.GROUP_CONFIG

__all__ = [
    "AclBinding",
    "AclBindingFilter",
    "AclOperation",
    "AclPermissionType",
    "AdminClient",
    "AlterConfigOpType",
    "CONFIG_SOURCE_DEFAULT_CONFIG",
    "CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG",
    "CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG",
    "CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG",
    "CONFIG_SOURCE_GROUP_CONFIG",
    "CONFIG_SOURCE_STATIC_BROKER_CONFIG",
    "CONFIG_SOURCE_UNKNOWN_CONFIG",
    "BrokerMetadata",
    "ClusterMetadata",
    "ConfigEntry",
    "ConfigResource",
    "ConfigSource",
    "ConsumerGroupDescription",
    "ConsumerGroupListing",
    "ConsumerGroupTopicPartitions",
    "DeletedRecords",
    "DescribeClusterResult",
    "KafkaError",
    "KafkaException",
    "ListConsumerGroupsResult",
    "MemberAssignment",
    "MemberDescription",
    "NewPartitions",
    "NewTopic",
    "OFFSET_INVALID",
    "PartitionMetadata",
    "RESOURCE_ANY",
    "RESOURCE_BROKER",
    "RESOURCE_GROUP",
    "RESOURCE_TOPIC",
    "RESOURCE_TRANSACTIONAL_ID",
    "RESOURCE_UNKNOWN",
    "ResourcePatternType",
    "ResourceType",
    "TopicDescription",
    "TopicMetadata",
    "TopicPartition",
]
