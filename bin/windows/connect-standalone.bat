@echo off
rem Kafka Connect in standalone mode (strom.cli.connect_standalone), with the project's virtualenv and the
rem `connect` extra installed on first use (kafka-run-class.bat).
rem Usage: connect-standalone.bat connect-standalone.properties [connector1.properties connector2.json ...]
if "%~1"=="" (
    echo USAGE: %0 connect-standalone.properties [connector1.properties connector2.json ...] 1>&2
    exit /b 1
)
setlocal
set STROM_EXTRA=connect
call "%~dp0kafka-run-class.bat" strom.cli.connect_standalone %*
