import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sharedProject, repoRoot as repoRootForTests } from './helpers.js';
import { Flow, Run, Task, DataArtifact } from '../src/index.js';

const project = sharedProject();

function flow(name: string, body: string, fields = ''): string {
  return project.write(
    `${name}.ts`,
    `import { FlowSpec, step, type Inputs } from 'cairnflow';
export class ${name} extends FlowSpec {
${fields}
${body}
}
`,
  );
}

test('a step that throws fails the run with the step, the task and the reason', async () => {
  const file = flow(
    'ThrowFlow',
    `  @step start() { this.x = 1; this.next(this.middle); }
  @step middle() { if (this.x === 1) throw new TypeError('boom in middle'); this.next(this.end); }
  @step end() {}`,
    '  declare x: number;',
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\/middle\/2 \(pid \d+\)\] Task failed\./);
  assert.match(r.stdout, /Workflow failed\./);
  assert.match(r.stdout, /Step middle \(task-id 2\) failed: TypeError: boom in middle/);
  const run = (await (await Flow.get('ThrowFlow')).latestRun())!;
  assert.equal(run.successful, false);
  assert.equal(run.finished, true);
  const task = await (await run.step('middle')).task();
  assert.equal(task.successful, false);
  assert.equal(task.exception?.type, 'TypeError');
  assert.equal(task.exception?.message, 'boom in middle');
  await assert.rejects(run.data.x, { code: 'NOT_FOUND' });
});

