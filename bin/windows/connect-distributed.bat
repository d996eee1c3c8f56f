@echo off
rem Kafka Connect in distributed mode (strom.cli.connect_distributed), with the project's virtualenv and the
rem `connect` extra installed on first use (kafka-run-class.bat).
rem Usage: connect-distributed.bat connect-distributed.properties
if "%~1"=="" (
    echo USAGE: %0 connect-distributed.properties 1>&2
    exit /b 1
)
setlocal
set STROM_EXTRA=connect
call "%~dp0kafka-run-class.bat" strom.cli.connect_distributed %*
