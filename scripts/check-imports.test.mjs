import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { checkTree, cycleProblems, docsWithTable, importsOf, layerProblems, layerTable, tableProblems } from './check-imports.mjs';
import { layers } from './layers.mjs';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const edge = (from, to, typeOnly = false) => ({ from, to, typeOnly, line: 1 });

test('the source tree has no import cycle and no import against the layers', () => {
  assert.deepEqual(checkTree(repoRoot), []);
});

test('docs/architecture.md shows the layer table of scripts/layers.mjs', () => {
  const docs = readFileSync(join(repoRoot, 'docs', 'architecture.md'), 'utf8');
  assert.equal(docsWithTable(docs), docs, 'run `node scripts/check-imports.mjs --write-docs`');
  assert.match(docs, /\| ui \| `src\/ui\/` \|/);
});

describe('importsOf', () => {
  test('reads static, dynamic and re-exported imports, and which are type-only', () => {
    const found = importsOf(
      'x.ts',
      [
        "import { a } from './a.js';",
        "import type { B } from './b.js';",
        "import { type C } from './c.js';",
        "export { d } from './d.js';",
        "export type { E } from './e.js';",
        "export * from './f.js';",
        "import 'node:fs';",
        "import ts from 'typescript';",
        "const g = () => import('./g.js');",
        "let h: import('./h.js').H;",
        "import './i.js';",
      ].join('\n'),
    );
    assert.deepEqual(
      found.map((i) => [i.specifier, i.typeOnly, i.line]),
      [
        ['./a.js', false, 1],
        ['./b.js', true, 2],
        ['./c.js', false, 3],
        ['./d.js', false, 4],
        ['./e.js', true, 5],
        ['./f.js', false, 6],
        ['./g.js', false, 9],
        ['./h.js', true, 10],
        ['./i.js', false, 11],
      ],
    );
  });
});

describe('cycleProblems', () => {
  test('finds none in a tree without loops', () => {
    assert.deepEqual(cycleProblems([edge('a.ts', 'b.ts'), edge('b.ts', 'c.ts'), edge('a.ts', 'c.ts')]), []);
  });

  test('names the files of a cycle and the import that closes it', () => {
    const [p, more] = cycleProblems([edge('authoring/flow-spec.ts', 'cli/main.ts'), edge('cli/main.ts', 'authoring/flow-spec.ts', true)]);
    assert.equal(more, undefined);
    assert.match(p, /^Import cycle: src\/authoring\/flow-spec\.ts → src\/cli\/main\.ts → src\/authoring\/flow-spec\.ts\. /);
    assert.match(p, /src\/cli\/main\.ts:1 imports src\/authoring\/flow-spec\.ts, which imports it back: no source file may import itself/);
  });

  test('reports the shortest loop and how many files the loop ties together', () => {
    const [p] = cycleProblems([edge('a.ts', 'b.ts'), edge('b.ts', 'c.ts'), edge('c.ts', 'a.ts'), edge('b.ts', 'a.ts')]);
    assert.match(p, /^Import cycle: src\/a\.ts → src\/b\.ts → src\/a\.ts \(3 files are tied into one loop in all\)\./);
  });

  test('reports a file that imports itself, and each separate loop once', () => {
    const problems = cycleProblems([edge('a.ts', 'a.ts'), edge('x.ts', 'y.ts'), edge('y.ts', 'x.ts')]);
    assert.equal(problems.length, 2);
    assert.match(problems[0], /src\/a\.ts → src\/a\.ts/);
    assert.match(problems[1], /src\/x\.ts → src\/y\.ts → src\/x\.ts/);
  });
});

