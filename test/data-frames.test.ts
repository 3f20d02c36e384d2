/**
 * Data frames end to end: an apache-arrow Table and a nodejs-polars DataFrame stored by one step,
 * read by the next, read back with their own types through the client, and shown by `cairn dump`
 * (schema, row count, first rows) from the head of the blob.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Table } from 'apache-arrow';
import pl from 'nodejs-polars';
import { Project, repoRoot } from './helpers.js';
import { Flow, namespace, useDatastore } from '../src/index.js';

const project = new Project();
for (const pkg of ['apache-arrow', 'nodejs-polars', 'nodejs-polars-linux-x64-gnu']) {
  symlinkSync(join(repoRoot, 'node_modules', pkg), join(project.dir, 'node_modules', pkg), 'dir');
}
before(() => {
  useDatastore(project.store);
  namespace('user:tester');
});
after(() => project[Symbol.dispose]());

const FLOW = project.write(
  'frames.ts',
  `import { FlowSpec, step } from 'cairnflow';
import { tableFromArrays, Table } from 'apache-arrow';
import pl from 'nodejs-polars';
export class FrameFlow extends FlowSpec {
  declare table: Table;
  declare df: pl.DataFrame;
  declare sums: number[];
  @step start() {
    const n = 1000;
    this.table = tableFromArrays({ id: Int32Array.from({ length: n }, (_, i) => i), x: Float64Array.from({ length: n }, (_, i) => i / 2) });
    this.df = pl.DataFrame({ city: ['Oslo', 'Lima', 'Pune'], temp: [3.5, 19, 31] });
    this.next(this.use);
  }
  @step use() {
    let s = 0;
    for (const v of this.table.getChild('x')!) s += v as number;
    this.sums = [s, this.df.getColumn('temp').sum() as number, this.table.numRows, this.df.height];
    this.next(this.end);
  }
  @step end() {}
}
`,
);

test('an Arrow Table and a Polars DataFrame pass between steps and come back with their types', async () => {
  const r = await project.cli(['run', FLOW]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const run = (await (await Flow.get('FrameFlow')).latestRun())!;
  assert.deepEqual(await run.data.sums, [249750, 53.5, 1000, 3]);
  const table = (await run.data.table) as Table;
  assert.equal(Object.getPrototypeOf(table), Table.prototype);
  assert.equal(table.numRows, 1000);
  assert.equal(table.getChild('x')!.get(999), 499.5);
  const df = (await run.data.df) as pl.DataFrame;
  assert.ok(df.frameEqual(pl.DataFrame({ city: ['Oslo', 'Lima', 'Pune'], temp: [3.5, 19, 31] })));

  const start = await (await run.step('start')).task();
  const t = await start.artifact('table');
  assert.equal(t.encoding, 'arrow-ipc');
  assert.equal(t.type, 'arrow.Table');
  const p = await t.preview({ maxRows: 3, maxLoadBytes: 0 }); // from the blob's head: nothing else is loaded
  assert.equal(p.kind, 'table');
  if (p.kind === 'table') {
    assert.equal(p.rowCount, 1000);
    assert.deepEqual(p.columns, [{ name: 'id', type: 'Int32' }, { name: 'x', type: 'Float64' }]);
    assert.deepEqual(p.rows, [[0, 0], [1, 0.5], [2, 1]]);
  }
  const use = await (await run.step('use')).task();
  assert.equal((await use.artifact('table')).sha, t.sha, 'a frame only read is passed on unchanged');

  const dump = await project.cli(['dump', FLOW, `${run.id}/start`]);
  assert.equal(dump.code, 0, dump.stderr);
  assert.match(dump.stdout, /table: <arrow\.Table, 1000 rows x 2 columns, [\d.]+ kB>\n\s+schema: id: Int32, x: Float64\n\s+first 10 rows:\n\s+id \| x\n\s+0\s+\| 0\n/);
  assert.match(dump.stdout, /df: <polars\.DataFrame, 3 rows x 2 columns, [^>]+>\n\s+schema: city: String, temp: Float64\n\s+first 3 rows:\n\s+city \| temp\n\s+Oslo \| 3\.5/);
});

test('the registerSerializer example of docs/flows.md (a toJSON/fromJSON class with a private field) round-trips', async () => {
  const docs = readFileSync(join(repoRoot, 'docs', 'flows.md'), 'utf8');
  const source = /```ts\n(import \{ FlowSpec, step, registerSerializer \} from 'cairnflow';\n\nexport class Money[^]*?)```/.exec(docs)![1]!;
  const file = project.write('money.ts', source);
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /true 19\.99 EUR/);
  const start = await (await (await (await Flow.get('PriceFlow')).latestRun())!.step('start')).task();
  const a = await start.artifact('price');
  assert.equal(a.encoding, 'serializer:money');
  assert.equal(a.type, 'money');
});
