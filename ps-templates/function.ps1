function {{cmdlet}} {
<#
.SYNOPSIS
{{synopsis}}

.DESCRIPTION
{{description}}

{{parameterHelp}}
.PARAMETER AsJson
Returns the runtime's JSON document as one string instead of objects, for scripts that store or forward it.

{{examples}}
.OUTPUTS
{{outputType}}

.NOTES
Runs: goproxy-guard {{commandName}} (the bundled Node runtime). Generated from src/commands/{{sourceFile}}.

.LINK
about_GoProxyGuard
#>
    [CmdletBinding({{cmdletBinding}})]
    [OutputType('{{outputType}}')]
    param(
{{parameters}}
        [switch] $AsJson
    )
    begin {
        $collected = New-Object System.Collections.Generic.List[string]
    }
    process {
{{collectLines}}
    }
    end {
        $linesFile = $null
        $arguments = @({{commandArgs}})
{{argumentLines}}
        try {
            Invoke-GoProxyGuardCommand -Cmdlet $PSCmdlet -Arguments $arguments -OutputType '{{outputType}}' -OutputProperty '{{outputProperty}}' -ReportUnhealthy:${{reportsUnhealthy}} -AsJson:$AsJson
        } finally {
            if ($linesFile) { Remove-Item -LiteralPath $linesFile -ErrorAction SilentlyContinue }
        }
    }
}
