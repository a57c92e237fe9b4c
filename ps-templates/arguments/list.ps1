        if ($collected.Count -gt 0) { $arguments += @('--{{flag}}', ($collected -join ',')) }
