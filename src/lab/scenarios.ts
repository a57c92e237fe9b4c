import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LabMirror, type MirrorMode, startMirror } from './mirror.js';
import { LAB_CANARY } from './modules.js';
import { createPki, type LeafFault } from './pki.js';

interface MirrorPlan {
  name: string;
  mode: MirrorMode;
  tls?: LeafFault;
}

/** Named scenarios a person (or a test) can start with `goproxy-guard lab --scenario NAME`. */
export const SCENARIOS: Record<string, { summary: string; mirrors: MirrorPlan[] }> = {
  basic: {
    summary: 'one healthy, one hanging, one 502 and one captive-portal mirror',
    mirrors: [
      { name: 'healthy', mode: { kind: 'ok' } },
      { name: 'hanging', mode: { kind: 'hang' } },
      { name: 'bad-gateway', mode: { kind: 'status', status: 502 } },
      { name: 'captive', mode: { kind: 'captive' } },
    ],
  },
  healthy: {
    summary: 'a single healthy mirror',
    mirrors: [{ name: 'healthy', mode: { kind: 'ok' } }],
  },
  'all-down': {
    summary: 'a hanging mirror and a 502 mirror, nothing healthy',
    mirrors: [
      { name: 'hanging', mode: { kind: 'hang' } },
      { name: 'bad-gateway', mode: { kind: 'status', status: 502 } },
    ],
  },
  'tls-faults': {
    summary: 'mirrors with an expired, wrongly named, self-signed and incomplete TLS chain',
    mirrors: [
      { name: 'healthy', mode: { kind: 'ok' } },
      { name: 'expired', mode: { kind: 'ok' }, tls: 'expired' },
      { name: 'wrong-name', mode: { kind: 'ok' }, tls: 'wrong-name' },
      { name: 'self-signed', mode: { kind: 'ok' }, tls: 'self-signed' },
      { name: 'missing-intermediate', mode: { kind: 'ok' }, tls: 'missing-intermediate' },
    ],
  },
};

export interface RunningLab {
  scenario: string;
  dir: string;
  configPath: string;
  caFile: string;
  mirrors: LabMirror[];
  config: Record<string, unknown>;
  stop(): Promise<void>;
}

/**
 * Starts a scenario on 127.0.0.1: a fresh PKI, its mirrors over https, and a config file that
 * trusts the lab root (tls.extraCaFiles) and names the lab canary. Everything lives in a temp dir
 * that stop() removes.
 */
export async function startLab(scenario: string, deadlineMs = 2000): Promise<RunningLab> {
  const plan = SCENARIOS[scenario];
  if (!plan)
    throw new Error(`unknown lab scenario "${scenario}"; scenarios: ${Object.keys(SCENARIOS).join(', ')}`);
  const dir = await mkdtemp(join(tmpdir(), 'goproxy-guard-lab-'));
  const pki = await createPki();
  const caFile = join(dir, 'lab-root.pem');
  await writeFile(caFile, pki.root.pem);
  const mirrors = await Promise.all(
    plan.mirrors.map(async (mirror) =>
      startMirror({
        name: mirror.name,
        mode: mirror.mode,
        identity: await pki.issue(['127.0.0.1', 'localhost'], mirror.tls),
      }),
    ),
  );
  const config = {
    mirrors: mirrors.map((m) => ({ name: m.name, url: m.url })),
    canary: { ...LAB_CANARY },
    deadlineMs,
    tls: { extraCaFiles: [caFile] },
  };
  const configPath = join(dir, 'goproxy-guard.json');
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return {
    scenario,
    dir,
    configPath,
    caFile,
    mirrors,
    config,
    async stop() {
      await Promise.all(mirrors.map((m) => m.close()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
