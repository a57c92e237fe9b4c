        [Parameter({{pipelineAttribute}})]
        [ValidateNotNullOrEmpty()]
        [string] ${{parameter}},
        [Parameter(ValueFromPipeline = $true)]
        [AllowEmptyString()]
        [string[]] $InputObject,
