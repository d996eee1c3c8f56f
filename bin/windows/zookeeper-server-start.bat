@echo off
rem Starts Apache ZooKeeper: zookeeper-server-start.bat zookeeper.properties
rem STROM_ZOOKEEPER_JAR must point at an Apache ZooKeeper jar whose manifest lists its dependencies.
if "%~1"=="" (
    echo USAGE: %0 zookeeper.properties
    exit /b 1
)
call "%~dp0kafka-run-class.bat" strom.cli.zookeeper_server_start %*
