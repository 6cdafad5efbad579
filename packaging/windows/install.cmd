@echo off
rem Installs the ehr-host agent as a Windows service, pairs it with your practice's
rem Doctora account, starts it and checks that it is connected (green).
rem
rem   install.cmd                                  asks for the hub address and the code
rem   install.cmd HUB_ADDRESS PAIRING_CODE [FINGERPRINT]
rem   install.cmd /uninstall                       removes the service and the program;
rem                                                settings and keys are kept
rem
rem Run it from a Command Prompt opened with "Run as administrator".
setlocal EnableExtensions
set "INSTALL_DIR=%ProgramFiles%\ehr-host"
set "DATA_DIR=%ProgramData%\ehr-host"
set "EXE=%INSTALL_DIR%\ehr-host.exe"

if /i "%~1"=="/uninstall" goto :uninstall

rem 1. Install: the program, then the service (which creates the private data folder).
call :remove_service
if errorlevel 1 goto :failed
if not exist "%INSTALL_DIR%" mkdir "%INSTALL_DIR%"
if errorlevel 1 goto :failed
copy /y "%~dp0ehr-host.exe" "%EXE%" >nul
if errorlevel 1 goto :failed
"%EXE%" service install --data-dir "%DATA_DIR%"
if errorlevel 1 goto :failed

rem 2. Pair, unless this computer is paired already.
if exist "%DATA_DIR%\link.json" goto :start
set "HUB=%~1"
set "CODE=%~2"
set "FINGERPRINT=%~3"
if "%HUB%"=="" set /p "HUB=Hub address (from your Doctora representative): "
if "%CODE%"=="" set /p "CODE=Pairing code (Doctora dashboard, Settings > Integrations > Windows Agent): "
if "%FINGERPRINT%"=="" (
    "%EXE%" --home "%DATA_DIR%" pair "%CODE%" --hub "%HUB%"
    if errorlevel 1 goto :failed
) else (
    "%EXE%" --home "%DATA_DIR%" pair "%CODE%" --hub "%HUB%" --fingerprint "%FINGERPRINT%"
    if errorlevel 1 goto :failed
)

:start
rem 3. Start, and verify: the status turns green once the hub acknowledges a heartbeat.
"%EXE%" service start
if errorlevel 1 goto :failed
echo Waiting for the agent to connect...
"%EXE%" --home "%DATA_DIR%" status --wait 60s
if errorlevel 1 goto :not_green
echo The agent is connected (green). Your Doctora dashboard shows this computer as online.
exit /b 0

:not_green
echo The agent is not green yet: the lines above say why and what to do.
echo Its log is %DATA_DIR%\logs\agent.log
exit /b 1

:uninstall
call :remove_service
if errorlevel 1 goto :failed
if exist "%INSTALL_DIR%" rmdir /s /q "%INSTALL_DIR%"
echo ehr-host is removed. Its settings and keys are kept in %DATA_DIR% (delete that folder to remove them too).
exit /b 0

rem Stops (waiting for the exam being written) and removes an installed service.
:remove_service
if not exist "%EXE%" exit /b 0
"%EXE%" service status >nul 2>&1
if errorlevel 1 exit /b 0
echo Stopping the agent (it finishes the exam it is writing first)...
"%EXE%" service uninstall
exit /b %errorlevel%

:failed
echo.
echo Setup stopped: the message above says what went wrong and what to do.
exit /b 1
