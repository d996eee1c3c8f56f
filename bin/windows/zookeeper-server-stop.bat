@echo off
rem Stops the ZooKeeper servers started by zookeeper-server-start.bat.
call "%~dp0kafka-run-class.bat" strom.cli.zookeeper_server_stop %*
