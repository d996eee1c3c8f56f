#!/usr/bin/env bash
# Starts Apache ZooKeeper (Debian's `zookeeper` package) in the foreground, as Kafka's script does:
#   zookeeper-server-start.sh [-daemon] config/zookeeper.properties
# -daemon runs it in the background (output in $LOG_DIR/zookeeper.out, pid in $LOG_DIR/zookeeper.pid).
# Environment: JAVA_HOME, KAFKA_HEAP_OPTS (default -Xmx512M -Xms512M), KAFKA_OPTS, LOG_DIR.
if [ $# -lt 1 ]; then
    echo "USAGE: $0 [-daemon] zookeeper.properties"
    exit 1
fi
exec "$(dirname "$0")/kafka-run-class.sh" strom.cli.zookeeper_server_start "$@"
