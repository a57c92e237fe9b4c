import { describe, expect, it } from 'vitest';
import { EFFECTORS, isManaged } from '../src/effectors/index.js';
import { parseSettingId, SETTING_KINDS } from '../src/settings/effector.js';
import { checkBackupShape, RESTORABLE, restorableKind } from '../src/state/backup-shape.js';

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

  // Issue #20: the hosts file's entries and WSL's go values have names no table can list.
  it.each([
    'hosts:goproxy.cn',
    'hosts:mirrors.aliyun.com',
    'hosts:xn--fiqs8s.example',
    'wsl-go-env:Ubuntu/GOPROXY',
    'wsl-go-env:Ubuntu-22.04/GOSUMDB',
  ])('%s is managed and restorable', (id) => {
    expect(isManaged(id), id).toBe(true);
    expect(restorableKind(id), id).toBeDefined();
  });

  it.each([
    'hosts:',
    'hosts:bad_name.example',
    'hosts:-leading.example',
    'hosts:a b',
    'wsl-go-env:Ubuntu/GOFLAGS',
    'wsl-go-env:Ubuntu',
    'wsl-go-env:/GOPROXY',
    'wsl-go-env:a/b/GOPROXY',
  ])('%s is neither managed nor restorable', (id) => {
    expect(isManaged(id), id).toBe(false);
    expect(restorableKind(id), id).toBeUndefined();
  });
});

describe('a backup holding hosts and WSL entries', () => {
  const backup = (settings: Record<string, unknown>) => ({
    version: 2,
    takenAt: '2026-11-30T10:00:00.000Z',
    goEnvFile: '/home/u/.config/go/env',
    settings,
  });

  it('is accepted with the values apply writes', () => {
    const settings = {
      'hosts:goproxy.cn': { was: 'unset' },
      'hosts:mirrors.aliyun.com': { was: 'set', type: 'HOSTS', value: '203.0.113.7 2001:db8::1' },
      'wsl-go-env:Ubuntu/GOPROXY': { was: 'set', type: 'GOENV', value: 'https://goproxy.cn,direct' },
      'wsl-go-env:Ubuntu/GOSUMDB': { was: 'unset' },
    };
    expect(checkBackupShape(backup(settings), 'backup.json')).toEqual(backup(settings));
  });

  it.each([
    [
      'a hosts entry that is no address',
      'hosts:goproxy.cn',
      { was: 'set', type: 'HOSTS', value: 'evil.example' },
      '.value',
    ],
    [
      'a hosts entry with a zone',
      'hosts:goproxy.cn',
      { was: 'set', type: 'HOSTS', value: 'fe80::1%eth0' },
      '.value',
    ],
    [
      'a hosts entry of another type',
      'hosts:goproxy.cn',
      { was: 'set', type: 'REG_SZ', value: '127.0.0.1' },
      '.type',
    ],
    [
      'two spaces between addresses',
      'hosts:goproxy.cn',
      { was: 'set', type: 'HOSTS', value: '127.0.0.1  ::1' },
      '.value',
    ],
    [
      'a WSL value of a registry type',
      'wsl-go-env:Ubuntu/GOPROXY',
      { was: 'set', type: 'REG_SZ', value: 'x' },
      '.type',
    ],
    [
      'a WSL key never written',
      'wsl-go-env:Ubuntu/GOFLAGS',
      { was: 'set', type: 'GOENV', value: '-toolexec=x' },
      '',
    ],
  ])('refuses %s, naming the entry', (_, id, value, at) => {
    expect(() => checkBackupShape(backup({ [id]: value }), 'backup.json')).toThrow(
      expect.objectContaining({ field: `settings.${id}${at}` }),
    );
  });
});
