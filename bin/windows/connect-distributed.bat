@echo off
rem Kafka Connect in distributed mode (strom.cli.connect_distributed), with the project's virtualenv and the
rem `connect` extra installed on first use.
rem Usage: connect-distributed.bat connect-distributed.properties
setlocal
set BASE_DIR=%~dp0..\..
if "%~1"=="" (
    echo USAGE: %0 connect-distributed.properties 1>&2
    exit /b 1
)
if not exist "%BASE_DIR%\.venv\Scripts\python.exe" (
    python -m venv "%BASE_DIR%\.venv" || exit /b 1
)
if not exist "%BASE_DIR%\.venv\.strom-installed-connect" (
    "%BASE_DIR%\.venv\Scripts\python.exe" -m pip install -q -e "%BASE_DIR%[connect]" || exit /b 1
    type nul > "%BASE_DIR%\.venv\.strom-installed-connect"
)
"%BASE_DIR%\.venv\Scripts\python.exe" -m strom.cli.connect_distributed %*
exit /b %ERRORLEVEL%
