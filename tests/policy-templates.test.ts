import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { readSchemaDocs } from '../src/codegen/policy-docs.js';
import { coverageProblems, generatePolicyTemplates, POLICY_FILES } from '../src/codegen/policy-templates.js';
import { configFields } from '../src/config/fields.js';
import { type PolicyKeyReading, type RegistryData, readScope } from '../src/config/policy.js';
import { LOCAL_ONLY_FIELDS, POLICY_FIELDS, POLICY_KEYS } from '../src/config/policy-fields.js';
import { POLICY_TEXTS_ZH_CN } from '../src/config/policy-texts.zh-CN.js';
import { configSchema, listenProblem } from '../src/config/schema.js';
import { tempDir } from './helpers.js';

// The Group Policy templates, generated as the build does, checked as Group Policy would read them.

const docs = readSchemaDocs();
const files = generatePolicyTemplates(docs, { version: '9.8.7' }, 'ps-templates');
const dir = await tempDir();
for (const [relative, content] of files) {
  await mkdir(dirname(join(dir, relative)), { recursive: true });
  await writeFile(join(dir, relative), content);
}
const ADMX = join(dir, POLICY_FILES.admx);
const ADMLS = Object.entries(POLICY_FILES.adml).map(([language, file]) => ({
  language,
  path: join(dir, file),
}));

/** Every match of an XPath (local names: the files use a default namespace), one string each. */
async function xpath(file: string, path: string): Promise<string[]> {
  const run = await execa('xmllint', ['--xpath', path, file], { reject: false });
  if (run.exitCode === 10) return []; // XPath set is empty
  expect(run.exitCode, run.stderr).toBe(0);
  return run.stdout
    .split('\n')
    .map((line) => /="([^"]*)"/.exec(line)?.[1] ?? line)
    .filter((line) => line.trim() !== '');
}
const el = (name: string) => `//*[local-name()="${name}"]`;

describe('policy templates', () => {
  it('are well-formed XML (xmllint), all three', async () => {
    for (const file of [ADMX, ...ADMLS.map((a) => a.path)]) {
      const run = await execa('xmllint', ['--noout', file], { reject: false });
      expect(run.exitCode, `${file}: ${run.stderr}`).toBe(0);
    }
  });

  it('every $(string.X) and $(presentation.X) of the ADMX resolves in each ADML, and ids are unique', async () => {
    const admx = files.get(POLICY_FILES.admx) as string;
    const strings = [...admx.matchAll(/\$\(string\.([^)]+)\)/g)].map((m) => m[1]);
    const presentations = [...admx.matchAll(/\$\(presentation\.([^)]+)\)/g)].map((m) => m[1]);
    expect(strings.length).toBeGreaterThan(POLICY_FIELDS.length * 2);
    expect(presentations.length).toBe(POLICY_FIELDS.filter((p) => p.kind !== 'boolean').length);
    for (const { language, path } of ADMLS) {
      const stringIds = await xpath(path, `${el('stringTable')}/${el('string').slice(2)}/@id`);
      const presentationIds = await xpath(path, `${el('presentation')}/@id`);
      expect(new Set(stringIds).size, `${language}: string ids unique`).toBe(stringIds.length);
      expect(new Set(presentationIds).size, `${language}: presentation ids unique`).toBe(
        presentationIds.length,
      );
      for (const id of strings) expect(stringIds, `${language}: $(string.${id})`).toContain(id);
      for (const id of presentations)
        expect(presentationIds, `${language}: $(presentation.${id})`).toContain(id);
      // Each presentation's controls point at an element of its policy.
      const refIds = await xpath(path, `${el('presentation')}/*/@refId`);
      const elementIds = await xpath(ADMX, `${el('elements')}/*/@id`);
      expect(refIds.sort()).toEqual([...elementIds].sort());
    }
    const policyNames = await xpath(ADMX, `${el('policy')}/@name`);
    expect(new Set(policyNames).size).toBe(policyNames.length);
    const elementIds = await xpath(ADMX, `${el('elements')}/*/@id`);
    expect(new Set(elementIds).size).toBe(elementIds.length);
    // One category, supportedOn defined and used by every policy.
    expect(await xpath(ADMX, `${el('category')}/@name`)).toEqual(['GoProxyGuard']);
    const supported = await xpath(ADMX, `${el('definition')}/@name`);
    expect(await xpath(ADMX, `${el('policy')}/${el('supportedOn').slice(2)}/@ref`)).toEqual(
      policyNames.map(() => supported[0]),
    );
  });

  it('the registry values the runtime reads are exactly those the ADMX writes, under the policy keys', async () => {
    // What the runtime asks for, recorded from the maps it reads (not from the table).
    const asked = { values: new Set<string>(), subkeys: new Set<string>() };
    const recording = (into: Set<string>) =>
      new (class extends Map<string, never> {
        override get(name: string) {
          into.add(name);
          return undefined;
        }
      })();
    const reading = {
      key: POLICY_KEYS.machine,
      values: recording(asked.values),
      subkeys: recording(asked.subkeys),
    } as unknown as PolicyKeyReading;
    readScope('machine', reading, {});
    const lower = (names: string[]) => names.map((n) => n.toLowerCase()).sort();
    const valueNames = [
      ...(await xpath(ADMX, `${el('policy')}/@valueName`)),
      ...(await xpath(ADMX, `${el('elements')}/*[not(local-name()="list")]/@valueName`)),
    ];
    expect([...new Set(lower(valueNames))]).toEqual([...asked.values].sort());
    const listKeys = await xpath(ADMX, `${el('list')}/@key`);
    expect(lower(listKeys.map((k) => k.slice(k.lastIndexOf('\\') + 1)))).toEqual([...asked.subkeys].sort());
    const keys = new Set([...(await xpath(ADMX, `${el('policy')}/@key`))]);
    expect([...keys]).toEqual(['Software\\Policies\\GoProxyGuard']);
    for (const key of listKeys) expect(key.startsWith('Software\\Policies\\GoProxyGuard\\')).toBe(true);
    for (const key of Object.values(POLICY_KEYS))
      expect(key.toLowerCase()).toMatch(/\\software\\policies\\goproxyguard$/);
    // Intune's ADMX ingestion refuses keys under Software\Microsoft and Software\Policies\Microsoft.
    expect(files.get(POLICY_FILES.admx)).not.toMatch(/Software\\(Policies\\)?Microsoft/i);
  });

  it("numeric ranges are the schema's, and the runtime takes the ends and refuses one past them", async () => {
    const ids = await xpath(ADMX, `${el('decimal')}/@id`);
    const mins = await xpath(ADMX, `${el('decimal')}/@minValue`);
    const maxs = await xpath(ADMX, `${el('decimal')}/@maxValue`);
    expect(ids.length).toBe(POLICY_FIELDS.filter((p) => p.kind === 'decimal').length);
    const shape = (configSchema as unknown as { shape: Record<string, unknown> }).shape;
    const bounds = (schema: unknown): { min: number; max: number } => {
      let s = schema as {
        _zod: { def: { innerType?: unknown; type: string } };
        minValue: number;
        maxValue: number;
      };
      while (s._zod.def.innerType) s = s._zod.def.innerType as typeof s;
      return { min: s.minValue, max: s.maxValue };
    };
    for (const [i, id] of ids.entries()) {
      const min = Number(mins[i]);
      const max = Number(maxs[i]);
      const policy = POLICY_FIELDS.find((p) => p.name === id);
      if (policy?.field === 'guard.listen') {
        expect(listenProblem(`127.0.0.1:${max}`)).toBeUndefined();
        expect(listenProblem(`127.0.0.1:${max + 1}`)).toBeDefined();
      } else {
        const [top, inner] = (policy?.field ?? '').split('.') as [string, string | undefined];
        const objectShape = (s: unknown) => {
          let x = s as {
            _zod: { def: { innerType?: unknown; in?: unknown } };
            shape?: Record<string, unknown>;
          };
          while (!x.shape) x = (x._zod.def.innerType ?? x._zod.def.in) as typeof x;
          return x.shape;
        };
        const schema = inner === undefined ? shape[top] : objectShape(shape[top])[inner];
        expect({ id, ...bounds(schema) }).toEqual({ id, min, max });
      }
      const read = (n: number) =>
        readScope(
          'machine',
          {
            key: POLICY_KEYS.machine,
            values: new Map<string, RegistryData>([
              [id.toLowerCase(), { type: 'REG_DWORD', value: String(n) }],
            ]),
            subkeys: new Map(),
          },
          {},
        );
      expect(read(min).values, `${id}=${min}`).toHaveLength(1);
      expect(read(max).values, `${id}=${max}`).toHaveLength(1);
      expect(read(min - 1).bad, `${id}=${min - 1}`).toHaveLength(1);
      expect(read(max + 1).bad, `${id}=${max + 1}`).toHaveLength(1);
    }
  });

  it('explains each policy with the TSDoc of its config field, in Chinese from the table', () => {
    const en = files.get(POLICY_FILES.adml['en-US']) as string;
    const zh = files.get(POLICY_FILES.adml['zh-CN']) as string;
    expect(en).toContain('Consecutive failed runs before a mirror in the list is taken out.');
    expect(zh).toContain(POLICY_TEXTS_ZH_CN.FailAfter?.explain);
    expect(zh).toContain('<string id="GuardEnabled">守护代理（guard 模式）</string>');
    expect(files.get(POLICY_FILES.admx)).toMatch(/^<\?xml[^\n]*\n<!-- Generated by src\/codegen/);
  });
});

