# Meta-tests in the manner of PSFramework's Help.Tests: every exported command is documented,
# the manifest is valid, and the generated code parses as Windows PowerShell 5.1 would need.
BeforeDiscovery {
    $moduleDir = Join-Path $PSScriptRoot '../../dist-psm/GoProxyGuard'
    Import-Module $moduleDir -Force
    $script:CommandNames = @((Get-Command -Module GoProxyGuard -CommandType Function).Name)
}

BeforeAll {
    $script:ModuleDir = Join-Path $PSScriptRoot '../../dist-psm/GoProxyGuard'
    Import-Module $script:ModuleDir -Force
    $script:CommonParameters = [System.Management.Automation.PSCmdlet]::CommonParameters +
        [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
}

Describe 'The module manifest' {
    It 'passes Test-ModuleManifest' {
        $manifest = Test-ModuleManifest -Path (Join-Path $script:ModuleDir 'GoProxyGuard.psd1') -ErrorAction Stop
        $manifest.Name | Should -Be 'GoProxyGuard'
        $manifest.PowerShellVersion | Should -Be ([version]'5.1')
        $manifest.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
    }

    It 'exports exactly the generated functions, listed explicitly' {
        $data = Import-PowerShellDataFile (Join-Path $script:ModuleDir 'GoProxyGuard.psd1')
        $data.FunctionsToExport | Should -Not -Contain '*'
        (Get-Command -Module GoProxyGuard -CommandType Function).Name | Sort-Object | Should -Be ($data.FunctionsToExport | Sort-Object)
        $data.FunctionsToExport | Should -Contain 'Invoke-GoProxyHealth'
    }

    It 'exports the former cmdlet names as aliases, listed explicitly, each naming the renamed function' {
        $data = Import-PowerShellDataFile (Join-Path $script:ModuleDir 'GoProxyGuard.psd1')
        $data.AliasesToExport | Should -Not -Contain '*'
        (Get-Command -Module GoProxyGuard -CommandType Alias).Name | Sort-Object | Should -Be ($data.AliasesToExport | Sort-Object)
        $renamed = @{
            'Restore-GoProxySettings'     = 'Restore-GoProxySetting'
            'Start-GoProxyGuardLab'       = 'Start-GoProxyLab'
            'Get-GoProxyGuardTaskXml'     = 'Get-GoProxyTaskXml'
            'Register-GoProxyGuardTask'   = 'Register-GoProxyTask'
            'Unregister-GoProxyGuardTask' = 'Unregister-GoProxyTask'
            'Get-GoProxyGuardTask'        = 'Get-GoProxyTask'
            'Test-GoModuleIntegrity'      = 'Test-GoProxyModuleIntegrity'
        }
        foreach ($old in $renamed.Keys) {
            (Get-Alias -Name $old -ErrorAction Stop).ResolvedCommandName | Should -Be $renamed[$old] -Because "$old is a former name"
        }
    }

    It 'has the version of package.json' {
        $package = Get-Content -Raw (Join-Path $PSScriptRoot '../../package.json') | ConvertFrom-Json
        (Import-PowerShellDataFile (Join-Path $script:ModuleDir 'GoProxyGuard.psd1')).ModuleVersion | Should -Be $package.version
    }
}

Describe 'Help for <_>' -ForEach $script:CommandNames {
    BeforeAll {
        $script:Help = Get-Help $_ -Full
        $script:Command = Get-Command $_
    }

    It 'has a synopsis that is not the generated syntax' {
        $script:Help.Synopsis | Should -Not -BeNullOrEmpty
        $script:Help.Synopsis | Should -Not -BeLike "*$_ *[[]*"
    }

    It 'has a description' {
        ($script:Help.Description.Text -join '') | Should -Not -BeNullOrEmpty
    }

    It 'has at least one example with code and remarks' {
        @($script:Help.Examples.Example).Count | Should -BeGreaterOrEqual 1
        foreach ($example in $script:Help.Examples.Example) {
            $example.Code | Should -Not -BeNullOrEmpty
            ($example.Remarks.Text -join '') | Should -Not -BeNullOrEmpty
        }
    }

    It 'documents every parameter' {
        $names = $script:Command.Parameters.Keys | Where-Object { $script:CommonParameters -notcontains $_ }
        $names | Should -Not -BeNullOrEmpty
        foreach ($name in $names) {
            $parameterHelp = $script:Help.Parameters.Parameter | Where-Object Name -EQ $name
            ($parameterHelp.Description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$name needs help"
        }
    }
}

Describe 'Command names' {
    It '<_> has an approved verb and a GoProxy noun' -ForEach $script:CommandNames {
        $command = Get-Command $_
        (Get-Verb).Verb | Should -Contain $command.Verb
        $command.Noun | Should -BeLikeExactly 'GoProxy*'
        $command.Noun | Should -Not -BeLikeExactly 'GoProxyGuard*' -Because 'one noun prefix: GoProxy'
    }
}

Describe 'Commands that change the machine' {
    It '<_> supports -WhatIf and -Confirm' -ForEach @(
        (Get-Command -Module GoProxyGuard -CommandType Function | Where-Object { $_.Verb -in 'Set', 'Restore', 'Register', 'Unregister', 'Remove', 'Install' }).Name
    ) {
        $command = Get-Command $_
        $command.Parameters.ContainsKey('WhatIf') | Should -BeTrue
        $command.Parameters.ContainsKey('Confirm') | Should -BeTrue
    }

    It 'includes Set-GoProxy and Restore-GoProxySetting' {
        (Get-Command -Module GoProxyGuard).Name | Should -Contain 'Set-GoProxy'
        (Get-Command -Module GoProxyGuard).Name | Should -Contain 'Restore-GoProxySetting'
    }
}

Describe 'about_GoProxyGuard' {
    It 'is found by Get-Help and lists every command and former name' {
        $about = (Get-Help about_GoProxyGuard | Out-String)
        $about | Should -BeLike '*GOPROXYGUARD_NODE*'
        foreach ($name in (Get-Command -Module GoProxyGuard).Name) { $about | Should -BeLike "*$name*" }
    }
}

Describe 'How the module names and files what the runtime reports' {
    It 'gives every verdict a real ErrorCategory' {
        $categories = & (Get-Module GoProxyGuard) { $script:VerdictCategories }
        $categories.Keys | Should -Contain 'timeout'
        foreach ($verdict in $categories.Keys) {
            $category = [System.Management.Automation.ErrorCategory]::NotSpecified
            [System.Enum]::TryParse([string]$categories[$verdict], [ref]$category) | Should -BeTrue -Because "$verdict maps to '$($categories[$verdict])'"
        }
    }

    It 'PascalCases JSON names with Go''s and Windows'' words as their owners write them: <Json> -> <Expected>' -TestCases @(
        @{ Json = 'goproxy'; Expected = 'GoProxy' }
        @{ Json = 'goproxySource'; Expected = 'GoProxySource' }
        @{ Json = 'gosumdb'; Expected = 'GoSumDb' }
        @{ Json = 'sumdbHeads'; Expected = 'SumDbHeads' }
        @{ Json = 'latencyMs'; Expected = 'LatencyMs' }
        @{ Json = 'nxdomainHijack'; Expected = 'NxDomainHijack' }
        @{ Json = 'ttfb'; Expected = 'Ttfb' }
    ) {
        param($Json, $Expected)
        & (Get-Module GoProxyGuard) { param($n) ConvertTo-GoProxyGuardPropertyName -Name $n } $Json | Should -BeExactly $Expected
    }
}

Describe 'The native helper' {
    It 'compiles with Add-Type (it cannot be called off Windows)' {
        $types = Add-Type -Path (Join-Path $script:ModuleDir 'GoProxyGuard.Native.cs') -PassThru
        $native = $types | Where-Object FullName -EQ 'GoProxyGuard.Native'
        $native | Should -Not -BeNullOrEmpty
        ($native.GetMethods().Name | Sort-Object -Unique) | Should -Contain 'BroadcastEnvironmentChange'
        ($native.GetMethods().Name | Sort-Object -Unique) | Should -Contain 'SetWinInetProxy'
        ($native.GetMethods().Name | Sort-Object -Unique) | Should -Contain 'RefreshWinInet'
    }

    It 'lays INTERNET_PER_CONN_OPTION out as wininet.h does: 16 bytes on 64-bit, 12 on 32-bit' {
        $types = Add-Type -Path (Join-Path $script:ModuleDir 'GoProxyGuard.Native.cs') -PassThru
        $option = $types | Where-Object Name -EQ 'PerConnOption'
        $expected = if ([IntPtr]::Size -eq 8) { 16 } else { 12 }
        [System.Runtime.InteropServices.Marshal]::SizeOf([type]$option) | Should -Be $expected
        [System.Runtime.InteropServices.Marshal]::OffsetOf([type]$option, 'Value').ToInt32() | Should -Be ([IntPtr]::Size)
    }
}

Describe 'The native helper script (bin/native-helper.ps1, run by the runtime)' {
    BeforeAll {
        $script:Helper = Join-Path $script:ModuleDir 'bin/native-helper.ps1'
        $script:RequestFile = Join-Path ([System.IO.Path]::GetTempPath()) "gpg-request-$([guid]::NewGuid()).json"
    }
    AfterAll { Remove-Item -LiteralPath $script:RequestFile -ErrorAction SilentlyContinue }

    It 'reads a UTF-8 request with quotes, <local> and non-ASCII exactly, and answers in ASCII JSON' {
        $request = '{"broadcastEnvironment":true,"wininet":{"enable":true,"server":"proxy.corp:8080","bypass":"<local>;*.corp;\"q\";Zoë 中文"}}'
        [System.IO.File]::WriteAllText($script:RequestFile, $request, [System.Text.UTF8Encoding]::new($true))
        $out = & $script:Helper -RequestPath $script:RequestFile -DryRun
        $out | Should -Match '^[\x00-\x7e]+$'
        $answer = $out | ConvertFrom-Json
        $answer.dryRun | Should -BeTrue
        $answer.broadcast | Should -BeTrue
        $answer.wininet.enable | Should -BeTrue
        $answer.wininet.server | Should -BeExactly 'proxy.corp:8080'
        $answer.wininet.bypass | Should -BeExactly '<local>;*.corp;"q";Zoë 中文'
    }

    It 'asks WinINet only to re-read when the request says refreshOnly' {
        [System.IO.File]::WriteAllText($script:RequestFile, '{"broadcastEnvironment":false,"wininet":{"refreshOnly":true}}')
        $answer = & $script:Helper -RequestPath $script:RequestFile -DryRun | ConvertFrom-Json
        $answer.wininet.refreshed | Should -BeTrue
        $answer.PSObject.Properties.Name | Should -Not -Contain 'broadcast'
    }
}

Describe 'Generated code is valid for Windows PowerShell 5.1' {
    It '<_> parses and uses no syntax that 5.1 lacks' -ForEach @('GoProxyGuard.psm1', 'GoProxyGuard.psd1', 'bin/native-helper.ps1') {
        $tokens = $null
        $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseFile((Join-Path $script:ModuleDir $_), [ref]$tokens, [ref]$errors)
        $errors | Should -BeNullOrEmpty
        $newer = $ast.FindAll({
                param($node)
                $node -is [System.Management.Automation.Language.TernaryExpressionAst] -or
                $node -is [System.Management.Automation.Language.PipelineChainAst] -or
                ($node -is [System.Management.Automation.Language.BinaryExpressionAst] -and
                    $node.Operator -eq [System.Management.Automation.Language.TokenKind]::QuestionQuestion) -or
                ($node -is [System.Management.Automation.Language.AssignmentStatementAst] -and
                    $node.Operator -eq [System.Management.Automation.Language.TokenKind]::QuestionQuestionEquals) -or
                ($node -is [System.Management.Automation.Language.MemberExpressionAst] -and $node.NullConditional) -or
                ($node -is [System.Management.Automation.Language.IndexExpressionAst] -and $node.NullConditional) -or
                ($node -is [System.Management.Automation.Language.ScriptBlockAst] -and $null -ne $node.CleanBlock) -or
                ($node -is [System.Management.Automation.Language.CommandParameterAst] -and $node.ParameterName -eq 'Parallel')
            }, $true)
        @($newer | ForEach-Object { "$($_.Extent.StartLineNumber): $($_.Extent.Text)" }) | Should -BeNullOrEmpty
    }

    It 'defines no function that nothing calls or exports' {
        $tokens = $null
        $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseFile((Join-Path $script:ModuleDir 'GoProxyGuard.psm1'), [ref]$tokens, [ref]$errors)
        $defined = @($ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $true).Name)
        $called = @($ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.CommandAst] }, $true) | ForEach-Object { $_.GetCommandName() })
        $exported = (Import-PowerShellDataFile (Join-Path $script:ModuleDir 'GoProxyGuard.psd1')).FunctionsToExport
        $defined | Should -Contain 'ConvertTo-GoProxyGuardPropertyName'
        @($defined | Where-Object { $called -notcontains $_ -and $exported -notcontains $_ }) | Should -BeNullOrEmpty
    }

    It 'says at the top that it is generated' {
        (Get-Content (Join-Path $script:ModuleDir 'GoProxyGuard.psm1') -TotalCount 2) -join "`n" | Should -BeLike '*generated by src/codegen*'
    }
}
