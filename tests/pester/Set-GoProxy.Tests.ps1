# The changing cmdlets against the lab, with a private go env file and state directory: the
# runtime and go inherit this process's environment, so the machine's own settings are untouched.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    $script:ModulePath = Join-Path $PSScriptRoot '../../dist-psm/GoProxyGuard'
    Import-Module $script:ModulePath -Force
    $script:Lab = Start-TestLab -Scenario basic
    $script:World = Join-Path ([System.IO.Path]::GetTempPath()) ("gpg-world-" + [guid]::NewGuid())
    New-Item -ItemType Directory -Path $script:World | Out-Null
    $script:Saved = @{}
    foreach ($name in 'GOENV', 'GOPROXYGUARD_HOME', 'GOPROXY', 'GOSUMDB', 'GOFLAGS') {
        $script:Saved[$name] = [Environment]::GetEnvironmentVariable($name)
    }
    $env:GOENV = Join-Path $script:World 'go-env'
    $env:GOPROXYGUARD_HOME = Join-Path $script:World 'state'
    $env:GOPROXY = $null
    $env:GOSUMDB = $null
    $env:GOFLAGS = $null
    $script:Healthy = ($script:Lab.mirrors | Where-Object name -EQ 'healthy').url
    & go env -w 'GOPROXY=https://old.example'
}

AfterAll {
    foreach ($name in $script:Saved.Keys) { [Environment]::SetEnvironmentVariable($name, $script:Saved[$name]) }
    Stop-TestLab $script:Lab
    Remove-Item -Recurse -Force $script:World
    Remove-Module GoProxyGuard -ErrorAction SilentlyContinue
}

Describe 'Get-GoProxyPlan' {
    It 'returns one GoProxyGuard.Plan with the healthy mirror and changes nothing' {
        $before = Get-Content -Raw $env:GOENV
        $plan = Get-GoProxyPlan -ConfigPath $script:Lab.configPath
        $plan.PSObject.TypeNames[0] | Should -Be 'GoProxyGuard.Plan'
        $plan.GoProxy | Should -Be $script:Healthy
        @($plan.Changes).Count | Should -Be 1
        $plan.Changes[0].From | Should -Be 'https://old.example'
        (Get-Content -Raw $env:GOENV) | Should -Be $before
    }
}

Describe 'Property names' {
    BeforeAll {
        $script:Emitted = @{
            'Get-GoProxyPlan'   = Get-GoProxyPlan -ConfigPath $script:Lab.configPath
            'Get-GoProxyStatus' = Get-GoProxyStatus
        }
    }

    It 'are cased as PowerShell users write them: <Name> on <Cmdlet>' -TestCases @(
        @{ Cmdlet = 'Get-GoProxyPlan'; Name = 'GoProxy' }
        @{ Cmdlet = 'Get-GoProxyPlan'; Name = 'GoSumDb' }
        @{ Cmdlet = 'Get-GoProxyStatus'; Name = 'GoProxy' }
        @{ Cmdlet = 'Get-GoProxyStatus'; Name = 'GoProxySource' }
        @{ Cmdlet = 'Get-GoProxyStatus'; Name = 'GoSumDb' }
        @{ Cmdlet = 'Get-GoProxyStatus'; Name = 'Guard' }
    ) {
        param($Cmdlet, $Name)
        $object = $script:Emitted[$Cmdlet]
        # PowerShell finds properties whatever their case, so compare the names themselves.
        $object.PSObject.Properties.Name -ccontains $Name | Should -BeTrue -Because "$Cmdlet emits $($object.PSObject.Properties.Name -join ', ')"
    }

    It 'never spell a compound word of the JSON (goproxy, gosumdb, sumdb, ...) another way, at any depth' {
        $words = & (Get-Module GoProxyGuard) { $script:CompoundWords }
        $names = New-Object System.Collections.Generic.List[string]
        $walk = {
            param($value)
            if ($value -is [System.Management.Automation.PSCustomObject]) {
                foreach ($property in $value.PSObject.Properties) { $names.Add($property.Name); & $walk $property.Value }
            } elseif ($value -is [System.Array]) { foreach ($item in $value) { & $walk $item } }
        }
        foreach ($object in @($script:Emitted.Values) + @(Invoke-GoProxyHealth -ConfigPath $script:Lab.configPath -DeadlineMs 1000 -ErrorAction SilentlyContinue)) {
            & $walk $object
        }
        $names | Should -Contain 'SumDb'
        $wrong = foreach ($name in ($names | Sort-Object -Unique)) {
            foreach ($word in $words.Keys) {
                if ($name -match $word -and $name -cnotmatch $words[$word]) { "$name (want $($words[$word]))" }
            }
        }
        @($wrong) | Should -BeNullOrEmpty
    }
}