describe('a policy and a config field that do not match fail the build', () => {
  const coverage = {
    fields: configFields().map((f) => f.path),
    policies: POLICY_FIELDS,
    localOnly: LOCAL_ONLY_FIELDS,
    zh: POLICY_TEXTS_ZH_CN,
  };

  it('the real schema and policies match', () => {
    expect(coverageProblems(coverage)).toEqual([]);
  });

  it('a config field without its policy (or the reverse), or a policy without Chinese text, is refused', () => {
    expect(coverageProblems({ ...coverage, fields: [...coverage.fields, 'guard.newKnob'] })).toEqual([
      'config field guard.newKnob has no policy: add it to POLICY_FIELDS, or to LOCAL_ONLY_FIELDS with the reason (src/config/policy-fields.ts)',
    ]);
    expect(
      coverageProblems({ ...coverage, fields: coverage.fields.filter((f) => f !== 'deadlineMs') }),
    ).toEqual(['policy DeadlineMs sets deadlineMs, which is not a config field']);
    const { FailAfter: _, ...zhWithout } = POLICY_TEXTS_ZH_CN;
    expect(coverageProblems({ ...coverage, zh: zhWithout })).toEqual([
      'policy FailAfter has no Chinese text in src/config/policy-texts.zh-CN.ts',
    ]);
    expect(() =>
      generatePolicyTemplates(docs, { version: '1' }, 'ps-templates', { ...coverage, zh: zhWithout }),
    ).toThrow(/FailAfter has no Chinese text/);
  });

  it('a policy whose config field has no TSDoc is refused', () => {
    const silent = {
      field: (path: string) => (path === 'deadlineMs' ? undefined : docs.field(path)),
      constant: docs.constant,
    };
    expect(() => generatePolicyTemplates(silent, { version: '1' }, 'ps-templates')).toThrow(
      'policy DeadlineMs: deadlineMs has no TSDoc to explain it',
    );
  });
});
