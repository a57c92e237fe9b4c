import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_KEYS } from '../src/config/policy-fields.js';
import { goWorld } from '../src/lab/go-world.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import type { RegistryValue } from '../src/system/registry.js';
import { eventLogStandIns } from './event-log-stand-ins.js';
import { RUNTIME, writeJson } from './helpers.js';
import { type WindowsWorld, windowsWorld } from './windows-world.js';

// Fleet policy end to end under GOPROXYGUARD_PLATFORM=win32: policy values seeded in Wine's
// registry through the product's own registry layer, read by the bundled runtime on every run,
// with apply writing the real go env file from the lab's mirrors.

let lab: RunningLab;
let win: WindowsWorld;
let events: Awaited<ReturnType<typeof eventLogStandIns>>;
const M = POLICY_KEYS.machine;
const U = POLICY_KEYS.user;

beforeAll(async () => {
  [lab, win] = await Promise.all([
    startLab(
      {
        summary: 'a failing mirror first in the config file, a healthy one second',
        mirrors: [
          { name: 'bad-gateway', mode: { kind: 'status', status: 502 } },
          { name: 'healthy', mode: { kind: 'ok' } },
        ],
      },
      20_000, // generous: the machine is shared and Wine is slow
    ),
    windowsWorld(),
  ]);
  events = await eventLogStandIns(win.dir);
}, 120_000);
afterAll(async () => {
  await Promise.all([lab?.stop(), win?.stop()]);
});

/** Seeds one policy value the way Group Policy leaves it, through src/system/registry.ts. */
async function seed(key: string, name: string, type: 'REG_SZ' | 'REG_DWORD', value: string) {
  const { writeRegistryValue } = await import('../src/system/registry.js');
  const data: RegistryValue = { was: 'set', type, value };
  await writeRegistryValue(key, name, data, { ...process.env, ...win.env });
}

const urlOf = (name: string) => lab.mirrors.find((m) => m.name === name)?.url as string;

