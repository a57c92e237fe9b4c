import { describe, expect, it } from 'vitest';
import { hashGoMod } from '../src/integrity/h1.js';
import { LAB_GO_MOD } from '../src/lab/modules.js';
import { probeConfig, probedLab } from './helpers.js';

const { lab, report, mirror } = await probedLab('integrity');

describe('integrity against the lab checksum database', () => {
  it('verifies the database and proves the canary record in its tree', () => {
    expect(report.database).toMatchObject({
      verdict: 'healthy',
      healthy: true,
      forked: false,
      treeHead: { size: 2 },
    });
    expect(report.database.record).toMatchObject({ id: 1, treeSize: 2, mod: hashGoMod(LAB_GO_MOD) });
    expect(report.database.evidence).toContain('lab.test/canary@v1.1.0 is proven');
  });

  it('calls the honest mirror healthy and says its go.mod matches', () => {
    expect(mirror('honest').verdict).toBe('healthy');
    expect(mirror('honest').evidence[0]).toMatch(/; \.mod matches the checksum database$/);
  });

  it('calls a mirror whose go.mod differs from the record tampered, with both hashes', () => {
    const served = hashGoMod(`${LAB_GO_MOD}require evil.example/backdoor v1.0.0\n`);
    expect(mirror('tampered')).toMatchObject({ verdict: 'tampered', healthy: false, latencyMs: null });
    expect(mirror('tampered').evidence).toEqual([
      `the go.mod of lab.test/canary@v1.1.0 from this mirror hashes to ${served}, but the checksum database sum.lab.test records ${hashGoMod(LAB_GO_MOD)} (record proven in its signed tree of 2)`,
    ]);
  });

  it('refuses a lookup record that is not in the signed tree', async () => {
    lab.sumdb.setMode('wrong-hash');
    try {
      const lying = await probeConfig(lab.config);
      expect(lying.database).toMatchObject({ verdict: 'tampered', healthy: false, record: null });
      expect(lying.database.evidence).toContain(
        'record 1 for lab.test/canary@v1.1.0 is not in the signed tree',
      );
    } finally {
      lab.sumdb.setMode('healthy');
    }
  });

  it('refuses a tree head signed by another key', async () => {
    lab.sumdb.setMode('bad-signature');
    try {
      const forged = await probeConfig(lab.config);
      expect(forged.database).toMatchObject({ verdict: 'tampered', healthy: false, treeHead: null });
      expect(forged.database.evidence).toMatch(
        /\/latest: no signature by a known key \(signed by: sum\.lab\.test\)$/,
      );
    } finally {
      lab.sumdb.setMode('healthy');
    }
  });

  it('detects a fork: a new head that does not extend the one verified before', async () => {
    const before = report.database.treeHead as { size: number; hash: string };
    lab.sumdb.setMode('fork');
    try {
      const { config, extraCas } = await (await import('../src/config/load.js')).validate(lab.config);
      const { probeMirrors } = await import('../src/probe/run.js');
      const forked = await probeMirrors(config, extraCas, () => {}, before);
      expect(forked.database).toMatchObject({ verdict: 'tampered', healthy: false, forked: true });
      expect(forked.database.evidence).toMatch(
        /^FORK: the tree of 2 records does not contain the tree of 2 verified before/,
      );
      // the same head again is consistent
      lab.sumdb.setMode('healthy');
      const again = await probeMirrors(config, extraCas, () => {}, before);
      expect(again.database.forked).toBe(false);
    } finally {
      lab.sumdb.setMode('healthy');
    }
  });
});
