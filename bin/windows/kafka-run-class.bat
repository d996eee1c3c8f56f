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
shift
set ARGS=
:collect
if "%~1"=="" goto run
set ARGS=%ARGS% %1
shift
goto collect
:run
"%BASE_DIR%\.venv\Scripts\python.exe" -m %MODULE% %ARGS%
exit /b %ERRORLEVEL%
