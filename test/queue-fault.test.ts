/**
 * Workers that die or are stopped while they hold tasks: a 200-way foreach on three `cairn worker`
 * processes, one of them killed with SIGKILL while it runs tasks, and a worker stopped hard with two
 * SIGTERMs. The runs succeed, every task's artifacts read back, and no task has two successful
 * attempts. Skipped, saying why, without CAIRN_TEST_REDIS_URL.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, Project } from './helpers.js';
import { dropPrefix, queueEnv, REDIS_ENV, REDIS_SKIP_REASON, testPrefix, WorkerProcess } from './queue-helpers.js';
import { Run, namespace, useDatastore } from '../src/index.js';
import { openMetadataStore, storeConfigAt } from '../src/storage/config.js';
import type { AttemptRow } from '../src/storage/types.js';

const redisUrl = process.env[REDIS_ENV];

/** A foreach whose tasks never finish on a worker started with DOOMED=1 (that worker is the one stopped). */
function wideFlow(name: string, n: number): string {
  return `import { FlowSpec, step, type Inputs } from 'cairnflow';
export class ${name} extends FlowSpec {
  declare items: number[];
  declare y: number;
  declare total: number;
  @step start() { this.items = Array.from({ length: ${n} }, (_, i) => i); this.next(this.work, { foreach: 'items' }); }
  @step async work() {
    if (process.env.DOOMED) await new Promise((r) => setTimeout(r, 600_000));
    this.y = this.input * 2;
    this.next(this.join);
  }
  @step join(inputs: Inputs<${name}>) { let t = 0; for (const i of inputs) t += i.y; this.total = t; this.next(this.end); }
  @step end() {}
}
`;
}

if (!redisUrl) {
  test('workers that die while they hold tasks', { skip: REDIS_SKIP_REASON }, () => {});
} else {
  const project = new Project();
  const prefix = testPrefix();
  const env = queueEnv(redisUrl, prefix);
  const workers: WorkerProcess[] = [];
  const startWorker = async (name: string, extra: Record<string, string> = {}) => {
    const w = await WorkerProcess.start(project, name, ['--concurrency', '2', '--stall-seconds', '2'], { ...env, ...extra });
    workers.push(w);
    return w;
  };

  before(() => {
    useDatastore(project.store);
    namespace('user:tester');
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await dropPrefix(redisUrl, prefix);
    project[Symbol.dispose]();
  });

  /** Starts `cairn run` in the background; resolves to its exit code and output once it ends. */
  const startRun = (file: string, idFile: string) => {
    const child = spawn(process.execPath, [bin, 'run', file, '--executor', 'queue', '--max-num-splits', '200', '--run-id-file', idFile], {
      cwd: project.dir,
      env: { ...process.env, CAIRN_USER: 'tester', CAIRN_DATASTORE_ROOT: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    return new Promise<{ code: number | null; out: string }>((resolve) => child.on('close', (code) => resolve({ code, out })));
  };

  /** Every attempt of every task of the run, by task path. */
  const attemptsOf = async (flow: string, runId: string): Promise<Map<string, AttemptRow[]>> => {
    const metadata = await openMetadataStore(storeConfigAt(project.store), { create: false });
    try {
      const out = new Map<string, AttemptRow[]>();
      for (const t of await metadata.listTasks(flow, runId)) out.set(`${t.step}/${t.taskId}`, await metadata.listAttempts(t));
      return out;
    } finally {
      await metadata.close();
    }
  };

  const checkRun = async (flow: string, runId: string, n: number) => {
    const run = await Run.get(`${flow}/${runId}`);
    assert.equal(run.successful, true);
    assert.equal(await run.data.total, n * (n - 1));
    const tasks = await (await run.step('work')).tasks();
    assert.equal(tasks.length, n);
    for (const t of tasks) assert.equal(await t.data.y, t.index! * 2, `work task ${t.id}`);
    const attempts = await attemptsOf(flow, runId);
    for (const [task, rows] of attempts) {
      assert.equal(rows.filter((a) => a.status === 'succeeded').length, 1, `${task}: ${JSON.stringify(rows)}`);
    }
    return [...attempts.values()].flat().filter((a) => a.status === 'failed');
  };

  test('a 200-way foreach survives a worker killed with SIGKILL while it holds a task', async () => {
    await startWorker('steady-1');
    await startWorker('steady-2');
    const doomed = await startWorker('doomed', { DOOMED: '1' });
    project.write('fault.ts', wideFlow('FaultFlow', 200));
    const running = startRun('fault.ts', 'fault.txt');
    await doomed.waitFor(/FaultFlow\/\d+\/work\/\d+\/0: started/);
    doomed.proc.kill('SIGKILL');
    const { code, out } = await running;
    assert.equal(code, 0, out);
    const runId = readFileSync(join(project.dir, 'fault.txt'), 'utf8');
    assert.match(out, /WorkerLost: The worker doomed running this task stopped responding/);
    assert.match(out, /Task is starting \(retry\)\./);

    const failed = await checkRun('FaultFlow', runId, 200);
    const held = [...doomed.output.matchAll(/FaultFlow\/\d+\/(work\/\d+)\/0: started \(pid (\d+)\)/g)];
    assert.ok(held.length >= 1);
    assert.ok(failed.length >= held.length, JSON.stringify(failed));
    for (const f of failed) {
      assert.equal(f.exception?.type, 'WorkerLost', JSON.stringify(f));
      assert.equal(f.attempt, 0);
    }
    for (const [, task, pid] of held) {
      assert.ok(failed.some((f) => `${f.step}/${f.taskId}` === task), `${task} held by the killed worker has a lost attempt`);
      // The task's own process went with its worker.
      assert.throws(() => process.kill(Number(pid), 0), { code: 'ESRCH' });
    }
  });

  test('a worker stopped with a second SIGTERM gives its tasks back, and they run again at once', async () => {
    const doomed = await startWorker('quitter', { DOOMED: '1' });
    project.write('stop.ts', wideFlow('StopFlow', 12));
    const running = startRun('stop.ts', 'stop.txt');
    await doomed.waitFor(/StopFlow\/\d+\/work\/\d+\/0: started/);
    doomed.proc.kill('SIGTERM');
    await doomed.waitFor(/SIGTERM: finishing the \d running task\(s\)/);
    doomed.proc.kill('SIGTERM');
    assert.equal(await doomed.exited, 0, doomed.output);
    const { code, out } = await running;
    assert.equal(code, 0, out);
    const runId = readFileSync(join(project.dir, 'stop.txt'), 'utf8');
    assert.match(doomed.output, /given back to run again elsewhere/);
    const failed = await checkRun('StopFlow', runId, 12);
    assert.ok(failed.length >= 1);
    for (const f of failed) assert.equal(f.exception?.message, 'The worker quitter was stopped before the task finished.');
  });
}
