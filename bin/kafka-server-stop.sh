#!/usr/bin/env bash
# Stops Strom brokers started on this machine (SIGTERM: flush, checkpoints, clean shutdown), like Kafka's
# script; exits 1 when none is running.
SIGNAL=${SIGNAL:-TERM}
pids=$(pgrep -f 'strom\.broker\.main' || true)
if [ -z "$pids" ]; then
    echo "No kafka server to stop"
    exit 1
fi
kill -s "$SIGNAL" $pids
for _ in $(seq 1 100); do
    sleep 0.1
    pgrep -f 'strom\.broker\.main' >/dev/null || exit 0
done
echo "Broker still stopping (pids: $pids)" >&2
exit 0
