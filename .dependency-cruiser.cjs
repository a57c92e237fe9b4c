// The layering of src/, checked by dependency-cruiser in `npm run lint` (issue #16).
//
// LAYERS is the one place the allowed direction between the folders of src/ is written down:
// outermost first. A folder may import its own files and the folders listed BELOW it, never one
// above it, so a folder cycle cannot be written at all. A new folder must be given its place
// here (lint fails on a folder missing from the list).
const LAYERS = [
  // Build-time tools (PowerShell generator, Pester/JUnit runner): read everything, nothing at
  // run time imports them.
  ['codegen', 'testing'],
  // The process shell: argv -> a command, prints its document, maps failures to exit codes.
  ['cli'],
  // One file per user-facing command, plus what they share with whoever runs them (argv parser,
  // exit codes, tables, version). Gathers facts, asks policy, carries out changes.
  ['commands'],
  // The loopback lab: only the commands that run it (lab, demo) use it (see "lab-only-for-its-
  // commands" below), and tests and bench.
  ['lab'],
  // Features a command drives. doctor explains go errors; schedule writes the task XML and
  // metrics of a plan; the guard proxy serves go; guard orchestrates plan/apply/restore.
  ['doctor'],
  ['schedule'],
  ['guardproxy'],
  ['guard'],
  // One effector per kind of setting (go env, user environment, WinINet, WinHTTP, hosts file,
  // WSL's go env): read and write through system/, driven by guard's one apply/restore loop.
  ['effectors'],
  // The hosts file's GoProxyGuard block and proof of pinned addresses; WSL's distributions.
  ['hosts', 'wsl'],
  // The pure rules: results + state + config -> decision. Imports only types from the layers
  // below it that do I/O (see "policy-is-pure").
  ['policy'],
  // The state folder (state, backup, lock, history): uses the setting kinds of system.
  ['state'],
  // Probes: DNS, TLS, GOPROXY protocol, checksum database; one deadline for the run.
  ['probe'],
  // Effectors on the machine: go env, registry, WinHTTP, schtasks, event log.
  ['system'],
  // Setting values as plans, backups and reports hold them (pure), shared by system and policy.
  ['settings'],
  // Config schema, defaults, loading, the error classes every layer throws.
  ['config'],
  // Leaf libraries with no GoProxyGuard knowledge: DNS wire format and bogons, checksum-database
  // notes and hashes, the template engine of codegen and the task XML.
  ['dns', 'integrity', 'text'],
];

const known = LAYERS.flat();
const group = (folders) => `^src/(${folders.join('|')})/`;

// Refuse a folder nobody placed, rather than leave it outside every rule.
const { readdirSync } = require('node:fs');
const unplaced = readdirSync('src', { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !known.includes(entry.name))
  .map((entry) => entry.name);
if (unplaced.length > 0) {
  throw new Error(
    `.dependency-cruiser.cjs: src/${unplaced.join(', src/')} has no place in LAYERS; add it where it belongs`,
  );
}

const layerRules = LAYERS.flatMap((layer, i) => {
  const above = LAYERS.slice(0, i).flat();
  const beside = (folder) => layer.filter((other) => other !== folder);
  return [
    ...(above.length === 0
      ? []
      : [
          {
            name: `layer-${layer.join('-')}`,
            comment: `src/${layer.join(', src/')} may not import a layer above it (${above.join(', ')}): see LAYERS`,
            severity: 'error',
            from: { path: group(layer) },
            to: { path: group(above) },
          },
        ]),
    // Folders sharing a layer are independent of each other.
    ...layer
      .filter((folder) => beside(folder).length > 0)
      .map((folder) => ({
        name: `layer-${folder}-beside`,
        comment: `src/${folder} may not import the folders beside it in its layer (${beside(folder).join(', ')})`,
        severity: 'error',
        from: { path: group([folder]) },
        to: { path: group(beside(folder)) },
      })),
  ];
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-folder-cycle',
      comment: 'Folders of src/ import each other one way only: see LAYERS',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-module-cycle',
      comment: 'No module reaches itself through its imports (type-only imports count too)',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'lab-only-for-its-commands',
      comment:
        'The lab (fake mirrors, DNS, PKI) is for the commands that run it (lab, demo and its demo-* parts), tests and bench; ' +
        'probe, policy, system, state and config code never depends on it',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/lab/', '^src/commands/(lab|demo)\\.ts$', '^src/commands/demo-'] },
      to: { path: '^src/lab/' },
    },
    {
      name: 'policy-is-pure',
      comment:
        'policy/ reads no clock, file or socket: it imports policy, config and settings, types from ' +
        'probe and state, and no Node I/O module',
      severity: 'error',
      from: { path: '^src/policy/' },
      to: {
        pathNot: ['^src/(policy|config|settings)/'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'policy-is-pure-no-system',
      comment: 'policy/ never imports system/ (the effectors), not even a type: values live in settings/',
      severity: 'error',
      from: { path: '^src/policy/' },
      to: { path: '^src/system/' },
    },
  ],
  options: {
    // Type-only imports are dependencies too: a cycle through a type is still a cycle.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
  },
};
