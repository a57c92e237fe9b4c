        # Pipeline input arrives one item per process call; the runtime runs once, in end.
        foreach ($value in ${{parameter}}) { $collected.Add($value) }
