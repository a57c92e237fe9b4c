Register-ArgumentCompleter -CommandName '{{cmdlet}}' -ParameterName '{{parameter}}' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    Get-GoProxyGuardMirrorName -ConfigPath $fakeBoundParameters['ConfigPath'] |
        Where-Object { $_ -like "$wordToComplete*" } |
        ForEach-Object { New-Object System.Management.Automation.CompletionResult $_, $_, 'ParameterValue', $_ }
}
