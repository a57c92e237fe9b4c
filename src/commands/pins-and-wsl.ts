import type { GuardState } from '../state/store.js';
import { renderTable } from './table.js';

// The hosts file's pins and WSL's distributions (issue #20) as plan, status and doctor show
// them: one table each, only when there is something to show.

export type PinRows = NonNullable<GuardState['pins']>;
export type WslRows = NonNullable<GuardState['wsl']>;

export function renderPinsAndWsl(pins: PinRows, wsl: WslRows): string[] {
  const lines: string[] = [];
  if (pins.length > 0)
    lines.push(
      '',
      renderTable(
        ['PINNED NAME', 'ADDRESSES', 'PROOF'],
        pins.map((p) => [p.host, p.addresses.join(' '), p.proof.join('; ')]),
      ),
    );
  if (wsl.length > 0)
    lines.push(
      '',
      renderTable(
        ['WSL DISTRIBUTION', 'FOLLOWS', 'GOPROXY', 'GOSUMDB'],
        wsl.map((d) => [d.name, d.follows, d.goproxy ?? '', d.gosumdb ?? '']),
      ),
    );
  return lines;
}

/**
 * Why an 'overridden' distribution does not follow: the variable, its value, where from, the fix.
 * For status and doctor, which show what the last plan recorded; plan and apply say it in a note.
 */
export function overrideLines(wsl: WslRows): string[] {
  return wsl.flatMap((d) =>
    (d.overrides ?? []).map(
      (o) =>
        `WSL ${d.name}: ${o.variable}=${o.value} (from ${o.from}) overrides go's env file; fix: ${o.fix}`,
    ),
  );
}

/**
 * The pins and distributions the last plan recorded, read without changing anything (doctor
 * never moves a corrupt state file aside, as apply does): none when there is no readable state.
 */
export async function lastPinsAndWsl(env: NodeJS.ProcessEnv): Promise<{ pins: PinRows; wsl: WslRows }> {
  const [{ readStateFile }, { MAX_STATE_BYTES }, { stateDir, statePaths }] = await Promise.all([
    import('../state/safe-file.js'),
    import('../state/store.js'),
    import('../state/paths.js'),
  ]);
  try {
    const text = await readStateFile(statePaths(stateDir(env)).state, MAX_STATE_BYTES, 'a state file');
    const state = JSON.parse(text ?? '{}') as Partial<GuardState>;
    return {
      pins: Array.isArray(state.pins) ? state.pins : [],
      wsl: Array.isArray(state.wsl) ? state.wsl : [],
    };
  } catch {
    return { pins: [], wsl: [] };
  }
}
