import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedProject } from './helpers.js';
import { diffRuns, type RunDiff } from '../src/index.js';

const project = sharedProject(null);

const FLOW = project.write(
  'diffflow.ts',
  `import { FlowSpec, step, Parameter } from 'cairnflow';
export class DiffFlow extends FlowSpec {
  alpha = Parameter('alpha', { default: 0.1 });
  declare config: Record<string, unknown>;
  declare items: number[];
  declare weights: Float64Array;
  declare out: number;
  declare rows: Array<{ id: number; score: number }>;
  declare extra: string;
  declare gone: string;
  @step start() {
    this.config = { lr: this.alpha, layers: [8, 16] };
    this.items = this.alpha > 0.25 ? [1, 2, 3, 4] : [1, 2, 3];
    if (this.alpha < 0.15) this.gone = 'only at 0.1';
    this.next(this.work, { foreach: 'items' });
  }
  @step work() {
    const n = this.input as number;
    this.weights = Float64Array.from({ length: 100 }, (_, i) => (i === 5 && n === 2 ? this.alpha : i));
    this.out = n;
    this.next(this.join);
  }
  @step join(inputs: any) {
    this.rows = inputs.map((x: any, i: number) => ({ id: i, score: x.out * (i === 0 ? this.alpha : 1) }));
    if (this.alpha > 0.15) this.extra = 'yes';
    this.next(this.end);
  }
  @step end() {}
}
`,
);

let n = 0;
async function run(...args: string[]): Promise<string> {
  const file = `id-${n++}.txt`;
  const r = await project.cli(['run', FLOW, '--run-id-file', file, ...args]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return `DiffFlow/${readFileSync(join(project.dir, file), 'utf8')}`;
}

let a = '';
let b = '';
let c = '';
before(async () => {
  a = await run();
  b = await run('--alpha', '0.2');
  c = await run('--alpha', '0.3');
});

function step(d: RunDiff, name: string) {
  const s = d.steps.find((x) => x.step === name);
  assert.ok(s, `no step ${name} in ${d.steps.map((x) => x.step).join(', ')}`);
  return s;
}

test('a run compared with itself is equal, every step and artifact the same', async () => {
  const d = await diffRuns(a, a);
  assert.equal(d.equal, true);
  assert.deepEqual(d.parameters, [{ name: 'alpha', status: 'same', a: 0.1, b: 0.1 }]);
  assert.deepEqual(d.steps.map((s) => [s.step, s.status]), [['start', 'same'], ['work', 'same'], ['join', 'same'], ['end', 'same']]);
  assert.ok(d.steps.every((s) => s.durationMs.a !== undefined && s.durationMs.b !== undefined));
});

test('parameters, changed values with their details, and added and removed artifacts', async () => {
  const d = await diffRuns(a, b);
  assert.equal(d.equal, false);
  assert.deepEqual(d.parameters, [{ name: 'alpha', status: 'changed', a: 0.1, b: 0.2 }]);
  const start = step(d, 'start').tasks[0]!;
  assert.equal(start.place, '');
  const byName = new Map(start.artifacts.map((x) => [x.name, x]));
  assert.equal(byName.has('alpha'), false, 'parameters are compared once, not in every task');
  assert.equal(byName.get('items')?.status, 'same');
  assert.deepEqual(byName.get('config')?.detail, { kind: 'json', changes: [{ path: '.lr', status: 'changed', a: 0.1, b: 0.2 }], truncated: false });
  assert.equal(byName.get('gone')?.status, 'removed');

  const work = step(d, 'work');
  assert.deepEqual(work.tasks.map((t) => t.place), ['foreach index 0', 'foreach index 1', 'foreach index 2']);
  const weights = work.tasks.map((t) => t.artifacts.find((x) => x.name === 'weights')!);
  assert.deepEqual(weights.map((w) => w.status), ['same', 'changed', 'same']);
  assert.equal(weights[1]!.detail?.kind, 'numbers');
  if (weights[1]!.detail?.kind === 'numbers') {
    assert.equal(weights[1]!.detail.changed, 1);
    assert.ok(Math.abs(weights[1]!.detail.maxAbsDelta! - 0.1) < 1e-9);
  }
  assert.equal(work.tasks[0]!.artifacts.find((x) => x.name === 'config')?.status, 'changed', 'an inherited artifact differs in every task');
  const join = step(d, 'join').tasks[0]!;
  assert.equal(join.artifacts.find((x) => x.name === 'extra')?.status, 'added');
  const rows = join.artifacts.find((x) => x.name === 'rows')!;
  assert.equal(rows.detail?.kind, 'table');
  if (rows.detail?.kind === 'table') assert.equal(rows.detail.changedRows, 1);
});

test('tasks are matched by place: a foreach that grew has an added task', async () => {
  const d = await diffRuns(a, c, { step: 'work' });
  assert.deepEqual(d.steps.map((s) => s.step), ['work']);
  const tasks = d.steps[0]!.tasks;
  assert.deepEqual(tasks.map((t) => [t.place, t.status]), [
    ['foreach index 0', 'changed'], ['foreach index 1', 'changed'], ['foreach index 2', 'changed'], ['foreach index 3', 'added'],
  ]);
  assert.deepEqual(tasks[3]!.artifacts.map((x) => x.status), ['added', 'added', 'added', 'added']);
  assert.equal(tasks[3]!.task.a, undefined);
  assert.match(tasks[3]!.task.b!, /^DiffFlow\/\d+\/work\/\d+$/);
});

test('a step neither run has is refused, naming the steps they have', async () => {
  await assert.rejects(diffRuns(a, b, { step: 'nope' }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'INVALID_ARGUMENT');
    assert.match(e.message, /Neither run has a step 'nope'.*start, work, join, end/);
    return true;
  });
});

test('cairn diff exits 0 for equal runs, 1 for runs that differ, 2 on trouble', async () => {
  const same = await project.cli(['diff', a, a]);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /The runs are equal/);
  const differ = await project.cli(['diff', a, b]);
  assert.equal(differ.code, 1, differ.stderr);
  assert.match(differ.stdout, /~ alpha: 0\.1 -> 0\.2/);
  assert.match(differ.stdout, /~ config \(Object/);
  assert.match(differ.stdout, /\.lr: 0\.1 -> 0\.2/);
  assert.match(differ.stdout, /~ \[foreach index 1\]/);
  assert.match(differ.stdout, /100 elements, 1 changed, largest change 0\.1/);
  assert.match(differ.stdout, /\+ extra \(string/);
  assert.match(differ.stdout, /- gone \(string/);
  const json = await project.cli(['diff', a, b, '--step', 'join', '--json']);
  assert.equal(json.code, 1, json.stderr);
  const parsed = JSON.parse(json.stdout) as RunDiff;
  assert.deepEqual(parsed.steps.map((s) => s.step), ['join']);
  for (const [args, message] of [
    [[a], /compares two runs/],
    [[a, 'DiffFlow/42'], /Run DiffFlow\/42 was not found/],
    [[a, 'NoFlow/42'], /no flow NoFlow/],
    [['42', a], /run id without its flow/],
    [[a, b, '--step', 'nope'], /Neither run has a step 'nope'/],
    [[a, b, c], /Unexpected argument/],
  ] as const) {
    const r = await project.cli(['diff', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});
