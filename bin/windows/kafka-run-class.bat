@echo off
rem Runs a Strom Python module with the project's virtualenv (.venv, created on first use), as Kafka's
rem kafka-run-class.bat runs a Java class.  Usage: kafka-run-class.bat python.module [args...]
rem STROM_EXTRA=connect also installs that optional dependency set (connect-*.bat set it).
setlocal
if "%~1"=="" (
    echo USAGE: %0 python.module [args...] 1>&2
    exit /b 1
)
set "BASE_DIR=%~dp0..\.."
set "VENV_PY=%BASE_DIR%\.venv\Scripts\python.exe"
if not exist "%VENV_PY%" (
    call :create_venv || exit /b 1
)
set "SPEC=%BASE_DIR%"
set "STAMP=%BASE_DIR%\.venv\.strom-installed"
if defined STROM_EXTRA (
    set "SPEC=%BASE_DIR%[%STROM_EXTRA%]"
    set "STAMP=%BASE_DIR%\.venv\.strom-installed-%STROM_EXTRA%"
)
if not exist "%STAMP%" (
    "%VENV_PY%" -m pip install -q -e "%SPEC%" || exit /b 1
    type nul > "%STAMP%"
)
set "MODULE=%~1"
rem Everything after the module name, as typed: %* keeps quotes and "=" (which %1..%9 with shift would split).
set ARGS=%*
call set ARGS=%%ARGS:*%MODULE%=%%
"%VENV_PY%" -m %MODULE% %ARGS%
exit /b %ERRORLEVEL%

:create_venv
rem The Python launcher first (py -3), then python on PATH. The Microsoft Store's python.exe alias runs no
rem Python at all, so a candidate counts only if it runs this version check.
set "PYTHON="
for %%P in ("py -3" "python" "python3") do if not defined PYTHON (
    %%~P -c "import sys; sys.exit(sys.version_info < (3, 11))" >NUL 2>&1 && set "PYTHON=%%~P"
)
if not defined PYTHON (
    echo ERROR: Strom needs Python 3.11 or newer, and neither "py -3" nor "python" runs one. 1>&2
    echo Install it from https://www.python.org/downloads/windows/ ^(tick "Add python.exe to PATH"^), 1>&2
    echo or run: winget install Python.Python.3.12 1>&2
    exit /b 1
)
echo Creating %BASE_DIR%\.venv with %PYTHON% ^(first run^) 1>&2
%PYTHON% -m venv "%BASE_DIR%\.venv" || exit /b 1
exit /b 0
