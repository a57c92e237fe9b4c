// Build-time entry: node build/codegen.mjs <module dir> <help json>. Reads src/commands with
// ts-morph and writes the PowerShell module and the CLI help text. Never part of the runtime.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_MIRRORS } from '../config/defaults.js';
import { generateModule } from './generate.js';
import { readSchemaDocs } from './policy-docs.js';
import { generatePolicyTemplates } from './policy-templates.js';
import { readCommands } from './read-commands.js';

const [moduleDir = 'dist-psm/GoProxyGuard', helpFile = 'build/command-help.json'] = process.argv.slice(2);
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const minimumNodeMajor = Number(/(\d+)/.exec(pkg.engines.node)?.[1]);

const commandFiles = readdirSync('src/commands')
  .filter((name) => name.endsWith('.ts') && name !== 'definition.ts' && name !== 'index.ts')
  .map((name) => join('src/commands', name));
const commands = readCommands(commandFiles);
const { files, help } = generateModule(
  commands,
  {
    version: pkg.version,
    description: pkg.description,
    minimumNodeMajor,
    defaultMirrorNames: DEFAULT_MIRRORS.map((m) => m.name),
  },
  'ps-templates',
);
// The Group Policy templates, from the config schema (fails the build on a field without its policy).
for (const [relative, content] of generatePolicyTemplates(
  readSchemaDocs(),
  { version: pkg.version },
  'ps-templates',
)) {
  files.set(relative, content);
}
for (const [relative, content] of files) {
  const target = join(moduleDir, relative);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
}
mkdirSync(dirname(helpFile), { recursive: true });
writeFileSync(helpFile, JSON.stringify(help));
console.log(
  `codegen: ${commands
    .filter((c) => !c.cliOnly)
    .map((c) => c.cmdlet)
    .join(', ')} -> ${moduleDir}`,
);
