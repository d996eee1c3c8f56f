@echo off
rem Stops Strom brokers started on this machine.
wmic process where "commandline like '%%strom.broker.main%%' and not name='wmic.exe'" call terminate > NUL
