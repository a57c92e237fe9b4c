# GoProxyGuard native helper: the Node runtime runs this with powershell.exe -File for the Win32
# calls Node cannot make without a native add-on (the WM_SETTINGCHANGE broadcast, WinINet's
# per-connection options). The request comes in a UTF-8 JSON file, never as arguments, so
# quotes and non-ASCII text arrive intact on every PowerShell version.
# Generated into the module from ps-templates/native-helper.ps1: do not edit the copy.
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string] $RequestPath,
    # Read and echo the request without calling Win32 (tests, and a check on a new machine).
    [switch] $DryRun
)
$ErrorActionPreference = 'Stop'
$request = Get-Content -LiteralPath $RequestPath -Raw -Encoding UTF8 | ConvertFrom-Json
if (-not $DryRun) {
    Add-Type -Path (Join-Path (Split-Path $PSScriptRoot -Parent) 'GoProxyGuard.Native.cs')
}
$result = [ordered]@{ dryRun = [bool]$DryRun }
if ($null -ne $request.wininet) {
    $wininet = $request.wininet
    if ($wininet.refreshOnly) {
        if (-not $DryRun) { [GoProxyGuard.Native]::RefreshWinInet() }
        $result.wininet = [ordered]@{ refreshed = $true }
    } else {
        $enable = [bool]$wininet.enable
        $server = [string]$wininet.server
        $bypass = [string]$wininet.bypass
        if (-not $DryRun) { [GoProxyGuard.Native]::SetWinInetProxy($enable, $server, $bypass) }
        $result.wininet = [ordered]@{ enable = $enable; server = $server; bypass = $bypass }
    }
}
if ($request.broadcastEnvironment) {
    $delivered = $true
    if (-not $DryRun) { $delivered = [GoProxyGuard.Native]::BroadcastEnvironmentChange(5000) }
    $result.broadcast = $delivered
}
# ASCII-only JSON: Windows PowerShell writes stdout in the console code page.
$json = $result | ConvertTo-Json -Compress -Depth 3
[regex]::Replace($json, '[^\x00-\x7e]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
