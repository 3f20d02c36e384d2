/**
 * Runs flows with `--executor queue` on `cairn worker` processes started by the test, against the
 * Redis server that CAIRN_TEST_REDIS_URL names, and reads the results back through the client.
 * Skipped, saying why, without CAIRN_TEST_REDIS_URL.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, Project, repoRoot } from './helpers.js';
import { dropPrefix, jobHashes, queueEnv, REDIS_ENV, REDIS_SKIP_REASON, testPrefix, WorkerProcess } from './queue-helpers.js';
import { Flow, Run, namespace, useDatastore } from '../src/index.js';

const redisUrl = process.env[REDIS_ENV];

test('an unreachable Redis fails the run before anything is recorded, and stops a worker from starting', async () => {
  using project = new Project();
  copyFileSync(join(repoRoot, 'examples', 'pass-artifacts-between-steps.ts'), join(project.dir, 'flow.ts'));
  const env = { CAIRN_REDIS_URL: 'redis://127.0.0.1:1' };
  const r = await project.cli(['run', 'flow.ts', '--executor', 'queue', '--run-id-file', 'id.txt'], env);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /error: Cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(.+\)\. The queue executor and `cairn worker` need it/);
  assert.match(r.stderr, /CAIRN_REDIS_URL/);
  assert.equal(existsSync(join(project.dir, 'id.txt')), false, 'no run was recorded');
  const w = await project.cli(['worker'], env);
  assert.equal(w.code, 1);
  assert.match(w.stderr, /Cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  const bad = await project.cli(['run', 'flow.ts', '--executor', 'cluster'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--executor must be local or queue; got "cluster"\./);
});

if (!redisUrl) {
  test('flows on the queue executor', { skip: REDIS_SKIP_REASON }, () => {});
} else {
  const project = new Project();
  const prefix = testPrefix();
  const env = queueEnv(redisUrl, prefix);
  const workers: WorkerProcess[] = [];

  before(async () => {
    useDatastore(project.store);
    namespace('user:tester');
    for (const name of ['small-1', 'small-2']) {
      workers.push(await WorkerProcess.start(project, name, ['--cpu', '2', '--concurrency', '2', '--stall-seconds', '2'], { ...env, WHO: name }));
    }
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await dropPrefix(redisUrl, prefix);
    project[Symbol.dispose]();
  });

  const example = (name: string): string => {
    copyFileSync(join(repoRoot, 'examples', name), join(project.dir, name));
    return name;
  };
  const run = (args: string[], extra: Record<string, string> = {}) => project.cli(['run', ...args, '--executor', 'queue'], { ...env, ...extra });

  test('the seed flow runs on two workers, its output shows live, and it reads back through the client', async () => {
    const r = await run([example('pass-artifacts-between-steps.ts'), '--run-id-file', 'seed.txt']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const runId = readFileSync(join(project.dir, 'seed.txt'), 'utf8');
    assert.match(r.stdout, new RegExp(`\\[${runId}/middle/2 \\(pid \\d+\\)\\] the data artifact is: \\[1,2,3\\]`));
    assert.match(r.stdout, new RegExp(`\\[${runId}/end/3 \\(pid \\d+\\)\\] Task finished successfully\\.`));
    assert.match(r.stdout, /Done!$/m);
    const all = workers.map((w) => w.output).join('');
    for (const step of ['start/1', 'middle/2', 'end/3']) assert.match(all, new RegExp(`ArtFlow/${runId}/${step}/0: succeeded`));

    const back = await Run.get(`ArtFlow/${runId}`);
    assert.equal(back.successful, true);
    assert.deepEqual(await back.data.some_data, [1, 2, 4]);
    const middle = await (await back.step('middle')).task();
    assert.equal(await middle.stdout(), 'the data artifact is: [1,2,3]\n');

    // Jobs carry the artifact store's settings and nothing of the metadata store's.
    const jobs = (await jobHashes(redisUrl, prefix)).filter((j) => j['data']?.includes(runId));
    assert.equal(jobs.length, 3);
    for (const j of jobs) {
      const spec = JSON.parse(j['data']!) as { store: Record<string, unknown> };
      assert.deepEqual(Object.keys(spec.store).sort(), ['artifacts', 'root']);
      assert.doesNotMatch(j['data']!, /metadata\.db/);
    }
  });

  test('runFlow runs on the queue as well', async () => {
    // The runner executes flows in this process, so it is used as installed: from the built package.
    const cairn = (await import('cairnflow')) as typeof import('../src/index.js');
    const file = join(project.dir, example('pass-artifacts-between-steps.ts'));
    const r = await cairn.runFlow(file, { executor: 'queue', cwd: project.dir, env: { ...process.env, CAIRN_USER: 'tester', CAIRN_DATASTORE_ROOT: '', ...env } });
    assert.equal(r.successful, true);
    assert.deepEqual(await r.data.some_data, [1, 2, 4]);
    const all = workers.map((w) => w.output).join('');
    assert.match(all, new RegExp(`ArtFlow/${r.id}/end/3/0: succeeded`));
  });

  test('a foreach and a static branch with its join run on the workers', async () => {
    const f = await run([example('foreach.ts')]);
    assert.equal(f.code, 0, f.stderr + f.stdout);
    assert.match(f.stdout, /Foreach yields 4 child steps\./);
    const foreach = (await (await Flow.get('ForeachFlow')).latestRun())!;
    assert.deepEqual(await foreach.data.lengths, [5, 4, 5, 5]);
    const tasks = await (await foreach.step('measure')).tasks();
    assert.deepEqual(tasks.map((t) => t.index).sort(), [0, 1, 2, 3]);
    for (const t of tasks) assert.equal(await t.data.shard, ['alpha', 'beta', 'gamma', 'delta'][t.index!]);

    const b = await run([example('branch-join.ts')]);
    assert.equal(b.code, 0, b.stderr + b.stdout);
    const branch = (await (await Flow.get('BranchFlow')).latestRun())!;
    assert.equal(await branch.data.report, 'linear(1000 rows) on age, income');
    assert.deepEqual(await branch.data.config, { rows: 1000 });
  });

  test('@resources: tasks go only to a worker that offers enough, one at a time when only one fits', async () => {
    const big = await WorkerProcess.start(project, 'big', ['--cpu', '8', '--concurrency', '4', '--stall-seconds', '2'], { ...env, WHO: 'big' });
    try {
      project.write(
        'heavy.ts',
        `import { FlowSpec, step, resources, type Inputs } from 'cairnflow';
export class HeavyFlow extends FlowSpec {
  declare parts: number[];
  declare ranOn: string;
  declare span: number[];
  declare spans: Array<{ on: string; span: number[] }>;
  @step start() { this.parts = [0, 1, 2, 3, 4, 5]; this.next(this.heavy, { foreach: 'parts' }); }
  @resources({ cpu: 8 })
  @step async heavy() {
    const from = Date.now();
    await new Promise((r) => setTimeout(r, 150));
    this.ranOn = process.env.WHO ?? '?';
    this.span = [from, Date.now()];
    this.next(this.join);
  }
  @step join(inputs: Inputs<HeavyFlow>) { this.spans = inputs.map((i) => ({ on: i.ranOn, span: i.span })); this.next(this.end); }
  @step end() {}
}
`,
      );
      const r = await run(['heavy.ts']);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const spans = (await (await (await Flow.get('HeavyFlow')).latestRun())!.data.spans) as Array<{ on: string; span: [number, number] }>;
      assert.equal(spans.length, 6);
      assert.deepEqual([...new Set(spans.map((s) => s.on))], ['big']);
      // cpu 8 of the 8 offered: never two at once, though the worker could run four tasks.
      const sorted = spans.map((s) => s.span).sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]![0] >= sorted[i - 1]![1], `tasks overlapped: ${JSON.stringify(sorted)}`);
      for (const w of workers) await w.waitFor(/Not taking tasks from tasks-c8-m0-g0: they need cpu 8, memory 0 MB, gpu 0; this worker advertises cpu 2/);
    } finally {
      await big.stop();
    }
  });

  test('@timeout stops a task on its worker, and the worker goes on taking tasks', async () => {
    project.write(
      'slow.ts',
      `import { FlowSpec, step, timeout } from 'cairnflow';
export class SlowFlow extends FlowSpec {
  @step start() { this.next(this.slow); }
  @timeout({ seconds: 1 })
  @step async slow() { console.log('slow begins'); await new Promise((r) => setTimeout(r, 120_000)); this.next(this.end); }
  @step end() {}
}
`,
    );
    const r = await run(['slow.ts', '--run-id-file', 'slow.txt']);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const runId = readFileSync(join(project.dir, 'slow.txt'), 'utf8');
    assert.match(r.stdout + r.stderr, /TimeoutError: Step slow timed out after 1 second\./);
    assert.match(r.stdout, /slow begins/);
    const owner = workers.find((w) => w.output.includes(`SlowFlow/${runId}/slow/2/0: started`))!;
    await owner.waitFor(new RegExp(`SlowFlow/${runId}/slow/2/0: failed: Cancelled: The run stopped this task\\.`));
    const again = await run([example('pass-artifacts-between-steps.ts')]);
    assert.equal(again.code, 0, again.stderr + again.stdout);
  });

  test('tasks nobody can take get a notice, and interrupting the run takes them off the queue', async () => {
    project.write(
      'gpu.ts',
      `import { FlowSpec, step, resources } from 'cairnflow';
export class GpuFlow extends FlowSpec {
  @resources({ gpu: 1, memory: 1024 })
  @step start() { this.next(this.end); }
  @step end() {}
}
`,
    );
    const child = spawn(process.execPath, [bin, 'run', 'gpu.ts', '--executor', 'queue', '--run-id-file', 'gpu.txt'], {
      cwd: project.dir,
      env: { ...process.env, CAIRN_USER: 'tester', CAIRN_DATASTORE_ROOT: '', ...env, CAIRN_QUEUE_IDLE_NOTICE_SECONDS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        if (/which no connected worker has/.test(out)) resolve(clearInterval(poll));
        else if (child.exitCode !== null) reject(new Error(out));
      }, 50);
    });
    assert.match(out, /No worker has taken a task yet \(1 s\); 2 workers are connected/);
    assert.match(out, /Step start needs cpu 0, memory 1024 MB, gpu 1 \(@resources\), which no connected worker has .*`cairn worker --memory 1024 --gpu 1`/);
    child.kill('SIGINT');
    assert.equal(await exited, 1, out);
    const runId = readFileSync(join(project.dir, 'gpu.txt'), 'utf8');
    assert.deepEqual((await jobHashes(redisUrl, prefix)).filter((j) => j['data']?.includes(runId)), []);
    assert.equal((await Run.get(`GpuFlow/${runId}`)).successful, false);
  });
}
