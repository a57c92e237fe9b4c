$arguments = @({{commandArgs}})
{{#resolvesPaths}}
# Paths are resolved against the PowerShell location, which can differ from the process directory.
{{/resolvesPaths}}
{{#options}}
{{#value}}
if ($PSBoundParameters.ContainsKey('{{parameter}}')) { $arguments += @('--{{flag}}', [string]${{parameter}}) }
{{/value}}
{{#switch}}
if (${{parameter}}) { $arguments += '--{{flag}}' }
{{/switch}}
{{#path}}
if ($PSBoundParameters.ContainsKey('{{parameter}}')) { $arguments += @('--{{flag}}', $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(${{parameter}})) }
{{/path}}
{{#list}}
{{#pipeline}}
if ($collected.Count -gt 0) { $arguments += @('--{{flag}}', ($collected -join ',')) }
{{/pipeline}}
{{^pipeline}}
if ($PSBoundParameters.ContainsKey('{{parameter}}')) { $arguments += @('--{{flag}}', (${{parameter}} -join ',')) }
{{/pipeline}}
{{/list}}
{{#lines}}
$linesFile = $null
if ($collected.Count -gt 0) {
    # Piped lines reach the runtime in a temporary UTF-8 file, never as arguments.
    $linesFile = [System.IO.Path]::GetTempFileName()
    [System.IO.File]::WriteAllLines($linesFile, [string[]]$collected.ToArray(), (New-Object System.Text.UTF8Encoding $false))
    $arguments += @('--{{flag}}', $linesFile)
} elseif ($PSBoundParameters.ContainsKey('{{parameter}}')) {
    $arguments += @('--{{flag}}', $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(${{parameter}}))
}
{{/lines}}
{{/options}}
{{#whatIf}}
# -WhatIf, or declining -Confirm, runs the runtime's dry run: it shows what would change.
if (-not $PSCmdlet.ShouldProcess('{{target}}', '{{action}}')) { $arguments += '--dry-run' }
{{/whatIf}}
{{#tempFile}}
try {
    Invoke-GoProxyGuardCommand -Cmdlet $PSCmdlet -Arguments $arguments -OutputType '{{outputType}}' -OutputProperty '{{outputProperty}}'{{#reportsUnhealthy}} -ReportUnhealthy{{/reportsUnhealthy}} -AsJson:$AsJson
} finally {
    if ($linesFile) { Remove-Item -LiteralPath $linesFile -ErrorAction SilentlyContinue }
}
{{/tempFile}}
{{^tempFile}}
Invoke-GoProxyGuardCommand -Cmdlet $PSCmdlet -Arguments $arguments -OutputType '{{outputType}}' -OutputProperty '{{outputProperty}}'{{#reportsUnhealthy}} -ReportUnhealthy{{/reportsUnhealthy}} -AsJson:$AsJson
{{/tempFile}}
