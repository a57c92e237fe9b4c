#!/usr/bin/env bash
# Installs every tool the tests need, idempotently, into places the repo controls:
#   Debian packages (iproute2 and unshare for the loopback-only namespace test, go, wine64 for
#   reg.exe, xmllint), PowerShell 7.6.9 as a dotnet tool in
#   .tools/pwsh, Pester 5.7.1 from NuGet in .tools/pester, and for the win32 tier (Wine): a
#   Windows go.exe built from the Debian Go sources in .tools/go-windows/<go version>/ and the
#   pinned node.exe in .tools/node/<version>/win-x64/ (scripts/fetch-node.mjs). A second run reuses
#   what is there.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
tools="$repo/.tools"
PWSH_VERSION=7.6.9
PESTER_VERSION=5.7.1
mkdir -p "$tools"

need_apt=()
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
command -v unshare >/dev/null 2>&1 || need_apt+=(util-linux)
command -v go >/dev/null 2>&1 || need_apt+=(golang-go)
command -v xmllint >/dev/null 2>&1 || need_apt+=(libxml2-utils)
dpkg -s wine64 >/dev/null 2>&1 || need_apt+=(wine64)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -x "$tools/pwsh/pwsh" ] || ! "$tools/pwsh/pwsh" -NoProfile -Command '$PSVersionTable.PSVersion.ToString()' | grep -qx "$PWSH_VERSION"; then
  echo "setup: dotnet tool install PowerShell $PWSH_VERSION"
  rm -rf "$tools/pwsh"
  dotnet tool install --tool-path "$tools/pwsh" PowerShell --version "$PWSH_VERSION" >/dev/null
fi

pester_dir="$tools/pester/pester/$PESTER_VERSION"
if [ ! -f "$pester_dir/Pester.psd1" ]; then
  echo "setup: NuGet Pester $PESTER_VERSION"
  proj="$tools/pester-restore"
  mkdir -p "$proj"
  cat > "$proj/restore.csproj" <<CSPROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Pester" Version="[$PESTER_VERSION]" /></ItemGroup>
</Project>
CSPROJ
  dotnet restore "$proj/restore.csproj" --packages "$tools/pester" >/dev/null
  # The NuGet package keeps the module files under tools/ in some versions.
  if [ ! -f "$pester_dir/Pester.psd1" ] && [ -f "$pester_dir/tools/Pester.psd1" ]; then
    cp -r "$pester_dir/tools/." "$pester_dir/"
  fi
fi
test -f "$pester_dir/Pester.psd1" || { echo "setup: Pester.psd1 not found under $pester_dir" >&2; exit 1; }
# The win32 tier runs a Windows go.exe under Wine: built from the same Go sources (about 20 s).
go_exe="$tools/go-windows/$(go env GOVERSION)/go.exe"
if [ ! -f "$go_exe" ]; then
  echo "setup: go.exe (GOOS=windows) from $(go env GOROOT)/src/cmd/go"
  (cd "$(go env GOROOT)/src/cmd/go" && GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -o "$go_exe.tmp" . && mv "$go_exe.tmp" "$go_exe")
fi
node "$repo/scripts/fetch-node.mjs" win-x64 >/dev/null

echo "setup: tools ready (pwsh $PWSH_VERSION, Pester $PESTER_VERSION, $(go version))"
