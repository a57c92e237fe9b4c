        [Parameter({{pipelineAttribute}})]
        [ValidateSet({{choices}})]
        [string] ${{parameter}},
