import type { Verdict } from './types.js';

/** The names of PowerShell's System.Management.Automation.ErrorCategory, so a typo fails tsc. */
export type PowerShellErrorCategory =
  | 'NotSpecified'
  | 'OpenError'
  | 'CloseError'
  | 'DeviceError'
  | 'DeadlockDetected'
  | 'InvalidArgument'
  | 'InvalidData'
  | 'InvalidOperation'
  | 'InvalidResult'
  | 'InvalidType'
  | 'MetadataError'
  | 'NotImplemented'
  | 'NotInstalled'
  | 'ObjectNotFound'
  | 'OperationStopped'
  | 'OperationTimeout'
  | 'SyntaxError'
  | 'ParserError'
  | 'PermissionDenied'
  | 'ResourceBusy'
  | 'ResourceExists'
  | 'ResourceUnavailable'
  | 'ReadError'
  | 'WriteError'
  | 'FromStdErr'
  | 'SecurityError'
  | 'ProtocolError'
  | 'ConnectionError'
  | 'AuthenticationError'
  | 'LimitsExceeded'
  | 'QuotaExceeded'
  | 'NotEnabled';

/**
 * The ErrorCategory of the error record a cmdlet writes for a mirror with this verdict, so
 * scripts can filter failures by kind. A Record, so a new verdict does not compile without one;
 * src/codegen writes it into the PowerShell module.
 */
export const VERDICT_ERROR_CATEGORY: Record<Verdict, PowerShellErrorCategory> = {
  // never written: only mirrors whose Healthy is false become error records
  healthy: 'NotSpecified',
  degraded: 'NotSpecified',
  'dns-failed': 'ResourceUnavailable',
  'dns-hijacked': 'SecurityError',
  'tls-invalid': 'SecurityError',
  'http-error': 'InvalidResult',
  'bad-response': 'InvalidData',
  'captive-portal': 'InvalidData',
  timeout: 'OperationTimeout',
  unreachable: 'ConnectionError',
  'auth-required': 'PermissionDenied',
  tampered: 'SecurityError',
};