Describe 'Set-GoProxy' {
    It 'supports -WhatIf: shows the dry run and changes nothing' {
        $before = Get-Content -Raw $env:GOENV
        $plan = Set-GoProxy -ConfigPath $script:Lab.configPath -WhatIf
        $plan.DryRun | Should -BeTrue
        $plan.Applied | Should -BeFalse
        $plan.GoProxy | Should -Be $script:Healthy
        (Get-Content -Raw $env:GOENV) | Should -Be $before
        Test-Path (Join-Path $env:GOPROXYGUARD_HOME 'backup.json') | Should -BeFalse
    }

    It 'applies, and Get-GoProxyStatus shows the new value from the go env file' {
        $result = Set-GoProxy -ConfigPath $script:Lab.configPath -Confirm:$false
        $result.Applied | Should -BeTrue
        (& go env GOPROXY) | Should -Be $script:Healthy
        $status = Get-GoProxyStatus
        $status.PSObject.TypeNames[0] | Should -Be 'GoProxyGuard.Status'
        $status.GoProxy | Should -Be $script:Healthy
        $status.GoProxySource | Should -Be 'go env file'
        $status.BackupExists | Should -BeTrue
        # Guard mode is off and GOPROXY names no guard: status says so without asking one.
        $status.Guard.Enabled | Should -BeFalse
        $status.Guard.Listen | Should -Be '127.0.0.1:47193'
        $status.Guard.Running | Should -BeFalse
        $status.Guard.Reason | Should -Match '^not asked'
    }

    It 'Restore-GoProxySetting -WhatIf lists what it would put back, and changes nothing' {
        $would = @(Restore-GoProxySetting -WhatIf)
        $would.Count | Should -Be 1
        $would[0].Setting | Should -Be 'GOPROXY'
        $would[0].To | Should -Be 'https://old.example'
        (& go env GOPROXY) | Should -Be $script:Healthy
    }

    It 'answers to its former name Restore-GoProxySettings (an alias), -WhatIf included' {
        $would = @(Restore-GoProxySettings -WhatIf)
        $would[0].Setting | Should -Be 'GOPROXY'
        (& go env GOPROXY) | Should -Be $script:Healthy
    }

    It 'Restore-GoProxySetting puts the original value back' {
        $restored = @(Restore-GoProxySetting -Confirm:$false)
        $restored[0].PSObject.TypeNames[0] | Should -Be 'GoProxyGuard.RestoredSetting'
        (& go env GOPROXY) | Should -Be 'https://old.example'
        (Get-GoProxyStatus).BackupExists | Should -BeFalse
    }
}

Describe 'a state folder the system refuses' {
    It 'is a terminating error naming the folder, category ObjectNotFound, with no stack trace' {
        $saved = $env:GOPROXYGUARD_HOME
        $file = Join-Path $script:World 'a-file'
        Set-Content -LiteralPath $file -Value ''
        try {
            $env:GOPROXYGUARD_HOME = Join-Path $file 'state'
            $before = Get-Content -Raw $env:GOENV
            $caught = $null
            try { Set-GoProxy -ConfigPath $script:Lab.configPath -Confirm:$false } catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -Be 'FileSystemRefused,Set-GoProxy'
            $caught.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $caught.TargetObject | Should -Be $env:GOPROXYGUARD_HOME
            $caught.Exception.Message | Should -BeLike '*a part of its path is a file, not a folder (ENOTDIR)*'
            $caught.Exception.Message | Should -Not -Match 'internal error|\n\s+at '
            (Get-Content -Raw $env:GOENV) | Should -Be $before
        } finally {
            $env:GOPROXYGUARD_HOME = $saved
        }
    }
}
