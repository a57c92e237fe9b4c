import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

// The layering rules of .dependency-cruiser.cjs, run by `npm run lint`: first shown to refuse
// what they are meant to refuse (on a small tree written here), then run on the real src/.
const ROOT = join(import.meta.dirname, '..');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');
const RULES = join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  rule: string;
  from: string;
  to: string;
}

/** Runs depcruise as `npm run lint` does (its exit code fails lint) and reads what it refused. */
async function cruise(cwd: string) {
  const run = await execa(DEPCRUISE, ['src', '--config', RULES], { cwd, reject: false });
  // "  error <rule>: <from> → <to>"; a cycle goes on over the following lines.
  const violations: Violation[] = [...run.stdout.matchAll(/^\s*error (\S+): (\S+) → \s*(\S+)/gm)].map(
    ([, rule = '', from = '', to = '']) => ({ rule, from, to }),
  );
  return { code: run.exitCode, stderr: run.stderr, violations };
}

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await tempDir();
  const all: Record<string, string> = {
    'tsconfig.json': JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
      include: ['src'],
    }),
    ...files,
  };
  for (const [name, text] of Object.entries(all)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

describe('layering rules (dependency-cruiser)', () => {
  it('refuses an upward import, system or lab code from below, a folder cycle and a module cycle; allows the rest', async () => {
    const dir = await tree({
      // Allowed: a command drives the lab and the policy; the policy takes a probe result type.
      'src/commands/demo.ts':
        "import { startLab } from '../lab/scenarios.js';\nimport { decide } from '../policy/decide.js';\nexport const demo = [startLab, decide];\n",
      'src/lab/scenarios.ts': 'export const startLab = 1;\n',
      'src/probe/types.ts': 'export interface MirrorHealth { ok: boolean }\n',
      'src/system/registry.ts': 'export const writeValue = 1;\n',
      // Refused: policy reaches an effector (and is below nothing that may call it).
      'src/policy/decide.ts':
        "import type { MirrorHealth } from '../probe/types.js';\nimport { writeValue } from '../system/registry.js';\nexport const decide = (m: MirrorHealth) => (m.ok ? writeValue : 0);\n",
      // Refused: policy reads a file.
      'src/policy/clock.ts': "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n",
      // Refused: probe code uses the lab.
      'src/probe/run.ts': "import { startLab } from '../lab/scenarios.js';\nexport const run = startLab;\n",
      // Refused: config names a probe type (a type-only import counts: it is how cycles hide).
      'src/config/load.ts':
        "import type { MirrorHealth } from '../probe/types.js';\nexport type Loaded = MirrorHealth;\n",
      // Refused: probe code asks the policy, which takes probe results: a folder cycle.
      'src/probe/rank.ts': "import { decide } from '../policy/decide.js';\nexport const rank = decide;\n",
      // Refused: two modules of one folder that import each other.
      'src/state/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'src/state/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
    });
    const { code, violations } = await cruise(dir);
    expect(code).not.toBe(0);
    const seen = violations.map((v) => `${v.rule}: ${v.from} -> ${v.to}`);
    expect(seen).toEqual(
      expect.arrayContaining([
        'policy-is-pure-no-system: src/policy/decide.ts -> src/system/registry.ts',
        'policy-is-pure: src/policy/decide.ts -> src/system/registry.ts',
        'policy-is-pure: src/policy/clock.ts -> fs',
        'lab-only-for-its-commands: src/probe/run.ts -> src/lab/scenarios.ts',
        'layer-probe: src/probe/run.ts -> src/lab/scenarios.ts',
        'layer-config: src/config/load.ts -> src/probe/types.ts',
        'layer-probe: src/probe/rank.ts -> src/policy/decide.ts',
      ]),
    );
    expect(violations).toContainEqual({ rule: 'no-folder-cycle', from: 'src/probe', to: 'src/policy' });
    expect(violations.some((v) => v.rule === 'no-module-cycle' && v.from.startsWith('src/state/'))).toBe(
      true,
    );
    // Nothing was said about the imports the layers allow.
    expect(violations.filter((v) => v.from === 'src/commands/demo.ts')).toEqual([]);
    expect(
      violations.filter((v) => v.to === 'src/probe/types.ts' && v.from.startsWith('src/policy/')),
    ).toEqual([]);
  });

  it('refuses a folder of src/ that has no place in the list of layers', async () => {
    const dir = await tree({ 'src/widgets/knob.ts': 'export const knob = 1;\n' });
    const { code, stderr } = await cruise(dir);
    expect(code).not.toBe(0);
    expect(stderr).toContain('src/widgets has no place in LAYERS');
  });

  it('finds nothing to refuse in the real src/', async () => {
    const { code, violations } = await cruise(ROOT);
    expect(violations).toEqual([]);
    expect(code).toBe(0);
  });
});
