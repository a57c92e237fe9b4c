// Kept apart from windows-tool.ts (which loads execa) so that asking costs nothing at start-up.

/** Whether Windows effects run: on Windows, or when GOPROXYGUARD_PLATFORM=win32 (tests with Wine and stand-ins). */
export function windowsEffects(env: NodeJS.ProcessEnv): boolean {
  return (env.GOPROXYGUARD_PLATFORM ?? process.platform) === 'win32';
}
