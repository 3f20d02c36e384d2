import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project } from './helpers.js';
import { Flow, namespace, useDatastore } from '../src/index.js';

const project = new Project();
before(() => {
  useDatastore(project.store);
  namespace('user:tester');
  mkdirSync(join(project.dir, 'lib', 'deep'), { recursive: true });
  mkdirSync(join(project.dir, 'flows'), { recursive: true });
});
after(() => project[Symbol.dispose]());

test('steps, decorators, parameters and constants inherited from base classes in other files run, and show and check name their files', async () => {
  project.write(
    'lib/deep/root.ts',
    `import { FlowSpec, step, retry, Parameter, current } from 'cairnflow';
/** The farthest base. */
export abstract class RootFlow extends FlowSpec {
  rows = Parameter('rows', { type: 'int', default: 2 });
  static readonly VERSION = 7;
  declare attempts: number;
  /** Loads the data, retrying once. */
  @retry({ times: 1 }) @step start() {
    if (current.retryCount === 0) throw new Error('flaky');
    this.attempts = current.retryCount + 1;
    this.next(this.train);
  }
}
`,
  );
  project.write('lib/index.ts', `export { RootFlow as Root } from './deep/root.js';\n`);
  project.write(
    'lib/base.ts',
    `import { step } from 'cairnflow';
import * as lib from './index';
export default class BaseFlow extends lib.Root {
  declare model: string;
  @step train() {
    this.model = 'base model on ' + this.rows + ' rows';
    this.next(this.end);
  }
  @step end() { console.log('trained: ' + this.model + ', v' + this.VERSION + ', attempts ' + this.attempts); }
}
`,
  );
  const file = project.write(
    'flows/child.ts',
    `import { step } from 'cairnflow';
import Base from '../lib/base.js';
export class ChildFlow extends Base {
  @step train() {
    this.model = 'child model on ' + this.rows + ' rows';
    this.next(this.end);
  }
}
`,
  );
  const r = await project.cli(['run', 'flows/child.ts', '--rows', '5']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /trained: child model on 5 rows, v7, attempts 2/);
  const run = (await (await Flow.get('ChildFlow')).latestRun())!;
  assert.equal(await run.data.model, 'child model on 5 rows');
  assert.deepEqual(run.parameters, { rows: 5 });
  assert.equal((await (await run.step('start')).task()).retryCount, 1);

  const show = await project.cli(['show', file]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /--rows INT/);
  assert.match(show.stdout, /Step \*start\*[^\n]*\n[\s\S]*Loads the data, retrying once\./);
  assert.ok(show.stdout.indexOf('Step *start*') < show.stdout.indexOf('Step *train*'));
  const check = await project.cli(['check', file]);
  assert.equal(check.code, 0, check.stderr);
});

test('a lint issue in an inherited step points at the base file and line', async () => {
  project.write(
    'lib/broken.ts',
    `import { FlowSpec, step } from 'cairnflow';
export class BrokenBase extends FlowSpec {
  @step start() {
    this.next(this.midle);
  }
}
`,
  );
  const file = project.write(
    'flows/uses-broken.ts',
    `import { step } from 'cairnflow';
import { BrokenBase as Base } from '../lib/broken';
export class UsesBroken extends Base {
  @step middle() { this.next(this.end); }
  @step end() {}
}
`,
  );
  const r = await project.cli(['check', file]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.ok(r.stderr.includes(`${join(project.dir, 'lib', 'broken.ts')}:4:5: Step *start* specifies a this.next() transition to an unknown step, *midle*. Did you mean *middle*?`), r.stderr);
  const run = await project.cli(['run', file]);
  assert.equal(run.code, 1);
  await assert.rejects(Flow.get('UsesBroken'), { code: 'NOT_FOUND' });
});

test('a base class that cannot be read is reported at its extends, saying why, and nothing runs', async () => {
  const file = project.write(
    'flows/mixed.ts',
    `import { FlowSpec, step } from 'cairnflow';
function Logged<T extends abstract new (...a: any[]) => FlowSpec>(B: T) {
  abstract class L extends B {
    @step start() { this.next(this.end); }
  }
  return L;
}
export class MixedFlow extends Logged(FlowSpec) {
  @step end() {}
}
`,
  );
  const r = await project.cli(['check', file]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /mixed\.ts:8:32: Step \*start\* is marked @step at run time but its source was not found: MixedFlow extends Logged\(FlowSpec\), which cairn cannot read \(cairn reads the base class only when it is named directly/);
  const run = await project.cli(['run', file]);
  assert.equal(run.code, 1);
  await assert.rejects(Flow.get('MixedFlow'), { code: 'NOT_FOUND' });
});

test('import.meta in the flow and in the files it imports describes each source file, and an IncludeFile default is found next to the flow', async () => {
  writeFileSync(join(project.dir, 'flows', 'next-to-flow.txt'), 'beside the flow');
  writeFileSync(join(project.dir, 'lib', 'next-to-lib.txt'), 'beside the helper');
  writeFileSync(join(project.dir, 'flows', 'notes.txt'), 'included');
  project.write(
    'lib/helper.ts',
    `import { readFileSync } from 'node:fs';
export const helperText = () => readFileSync(new URL('./next-to-lib.txt', import.meta.url), 'utf8');
export const helperDir = import.meta.dirname;
`,
  );
  const file = project.write(
    'flows/meta.ts',
    `import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlowSpec, step, IncludeFile } from 'cairnflow';
import { helperDir, helperText } from '../lib/helper.js';
export class MetaFlow extends FlowSpec {
  notes = IncludeFile('notes', { default: 'notes.txt' });
  declare found: string[];
  @step start() {
    this.found = [
      readFileSync(new URL('./next-to-flow.txt', import.meta.url), 'utf8'),
      readFileSync(join(import.meta.dirname, 'next-to-flow.txt'), 'utf8'),
      import.meta.filename,
      import.meta.resolve('./x.json'),
      helperText(),
      helperDir,
      this.notes,
    ];
    this.next(this.end);
  }
  @step end() {}
}
MetaFlow.main(import.meta);
`,
  );
  const r = await project.cli(['run', 'flows/meta.ts']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const found = (await (await (await Flow.get('MetaFlow')).latestRun())!.data.found) as string[];
  assert.deepEqual(found, [
    'beside the flow',
    'beside the flow',
    file,
    new URL('./x.json', `file://${file}`).href,
    'beside the helper',
    join(project.dir, 'lib'),
    'included',
  ]);
});
