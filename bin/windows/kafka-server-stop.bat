@echo off
rem Stops the Strom brokers of this machine as Kafka's kafka-server-stop.bat does: it ends the processes
rem whose command line runs strom.broker.main (the next start recovers the logs). Ctrl-C or Ctrl-Break in
rem the broker's console stops it cleanly. PowerShell's CIM query also works where wmic was removed.
powershell -NoProfile -Command "$p = Get-CimInstance Win32_Process -Filter \"Name like 'python%%' and CommandLine like '%%strom.broker.main%%'\"; if (-not $p) { Write-Output 'No kafka server to stop'; exit 1 }; $p | ForEach-Object { Stop-Process -Id $_.ProcessId -Force }"
exit /b %ERRORLEVEL%
