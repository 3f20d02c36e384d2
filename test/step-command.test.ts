/**
 * `cairn init-run` and `cairn step`: a scheduler's way to run a flow one task per process. The
 * foreach example runs task by task through the CLI and reads back through the client as a
 * `cairn run` of it does; bad ids and inputs fail before any user code runs, recording nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project, repoRoot } from './helpers.js';
import { Run, namespace, useDatastore } from '../src/index.js';

const project = new Project();
before(() => {
  copyFileSync(join(repoRoot, 'examples', 'foreach.ts'), join(project.dir, 'foreach.ts'));
  useDatastore(project.store);
  namespace(null);
});
after(() => {
  useDatastore(undefined);
  project[Symbol.dispose]();
});

const step = (args: string[]) => project.cli(['step', 'foreach.ts', ...args]);

test('a foreach run task by task with init-run and step reads back as a cairn run does', async () => {
  const init = await project.cli(['init-run', 'foreach.ts', '--run-id', 'sched-1']);
  assert.equal(init.code, 0, init.stderr);
  let r = await step(['--run-id', 'sched-1', '--step', 'start', '--task-id', 'start']);
  assert.equal(r.code, 0, r.stderr);
  for (let i = 0; i < 4; i++) {
    r = await step(['--run-id', 'sched-1', '--step', 'measure', '--task-id', `measure-${i}`, '--input-paths', 'start/start', '--split-index', String(i)]);
    assert.equal(r.code, 0, r.stderr);
  }
  const running = await Run.get('ForeachFlow/sched-1');
  assert.equal(running.finished, false);
  r = await step(['--run-id', 'sched-1', '--step', 'join', '--task-id', 'join', '--input-paths', 'measure/measure-*4']);
  assert.equal(r.code, 0, r.stderr);
  r = await step(['--run-id', 'sched-1', '--step', 'end', '--task-id', 'end', '--input-paths', 'join/join']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\[sched-1\/end\/end \(pid \d+\)\] lengths \[5,4,5,5\], total 19/);

  const ref = await project.cli(['run', 'foreach.ts', '--run-id-file', 'ref.txt']);
  assert.equal(ref.code, 0, ref.stderr);
  const [a, b] = [await Run.get('ForeachFlow/sched-1'), await Run.get(`ForeachFlow/${readFileSync(join(project.dir, 'ref.txt'), 'utf8')}`)];
  assert.equal(a.successful, true);
  for (const name of ['lengths', 'total']) assert.deepEqual(await a.data[name as 'total'], await b.data[name as 'total']);
  const tasks = await (await a.step('measure')).tasks();
  assert.deepEqual(tasks.map((t) => t.index).sort(), [0, 1, 2, 3]);
  const second = tasks.find((t) => t.index === 1)!;
  assert.equal(await second.data.shard, 'beta');
  assert.equal(await second.stdout(), 'shard 1: beta has 4 letters\n');
  assert.ok(a.systemTags.includes('runtime:scheduler'));
});

test('bad ids and inputs fail before user code runs and record nothing', async () => {
  assert.equal((await project.cli(['init-run', 'foreach.ts', '--run-id', 'sched-2'])).code, 0);
  const again = await project.cli(['init-run', 'foreach.ts', '--run-id', 'sched-2']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /exists already/);
  const cases: Array<[string[], RegExp]> = [
    [['--run-id', 'nope', '--step', 'start', '--task-id', 's'], /not recorded in .*cairn init-run/],
    [['--run-id', 'sched-2', '--step', 'train', '--task-id', 's'], /has no step train/],
    [['--run-id', 'sched-2', '--step', 'start', '--task-id', 'a/b'], /not a valid task id/],
    [['--run-id', 'sched-2', '--step', 'measure', '--task-id', 'm', '--input-paths', 'start/start', '--split-index', '0'], /is not a task of run .* that succeeded/],
    [['--run-id', 'sched-2', '--step', 'start', '--task-id', 's', '--retry-count', '2'], /more than step start allows/],
  ];
  for (const [args, message] of cases) {
    const r = await step(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.equal((await step(['--run-id', 'sched-2', '--step', 'start', '--task-id', 'start'])).code, 0);
  for (const [args, message] of [
    [['--step', 'measure', '--task-id', 'm', '--input-paths', 'start/start', '--split-index', '4'], /out of range/],
    [['--step', 'measure', '--task-id', 'm', '--input-paths', 'start/start'], /give --split-index/],
    [['--step', 'join', '--task-id', 'j', '--input-paths', 'start/start'], /cannot lead to step join/],
    [['--step', 'start', '--task-id', 'start'], /succeeded already/],
  ] as Array<[string[], RegExp]>) {
    const r = await step(['--run-id', 'sched-2', ...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
  }
  const run = await Run.get('ForeachFlow/sched-2');
  assert.deepEqual((await run.steps()).map((s) => s.id).sort(), ['start']);
});
