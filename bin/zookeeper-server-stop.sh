#!/usr/bin/env bash
# Stops the ZooKeeper servers started by zookeeper-server-start.sh, like Kafka's script (exit 1 and
# "No zookeeper server to stop" when there is none). Optional argument: a config file, to stop only the
# server started with it (other ZooKeepers on a shared machine are left alone).
SIGNAL=${SIGNAL:-TERM}
pattern='strom\.zookeeper\.config=.*QuorumPeerMain'
if [ $# -ge 1 ]; then
    config="$(cd "$(dirname "$1")" 2>/dev/null && pwd)/$(basename "$1")"
    pattern="strom\.zookeeper\.config=${config//./\\.} .*QuorumPeerMain"
fi
pids=$(pgrep -f "$pattern" || true)
if [ -z "$pids" ]; then
    echo "No zookeeper server to stop"
    exit 1
fi
kill -s "$SIGNAL" $pids
for _ in $(seq 1 100); do
    sleep 0.1
    pgrep -f "$pattern" >/dev/null || exit 0
done
exit 0
