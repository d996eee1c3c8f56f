@echo off
rem Runs a Strom Python entry module with the project's virtualenv (created on first use).
rem Usage: kafka-run-class.bat <python.module> [args...]
setlocal
set BASE_DIR=%~dp0..\..
if not exist "%BASE_DIR%\.venv\Scripts\python.exe" (
    python -m venv "%BASE_DIR%\.venv" || exit /b 1
    "%BASE_DIR%\.venv\Scripts\python.exe" -m pip install -q -e "%BASE_DIR%" || exit /b 1
)
set MODULE=%1
rem Everything after the module name, as typed: %* keeps quotes and "=" (which %1..%9 with shift would split).
set ARGS=%*
call set ARGS=%%ARGS:*%MODULE%=%%
"%BASE_DIR%\.venv\Scripts\python.exe" -m %MODULE% %ARGS%
exit /b %ERRORLEVEL%
