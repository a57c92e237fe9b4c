        if ($collected.Count -gt 0) {
            # Piped lines reach the runtime in a temporary UTF-8 file, never as arguments.
            $linesFile = [System.IO.Path]::GetTempFileName()
            [System.IO.File]::WriteAllLines($linesFile, [string[]]$collected.ToArray(), (New-Object System.Text.UTF8Encoding $false))
            $arguments += @('--{{flag}}', $linesFile)
        } elseif ($PSBoundParameters.ContainsKey('{{parameter}}')) {
            $arguments += @('--{{flag}}', $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(${{parameter}}))
        }
