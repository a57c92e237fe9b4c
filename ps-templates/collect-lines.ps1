        # Piped text (a failed command's output, 2>&1 included) is gathered for the runtime.
        foreach ($value in $InputObject) { $collected.Add([string]$value) }
