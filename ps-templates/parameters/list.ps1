        [Parameter({{pipelineAttribute}})]
        [ValidateNotNullOrEmpty()]
        [Alias('Name')]
        [string[]] ${{parameter}},