describe('layerProblems', () => {
  test('allows imports down the layers, and type-only imports where only types are allowed', () => {
    assert.deepEqual(
      layerProblems([
        edge('cli/main.ts', 'orchestrator/run.ts'),
        edge('client/run.ts', 'authoring/flow-spec.ts', true),
        edge('ui/server.ts', 'storage/preview.ts'),
        edge('ui/server.ts', 'graph/types.ts', true),
        edge('storage/codec.ts', 'storage/value-check.ts'),
        edge('index.ts', 'cli/main.ts'),
      ]),
      [],
    );
  });

  test('refuses an import up the layers, naming both files, the line and the rule', () => {
    const [p] = layerProblems([{ from: 'authoring/flow-spec.ts', to: 'cli/main.ts', typeOnly: false, line: 12 }]);
    assert.equal(
      p,
      'src/authoring/flow-spec.ts:12 imports src/cli/main.ts: authoring may not import cli; it may import core, errors. ' +
        'The layers are in scripts/layers.mjs and docs/architecture.md (Who imports whom).',
    );
  });

  test('refuses the UI importing the orchestrator, the runtime or a store implementation', () => {
    const problems = layerProblems([
      edge('ui/server.ts', 'orchestrator/run.ts'),
      edge('ui/api.ts', 'runtime/task.ts'),
      edge('ui/api.ts', 'storage/sqlite-metadata-store.ts'),
    ]);
    assert.equal(problems.length, 3);
    assert.match(problems[0], /^src\/ui\/server\.ts:1 imports src\/orchestrator\/run\.ts: ui may not import orchestrator; it may import client, /);
    assert.match(problems[1], /ui may not import runtime/);
    assert.match(problems[2], /^src\/ui\/api\.ts:1 imports src\/storage\/sqlite-metadata-store\.ts: ui may not import storage;/);
  });

  test('refuses a run-time import where only types are allowed', () => {
    const [p] = layerProblems([edge('client/run.ts', 'authoring/flow-spec.ts')]);
    assert.match(p, /client may import authoring only with `import type`, and this import is used at run time\./);
  });

  test('refuses a file that is in no layer, once', () => {
    const problems = layerProblems([edge('widgets/a.ts', 'core/types.ts'), edge('widgets/a.ts', 'errors.ts')], layers, ['widgets/a.ts']);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^src\/widgets\/a\.ts is in no layer: add its folder to scripts\/layers\.mjs/);
  });
});

describe('the layer table', () => {
  test('names only parts it has, and has no loop between parts', () => {
    assert.deepEqual(tableProblems(), []);
  });

  test('a table with an unknown part or a loop is refused', () => {
    const bad = [
      { part: 'a', path: 'a/', role: '', imports: ['b', 'nope'] },
      { part: 'b', path: 'b/', role: '', imports: [], types: ['a'] },
    ];
    const problems = tableProblems(bad);
    assert.deepEqual(problems, [
      "scripts/layers.mjs: a may import 'nope', but there is no part nope.",
      'scripts/layers.mjs lets parts import each other in a loop (a → b → a): then they are not layers.',
    ]);
  });

  test('renders as a Markdown table, one row per part', () => {
    const rows = layerTable().split('\n');
    assert.equal(rows.length, layers.length + 2);
    assert.equal(rows[2], '| errors | `src/errors.ts` | `CairnError` and its codes | — | — |');
  });
});

test('checkTree reads a real tree: the launcher import that tied authoring to the CLI is found', () => {
  const root = mkdtempSync(join(tmpdir(), 'cairn-imports-'));
  try {
    const put = (path, text) => {
      mkdirSync(dirname(join(root, 'src', path)), { recursive: true });
      writeFileSync(join(root, 'src', path), text);
    };
    put('errors.ts', 'export class CairnError extends Error {}\n');
    put('authoring/flow-spec.ts', "import { CairnError } from '../errors.js';\nexport class FlowSpec { static main() { void import('../cli/main.js'); } }\n");
    put('cli/main.ts', "import type { FlowSpec } from '../authoring/flow-spec.js';\nexport function main(f: FlowSpec) {}\n");
    put('cli/main.test.ts', "import { FlowSpec } from '../authoring/flow-spec.js';\n");
    const problems = checkTree(root);
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0], /^Import cycle: src\/authoring\/flow-spec\.ts → src\/cli\/main\.ts → src\/authoring\/flow-spec\.ts\./);
    assert.match(problems[1], /^src\/authoring\/flow-spec\.ts:2 imports src\/cli\/main\.ts: authoring may not import cli;/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
