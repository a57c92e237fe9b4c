        # Resolved against the PowerShell location, which can differ from the process directory.
        if ($PSBoundParameters.ContainsKey('{{parameter}}')) { $arguments += @('--{{flag}}', $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(${{parameter}})) }
