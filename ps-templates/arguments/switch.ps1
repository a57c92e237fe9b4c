        if (${{parameter}}) { $arguments += '--{{flag}}' }
