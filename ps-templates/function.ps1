function {{cmdlet}} {
<#
.SYNOPSIS
{{synopsis}}

.DESCRIPTION
{{description}}

{{#options}}
.PARAMETER {{parameter}}
{{help}}

{{#lines}}
.PARAMETER InputObject
Lines of text from the pipeline, such as the output of a failed go command (go mod download 2>&1 | ...). They are used instead of -{{parameter}}.

{{/lines}}
{{/options}}
.PARAMETER AsJson
Returns the runtime's JSON document as one string instead of objects, for scripts that store or forward it.

{{#examples}}
.EXAMPLE
PS> {{code}}

{{remarks}}

{{/examples}}
.OUTPUTS
{{outputType}}

.NOTES
Runs: goproxy-guard {{commandName}} (the bundled Node runtime). Generated from src/commands/{{sourceFile}}.

.LINK
about_GoProxyGuard
#>
{{#whatIf}}
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
{{/whatIf}}
{{^whatIf}}
    [CmdletBinding()]
{{/whatIf}}
{{#aliases}}
    [Alias({{names}})]
{{/aliases}}
    [OutputType('{{outputType}}')]
    param(
{{#options}}
{{#attributes}}
        [Parameter({{#positional}}Mandatory = $true, Position = 0{{#pipeline}}, {{/pipeline}}{{/positional}}{{#pipeline}}ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true{{/pipeline}})]
{{/attributes}}
{{#switch}}
        [switch] ${{parameter}},
{{/switch}}
{{#integer}}
        [ValidateRange({{min}}, {{max}})]
        [int] ${{parameter}},
{{/integer}}
{{#choice}}
        [ValidateSet({{choices}})]
        [string] ${{parameter}},
{{/choice}}
{{#string}}
        [ValidateNotNullOrEmpty()]
        [string] ${{parameter}},
{{/string}}
{{#path}}
        [ValidateNotNullOrEmpty()]
        [string] ${{parameter}},
{{/path}}
{{#list}}
        [ValidateNotNullOrEmpty()]
        [Alias('Name')]
        [string[]] ${{parameter}},
{{/list}}
{{#lines}}
        [ValidateNotNullOrEmpty()]
        [string] ${{parameter}},
        [Parameter(ValueFromPipeline = $true)]
        [AllowEmptyString()]
        [string[]] $InputObject,
{{/lines}}
{{/options}}
        [switch] $AsJson
    )
{{#collects}}
    begin {
        $collected = New-Object System.Collections.Generic.List[string]
    }
    process {
{{#options}}
{{#lines}}
        # Piped text (a failed command's output, 2>&1 included) is gathered for the runtime.
        foreach ($value in $InputObject) { $collected.Add([string]$value) }
{{/lines}}
{{#list}}
{{#pipeline}}
        # Pipeline input arrives one item per process call; the runtime runs once, in end.
        foreach ($value in ${{parameter}}) { $collected.Add($value) }
{{/pipeline}}
{{/list}}
{{/options}}
    }
    end {
        {{>function-body.ps1}}
    }
{{/collects}}
{{^collects}}
    {{>function-body.ps1}}
{{/collects}}
}
