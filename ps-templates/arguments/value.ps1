        if ($PSBoundParameters.ContainsKey('{{parameter}}')) { $arguments += @('--{{flag}}', [string]${{parameter}}) }
