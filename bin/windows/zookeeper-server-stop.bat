@echo off
rem Stops the ZooKeeper servers started by zookeeper-server-start.bat.
wmic process where "commandline like '%%strom.zookeeper.config%%' and commandline like '%%QuorumPeerMain%%' and not name='wmic.exe'" call terminate > NUL
