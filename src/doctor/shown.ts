import { hideSecrets } from '../settings/setting-value.js';
import type { Finding } from './findings.js';
import type { VariableOrigin } from './windows-env.js';

/** Terminal sequences (CSI such as colours, OSC such as window titles), removed whole. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const SEQUENCES = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?)/g;
/** C0 controls but tab, DEL and C1 (0x9b is CSI too): what is left of a sequence would still recolour or rewrite a terminal. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/**
 * A text as the doctor may show it: passwords in URLs hidden (http://alice:***@proxy) as every
 * other command does, and control characters removed. Doctor output is pasted into tickets.
 */
export function shown(text: string): string {
  return hideSecrets(withoutControls(text));
}

/** Linear in the text, so it is safe on every line of a log (hideSecrets is not: keep it for samples). */
export function withoutControls(text: string): string {
  return text.replace(SEQUENCES, '').replace(CONTROLS, '');
}

export function shownFinding(finding: Finding): Finding {
  return {
    ...finding,
    title: shown(finding.title),
    evidence: finding.evidence.map(shown),
    fix: shown(finding.fix),
  };
}

/** A variable's origin with its values shown as findings are: proxy passwords hidden. */
export function shownOrigin(origin: VariableOrigin): VariableOrigin {
  const hide = (stored: VariableOrigin['user']) => stored && { ...stored, value: shown(stored.value) };
  return {
    ...origin,
    ...(origin.window === undefined ? {} : { window: shown(origin.window) }),
    ...(origin.user ? { user: hide(origin.user) } : {}),
    ...(origin.machine ? { machine: hide(origin.machine) } : {}),
  };
}
