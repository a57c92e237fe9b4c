import { type GoSettings, sourceOf } from '../system/go-env.js';
import type { Finding } from './findings.js';

/** The settings layer: where each value comes from, and the ones that break or weaken downloads. */
export function checkSettings(settings: GoSettings, env: NodeJS.ProcessEnv): Finding[] {
  const findings: Finding[] = [];
  const value = (key: keyof GoSettings['effective']) => settings.effective[key];
  for (const key of ['GOPROXY', 'GOSUMDB'] as const) {
    const override = settings.overrides[key];
    if (override !== undefined && settings.file[key] !== undefined && settings.file[key] !== override) {
      findings.push({
        severity: 'warning',
        layer: 'settings',
        title: `${key} in the environment overrides go's env file`,
        evidence: [
          `environment: ${key}=${override}`,
          `go env file ${settings.envFile}: ${key}=${settings.file[key]}`,
        ],
        fix: `remove the ${key} environment variable (go env -w only warns about it), then: goproxy-guard apply`,
      });
    }
  }
  const goproxy = value('GOPROXY');
  if (goproxy === 'off' || goproxy.split(/[,|]/)[0] === 'off') {
    findings.push({
      severity: 'error',
      layer: 'settings',
      title: 'GOPROXY=off: go downloads nothing',
      evidence: [`GOPROXY=${goproxy} (${sourceOf(settings, 'GOPROXY')})`],
      fix: 'goproxy-guard apply',
    });
  } else if (goproxy.split(/[,|]/)[0] === 'direct') {
    findings.push({
      severity: 'warning',
      layer: 'settings',
      title:
        'GOPROXY starts with direct: every module comes from its origin (slow or blocked in many networks)',
      evidence: [`GOPROXY=${goproxy} (${sourceOf(settings, 'GOPROXY')})`],
      fix: 'goproxy-guard apply',
    });
  } else if (goproxy.includes(',') && !goproxy.includes('|')) {
    findings.push({
      severity: 'info',
      layer: 'settings',
      title: 'GOPROXY uses ",": go moves on only after a 404 or 410, not after an error or a hang',
      evidence: [`GOPROXY=${goproxy}`],
      fix: 'goproxy-guard apply (writes a "|" list of healthy mirrors)',
    });
  }
  if (value('GOSUMDB') === 'off') {
    findings.push({
      severity: 'warning',
      layer: 'settings',
      title: 'GOSUMDB=off: downloads are not checked against the checksum database',
      evidence: [
        `GOSUMDB=off (${sourceOf(settings, 'GOSUMDB')})`,
        'a tampered mirror or a poisoned cache would go unnoticed',
      ],
      fix: 'go env -u GOSUMDB (or: goproxy-guard apply, which uses a mirror that proxies the database when it is blocked)',
    });
  }
  if (value('GONOSUMDB').split(',').includes('*') || value('GOPRIVATE').split(',').includes('*')) {
    findings.push({
      severity: 'warning',
      layer: 'settings',
      title: 'every module is exempt from the checksum database (GONOSUMDB or GOPRIVATE is *)',
      evidence: [`GONOSUMDB=${value('GONOSUMDB')}`, `GOPRIVATE=${value('GOPRIVATE')}`],
      fix: 'list only your private module paths, e.g. go env -w GOPRIVATE=git.corp.example',
    });
  }
  if (value('GOINSECURE')) {
    findings.push({
      severity: 'warning',
      layer: 'settings',
      title: 'GOINSECURE lets go fetch these paths over plain http or with invalid certificates',
      evidence: [`GOINSECURE=${value('GOINSECURE')}`],
      fix: 'go env -u GOINSECURE, and trust the corporate root instead',
    });
  }
  if (/-mod=|-insecure|-modcacherw/.test(value('GOFLAGS'))) {
    findings.push({
      severity: 'info',
      layer: 'settings',
      title: 'GOFLAGS changes module behaviour',
      evidence: [`GOFLAGS=${value('GOFLAGS')}`],
      fix: 'check that you mean it: go env -u GOFLAGS',
    });
  }
  const proxies = ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY']
    .map((k) => [k, env[k] ?? env[k.toLowerCase()]] as const)
    .filter(([, v]) => v);
  findings.push({
    severity: 'info',
    layer: 'settings',
    title: proxies.length
      ? 'go uses these proxy variables (not the Windows proxy settings)'
      : 'no HTTP(S)_PROXY: go connects directly',
    evidence: proxies.map(([k, v]) => `${k}=${v}`),
    fix: '',
  });
  return findings;
}
