# The task cmdlet that changes nothing but a file the user names: Get-GoProxyGuardTaskXml -OutputPath
# resolves the path against the PowerShell location and writes the bytes schtasks.exe reads.
BeforeAll {
    $script:ModulePath = Join-Path $PSScriptRoot '../../dist-psm/GoProxyGuard'
    Import-Module $script:ModulePath -Force
    $script:Xsd = if ($env:GOPROXYGUARD_TASK_XSD) { $env:GOPROXYGUARD_TASK_XSD } else { Join-Path $PSScriptRoot '../../../shared/reference/task-scheduler-1.3.xsd' }
    $script:Folder = Join-Path ([System.IO.Path]::GetTempPath()) ("gpg-task-" + [guid]::NewGuid())
    New-Item -ItemType Directory -Path $script:Folder | Out-Null
}

AfterAll {
    Remove-Item -Recurse -Force $script:Folder
    Remove-Module GoProxyGuard -ErrorAction SilentlyContinue
}

Describe 'Get-GoProxyGuardTaskXml' {
    It 'returns the XML as one string declared UTF-8, which [xml] reads' {
        $xml = Get-GoProxyGuardTaskXml
        $xml | Should -BeOfType [string]
        $xml | Should -BeLike '<?xml version="1.0" encoding="UTF-8"?>*'
        ([xml]$xml).Task.Principals.Principal.RunLevel | Should -Be 'LeastPrivilege'
    }

    It '-OutputPath writes a UTF-16LE file with a byte order mark at the PowerShell location, valid against the schema' {
        Push-Location $script:Folder
        try {
            $null = Get-GoProxyGuardTaskXml -OutputPath 'guard.xml'
        } finally {
            Pop-Location
        }
        $file = Join-Path $script:Folder 'guard.xml'
        $bytes = [System.IO.File]::ReadAllBytes($file)
        $bytes[0] | Should -Be 0xFF
        $bytes[1] | Should -Be 0xFE
        [System.Text.Encoding]::Unicode.GetString($bytes, 2, $bytes.Length - 2) | Should -BeLike '<?xml version="1.0" encoding="UTF-16"?>*'
        $lint = & xmllint --noout --schema $script:Xsd $file 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($lint -join "`n")
    }

    It '-GuardProxy returns the guard proxy task of guard mode: serve from logon, no time limit, valid against the schema' {
        # Under the home folder, not the temp folder: the task refuses a config other users can change.
        $profileDir = Join-Path $HOME ('.gpg-task-' + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $profileDir | Out-Null
        try {
            $config = Join-Path $profileDir 'guard-mode.json'
            Set-Content -Path $config -Value '{ "mirrors": [{ "name": "a", "url": "https://a.example" }], "guard": { "enabled": true } }'
            $xml = [xml](Get-GoProxyGuardTaskXml -ConfigPath $config -GuardProxy)
            $null = Get-GoProxyGuardTaskXml -ConfigPath $config -GuardProxy -OutputPath (Join-Path $script:Folder 'proxy.xml')
        } finally {
            Remove-Item -Recurse -Force $profileDir
        }
        $xml.Task.RegistrationInfo.URI | Should -Be '\GoProxyGuard\GuardProxy'
        $xml.Task.Settings.ExecutionTimeLimit | Should -Be 'PT0S'
        $xml.Task.Settings.RestartOnFailure.Count | Should -Be '255'
        $xml.Task.Actions.Exec.Arguments | Should -BeLike '* serve --config *'
        $lint = & xmllint --noout --schema $script:Xsd (Join-Path $script:Folder 'proxy.xml') 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($lint -join "`n")
    }
}
