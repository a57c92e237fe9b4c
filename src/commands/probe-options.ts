import { MAX_DEADLINE_MS, MIN_DEADLINE_MS } from '../config/defaults.js';
import type { ViewColumn } from './definition.js';

/** The options every probing command takes; spread into each definition (the generator follows it). */
export const probeOptions = {
  /** Path of the JSON config file (else GOPROXYGUARD_CONFIG, else the built-in public mirrors). */
  config: { kind: 'path', flag: 'config', parameter: 'ConfigPath', valueName: 'FILE' },
  /** Milliseconds the probes may take (overrides the config's deadlineMs). */
  deadline: {
    kind: 'integer',
    flag: 'deadline-ms',
    parameter: 'DeadlineMs',
    valueName: 'MS',
    min: MIN_DEADLINE_MS,
    max: MAX_DEADLINE_MS,
  },
} as const;

/** The table view of a plan, shared by plan and apply (one view per output type). */
export const PLAN_COLUMNS: readonly ViewColumn[] = [
  { label: 'GoProxy', property: 'Goproxy' },
  { label: 'GoSumDb', property: 'Gosumdb' },
  { label: 'KeptLastGood', property: 'KeptLastGood' },
  { label: 'Reasons', property: 'Reasons', list: true },
];