test('a task that kills its worker process fails the run, and the next run works', async () => {
  const file = flow(
    'ExitFlow',
    `  @step start() { this.items = [1, 2, 3]; this.next(this.work, { foreach: 'items' }); }
  @step work() { if (this.input === 2) process.exit(7); this.next(this.join); }
  @step join(inputs: Inputs) { this.next(this.end); }
  @step end() {}`,
    '  declare items: number[];',
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /exited with code 7 before the task finished/);
  const good = project.write(
    'GoodFlow.ts',
    `import { FlowSpec, step } from 'cairnflow';
export class GoodFlow extends FlowSpec {
  declare v: number;
  @step start() { this.v = 1; this.next(this.end); }
  @step end() {}
}
`,
  );
  const ok = await project.cli(['run', good]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(await (await (await Flow.get('GoodFlow')).latestRun())!.data.v, 1);
});

test('a value that cannot be stored fails the task naming the artifact, the step and the remedy', async () => {
  const file = flow(
    'FnFlow',
    `  @step start() { this.ok = 1; this.handler = { onDone: () => 1 }; this.next(this.end); }
  @step end() {}`,
    '  declare ok: number;\n  declare handler: unknown;',
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /handler/);
  assert.match(r.stdout, /start/);
  assert.match(r.stdout, /function/);
  assert.match(r.stdout, /Store plain data/);
});

test('a malformed graph is rejected before anything is stored', async () => {
  const file = flow(
    'BadGraphFlow',
    `  @step start() { this.next(this.missing); }
  @step end() {}`,
  );
  const before = existsSync(join(project.store, 'metadata.db')) ? 'db' : 'none';
  const r = await project.cli(['run', file]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /BadGraphFlow\.ts:4:\d+/);
  assert.match(r.stderr, /start/);
  assert.match(r.stderr, /unknown step/);
  await assert.rejects(Flow.get('BadGraphFlow'), { code: 'NOT_FOUND' });
  const check = await project.cli(['check', file]);
  assert.equal(check.code, 1);
  assert.match(check.stderr, /missing/);
  assert.ok(before === 'none' || existsSync(join(project.store, 'metadata.db')));
});

test('unknown options, missing files and files without a flow get one clear message', async () => {
  const good = flow('OptFlow', `  @step start() { this.next(this.end); }\n  @step end() {}`);
  const unknown = await project.cli(['run', good, '--max-wrokers', '3']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown option --max-wrokers for `run`/);
  const badInt = await project.cli(['run', good, '--max-workers', 'many']);
  assert.equal(badInt.code, 2);
  assert.match(badInt.stderr, /--max-workers takes a whole number/);
  const missing = await project.cli(['run', 'nope.ts']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /nope\.ts/);
  const noFlow = project.write('plain.ts', 'export const x = 1;\n');
  const r = await project.cli(['run', noFlow]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /defines no flow/);
  const cmd = await project.cli(['rnu', good]);
  assert.equal(cmd.code, 2);
  assert.match(cmd.stderr, /Unknown command "rnu"/);
});

test('a foreach wider than --max-num-splits fails the split with the remedy', async () => {
  const file = flow(
    'WideFlow',
    `  @step start() { this.items = Array.from({ length: 5 }, (_, i) => i); this.next(this.work, { foreach: 'items' }); }
  @step work() { this.next(this.join); }
  @step join(inputs: Inputs) { this.next(this.end); }
  @step end() {}`,
    '  declare items: number[];',
  );
  const r = await project.cli(['run', file, '--max-num-splits', '4']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /yields 5 child steps, which is more than the current maximum of 4/);
  assert.match(r.stdout, /--max-num-splits 5/);
  const ok = await project.cli(['run', file, '--max-num-splits', '5']);
  assert.equal(ok.code, 0, ok.stderr);
});

test('mergeArtifacts refuses artifacts whose values differ, naming them', async () => {
  const file = flow(
    'ConflictFlow',
    `  @step start() { this.next(this.a, this.b); }
  @step a() { this.x = 1; this.same = 0; this.next(this.join); }
  @step b() { this.x = 2; this.same = 0; this.next(this.join); }
  @step join(inputs: Inputs) { this.mergeArtifacts(inputs); this.next(this.end); }
  @step end() {}`,
    '  declare x: number;\n  declare same: number;',
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /cannot merge artifacts whose values differ between its inputs: x\./);
});

test('--max-workers bounds how many tasks run at once', async () => {
  const file = flow(
    'BoundFlow',
    `  @step start() { this.items = [0, 1, 2, 3, 4, 5]; this.next(this.work, { foreach: 'items' }); }
  @step async work() { this.t0 = Date.now(); await new Promise((r) => setTimeout(r, 150)); this.t1 = Date.now(); this.next(this.join); }
  @step join(inputs: Inputs<BoundFlow>) { this.spans = inputs.map((i) => [i.t0, i.t1]); this.next(this.end); }
  @step end() {}`,
    '  declare items: number[];\n  declare t0: number;\n  declare t1: number;\n  declare spans: number[][];',
  );
  const r = await project.cli(['run', file, '--max-workers', '2']);
  assert.equal(r.code, 0, r.stderr);
  const spans = (await (await (await Flow.get('BoundFlow')).latestRun())!.data.spans) as number[][];
  let peak = 0;
  for (const [t0] of spans) peak = Math.max(peak, spans.filter(([a, b]) => a! <= t0! && t0! < b!).length);
  assert.ok(peak <= 2, `peak concurrency ${peak}`);
  const pids = new Set([...r.stdout.matchAll(/\/work\/\d+ \(pid (\d+)\)/g)].map((m) => m[1]));
  assert.ok(pids.size <= 2, `tasks ran in ${pids.size} processes`);
});

test('pathspecs that name nothing reject with a CairnError code', async () => {
  await assert.rejects(Run.get('GoodFlow/123'), { code: 'NOT_FOUND' });
  await assert.rejects(Run.get('GoodFlow'), { code: 'INVALID_PATHSPEC' });
  await assert.rejects(Task.get('GoodFlow/1/start'), { code: 'INVALID_PATHSPEC' });
  const run = (await (await Flow.get('GoodFlow')).latestRun())!;
  await assert.rejects(DataArtifact.get(`GoodFlow/${run.id}/start/1/nope`), { code: 'NOT_FOUND' });
  assert.equal(await (await DataArtifact.get(`GoodFlow/${run.id}/start/1/v`)).data(), 1);
  assert.ok(readdirSync(project.store).includes('blobs'));
});

test('an error thrown by a timer a step left running fails the task instead of crashing the worker', async () => {
  const file = flow(
    'TimerFlow',
    `  @step async start() {
    setTimeout(() => { throw new Error('thrown from a timer'); }, 5);
    await new Promise((r) => setTimeout(r, 200));
    this.next(this.end);
  }
  @step end() {}`,
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /Step start \(task-id 1\) failed: Error: thrown from a timer/);
  assert.doesNotMatch(r.stdout + r.stderr, /exited with code|killed by signal/);
});

test('a timer that throws after its step returned is named as that task\'s, and does not fail the task running then', async () => {
  const file = flow(
    'LateTimerFlow',
    `  @step start() {
    setTimeout(() => { throw new Error('thrown late'); }, 300);
    this.next(this.middle);
  }
  @step async middle() { await new Promise((r) => setTimeout(r, 1000)); this.next(this.end); }
  @step end() {}`,
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(
    r.stdout + r.stderr,
    /\/middle\/2 \(pid \d+\)\] Uncaught exception from code that task LateTimerFlow\/\d+\/start\/1 \(attempt 0\) left running after its step returned; it does not fail task LateTimerFlow\/\d+\/middle\/2 \(attempt 0\), which runs now in the same process: Error: thrown late/,
  );
  const run = (await (await Flow.get('LateTimerFlow')).latestRun())!;
  assert.equal(run.successful, true);
});

test('a reader that stops reading the console does not stop the run', async () => {
  const file = flow(
    'PipeFlow',
    `  @step start() { for (let i = 0; i < 50; i++) console.log('line ' + i); this.items = [1, 2, 3]; this.next(this.each, { foreach: 'items' }); }
  @step each() { console.log('each ' + this.input); this.next(this.join); }
  @step join(inputs: Inputs) { this.next(this.end); }
  @step end() { this.done = true; }`,
    '  declare items: number[];\n  declare done: boolean;',
  );
  const r = await project.exec('sh', ['-c', `"${process.execPath}" "${join(repoRootForTests, 'dist/cli/bin.js')}" run ${file} | head -1`]);
  assert.equal(r.code, 0);
  const run = (await (await Flow.get('PipeFlow')).latestRun())!;
  assert.equal(run.successful, true);
  assert.equal(await run.data.done, true);
});
