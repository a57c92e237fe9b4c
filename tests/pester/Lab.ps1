# Test helper: starts `goproxy-guard lab` with a pipe on stdin and reads the JSON line it prints
# (config path, mirrors). Closing stdin stops the lab, so a test run never leaves it behind.
function Start-TestLab {
    param([string] $Scenario = 'basic')
    $runtime = Join-Path $PSScriptRoot '../../dist-psm/GoProxyGuard/bin/goproxy-guard.mjs'
    $node = if ($env:GOPROXYGUARD_NODE) { $env:GOPROXYGUARD_NODE } else { (Get-Command node -CommandType Application | Select-Object -First 1).Path }
    $startInfo = New-Object System.Diagnostics.ProcessStartInfo
    $startInfo.FileName = $node
    $startInfo.ArgumentList.Add($runtime)
    $startInfo.ArgumentList.Add('lab')
    $startInfo.ArgumentList.Add('--scenario')
    $startInfo.ArgumentList.Add($Scenario)
    $startInfo.UseShellExecute = $false
    $startInfo.RedirectStandardInput = $true
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($startInfo)
    $line = $process.StandardOutput.ReadLine()
    if (-not $line) { throw "the lab did not start: $($process.StandardError.ReadToEnd())" }
    $lab = $line | ConvertFrom-Json
    Add-Member -InputObject $lab -MemberType NoteProperty -Name Process -Value $process
    $lab
}

function Stop-TestLab {
    param($Lab)
    if ($Lab -and $Lab.Process -and -not $Lab.Process.HasExited) {
        $Lab.Process.StandardInput.Close()
        if (-not $Lab.Process.WaitForExit(10000)) { $Lab.Process.Kill() }
    }
}
