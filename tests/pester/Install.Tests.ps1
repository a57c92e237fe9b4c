# Install paths, as a user takes them, from the packages `npm run package` made in out/: a local
# PowerShell repository (Install-PSResource) and the zip (copy-install). Each check runs in a fresh
# pwsh whose HOME is a temp folder, and imports the module by name, never by path.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    $script:Out = Join-Path $PSScriptRoot '../../out'
    $script:Pwsh = if ($env:PR_PWSH) { $env:PR_PWSH } else { (Get-Process -Id $PID).Path }
    $script:Version = (Get-Content -Raw (Join-Path $PSScriptRoot '../../package.json') | ConvertFrom-Json).version
    $script:Lab = Start-TestLab -Scenario healthy

    function Invoke-FreshPwsh {
        param([string] $UserHome, [string] $Script, [hashtable] $Environment = @{})
        $startInfo = New-Object System.Diagnostics.ProcessStartInfo
        $startInfo.FileName = $script:Pwsh
        foreach ($a in @('-NoProfile', '-NonInteractive', '-Command', $Script)) { $startInfo.ArgumentList.Add($a) }
        $startInfo.UseShellExecute = $false
        # .NET reports no LocalApplicationData unless the folder exists, and PSResourceGet then
        # writes its repository list to the working directory: make both point into the temp home.
        New-Item -ItemType Directory -Force -Path (Join-Path $UserHome '.local/share'), (Join-Path $UserHome '.config') | Out-Null
        $startInfo.WorkingDirectory = $UserHome
        $startInfo.RedirectStandardOutput = $true
        $startInfo.RedirectStandardError = $true
        $startInfo.Environment['HOME'] = $UserHome
        $startInfo.Environment['XDG_DATA_HOME'] = Join-Path $UserHome '.local/share'
        $startInfo.Environment['XDG_CONFIG_HOME'] = Join-Path $UserHome '.config'
        $startInfo.Environment['XDG_CACHE_HOME'] = Join-Path $UserHome '.cache'
        $startInfo.Environment['PSModulePath'] = ''
        foreach ($key in $Environment.Keys) { $startInfo.Environment[$key] = $Environment[$key] }
        $process = [System.Diagnostics.Process]::Start($startInfo)
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEnd()
        $process.WaitForExit()
        [pscustomobject]@{ ExitCode = $process.ExitCode; Stdout = $stdout.Result; Stderr = $stderr }
    }

    # What a user checks after installing: import by name, the commands, one health run on the lab.
    $script:CheckScript = @'
$ErrorActionPreference = 'Stop'
Import-Module GoProxyGuard
$module = Get-Module GoProxyGuard
$health = @(Invoke-GoProxyHealth -ConfigPath $env:LAB_CONFIG)
[pscustomobject]@{
    Path = $module.Path
    Version = $module.Version.ToString()
    Commands = @((Get-Command -Module GoProxyGuard -CommandType Function).Name).Count
    Aliases = @((Get-Command -Module GoProxyGuard -CommandType Alias).Name)
    Verdict = $health[0].Verdict
} | ConvertTo-Json -Compress
'@
}

AfterAll { Stop-TestLab $script:Lab }

