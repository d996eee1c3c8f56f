#!/usr/bin/env bash
# Starts Apache ZooKeeper (Debian's `zookeeper` package) in the foreground, as Kafka's script does:
#   zookeeper-server-start.sh [-daemon] config/zookeeper.properties
# -daemon runs it in the background (output in $LOG_DIR/zookeeper.out, pid in $LOG_DIR/zookeeper.pid).
# Environment: JAVA_HOME, KAFKA_HEAP_OPTS (default -Xmx512M -Xms512M), KAFKA_OPTS, LOG_DIR.
if [ $# -lt 1 ]; then
    echo "USAGE: $0 [-daemon] zookeeper.properties"
    exit 1
fi
base_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
daemon=""
if [ "$1" = "-daemon" ]; then
    daemon=1
    shift
fi
if [ $# -lt 1 ]; then
    echo "USAGE: $0 [-daemon] zookeeper.properties"
    exit 1
fi
config="$1"
if [ ! -r "$config" ]; then
    echo "Error: cannot read ZooKeeper config file '$config'" >&2
    exit 1
fi
config="$(cd "$(dirname "$config")" && pwd)/$(basename "$config")"

ZK_JAR=${STROM_ZOOKEEPER_JAR:-/usr/share/java/zookeeper.jar}
if [ ! -r "$ZK_JAR" ]; then
    echo "[strom] ZooKeeper is not installed ($ZK_JAR missing): installing Debian's zookeeper package" >&2
    "$base_dir/scripts/install-system-deps.sh" || {
        echo "Error: ZooKeeper is not installed and could not be installed; run: sudo apt-get install zookeeper" >&2
        exit 1
    }
fi
if [ -n "$JAVA_HOME" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA="java"; fi
if ! command -v "$JAVA" >/dev/null 2>&1; then
    echo "Error: java not found (set JAVA_HOME or install a JRE)" >&2
    exit 1
fi
# zookeeper.jar's manifest lists its dependencies; slf4j-simple makes its logging visible on stdout
# like Kafka's console log4j appender.
CLASSPATH="$ZK_JAR"
for jar in /usr/share/java/slf4j-simple.jar; do
    [ -r "$jar" ] && CLASSPATH="$CLASSPATH:$jar"
done
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:-"-Xmx512M -Xms512M"}
LOG_OPTS="-Dorg.slf4j.simpleLogger.logFile=System.out -Dorg.slf4j.simpleLogger.showDateTime=true \
-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss,SSS -Dzookeeper.admin.enableServer=false"
# The marker lets zookeeper-server-stop.sh find the servers this distribution started.
MARKER="-Dstrom.zookeeper.config=$config"
# shellcheck disable=SC2086
set -- $KAFKA_HEAP_OPTS $LOG_OPTS $KAFKA_OPTS "$MARKER" -cp "$CLASSPATH" org.apache.zookeeper.server.quorum.QuorumPeerMain "$config"
if [ -n "$daemon" ]; then
    LOG_DIR="${LOG_DIR:-$base_dir/logs}"
    mkdir -p "$LOG_DIR"
    nohup "$JAVA" "$@" > "$LOG_DIR/zookeeper.out" 2>&1 < /dev/null &
    echo $! > "$LOG_DIR/zookeeper.pid"
    exit 0
fi
exec "$JAVA" "$@"
