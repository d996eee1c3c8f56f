@echo off
call "%~dp0kafka-run-class.bat" strom.cli.kafka_streams_application_reset %*
