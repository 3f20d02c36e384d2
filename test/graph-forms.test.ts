import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedProject } from './helpers.js';
import { Flow } from '../src/index.js';

const project = sharedProject();

async function runFlow(name: string, source: string, args: string[] = []) {
  const file = project.write(`${name}.ts`, source);
  const r = await project.cli(['run', file, ...args]);
  return { ...r, run: r.code === 0 ? (await (await Flow.get(name)).latestRun())! : undefined };
}

test('a switch picks one branch and may loop back to its own step', async () => {
  const { code, stdout, stderr, run } = await runFlow(
    'LoopFlow',
    `import { FlowSpec, step } from 'cairnflow';
export class LoopFlow extends FlowSpec {
  count!: number;
  declare state: string;
  declare path: string[];
  @step start() { this.count = 0; this.path = []; this.next(this.loop); }
  @step loop() {
    this.count += 1;
    this.path = [...this.path, 'loop' + this.count];
    this.state = this.count < 3 ? 'again' : this.count % 2 ? 'odd' : 'even';
    this.next({ again: this.loop, odd: this.odd, even: this.even }, { condition: 'state' });
  }
  @step odd() { this.path = [...this.path, 'odd']; this.next(this.end); }
  @step even() { this.path = [...this.path, 'even']; this.next(this.end); }
  @step end() {}
}
LoopFlow.main(import.meta);
`,
  );
  assert.equal(code, 0, stderr + stdout);
  assert.deepEqual(await run!.data.path, ['loop1', 'loop2', 'loop3', 'odd']);
  assert.equal((await (await run!.step('loop')).tasks()).length, 3);
  await assert.rejects(run!.step('even'), { code: 'NOT_FOUND' });
});

test('nested foreach tasks see their input, index and the whole foreach stack', async () => {
  const { code, stdout, stderr, run } = await runFlow(
    'NestedFlow',
    `import { FlowSpec, step, type Inputs } from 'cairnflow';
export class NestedFlow extends FlowSpec {
  declare letters: string[];
  declare numbers: number[];
  declare cell: string;
  declare row: string[];
  declare grid: string[][];
  @step start() { this.letters = ['a', 'b']; this.next(this.outer, { foreach: 'letters' }); }
  @step outer() { this.numbers = [1, 2, 3]; this.next(this.inner, { foreach: 'numbers' }); }
  @step inner() {
    const stack = this.foreachStack();
    this.cell = stack.map((f) => \`\${f.value}\${f.index}/\${f.numSplits}\`).join(' ') + ' ' + this.input + '@' + this.index;
    this.next(this.inner_join);
  }
  @step inner_join(inputs: Inputs<NestedFlow>) { this.row = inputs.map((i) => i.cell); this.next(this.outer_join); }
  @step outer_join(inputs: Inputs<NestedFlow>) { this.grid = inputs.map((i) => i.row); this.next(this.end); }
  @step end() {}
}
NestedFlow.main(import.meta);
`,
  );
  assert.equal(code, 0, stderr + stdout);
  assert.deepEqual(await run!.data.grid, [
    ['a0/2 10/3 1@0', 'a0/2 21/3 2@1', 'a0/2 32/3 3@2'],
    ['b1/2 10/3 1@0', 'b1/2 21/3 2@1', 'b1/2 32/3 3@2'],
  ]);
  const inner = await (await run!.step('inner')).tasks();
  assert.equal(inner.length, 6);
});

test('a join inherits nothing but what it assigns or merges', async () => {
  const { code, stdout, stderr, run } = await runFlow(
    'JoinFlow',
    `import { FlowSpec, step, type Inputs } from 'cairnflow';
export class JoinFlow extends FlowSpec {
  declare before: string;
  declare a_value: number;
  declare b_value: number;
  declare seen: unknown[];
  @step start() { this.before = 'set in start'; this.next(this.a, this.b); }
  @step a() { this.a_value = 1; this.next(this.join); }
  @step b() { this.b_value = 2; this.next(this.join); }
  @step join(inputs: Inputs<JoinFlow>) {
    this.seen = [this.before, inputs.a.a_value, inputs.b.b_value, inputs.length];
    this.next(this.end);
  }
  @step end() {}
}
JoinFlow.main(import.meta);
`,
  );
  assert.equal(code, 0, stderr + stdout);
  assert.deepEqual(await run!.data.seen, [undefined, 1, 2, 2]);
});

test('field initialisers give defaults but never overwrite inherited artifacts', async () => {
  const { code, stdout, stderr, run } = await runFlow(
    'InitFlow',
    `import { FlowSpec, step } from 'cairnflow';
export class InitFlow extends FlowSpec {
  counter = 10;
  label!: string;
  declare seen: unknown[];
  @step start() { this.counter += 1; this.label = 'from start'; this.next(this.middle); }
  @step middle() { this.seen = [this.counter, this.label]; this.next(this.end); }
  @step end() {}
}
InitFlow.main(import.meta);
`,
  );
  assert.equal(code, 0, stderr + stdout);
  assert.deepEqual(await run!.data.seen, [11, 'from start']);
  assert.equal(await run!.data.counter, 11);
});

test('async steps are awaited and mutations of inherited artifacts are kept', async () => {
  const { code, stdout, stderr, run } = await runFlow(
    'AsyncFlow',
    `import { FlowSpec, step } from 'cairnflow';
export class AsyncFlow extends FlowSpec {
  declare items: number[];
  @step async start() { await new Promise((r) => setTimeout(r, 20)); this.items = [1]; this.next(this.middle); }
  @step async middle() { await Promise.resolve(); this.items.push(2); this.next(this.end); }
  @step end() {}
}
AsyncFlow.main(import.meta);
`,
  );
  assert.equal(code, 0, stderr + stdout);
  assert.deepEqual(await run!.data.items, [1, 2]);
  const start = await (await run!.step('start')).task();
  assert.deepEqual(await start.data.items, [1]);
});

test('show prints the graph and check validates it', async () => {
  const file = project.write(
    'ShowFlow.ts',
    `import { FlowSpec, step } from 'cairnflow';
/** A flow to show. */
export class ShowFlow extends FlowSpec {
  declare xs: number[];
  /** Makes the list. */
  @step start() { this.xs = [1]; this.next(this.each, { foreach: 'xs' }); }
  @step each() { this.next(this.join); }
  @step join(inputs: unknown[]) { this.next(this.end); }
  @step end() {}
}
`,
  );
  const show = await project.cli(['show', file]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /A flow to show\./);
  assert.match(show.stdout, /Step \*start\*/);
  assert.match(show.stdout, /Makes the list\./);
  assert.match(show.stdout, /=> each \(foreach over xs\)/);
  const check = await project.cli(['check', file]);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /The graph looks good!/);
});
