        [Parameter({{pipelineAttribute}})]
        [ValidateRange({{min}}, {{max}})]
        [int] ${{parameter}},
