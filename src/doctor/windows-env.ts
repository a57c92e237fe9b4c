import type { RegistryValue } from '../settings/setting-value.js';
import { envValue, expandVariables } from '../text/windows-variables.js';
import type { Finding } from './findings.js';

/** The variables whose origin matters for go on Windows. */
export const WATCHED = ['GOPROXY', 'GOSUMDB', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY'] as const;

export const USER_ENV_LABEL = 'HKCU\\Environment';
/** The machine environment: an administrator's (or an installer's) variables, for every user. */
export const MACHINE_ENV_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment';

/** Where a value comes from: the user or the machine environment, only this window, nowhere; unknown when a key could not be read. */
export type EnvironmentSource = 'user' | 'machine' | 'window' | 'unset' | 'unknown';

/** What the doctor looks at, read at the edges: this process's variables and both registry keys. */
export interface EnvironmentFacts {
  /** This process's environment: what the window it was started from handed it. */
  window: NodeJS.ProcessEnv;
  /** HKCU\Environment's values by variable name; undefined when the key could not be read. */
  user: Record<string, RegistryValue> | undefined;
  /** The machine environment's values by variable name; undefined when the key could not be read. */
  machine: Record<string, RegistryValue> | undefined;
}

export interface VariableOrigin {
  name: string;
  /** Where this window's value comes from ('unset': this window has none). */
  source: EnvironmentSource;
  /** Where programs started from now on take it from: the user value wins over the machine one. */
  newPrograms: Exclude<EnvironmentSource, 'window'>;
  window?: string;
  user?: { type: string; value: string };
  machine?: { type: string; value: string };
}

const PLACES = {
  user: { label: USER_ENV_LABEL, words: 'your user environment' },
  machine: { label: MACHINE_ENV_KEY, words: 'the machine environment' },
} as const;

/**
 * Where each watched variable this process sees comes from on Windows, and what is off about it.
 *
 * Windows builds a new process's environment from the machine environment, then the user
 * environment over it (for these names the user value wins; only PATH is joined), expanding
 * REG_EXPAND_SZ values. A window keeps the copy it got when it opened. So a value that matches
 * neither key is this window's own (set in it) or an old copy; a key's value the window lacks was
 * set after it opened. Expansion uses this window's variables: the ones Windows would use, unless
 * they changed too since the window opened.
 */
export function windowsEnvironment(facts: EnvironmentFacts): {
  origins: VariableOrigin[];
  findings: Finding[];
} {
  const origins: VariableOrigin[] = [];
  const findings: Finding[] = [];
  for (const name of WATCHED) {
    const here = envValue(facts.window, name);
    const stored = { user: facts.user?.[name], machine: facts.machine?.[name] };
    const set = (place: 'user' | 'machine') => {
      const value = stored[place];
      return value?.was === 'set' ? value : undefined;
    };
    const expanded = (place: 'user' | 'machine') => {
      const value = set(place);
      if (!value) return undefined;
      return value.type === 'REG_EXPAND_SZ' ? expandVariables(value.value, facts.window) : value.value;
    };
    const known = facts.user !== undefined && facts.machine !== undefined;
    const newPrograms: VariableOrigin['newPrograms'] = set('user')
      ? 'user'
      : facts.user === undefined
        ? 'unknown'
        : set('machine')
          ? 'machine'
          : facts.machine === undefined
            ? 'unknown'
            : 'unset';
    const source: EnvironmentSource =
      here === undefined
        ? 'unset'
        : here === expanded('user')
          ? 'user'
          : here === expanded('machine')
            ? 'machine'
            : known
              ? 'window'
              : 'unknown';
    const origin: VariableOrigin = { name, source, newPrograms };
    if (here !== undefined) origin.window = here;
    for (const place of ['user', 'machine'] as const) {
      const value = set(place);
      if (value) origin[place] = { type: value.type, value: value.value };
    }
    origins.push(origin);

    const line = (place: 'user' | 'machine') => {
      const value = set(place);
      if (!value) return `${PLACES[place].label}: no ${name}`;
      const shown = `${PLACES[place].label}: ${name}=${value.value}`;
      return value.type === 'REG_EXPAND_SZ'
        ? `${shown} (REG_EXPAND_SZ, expands to ${expanded(place)})`
        : shown;
    };
    const thisProcess = `this process: ${name}=${here}`;
    if (set('user') && set('machine') && expanded('user') !== expanded('machine')) {
      findings.push({
        severity: 'info',
        layer: 'settings',
        title: `your user environment's ${name} overrides the machine environment's: Windows gives the user value (only PATH is joined)`,
        evidence: [line('user'), line('machine')],
        fix: `to use the machine value, remove yours: [Environment]::SetEnvironmentVariable('${name}', $null, 'User')`,
      });
    }
    if (newPrograms === 'user' || newPrograms === 'machine') {
      if (here === undefined) {
        findings.push({
          severity: 'warning',
          layer: 'settings',
          title: `${name} is in ${PLACES[newPrograms].words} but not in this window: it was set after the window opened`,
          evidence: [line(newPrograms)],
          fix: 'open a new terminal so go sees it',
        });
      } else if (source !== newPrograms) {
        findings.push({
          severity: 'warning',
          layer: 'settings',
          title: `this window has an old ${name}: programs started from now on get the ${newPrograms} environment's`,
          evidence: [thisProcess, line(newPrograms)],
          fix: 'open a new terminal (or sign out and in) so go sees the current value',
        });
      } else if (source === 'machine') {
        findings.push({
          severity: 'info',
          layer: 'settings',
          title: `${name} comes from the machine environment (an administrator's setting), not your user environment`,
          evidence: [thisProcess, line('user'), line('machine')],
          fix: '',
        });
      }
    } else if (source === 'window') {
      findings.push({
        severity: 'info',
        layer: 'settings',
        title: `${name} is set only in this window: neither your user nor the machine environment holds it`,
        evidence: [thisProcess, line('user'), line('machine')],
        fix: `programs not started from this window do not get it (it was set in this window, or removed after it opened); to keep it: [Environment]::SetEnvironmentVariable('${name}', '<value>', 'User')`,
      });
    } else if (source === 'unknown') {
      findings.push({
        severity: 'info',
        layer: 'settings',
        title: `${name} does not come from your user environment; the machine environment or this window (one could not be read)`,
        evidence: [
          thisProcess,
          ...(facts.user ? [line('user')] : []),
          ...(facts.machine ? [line('machine')] : []),
        ],
        fix: `check ${MACHINE_ENV_KEY} (an administrator's setting) or the script that opened this window`,
      });
    }
  }
  return { origins, findings };
}
