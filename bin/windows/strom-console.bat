@echo off
rem The web console (strom.cli.strom_console), with the project's virtualenv and the `console` extra
rem installed on first use (kafka-run-class.bat).
rem Usage: strom-console.bat --bootstrap-server localhost:9092 [--port 8080]
setlocal
set STROM_EXTRA=console
call "%~dp0kafka-run-class.bat" strom.cli.strom_console %*
