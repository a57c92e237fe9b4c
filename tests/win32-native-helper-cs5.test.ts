import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

// Windows PowerShell 5.1 compiles the native helper with Add-Type on .NET Framework, whose C#
// compiler speaks C# 5: a C# 6 feature there (string interpolation, nameof, `?.`, expression
// bodies) breaks every desktop that has only 5.1, while pwsh 7 compiles it happily. So the file
// is compiled here with the dotnet SDK at LangVersion 5, in a throwaway project that needs no
// package beyond the SDK (restore from an empty folder: nothing is downloaded).

const dir = await mkdtemp(join(tmpdir(), 'gpg-cs5-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
const HELPER = resolve('ps-templates/GoProxyGuard.Native.cs');

async function buildAtCSharp5(source: string) {
  const project = join(dir, `p${Math.random().toString(36).slice(2)}`);
  const empty = join(dir, 'no-packages');
  await mkdir(project, { recursive: true });
  await mkdir(empty, { recursive: true });
  await writeFile(
    join(project, 'check.csproj'),
    `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <OutputType>Library</OutputType>
    <LangVersion>5</LangVersion>
    <Nullable>disable</Nullable>
    <ImplicitUsings>disable</ImplicitUsings>
    <EnableDefaultCompileItems>false</EnableDefaultCompileItems>
    <RestoreSources>${empty}</RestoreSources>
  </PropertyGroup>
  <ItemGroup><Compile Include="${source}" /></ItemGroup>
</Project>
`,
  );
  return execa('dotnet', ['build', join(project, 'check.csproj'), '-nologo', '-v', 'quiet'], {
    reject: false,
    env: { DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1', NUGET_PACKAGES: join(dir, 'nuget') },
    timeout: 240_000,
  });
}

describe('GoProxyGuard.Native.cs at C# 5 (Add-Type on Windows PowerShell 5.1)', { timeout: 300_000 }, () => {
  it('compiles', async () => {
    const build = await buildAtCSharp5(HELPER);
    expect(build.exitCode, build.stdout).toBe(0);
  });

  it('and the check would catch a C# 6 feature in it', async () => {
    const source = await readFile(HELPER, 'utf8');
    const newer = join(dir, 'Newer.cs');
    // string interpolation, added to the helper's own file just after its first opening brace
    await writeFile(
      newer,
      source.replace('{', '{ internal static class CSharp6 { static string S = $"{1}"; }'),
    );
    const build = await buildAtCSharp5(newer);
    expect(build.exitCode).not.toBe(0);
    expect(build.stdout).toMatch(/CS8026|not available in C# 5/);
  });
});
