/** One thing the doctor found: how bad, which layer, what it saw, and the exact fix. */
export interface Finding {
  severity: 'error' | 'warning' | 'info';
  layer: 'go install' | 'settings' | 'network' | 'log';
  title: string;
  evidence: string[];
  /** The command that fixes it (never run by the doctor), or advice when no command does. */
  fix: string;
}
