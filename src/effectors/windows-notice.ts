import type { Change, EffectorContext, SettingValue } from '../settings/effector.js';
import { textOf } from '../settings/setting-value.js';
import { type NativeRequest, runNativeHelper } from '../system/native-helper.js';
import { readWindowsSettings, WININET_BLOB, WININET_NAMES } from '../system/windows-settings.js';

/**
 * Tells Windows about user environment and WinINet values just written and verified, in one
 * native helper run for both kinds (one PowerShell start, not two): WM_SETTINGCHANGE after user
 * environment changes; after WinINet changes, the per-connection apply of the values now in the
 * registry, or, when WinINet's connection blob itself was put back (restore), only the 39/37
 * refresh, so the restored blob stays exactly as it was. Returns what happened, for the history;
 * a failure is reported there and in the output, never thrown: the values are already written.
 */
export async function notifyWindows(
  changes: readonly Change[],
  { env }: EffectorContext,
  /** The values now in place, as far as the caller knows them; only the others are read. */
  known: Readonly<Record<string, SettingValue>>,
): Promise<string[]> {
  const request: NativeRequest = {
    broadcastEnvironment: changes.some((c) => c.setting.startsWith('user-env:')),
  };
  if (changes.some((c) => c.setting.startsWith('wininet:'))) {
    if (changes.some((c) => c.setting === WININET_BLOB && c.to.was === 'set'))
      request.wininet = { refreshOnly: true };
    else {
      const ids = WININET_NAMES.map((n) => `wininet:${n}`);
      const missing = ids.filter((id) => !(id in known));
      const now = { ...known, ...(missing.length > 0 ? await readWindowsSettings(missing, env) : {}) };
      const text = (name: string) => textOf(now[`wininet:${name}`]) ?? '';
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
