// Changes as the documents show them (plan, apply, history): pure, safe to load at start-up.
import { type Change, parseSettingId } from './effector.js';
import { textOf } from './setting-value.js';

/** The go env file changes as plan and apply documents have always shown them: key, text or null. */
export function goChangeRows(
  changes: readonly Change[],
): { setting: string; from: string | null; to: string }[] {
  return changes.flatMap((c) => {
    const parsed = parseSettingId(c.setting);
    return parsed?.kind === 'go-env'
      ? [{ setting: parsed.name, from: textOf(c.from) ?? null, to: textOf(c.to) ?? '' }]
      : [];
  });
}

/** The changes of every other kind (the Windows settings), as "systemChanges" holds them. */
export const systemChanges = (changes: readonly Change[]) =>
  changes.filter((c) => parseSettingId(c.setting)?.kind !== 'go-env');
