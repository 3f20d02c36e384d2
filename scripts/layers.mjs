// The layers of src/: which part may import which. This table is the rule; `npm test` checks every
// import of every source file against it (scripts/check-imports.mjs), and docs/architecture.md
// shows it (`node scripts/check-imports.mjs --table` prints the rows; a test keeps them in sync).
//
// A part is a folder of src/ (or one file). `imports` lists the parts its files may import at run
// time (static or dynamic `import`); `types` the parts it may import only with `import type`. An
// entry `part/file.ts` allows only that file of the part. A part may always import its own files.
// Test files (`*.test.ts`), fixtures (`*.fixture.ts`) and contract suites (`*.contract.ts`) are not
// checked: they may import what they test.

/** @typedef {{ part: string, path: string, role: string, imports: string[], types?: string[] }} Layer */

/** @type {Layer[]} lowest first */
export const layers = [
  { part: 'errors', path: 'errors.ts', role: '`CairnError` and its codes', imports: [] },
  { part: 'version', path: 'version.ts', role: 'the package version', imports: [] },
  { part: 'core', path: 'core/', role: 'plain data and helpers every part shares', imports: ['errors', 'version'] },
  { part: 'storage', path: 'storage/', role: 'artifact and metadata stores, the codec', imports: ['core', 'errors', 'version'] },
  { part: 'graph', path: 'graph/', role: 'the static graph, parsed from the source', imports: ['core', 'errors'] },
  { part: 'authoring', path: 'authoring/', role: 'what flow files use', imports: ['core', 'errors'] },
  {
    part: 'cards',
    path: 'cards/',
    role: 'card components (plain data) and rendering them after a task',
    imports: ['authoring', 'storage', 'core', 'errors'],
  },
  {
    part: 'runtime',
    path: 'runtime/',
    role: 'what runs in a worker process',
    imports: ['cards', 'authoring', 'storage', 'core', 'errors', 'version'],
    types: ['graph'],
  },
  {
    part: 'client',
    path: 'client/',
    role: 'the client API: reads the stores',
    imports: ['cards/document.ts', 'cards/html.ts', 'storage', 'core', 'errors'],
    types: ['cards', 'authoring'],
  },
  {
    part: 'orchestrator',
    path: 'orchestrator/',
    role: 'runs a run: loading, scheduling, executors',
    imports: ['runtime', 'graph', 'cards', 'authoring', 'storage', 'core', 'errors', 'version'],
  },
  {
    part: 'ui',
    path: 'ui/',
    role: 'the web UI: reads only through the client',
    imports: ['client', 'graph/types.ts', 'storage/types.ts', 'storage/preview.ts', 'cards', 'core', 'errors', 'version'],
  },
  { part: 'api', path: 'api/', role: 'the runner API (`runFlow`, `resumeFlow`)', imports: ['orchestrator', 'client', 'storage', 'core', 'errors'] },
  {
    part: 'deploy',
    path: 'deploy/',
    role: 'deploying flows to schedulers',
    imports: ['orchestrator', 'runtime', 'graph', 'authoring', 'client', 'storage', 'core', 'errors', 'version'],
  },
  {
    part: 'cli',
    path: 'cli/',
    role: 'the command line',
    imports: ['deploy', 'ui', 'api', 'orchestrator', 'client', 'runtime', 'graph', 'cards', 'storage', 'core', 'errors', 'version'],
    types: ['authoring'],
  },
  {
    part: 'entry',
    path: 'index.ts',
    role: "the package entry (`'cairnflow'`); registers the CLI as `FlowSpec.main`'s launcher",
    imports: ['cli', 'api', 'client', 'cards', 'authoring', 'storage', 'errors', 'version'],
  },
];
