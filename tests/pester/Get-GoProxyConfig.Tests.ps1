# Get-GoProxyConfig: the effective settings with their sources, as objects (off Windows no policy
# keys are read, so the sources are the config file and the defaults).
BeforeAll {
    $script:ModulePath = Join-Path $PSScriptRoot '../../dist-psm/GoProxyGuard'
    Import-Module $script:ModulePath -Force
    $script:World = Join-Path ([System.IO.Path]::GetTempPath()) ("gpg-config-" + [guid]::NewGuid())
    New-Item -ItemType Directory -Path $script:World | Out-Null
    $script:ConfigPath = Join-Path $script:World 'config.json'
    Set-Content -Path $script:ConfigPath -Value '{ "deadlineMs": 3000, "guard": { "enabled": true } }'
}

AfterAll {
    Remove-Item -Recurse -Force $script:World
    Remove-Module GoProxyGuard -ErrorAction SilentlyContinue
}

Describe 'Get-GoProxyConfig' {
    It 'emits one GoProxyGuard.ConfigSetting per setting, each with its value and source' {
        $settings = @(Get-GoProxyConfig -ConfigPath $script:ConfigPath)
        $settings.Count | Should -BeGreaterThan 20
        $settings[0].PSObject.TypeNames[0] | Should -Be 'GoProxyGuard.ConfigSetting'
        $deadline = $settings | Where-Object Field -EQ 'deadlineMs'
        $deadline.Value | Should -Be 3000
        $deadline.Source | Should -Be 'config file'
        $deadline.Origin | Should -Be $script:ConfigPath
        ($settings | Where-Object Field -EQ 'guard.enabled').Source | Should -Be 'config file'
        $canary = $settings | Where-Object Field -EQ 'canary'
        $canary.Source | Should -Be 'default'
        $canary.Shown | Should -Be 'golang.org/x/text@v0.14.0'
    }

    It 'has a table view of Setting, Value, Source and Origin' {
        $text = Get-GoProxyConfig -ConfigPath $script:ConfigPath | Out-String -Width 400
        $text | Should -Match 'Setting\s+Value\s+Source\s+Origin'
        $text | Should -Match 'deadlineMs\s+3000\s+config file'
    }

    It 'stops with the field named when the config file is bad' {
        $bad = Join-Path $script:World 'bad.json'
        Set-Content -Path $bad -Value '{ "deadlineMs": 5 }'
        { Get-GoProxyConfig -ConfigPath $bad -ErrorAction Stop } | Should -Throw -ExpectedMessage '*deadlineMs*'
    }
}
