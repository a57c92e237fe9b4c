import type { RegistryValue } from '../settings/setting-value.js';
import { type NativeRequest, runNativeHelper } from '../system/native-helper.js';
import { readWindowsSettings, WININET_NAMES } from '../system/windows-settings.js';

/**
 * Tells Windows about settings just written, in one native helper run: WM_SETTINGCHANGE after
 * user environment changes; after WinINet changes, the per-connection apply of the values now in
 * the registry (or, when restore put WinINet's connection blob back, only the 39/37 refresh, so
 * the restored blob stays exactly as it was). Returns what happened, for the history; a failure
 * is reported there and in the output, never thrown: the values are already written and verified.
 */
export async function notifyWindows(
  settings: string[],
  env: NodeJS.ProcessEnv,
  /** The values now in place, as far as the caller knows them; only the others are read. */
  known: Record<string, RegistryValue>,
  options: { blobRestored?: boolean } = {},
): Promise<string[]> {
  const request: NativeRequest = { broadcastEnvironment: settings.some((s) => s.startsWith('user-env:')) };
  if (settings.some((s) => s.startsWith('wininet:'))) {
    if (options.blobRestored) request.wininet = { refreshOnly: true };
    else {
      const ids = WININET_NAMES.map((n) => `wininet:${n}`);
      const missing = ids.filter((id) => !(id in known));
      const now = { ...known, ...(missing.length > 0 ? await readWindowsSettings(missing, env) : {}) };
      const text = (name: string) => {
        const value = now[`wininet:${name}`];
        return value?.was === 'set' ? value.value : '';
      };
      request.wininet = {
        enable: text('ProxyEnable') === '1',
        server: text('ProxyServer'),
        bypass: text('ProxyOverride'),
      };
    }
  }
  if (!request.broadcastEnvironment && !request.wininet) return [];
  const outcome = await runNativeHelper(request, env);
  const what = [
    ...(request.broadcastEnvironment ? ['environment broadcast (WM_SETTINGCHANGE)'] : []),
    ...(request.wininet
      ? ['refreshOnly' in request.wininet ? 'WinINet refresh (39/37)' : 'WinINet per-connection apply']
      : []),
  ].join(' and ');
  return [
    outcome.ok
      ? `${what}: done`
      : `${what}: FAILED (${outcome.detail}); the values are written, but running programs may not see them until you sign out and in`,
  ];
}
