import { type Effector, type SettingKind, type SettingValue, WriteRefused } from '../settings/effector.js';
import { readWindowsSettings, writeOrder, writeWindowsSetting } from '../system/windows-settings.js';

/**
 * An effector for Windows settings that system/windows-settings.ts locates (registry values
 * through reg.exe or the Win32 API, WinHTTP through netsh). `managed` are the names apply may
 * write and restore may put back; read answers any name the location knows (AutoConfigURL is
 * read for a note, never written).
 */
export function windowsEffector(kind: SettingKind, managed: readonly string[]): Effector {
  const id = (name: string) => `${kind}:${name}`;
  return {
    kind,
    knows: (name) => managed.includes(name),
    async read(names, { env }) {
      const values = await readWindowsSettings(names.map(id), env);
      return Object.fromEntries(names.map((name) => [name, values[id(name)] ?? { was: 'unset' }]));
    },
    async write(values, { env }) {
      const byId = new Map(Object.entries(values).map(([name, value]) => [id(name), value]));
      const refused: Record<string, string> = {};
      for (const setting of writeOrder([...byId.keys()])) {
        // Past a refusal: a rollback or restore puts back as much as it can.
        await writeWindowsSetting(setting, byId.get(setting) as SettingValue, env).catch((error: Error) => {
          refused[setting.slice(kind.length + 1)] = error.message;
        });
      }
      if (Object.keys(refused).length > 0) throw new WriteRefused(refused);
    },
  };
}
