import { describe, expect, it } from 'vitest';
import { EFFECTORS, isManaged } from '../src/effectors/index.js';
import { parseSettingId, SETTING_KINDS } from '../src/settings/effector.js';
import { RESTORABLE } from '../src/state/backup-shape.js';

describe('setting ids', () => {
  it.each([
    ['go-env:GOPROXY', { kind: 'go-env', name: 'GOPROXY' }],
    ['wsl-go-env:Ubuntu/GOPROXY', { kind: 'wsl-go-env', name: 'Ubuntu/GOPROXY' }],
    ['hosts:goproxy.cn', { kind: 'hosts', name: 'goproxy.cn' }],
    // the name is everything after the first colon
    ['winhttp:proxy:8080', { kind: 'winhttp', name: 'proxy:8080' }],
  ])('%s parses', (id, parsed) => {
    expect(parseSettingId(id)).toEqual({ id, ...parsed });
  });

  it.each(['GOPROXY', 'go-env:', ':GOPROXY', 'registry:HKCU', 'toString', '__proto__:x'])(
    '%j names no setting',
    (id) => {
      expect(parseSettingId(id)).toBeUndefined();
    },
  );
});

describe('effectors', () => {
  it('each is registered under its own kind, and every kind it names exists', () => {
    for (const [kind, effector] of Object.entries(EFFECTORS)) {
      expect(effector?.kind).toBe(kind);
      expect(SETTING_KINDS).toContain(kind);
    }
  });

  it('manage exactly the settings the backup check lets restore write', () => {
    for (const id of Object.keys(RESTORABLE)) expect(isManaged(id), id).toBe(true);
    for (const id of [
      'go-env:GOFLAGS',
      'go-env:GONOSUMDB',
      'wininet:AutoConfigURL', // read for a note, never written
      'user-env:PATH',
      'winhttp:other',
      'toString',
    ])
      expect(isManaged(id), id).toBe(false);
  });
});
