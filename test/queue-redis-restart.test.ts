/**
 * A Redis server without persistence restarted in the middle of a run on the queue executor: every
 * job, lock and registration is gone. The orchestrator runs again what was lost, as new attempts,
 * the run succeeds, and no task has two successful attempts. The test starts a redis-server of its
 * own on a free port (never the shared one); skipped, saying why, when there is no redis-server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { bin, Project } from './helpers.js';
import { queueEnv, WorkerProcess } from './queue-helpers.js';
import { Run, namespace, useDatastore } from '../src/index.js';
import { openMetadataStore, storeConfigAt } from '../src/storage/config.js';

const REDIS_SERVER = '/usr/bin/redis-server';
const haveRedis = spawnSync(REDIS_SERVER, ['--version']).status === 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A redis-server that keeps nothing on disk, so a restart empties it. */
class Ephemeral {
  private proc: ChildProcess | undefined;
  constructor(readonly port: number) {}

  async start(): Promise<void> {
    const proc = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      proc.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('Ready to accept connections')) resolve();
      });
      proc.on('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${out}`)));
    });
  }

  /** SIGKILL, as a crash or a container restart: nothing is saved. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.on('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }
}

const flow = `import { FlowSpec, step, type Inputs } from 'cairnflow';
export class RestartFlow extends FlowSpec {
  declare items: number[];
  declare y: number;
  declare total: number;
  @step start() { this.items = Array.from({ length: 8 }, (_, i) => i); this.next(this.work, { foreach: 'items' }); }
  @step async work() {
    await new Promise((r) => setTimeout(r, 2500));
    this.y = this.input * 10;
    this.next(this.join);
  }
  @step join(inputs: Inputs<RestartFlow>) { let t = 0; for (const i of inputs) t += i.y; this.total = t; this.next(this.end); }
  @step end() {}
}
`;

test('a Redis restart without persistence mid-run: what was lost runs again and the run succeeds', { skip: haveRedis ? false : `${REDIS_SERVER} is not installed` }, async (t) => {
  const project = new Project();
  const redis = new Ephemeral(await freePort());
  await redis.start();
  const env = queueEnv(`redis://127.0.0.1:${redis.port}`, 'restart');
  const workers: WorkerProcess[] = [];
  t.after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await redis.kill();
    project[Symbol.dispose]();
  });
  for (const name of ['w1', 'w2']) workers.push(await WorkerProcess.start(project, name, ['--concurrency', '2', '--stall-seconds', '2'], env));
  project.write('flow.ts', flow);
  // Four of the eight tasks run at once (two workers of two), and --max-workers 6 keeps two more waiting on the queue.
  const run = spawn(process.execPath, [bin, 'run', 'flow.ts', '--executor', 'queue', '--max-workers', '6', '--run-id-file', 'id.txt'], {
    cwd: project.dir,
    env: { ...process.env, CAIRN_USER: 'tester', CAIRN_DATASTORE_ROOT: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  run.stdout.on('data', (d) => (out += d));
  run.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => run.on('close', resolve));

  await Promise.all(workers.map((w) => w.waitFor(/RestartFlow\/\d+\/work\/\d+\/0: started/)));
  await redis.kill();
  await redis.start();
  assert.equal(await exited, 0, out);

  const runId = readFileSync(join(project.dir, 'id.txt'), 'utf8');
  assert.match(out, /JobLost: The task's job is no longer on the queue: Redis at redis:\/\/127\.0\.0\.1:\d+ lost it \(restarted without persistence, or flushed\); the worker w[12] running it stops it\./);
  const notices = [...out.matchAll(/lost \d+ job\(s\) of this run \(restarted without persistence, or flushed\): (\d+) waiting task\(s\) are queued again, (\d+) running one\(s\) run again as new attempts\./g)];
  assert.ok(notices.length >= 1, out);
  const [requeued, restarted] = [1, 2].map((i) => notices.reduce((n, m) => n + Number(m[i]), 0));
  // Four tasks ran (two on each worker) and two waited on the queue when Redis went.
  assert.ok(restarted! >= 2 && requeued! >= 1, out);
  // The workers stopped the attempts they were running when their jobs vanished.
  assert.match(workers.map((w) => w.output).join(''), /work\/\d+\/0: lost its lock/);

  useDatastore(project.store);
  namespace('user:tester');
  const back = await Run.get(`RestartFlow/${runId}`);
  assert.equal(back.successful, true);
  assert.equal(await back.data.total, 280);
  const tasks = await (await back.step('work')).tasks();
  assert.equal(tasks.length, 8);
  for (const t of tasks) assert.equal(await t.data.y, t.index! * 10);

  const metadata = await openMetadataStore(storeConfigAt(project.store), { create: false });
  try {
    let lost = 0;
    for (const t of await metadata.listTasks('RestartFlow', runId)) {
      const attempts = await metadata.listAttempts(t);
      assert.equal(attempts.filter((a) => a.status === 'succeeded').length, 1, `${t.step}/${t.taskId}: ${JSON.stringify(attempts)}`);
      for (const a of attempts.filter((a) => a.status === 'failed')) {
        assert.equal(a.exception?.type, 'JobLost', JSON.stringify(a));
        lost++;
      }
    }
    // Only the tasks that were running have a lost attempt; those that waited were queued again as they were.
    assert.equal(lost, restarted);
  } finally {
    await metadata.close();
  }
});
