        [Parameter()]
        [switch] ${{parameter}},
