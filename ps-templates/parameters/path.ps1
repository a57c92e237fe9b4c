        [Parameter({{pipelineAttribute}})]
        [ValidateNotNullOrEmpty()]
        [string] ${{parameter}},
