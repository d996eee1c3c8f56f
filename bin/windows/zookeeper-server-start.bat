@echo off
rem Starts Apache ZooKeeper in the foreground: zookeeper-server-start.bat zookeeper.properties
rem ZOOKEEPER_HOME must point at an Apache ZooKeeper installation (its lib\*.jar are the classpath).
if "%~1"=="" (
    echo USAGE: %0 zookeeper.properties
    exit /b 1
)
setlocal
if "%ZOOKEEPER_HOME%"=="" (
    echo Error: set ZOOKEEPER_HOME to an Apache ZooKeeper installation 1>&2
    exit /b 1
)
if "%JAVA_HOME%"=="" (set JAVA=java) else (set JAVA="%JAVA_HOME%\bin\java")
if "%KAFKA_HEAP_OPTS%"=="" set KAFKA_HEAP_OPTS=-Xmx512M -Xms512M
%JAVA% %KAFKA_HEAP_OPTS% %KAFKA_OPTS% -Dstrom.zookeeper.config=%~f1 -cp "%ZOOKEEPER_HOME%\lib\*" org.apache.zookeeper.server.quorum.QuorumPeerMain %*
exit /b %ERRORLEVEL%
