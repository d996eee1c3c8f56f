@echo off
rem Starts a Strom broker: kafka-server-start.bat server.properties [--override property=value]*
if "%~1"=="" (
    echo USAGE: %0 server.properties [--override property=value]*
    exit /b 1
)
call "%~dp0kafka-run-class.bat" strom.broker.main %*
