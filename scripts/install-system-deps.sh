#!/usr/bin/env bash
# Installs the Debian packages the tests need when missing: ZooKeeper, kcat, PostgreSQL (the JDBC and CDC
# connectors' peer), MariaDB (the JDBC connectors' MySQL dialect), iproute2 and nftables (network faults),
# Chromium and its WebDriver (the console's browser tests), and Java and Maven, which fetch Apache Kafka's jars
# from Maven Central (its tools and brokers, and kafka-clients' message specs). Needs root or sudo.
set -uo pipefail
need=()
[ -x /usr/share/zookeeper/bin/zkServer.sh ] || need+=(zookeeper)
command -v kcat >/dev/null 2>&1 || need+=(kcat)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
# the JDBC connectors' MySQL/MariaDB dialect (strom.testing.mariadb runs its own mariadbd, no system service)
command -v mariadb-install-db >/dev/null 2>&1 && [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
# network faults (tests/faults): namespaces, veth pairs and bridges (iproute2), partitions and loss (nftables)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v nft >/dev/null 2>&1 || need+=(nftables)
# the console's browser tests (tests/integration/test_console*.py): headless Chromium driven by Selenium
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "[strom] installing Debian packages: ${need[*]}" >&2
$SUDO apt-get update -qq >&2 || { echo "[strom] error: apt-get update failed" >&2; exit 1; }
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >&2 || { echo "[strom] error: apt-get install ${need[*]} failed" >&2; exit 1; }
