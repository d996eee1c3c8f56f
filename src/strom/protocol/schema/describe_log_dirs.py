"""DescribeLogDirs (API key 35): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 35
VERSIONS = "0-4"
FLEXIBLE = "2+"

define_message(
    globals(),
    "DescribeLogDirsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("topics", "[]DescribableLogDirTopic", nullable="0+", fields=[F("topic", "string"), F("partitions", "[]int32")]),
    ],
)

define_message(
    globals(),
    "DescribeLogDirsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16", "3+"),
        F(
            "results",
            "[]DescribeLogDirsResult",
            fields=[
                F("error_code", "int16"),
                F("log_dir", "string"),
                F(
                    "topics",
                    "[]DescribeLogDirsTopic",
                    fields=[
                        F("name", "string"),
                        F(
                            "partitions",
                            "[]DescribeLogDirsPartition",
                            fields=[
                                F("partition_index", "int32"),
                                F("partition_size", "int64"),
                                F("offset_lag", "int64"),
                                F("is_future_key", "bool"),
                            ],
                        ),
                    ],
                ),
                F("total_bytes", "int64", "4+", default="-1"),
                F("usable_bytes", "int64", "4+", default="-1"),
            ],
        ),
    ],
)
