        # -WhatIf, or declining -Confirm, runs the runtime's dry run: it shows what would change.
        if (-not $PSCmdlet.ShouldProcess('{{target}}', '{{action}}')) { $arguments += '--dry-run' }
