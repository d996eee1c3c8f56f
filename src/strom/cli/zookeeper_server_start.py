"""zookeeper-server-start.sh [-daemon] zookeeper.properties: Apache ZooKeeper in the foreground (or as a daemon)."""

import sys

from strom.cli.zookeeper_server import start_main as main

if __name__ == "__main__":
    sys.exit(main())
