import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedProject, repoRoot } from './helpers.js';
import { Flow, Run, namespace } from '../src/index.js';

const project = sharedProject();

function example(name: string): string {
  copyFileSync(join(repoRoot, 'examples', name), join(project.dir, name));
  return name;
}

test('the seed flow runs through the CLI and its artifacts read back through the client', async () => {
  const file = example('pass-artifacts-between-steps.ts');
  const r = await project.cli(['run', file, '--run-id-file', 'artifacts-run.txt']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const runId = readFileSync(join(project.dir, 'artifacts-run.txt'), 'utf8');
  assert.match(r.stdout, new RegExp(`Workflow starting \\(run-id ${runId}\\):`));
  assert.match(r.stdout, new RegExp(`\\[${runId}/middle/2 \\(pid \\d+\\)\\] the data artifact is: \\[1,2,3\\]`));
  assert.match(r.stdout, new RegExp(`\\[${runId}/end/3 \\(pid \\d+\\)\\] the data artifact is: \\[1,2,4\\]`));
  assert.match(r.stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} Done!$/m);

  const run = await Run.get(`ArtFlow/${runId}`);
  assert.deepEqual(await run.data.some_data, [1, 2, 4]);
  assert.equal(run.successful, true);
  assert.ok(run.systemTags.includes('user:tester'));
  const latest = await (await Flow.get('ArtFlow')).latestRun();
  assert.equal(latest?.id, runId);
  const middle = await run.step('middle');
  const task = await middle.task();
  assert.deepEqual(await task.data.some_data, [1, 2, 4]);
  assert.equal(await task.stdout(), 'the data artifact is: [1,2,3]\n');
  const start = await (await run.step('start')).task();
  assert.deepEqual(await start.data.some_data, [1, 2, 3]);
});

test('the seed flow also runs as its own program through tsx', async () => {
  const file = example('pass-artifacts-between-steps.ts');
  const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const r = await project.exec(process.execPath, [tsx, file, 'run', '--tag', 'via-tsx']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const runs = [];
  for await (const run of (await Flow.get('ArtFlow')).runs({ tags: ['via-tsx'] })) runs.push(run);
  assert.equal(runs.length, 1);
  assert.deepEqual(await runs[0]!.data.some_data, [1, 2, 4]);
  assert.deepEqual(runs[0]!.userTags, ['via-tsx']);
});

test('a foreach runs one task per element and its join sees them in split order', async () => {
  const file = example('foreach.ts');
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /Foreach yields 4 child steps\./);
  const run = (await (await Flow.get('ForeachFlow')).latestRun())!;
  assert.deepEqual(await run.data.lengths, [5, 4, 5, 5]);
  assert.equal(await run.data.total, 19);
  const tasks = await (await run.step('measure')).tasks();
  assert.equal(tasks.length, 4);
  assert.deepEqual(tasks.map((t) => t.index).sort(), [0, 1, 2, 3]);
  for (const t of tasks) assert.equal(await t.data.shard, ['alpha', 'beta', 'gamma', 'delta'][t.index!]);
});

test('a static branch joins with mergeArtifacts', async () => {
  const file = example('branch-join.ts');
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /linear\(1000 rows\) on age, income/);
  const run = (await (await Flow.get('BranchFlow')).latestRun())!;
  assert.equal(await run.data.report, 'linear(1000 rows) on age, income');
  assert.deepEqual(await run.data.config, { rows: 1000 });
});

test('the client sees only the current namespace unless told otherwise', async () => {
  namespace('user:somebody-else');
  await assert.rejects(Flow.get('ArtFlow'), { code: 'NAMESPACE_MISMATCH' });
  namespace(null);
  assert.ok(await Flow.get('ArtFlow'));
  namespace('user:tester');
});

test('a function assigned in a step fails the task; a function class field is kept by every task and never stored', async () => {
  project.write(
    'field-fn.ts',
    `import { FlowSpec, step } from 'cairnflow';
export class FieldFnFlow extends FlowSpec {
  double = (n: number) => n * 2;
  declare seen: number;
  @step start() { this.next(this.end); }
  @step end() { this.seen = this.double(21); }
}
`,
  );
  project.write(
    'assigned-fn.ts',
    `import { FlowSpec, step } from 'cairnflow';
export class AssignedFnFlow extends FlowSpec {
  @step start() { (this as any).fn = () => 1; this.next(this.end); }
  @step end() {}
}
`,
  );
  const kept = await project.cli(['run', 'field-fn.ts', '--run-id-file', 'fieldfn.txt']);
  assert.equal(kept.code, 0, kept.stderr + kept.stdout);
  const run = await Run.get(`FieldFnFlow/${readFileSync(join(project.dir, 'fieldfn.txt'), 'utf8')}`);
  const end = await (await run.step('end')).task();
  assert.equal(await end.data.seen, 42);
  assert.deepEqual((await end.artifacts()).map((a) => a.name), ['seen']);

  const failed = await project.cli(['run', 'assigned-fn.ts']);
  assert.equal(failed.code, 1);
  assert.match(failed.stdout + failed.stderr, /UNSERIALIZABLE_ARTIFACT\): Cannot store artifact "fn" of step "start": fn is a function/);
});
