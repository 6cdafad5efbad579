<#
.SYNOPSIS
Installs the ehr-host agent as a Windows service, pairs it with your practice's
Doctora account, starts it and shows its status.

.EXAMPLE
powershell -ExecutionPolicy Bypass -File .\install.ps1 -Hub https://hub.example
.EXAMPLE
powershell -ExecutionPolicy Bypass -File .\install.ps1 -Uninstall
#>
[CmdletBinding()]
param(
    # The hub address your Doctora representative gives you.
    [string]$Hub = $env:EHR_HOST_HUB,
    # The pairing code (Settings > Integrations > Windows Agent); asked for when absent.
    [string]$PairingCode,
    # The hub certificate's fingerprint, for a hub with a self-signed certificate.
    [string]$Fingerprint,
    [string]$InstallDir = (Join-Path $env:ProgramFiles 'ehr-host'),
    [string]$DataDir = (Join-Path $env:ProgramData 'ehr-host'),
    # Stop and remove the service and the program (settings and keys are kept).
    [switch]$Uninstall
)
$ErrorActionPreference = 'Stop'

$identity = [Security.Principal.WindowsIdentity]::GetCurrent()
$principal = New-Object Security.Principal.WindowsPrincipal($identity)
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    Write-Error 'Run this script as Administrator: right-click Windows PowerShell, choose "Run as administrator", and run it again.'
    exit 1
}

$exe = Join-Path $InstallDir 'ehr-host.exe'

# Runs ehr-host.exe; stops the script with its message when it fails.
function Invoke-EhrHost {
    & $exe @args
    if ($LASTEXITCODE -ne 0) {
        throw "ehr-host $($args -join ' ') failed (exit code $LASTEXITCODE): see the message above"
    }
}

# Stops and removes an installed service, waiting for the job in hand to finish.
function Remove-AgentService {
    $service = Get-Service -Name 'ehr-host' -ErrorAction SilentlyContinue
    if ($null -eq $service) { return }
    if ($service.Status -ne 'Stopped') {
        Write-Host 'Stopping the agent (it finishes the exam it is writing first)...'
        Stop-Service -Name 'ehr-host'
        $service.WaitForStatus('Stopped', [TimeSpan]::FromMinutes(3))
    }
    Invoke-EhrHost service uninstall
}

if ($Uninstall) {
    if (Test-Path $exe) { Remove-AgentService }
    Remove-Item -Recurse -Force $InstallDir -ErrorAction SilentlyContinue
    Write-Host "ehr-host is removed. Its settings and keys are kept in $DataDir (delete that folder to remove them too)."
    exit 0
}

# 1. Install: the program, then the service (which creates the private data folder).
if (Test-Path $exe) { Remove-AgentService }
New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
Copy-Item -Force (Join-Path $PSScriptRoot 'ehr-host.exe') $exe
Invoke-EhrHost service install --data-dir $DataDir

# 2. Pair, unless this computer is paired already.
if (-not (Test-Path (Join-Path $DataDir 'link.json'))) {
    if (-not $Hub) { $Hub = Read-Host 'Hub address (from your Doctora representative)' }
    if (-not $PairingCode) {
        $PairingCode = Read-Host 'Pairing code (Doctora dashboard: Settings > Integrations > Windows Agent)'
    }
    $pair = @('--home', $DataDir, 'pair', $PairingCode.Trim(), '--hub', $Hub)
    if ($Fingerprint) { $pair += @('--fingerprint', $Fingerprint) }
    Invoke-EhrHost @pair
}

# 3. Start, and verify: the status turns green once the hub acknowledges a heartbeat.
Invoke-EhrHost service start
Write-Host 'Waiting for the agent to connect...'
for ($i = 0; $i -lt 30; $i++) {
    & $exe --home $DataDir status | Out-Null
    if ($LASTEXITCODE -eq 0) { break }
    Start-Sleep -Seconds 2
}
& $exe --home $DataDir status
if ($LASTEXITCODE -eq 0) {
    Write-Host 'The agent is connected (green). Your Doctora dashboard shows this computer as online.'
} else {
    Write-Host 'The agent is not green yet: the lines above say why and what to do. The log is in' (Join-Path $DataDir 'logs\agent.log')
}
