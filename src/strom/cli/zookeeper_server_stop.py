"""zookeeper-server-stop.sh [zookeeper.properties]: stop the ZooKeeper servers zookeeper-server-start started."""

import sys

from strom.cli.zookeeper_server import stop_main as main

if __name__ == "__main__":
    sys.exit(main())