describe('fleet policy in the Wine registry, end to end with apply', { timeout: 300_000 }, () => {
  it('machine policy over user policy over the config file; bad values ignored by name, recorded; LockLocalSettings', async () => {
    // Machine policy: only the healthy mirror, a deadline, a bad FailAfter (text) and a port out of range.
    await seed(`${M}\\Mirrors`, '1', 'REG_SZ', `healthy=${urlOf('healthy')}`);
    await seed(M, 'DeadlineMs', 'REG_DWORD', '30000');
    await seed(M, 'FailAfter', 'REG_SZ', 'three');
    await seed(M, 'GuardPort', 'REG_DWORD', '70000');
    // User policy: a deadline the machine's beats, and a RecoverAfter nobody else sets.
    await seed(U, 'DeadlineMs', 'REG_DWORD', '9000');
    await seed(U, 'RecoverAfter', 'REG_DWORD', '4');

    const world = await goWorld(lab, RUNTIME);
    try {
      // The config file lists both mirrors, the failing one first, and its own failAfter.
      const configPath = await writeJson(world.dir, 'config.json', {
        ...lab.config,
        policy: { failAfter: 3 },
      });
      const env = {
        ...win.env,
        GOPROXYGUARD_EVENTCREATE: events.env.GOPROXYGUARD_EVENTCREATE,
        GPG_TEST_ELEVATED: '0',
      };

      const shown = await world.guard(['config', '--config', configPath, '--json'], env);
      expect(shown.exitCode, shown.stderr).toBe(0);
      const doc = JSON.parse(shown.stdout);
      const field = (name: string) => doc.settings.find((s: { field: string }) => s.field === name);
      expect(field('mirrors')).toMatchObject({
        source: 'machine policy',
        origin: `${M}\\Mirrors`,
        value: [{ name: 'healthy', url: urlOf('healthy') }],
      });
      expect(field('deadlineMs')).toMatchObject({ source: 'machine policy', value: 30000 });
      expect(field('policy.recoverAfter')).toMatchObject({ source: 'user policy', value: 4 });
      expect(field('policy.failAfter')).toMatchObject({
        source: 'config file',
        origin: configPath,
        value: 3,
      });
      expect(field('guard.listen')).toMatchObject({ source: 'default', value: '127.0.0.1:47193' });
      expect(field('canary')).toMatchObject({ source: 'config file' });
      expect(doc.warnings).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^config file .*config\.json sets mirrors to .*bad-gateway.*, but machine policy HKLM\\SOFTWARE\\Policies\\GoProxyGuard\\Mirrors sets .*healthy.*, which is used$/,
          ),
          `machine policy ${M}\\FailAfter = REG_SZ "three" is ignored (must be a REG_DWORD); using 3 from the config file (${configPath})`,
          `machine policy ${M}\\GuardPort = REG_DWORD 70000 is ignored (must be 1-65535); using "127.0.0.1:47193" from the built-in default`,
        ]),
      );
      // The cmdlet-facing warnings are on stderr too, for a person at the console.
      expect(shown.stderr).toContain('GuardPort = REG_DWORD 70000 is ignored');

      const apply = await world.guard(['apply', '--config', configPath, '--json'], env);
      expect(apply.exitCode, apply.stderr).toBe(0);
      // Policy's mirror list, not the file's: the failing mirror was never a candidate.
      const goproxy = await world.goproxy();
      expect(goproxy).toContain(urlOf('healthy'));
      expect(goproxy).not.toContain(urlOf('bad-gateway'));
      expect(JSON.parse(apply.stdout).mirrors.map((m: { name: string }) => m.name)).toEqual(['healthy']);

      // The ignored values went to the history and the Application event log (id 104, a warning).
      const history = (await readFile(join(world.env.GOPROXYGUARD_HOME as string, 'history.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      const policyEntry = history.find((h) => h.event === 'policy');
      expect(policyEntry.warnings).toHaveLength(2);
      expect(policyEntry.warnings.join('\n')).toMatch(/FailAfter = REG_SZ "three" is ignored/);
      const [event] = await events.calls();
      expect(event?.slice(0, 8)).toEqual([
        '/L',
        'APPLICATION',
        '/T',
        'WARNING',
        '/SO',
        'GoProxyGuard',
        '/ID',
        '104',
      ]);
      expect(event?.[9]).toMatch(/GuardPort = REG_DWORD 70000 is ignored/);

      // status shows where each setting came from, without probing.
      const status = await world.guard(['status', '--config', configPath, '--json'], env);
      expect(status.exitCode, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout).settingSources).toContainEqual({
        field: 'mirrors',
        source: 'machine policy',
        origin: `${M}\\Mirrors`,
      });

      // plan and doctor carry the same sources; doctor lists each policy warning as a finding.
      const plan = await world.guard(['plan', '--config', configPath, '--json'], env);
      expect(plan.exitCode, plan.stderr).toBe(0);
      expect(JSON.parse(plan.stdout).settingSources).toContainEqual({
        field: 'deadlineMs',
        source: 'machine policy',
        origin: `${M}\\DeadlineMs`,
      });
      expect(plan.stderr).toContain('FailAfter = REG_SZ "three" is ignored');
      const doctor = await world.guard(['doctor', '--offline', '--config', configPath, '--json'], env);
      const doctorDoc = JSON.parse(doctor.stdout);
      expect(doctorDoc.settingSources).toContainEqual({
        field: 'policy.recoverAfter',
        source: 'user policy',
        origin: `${U}\\RecoverAfter`,
      });
      expect(
        doctorDoc.findings
          .filter((f: { title: string }) => f.title === 'a policy value needs attention')
          .flatMap((f: { evidence: string[] }) => f.evidence)
          .join('\n'),
      ).toMatch(/GuardPort = REG_DWORD 70000 is ignored/);

      // LockLocalSettings in the user policy: the config file no longer changes anything.
      await seed(U, 'LockLocalSettings', 'REG_DWORD', '1');
      const locked = JSON.parse(
        (await world.guard(['config', '--config', configPath, '--json'], env)).stdout,
      );
      const lockedField = (name: string) => locked.settings.find((s: { field: string }) => s.field === name);
      expect(lockedField('policy.failAfter')).toMatchObject({ source: 'default', value: 2 });
      expect(lockedField('canary')).toMatchObject({ source: 'default' });
      expect(lockedField('mirrors')).toMatchObject({ source: 'machine policy' });
      expect(locked.warnings.join('\n')).toMatch(
        /user policy HKCU\\SOFTWARE\\Policies\\GoProxyGuard\\LockLocalSettings forbids local settings: config file .* is not used for .*canary.*policy\.failAfter/,
      );
    } finally {
      await world.cleanup();
    }
  });
});
