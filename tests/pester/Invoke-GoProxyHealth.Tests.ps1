BeforeAll {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    $script:ModulePath = Join-Path $PSScriptRoot '../../dist-psm/GoProxyGuard'
    Import-Module $script:ModulePath -Force
    $script:Lab = Start-TestLab -Scenario basic
    $script:Results = @(Invoke-GoProxyHealth -ConfigPath $script:Lab.configPath -ErrorAction SilentlyContinue -ErrorVariable healthErrors)
    $script:HealthErrors = @($healthErrors)
    $script:ByName = @{}
    foreach ($result in $script:Results) { $script:ByName[$result.Name] = $result }
}

AfterAll {
    Stop-TestLab $script:Lab
    Remove-Module GoProxyGuard -ErrorAction SilentlyContinue
}

Describe 'Invoke-GoProxyHealth against the loopback lab' {
    It 'emits one GoProxyGuard.MirrorHealth object per configured mirror' {
        $script:Results.Count | Should -Be 4
        foreach ($result in $script:Results) {
            $result.PSObject.TypeNames[0] | Should -Be 'GoProxyGuard.MirrorHealth'
        }
        ($script:Results.Name | Sort-Object) -join ',' | Should -Be 'bad-gateway,captive,hanging,healthy'
    }

    It 'gives each lab fault its verdict and evidence' -TestCases @(
        @{ Mirror = 'healthy'; Verdict = 'healthy'; Evidence = '200, 2 versions including v1.1.0' }
        @{ Mirror = 'hanging'; Verdict = 'timeout'; Evidence = 'no answer within the 2000 ms deadline during ttfb' }
        @{ Mirror = 'bad-gateway'; Verdict = 'http-error'; Evidence = '@v/list: 502' }
        @{ Mirror = 'captive'; Verdict = 'captive-portal'; Evidence = 'HTML page' }
    ) {
        param($Mirror, $Verdict, $Evidence)
        $result = $script:ByName[$Mirror]
        $result.Verdict | Should -Be $Verdict
        $result.Healthy | Should -Be ($Verdict -eq 'healthy')
        ($result.Evidence -join "`n") | Should -BeLike "*$Evidence*"
    }

    It 'reports the latency and phases of the healthy mirror only' {
        $script:ByName['healthy'].LatencyMs | Should -BeGreaterOrEqual 0
        $script:ByName['healthy'].Phases.Tls | Should -Not -BeNullOrEmpty
        $script:ByName['hanging'].LatencyMs | Should -BeNullOrEmpty
    }

    It 'pipes: Where-Object Healthy keeps the healthy mirror' {
        @($script:Results | Where-Object Healthy).Name | Should -Be @('healthy')
    }

    It 'writes one non-terminating error per unhealthy mirror, with the verdict as id and the mirror as target' {
        $script:HealthErrors.Count | Should -Be 3
        $timeout = $script:HealthErrors | Where-Object { $_.TargetObject.Name -eq 'hanging' }
        $timeout.FullyQualifiedErrorId | Should -Be 'Mirror.timeout,Invoke-GoProxyHealth'
        $timeout.CategoryInfo.Category | Should -Be 'OperationTimeout'
        $timeout.Exception.Message | Should -BeLike 'hanging: timeout: no answer within*'
        ($script:HealthErrors | Where-Object { $_.TargetObject.Name -eq 'captive' }).CategoryInfo.Category | Should -Be 'InvalidData'
    }

    It 'takes mirror names from the pipeline and probes only those, in one run' {
        $names = @('captive', 'healthy' | Invoke-GoProxyHealth -ConfigPath $script:Lab.configPath -DeadlineMs 1000 -ErrorAction SilentlyContinue).Name
        $names | Should -Be @('healthy', 'captive')
    }

    It 'takes objects with a Name from the pipeline (re-probe what failed)' {
        $again = @($script:Results | Where-Object { $_.Verdict -eq 'http-error' } |
                Invoke-GoProxyHealth -ConfigPath $script:Lab.configPath -DeadlineMs 1000 -ErrorAction SilentlyContinue)
        $again.Name | Should -Be @('bad-gateway')
    }

    It 'completes mirror names from the config given with -ConfigPath' {
        $line = "Invoke-GoProxyHealth -ConfigPath '$($script:Lab.configPath)' -Mirror ca"
        $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        @($completion.CompletionMatches.CompletionText) | Should -Be @('captive')
    }

    It 'passes the runtime log through -Verbose' {
        $verbose = @(Invoke-GoProxyHealth -ConfigPath $script:Lab.configPath -Mirror healthy -Verbose 4>&1 |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
        $verbose | Should -Contain "config: $($script:Lab.configPath); probing 1 mirror(s) within 2000 ms"
        ($verbose -join "`n") | Should -BeLike '*healthy: healthy: GET https://healthy.mirror.lab.test*'
    }

    It 'formats as a table with the columns of the generated view' {
        $text = ($script:Results | Format-Table | Out-String -Width 400)
        $header = ($text -split "`n" | Where-Object { $_.Trim() } | Select-Object -First 1) -replace '\x1b\[[0-9;]*m', ''
        ($header -split '\s+' | Where-Object { $_ }) -join ',' | Should -Be 'Mirror,Verdict,Healthy,LatencyMs,Url,Evidence'
    }

    It 'returns the raw JSON document with -AsJson' {
        $json = Invoke-GoProxyHealth -ConfigPath $script:Lab.configPath -DeadlineMs 1000 -AsJson
        $json | Should -BeOfType [string]
        $document = $json | ConvertFrom-Json
        @($document.mirrors).Count | Should -Be 4
        $document.deadlineMs | Should -Be 1000
    }

    It 'emits Write-Progress records while the probes run' {
        $shell = [powershell]::Create()
        try {
            [void]$shell.AddCommand('Import-Module').AddParameter('Name', $script:ModulePath).AddStatement()
            [void]$shell.AddCommand('Invoke-GoProxyHealth').AddParameter('ConfigPath', $script:Lab.configPath).AddParameter('DeadlineMs', 1000)
            $output = $shell.Invoke()
            $output.Count | Should -Be 4
            $records = @($shell.Streams.Progress | Where-Object { $_.Activity -eq 'Probing Go module mirrors' })
            $records.Count | Should -BeGreaterOrEqual 4
            # One status per mirror as its verdict comes in; which verdict a loaded machine gives
            # the healthy mirror (degraded when slow) is not what this test is about.
            foreach ($name in 'healthy', 'hanging', 'bad-gateway', 'captive') {
                ($records.StatusDescription -join "`n") | Should -Match "/4: $name is [a-z-]+" -Because "the progress names $name"
            }
        } finally { $shell.Dispose() }
    }
}

Describe 'Invoke-GoProxyHealth with bad input' {
    BeforeAll {
        $script:BadDir = Join-Path ([System.IO.Path]::GetTempPath()) ("gpg-bad-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $script:BadDir | Out-Null
    }
    AfterAll { Remove-Item -Recurse -Force $script:BadDir }

    It 'throws a catchable terminating error naming the field: <Field>' -TestCases @(
        @{ Field = 'mirrors[0].bogus'; Json = '{"mirrors":[{"name":"a","url":"https://127.0.0.1:1","bogus":1}]}' }
        @{ Field = 'mirrors[0].url'; Json = '{"mirrors":[{"name":"a","url":"ftp://127.0.0.1/x"}]}' }
        @{ Field = 'deadlineMs'; Json = '{"deadlineMs":-5}' }
    ) {
        param($Field, $Json)
        $path = Join-Path $script:BadDir 'config.json'
        Set-Content -LiteralPath $path -Value $Json
        $caught = $null
        try { Invoke-GoProxyHealth -ConfigPath $path -ErrorAction Stop } catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -Be 'ConfigInvalid,Invoke-GoProxyHealth'
        $caught.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $caught.TargetObject | Should -Be $Field
        $caught.Exception.Message | Should -Match ([regex]::Escape("config field `"$Field`""))
    }

    It 'names an unknown mirror as a terminating usage error' {
        $caught = $null
        try { Invoke-GoProxyHealth -ConfigPath $script:Lab.configPath -Mirror nope } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be 'UsageInvalid,Invoke-GoProxyHealth'
        $caught.TargetObject | Should -Be '--mirror'
        $caught.Exception.Message | Should -BeLike '*no mirror named "nope" in the config; mirrors: healthy, hanging, bad-gateway, captive'
    }

    It 'rejects an out-of-range -DeadlineMs before running anything' {
        { Invoke-GoProxyHealth -DeadlineMs 5 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Invoke-GoProxyHealth'
    }

    It 'says which Node it needs when GOPROXYGUARD_NODE points nowhere' {
        $saved = $env:GOPROXYGUARD_NODE
        try {
            Import-Module $script:ModulePath -Force
            $env:GOPROXYGUARD_NODE = Join-Path $script:BadDir 'no-node-here'
            $caught = $null
            try { Invoke-GoProxyHealth -ConfigPath $script:Lab.configPath } catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -Be 'NodeNotFound,Invoke-GoProxyHealth'
            $caught.Exception.Message | Should -BeLike '*GOPROXYGUARD_NODE*no-node-here*Node.js 20*'
        } finally {
            $env:GOPROXYGUARD_NODE = $saved
            Import-Module $script:ModulePath -Force
        }
    }
}

Describe 'Start-GoProxyLab -Demo' {
    It 'returns the five demo mirrors with verdict and meaning, and stops its lab' {
        $mirrors = @(Start-GoProxyLab -Demo)
        $mirrors.Count | Should -Be 5
        $mirrors[0].PSObject.TypeNames[0] | Should -Be 'GoProxyGuard.DemoMirror'
        ($mirrors | ForEach-Object { $_.Verdict }) -join ',' | Should -Be 'healthy,dns-hijacked,tls-invalid,timeout,tampered'
        ($mirrors | Where-Object Verdict -EQ 'tampered').Meaning | Should -BeLike '*SECURITY ERROR*'
    }
}

Describe 'Invoke-GoProxyDoctor' {
    It 'attributes the lines of a failed command piped in (a temp file carries them to the runtime)' {
        $failed = @(
            'go: downloading lab.test/canary v1.1.0',
            'go: lab.test/canary@v1.1.0: reading https://m.example/lab.test/canary/@v/v1.1.0.info: 502 Bad Gateway'
        )
        $before = @(Get-ChildItem ([System.IO.Path]::GetTempPath()) -Filter 'tmp*.tmp' -ErrorAction SilentlyContinue).Count
        $findings = @($failed | Invoke-GoProxyDoctor -Offline)
        $findings[0].PSObject.TypeNames[0] | Should -Be 'GoProxyGuard.Finding'
        $log = @($findings | Where-Object Layer -EQ 'log')
        $log.Count | Should -Be 1
        $log[0].Title | Should -Be 'mirror: the mirror answered with a server error'
        $log[0].Fix | Should -BeLike 'goproxy-guard apply*'
        @(Get-ChildItem ([System.IO.Path]::GetTempPath()) -Filter 'tmp*.tmp' -ErrorAction SilentlyContinue).Count | Should -Be $before
    }

    It 'reads a log file given with -LogPath' {
        $path = Join-Path ([System.IO.Path]::GetTempPath()) ("gpg-log-" + [guid]::NewGuid() + '.log')
        Set-Content -LiteralPath $path -Value 'go: x@v1.0.0: reading https://m.example/x/@v/v1.0.0.info: 410 Gone'
        try {
            $log = @(Invoke-GoProxyDoctor -LogPath $path -Offline | Where-Object Layer -EQ 'log')
            $log[0].Title | Should -BeLike 'mirror: this mirror does not have the module or version*'
        } finally { Remove-Item -LiteralPath $path }
    }
}