Describe 'Install-PSResource from a local repository' {
    It 'installs, imports by name, runs, and uninstalls without leaving the module behind' {
        $userHome = Join-Path ([System.IO.Path]::GetTempPath()) ("gpg-home-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $userHome | Out-Null
        try {
            $install = Invoke-FreshPwsh -UserHome $userHome -Environment @{ PKG_REPO = (Resolve-Path (Join-Path $script:Out 'repo')).Path } -Script @'
$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name GoProxyGuardLocal -Uri $env:PKG_REPO -Trusted
Install-PSResource -Name GoProxyGuard -Repository GoProxyGuardLocal -Scope CurrentUser -TrustRepository
'@
            $install.ExitCode | Should -Be 0 -Because $install.Stderr
            Test-Path (Join-Path $userHome '.local/share/PSResourceGet/PSResourceRepository.xml') | Should -BeTrue -Because 'the repository list must stay in the temp home'
            $check = Invoke-FreshPwsh -UserHome $userHome -Script $script:CheckScript -Environment @{ LAB_CONFIG = $script:Lab.configPath }
            $check.ExitCode | Should -Be 0 -Because $check.Stderr
            $result = $check.Stdout | ConvertFrom-Json
            $result.Path | Should -BeLike "$userHome*"
            $result.Version | Should -Be $script:Version
            $result.Commands | Should -BeGreaterOrEqual 10
            $result.Aliases | Should -Contain 'Restore-GoProxySettings' -Because 'former cmdlet names keep working after an install'
            $result.Verdict | Should -Be 'healthy'
            $uninstall = Invoke-FreshPwsh -UserHome $userHome -Script 'Uninstall-PSResource -Name GoProxyGuard -Scope CurrentUser -ErrorAction Stop; Unregister-PSResourceRepository -Name GoProxyGuardLocal'
            $uninstall.ExitCode | Should -Be 0 -Because $uninstall.Stderr
            @(Get-ChildItem -Recurse -Path $userHome -Filter 'GoProxyGuard.psd1').Count | Should -Be 0
        } finally { Remove-Item -Recurse -Force $userHome }
    }
}

Describe 'Copy-install from the zip' {
    It 'expands into a module path and imports by name' {
        $userHome = Join-Path ([System.IO.Path]::GetTempPath()) ("gpg-zip-" + [guid]::NewGuid())
        $modules = Join-Path $userHome 'Modules'
        New-Item -ItemType Directory -Path $modules -Force | Out-Null
        try {
            Expand-Archive -Path (Join-Path $script:Out "GoProxyGuard-$($script:Version).zip") -DestinationPath $modules
            $check = Invoke-FreshPwsh -UserHome $userHome -Script $script:CheckScript -Environment @{ LAB_CONFIG = $script:Lab.configPath; PSModulePath = $modules }
            $check.ExitCode | Should -Be 0 -Because $check.Stderr
            $result = $check.Stdout | ConvertFrom-Json
            $result.Path | Should -Be (Join-Path $modules 'GoProxyGuard/GoProxyGuard.psm1')
            $result.Aliases | Should -Contain 'Test-GoModuleIntegrity'
            $result.Verdict | Should -Be 'healthy'
            Remove-Item -Recurse -Force (Join-Path $modules 'GoProxyGuard')
            @(Get-ChildItem -Path $modules).Count | Should -Be 0
        } finally { Remove-Item -Recurse -Force $userHome }
    }
}

Describe 'The module carries its runtime' {
    # The shipped node.exe runs on Windows only: here the files are checked against the pins, and
    # with no Node anywhere the module says what is missing. The win32 tier runs that node.exe.
    BeforeAll {
        $script:Pins = (Get-Content -Raw (Join-Path $PSScriptRoot '../../scripts/node-runtime.json') | ConvertFrom-Json).platforms
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        function Get-EntryHash {
            param($Archive, [string] $Name)
            $entry = $Archive.Entries | Where-Object { $_.FullName -eq $Name } | Select-Object -First 1
            if (-not $entry) { return $null }
            $stream = $entry.Open()
            try { ([System.Security.Cryptography.SHA256]::Create().ComputeHash($stream) | ForEach-Object { $_.ToString('x2') }) -join '' }
            finally { $stream.Dispose() }
        }
    }

    It 'the <Package> holds the pinned node.exe for win-x64 and win-arm64, and the registry add-on' -TestCases @(
        @{ Package = 'zip'; File = "GoProxyGuard-{0}.zip"; Prefix = 'GoProxyGuard/' },
        @{ Package = 'nupkg'; File = "repo/GoProxyGuard.{0}.nupkg"; Prefix = '' }
    ) {
        param($Package, $File, $Prefix)
        $archive = [System.IO.Compression.ZipFile]::OpenRead((Join-Path $script:Out ($File -f $script:Version)))
        try {
            foreach ($platform in 'win-x64', 'win-arm64') {
                Get-EntryHash $archive "$($Prefix)bin/node/$platform/node.exe" | Should -Be $script:Pins.$platform.sha256 -Because "$platform node.exe"
            }
            @($archive.Entries | Where-Object { $_.FullName -eq "$($Prefix)bin/native-reg/win32-x64.node" }).Count | Should -Be 1
        } finally { $archive.Dispose() }
    }

    It 'Install-PSResource gives a module that runs its own Node, with no Node on PATH and no GOPROXYGUARD_NODE' {
        # The published packages carry win-x64 and win-arm64, which do not run here; the same
        # packager adds the pinned linux-x64 Node, so the module's lookup of its own runtime is
        # what runs on this pwsh (the win32 tier runs the shipped node.exe itself).
        $userHome = Join-Path ([System.IO.Path]::GetTempPath()) ("gpg-ownnode-" + [guid]::NewGuid())
        $packages = Join-Path $userHome 'packages'
        $emptyPath = Join-Path $userHome 'no-node-path'
        New-Item -ItemType Directory -Path $emptyPath -Force | Out-Null
        $dotnet = Get-Command dotnet -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if ($dotnet) { New-Item -ItemType SymbolicLink -Path (Join-Path $emptyPath 'dotnet') -Target $dotnet.Source | Out-Null }
        $repoRoot = Join-Path $PSScriptRoot '../..'
        try {
            Push-Location $repoRoot
            try {
                $packer = & node scripts/package.mjs --out $packages --node-platforms linux-x64 --formats repo 2>&1
                $LASTEXITCODE | Should -Be 0 -Because ($packer -join "`n")
            } finally { Pop-Location }
            $install = Invoke-FreshPwsh -UserHome $userHome -Environment @{ PKG_REPO = (Join-Path $packages 'repo'); PATH = $emptyPath; GOPROXYGUARD_NODE = '' } -Script @'
$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name GoProxyGuardLocal -Uri $env:PKG_REPO -Trusted
Install-PSResource -Name GoProxyGuard -Repository GoProxyGuardLocal -Scope CurrentUser -TrustRepository
'@
            $install.ExitCode | Should -Be 0 -Because $install.Stderr
            $check = Invoke-FreshPwsh -UserHome $userHome -Environment @{ LAB_CONFIG = $script:Lab.configPath; PATH = $emptyPath; GOPROXYGUARD_NODE = '' } -Script @'
$ErrorActionPreference = 'Stop'
if (Get-Command node -CommandType Application -ErrorAction SilentlyContinue) { throw 'node is on PATH' }
Import-Module GoProxyGuard
$health = @(Invoke-GoProxyHealth -ConfigPath $env:LAB_CONFIG)
$module = Get-Module GoProxyGuard
[pscustomobject]@{
    ModuleBase = $module.ModuleBase
    Node = & $module { $script:NodePath }
    Verdict = $health[0].Verdict
} | ConvertTo-Json -Compress
'@
            $check.ExitCode | Should -Be 0 -Because $check.Stderr
            $result = $check.Stdout | ConvertFrom-Json
            $result.ModuleBase | Should -BeLike "$userHome*"
            $result.Node | Should -Be (Join-Path $result.ModuleBase 'bin/node/linux-x64/node')
            $result.Verdict | Should -Be 'healthy'
        } finally { Remove-Item -Recurse -Force $userHome }
    }

    It 'with no Node on PATH and no GOPROXYGUARD_NODE, off Windows, says what is missing' {
        $userHome = Join-Path ([System.IO.Path]::GetTempPath()) ("gpg-nonode-" + [guid]::NewGuid())
        $modules = Join-Path $userHome 'Modules'
        # PATH holds only dotnet (pwsh here is a dotnet tool, whose launcher needs it): no node.
        $emptyPath = Join-Path $userHome 'no-node-path'
        New-Item -ItemType Directory -Path $modules, $emptyPath -Force | Out-Null
        $dotnet = Get-Command dotnet -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if ($dotnet) { New-Item -ItemType SymbolicLink -Path (Join-Path $emptyPath 'dotnet') -Target $dotnet.Source | Out-Null }
        try {
            Expand-Archive -Path (Join-Path $script:Out "GoProxyGuard-$($script:Version).zip") -DestinationPath $modules
            $check = Invoke-FreshPwsh -UserHome $userHome -Environment @{ PSModulePath = $modules; PATH = $emptyPath; GOPROXYGUARD_NODE = '' } -Script @'
Import-Module GoProxyGuard
try { Invoke-GoProxyHealth -ConfigPath nowhere.json -ErrorAction Stop } catch { $_.FullyQualifiedErrorId; $_.Exception.Message }
'@
            $check.ExitCode | Should -Be 0 -Because $check.Stderr
            $check.Stdout | Should -BeLike 'NodeNotFound,Invoke-GoProxyHealth*'
            $check.Stdout | Should -BeLike "*bin\node folder has no Node for this system*GOPROXYGUARD_NODE is not set*'node' is not on PATH*"
        } finally { Remove-Item -Recurse -Force $userHome }
    }
}
