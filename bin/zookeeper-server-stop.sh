#!/usr/bin/env bash
# Stops the ZooKeeper servers started by zookeeper-server-start.sh, like Kafka's script (exit 1 and
# "No zookeeper server to stop" when there is none). Optional argument: a config file, to stop only the
# server started with it (other ZooKeepers on a shared machine are left alone). SIGNAL=KILL etc. as in Kafka.
exec "$(dirname "$0")/kafka-run-class.sh" strom.cli.zookeeper_server_stop "$@"
