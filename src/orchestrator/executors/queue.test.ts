/**
 * The queue executor against a real Redis, with the test playing the worker through BullMQ: what
 * goes on the queue, the run's messages, the first result of an attempt winning, the cap on tasks
 * in flight, and cancellation. Skipped, saying why, without CAIRN_TEST_REDIS_URL.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { TaskSpec } from '../../runtime/protocol.js';
import { QueueExecutor } from './queue.js';
import { jobIdOf, queueKeys, type JobResult, type RunMessage } from './queue-protocol.js';
import type { ExecutionResult, TaskEvents } from './types.js';

const redisUrl = process.env['CAIRN_TEST_REDIS_URL'];

function spec(taskId: string, resources: TaskSpec['resources'] = {}): TaskSpec {
  return {
    flow: 'QFlow', runId: '1', step: 'work', taskId, attempt: 0,
    code: { sha: 'a'.repeat(40), className: 'QFlow', sourceFile: 'q.ts' }, codeDir: '/tmp/code',
    store: { root: '/tmp/store', artifacts: { kind: 'local', root: '/tmp/store' } }, resources,
    inputs: [], params: { flow: 'QFlow', runId: '1', step: '_parameters', taskId: '0', attempt: 0 }, foreachStack: [],
    expected: { type: 'linear', out: ['end'] }, maxNumSplits: 100, user: 'u', namespace: 'user:u', tags: [], parameterNames: [],
    originRunId: null, environment: {},
  };
}

function recorder() {
  const starts: number[] = [];
  const lines: string[] = [];
  const events: TaskEvents = { onStart: (pid) => starts.push(pid), onLog: (_s, l) => lines.push(...l) };
  return { starts, lines, events };
}

const ok = (pid: number, artifactCount: number): JobResult => ({
  outcome: { ok: true, next: ['end'], artifactCount }, logs: { stdout: null, stderr: null }, pid, worker: 'test',
});

async function eventually<T>(fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('gave up waiting');
}

if (!redisUrl) {
  test('the queue executor against Redis', { skip: 'CAIRN_TEST_REDIS_URL is not set (scripts/services.sh start DIR; . DIR/env.sh)' }, () => {});
} else {
  const prefix = `cairn-unit-${randomBytes(4).toString('hex')}`;
  const keys = queueKeys(prefix);
  const client = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const workers: Worker[] = [];
  const worker = (queue: string) => {
    const w = new Worker(queue, null, { connection: client, prefix, autorun: false });
    workers.push(w);
    return w;
  };
  const take = (w: Worker, token: string) => eventually(async () => ((await w.getNextJob(token, { block: false })) as Job | undefined) ?? undefined);
  const send = (m: RunMessage) => client.publish(keys.run('QFlow', '1'), JSON.stringify(m));
  const connect = (maxInFlight: number) => QueueExecutor.connect({ redisUrl, prefix, maxInFlight, notice: () => {}, idleNoticeMs: 60_000 });

  after(async () => {
    for (const w of workers) await w.close(true);
    const found = await client.keys(`${prefix}:*`);
    if (found.length) await client.del(...found);
    client.disconnect();
  });

  test('a task becomes a job of its class; its start and lines reach the run, and the first result counts', async () => {
    const executor = await connect(4);
    const r = recorder();
    const done = executor.submit(spec('1', { cpu: 2 }), r.events);
    const registered = await eventually(async () => (await client.hget(keys.classes, 'tasks-c2-m0-g0')) ?? undefined);
    assert.deepEqual(JSON.parse(registered), { cpu: 2, memory: 0, gpu: 0 });
    const w = worker('tasks-c2-m0-g0');
    const job = await take(w, 't1');
    assert.equal(job.id, 'QFlow/1/work/1/0');
    assert.deepEqual(job.data, spec('1', { cpu: 2 }));
    await send({ type: 'start', job: job.id!, pid: 4242, worker: 'test' });
    await send({ type: 'log', job: job.id!, stream: 'stdout', lines: ['hello'], at: Date.now() });
    await send({ type: 'done', job: job.id!, result: ok(4242, 1) });
    await send({ type: 'done', job: job.id!, result: ok(4242, 2) });
    await job.moveToCompleted(ok(4242, 3), 't1', false);
    const result: ExecutionResult = await done;
    assert.deepEqual(result.outcome, { ok: true, next: ['end'], artifactCount: 1 });
    assert.deepEqual(r.starts, [4242]);
    assert.deepEqual(r.lines, ['hello']);
    await executor.shutdown();
  });

  test('a result without a heard start still starts the task first; a stalled job is a lost worker', async () => {
    const executor = await connect(4);
    const a = recorder();
    const first = executor.submit(spec('2'), a.events);
    const w = worker('tasks-c0-m0-g0');
    const job = await take(w, 't2');
    await job.moveToCompleted(ok(7, 0), 't2', false); // no start, no done message: BullMQ's event only
    assert.equal((await first).outcome.ok, true);
    assert.deepEqual(a.starts, [7]);

    const b = recorder();
    const second = executor.submit(spec('3'), b.events);
    const held = await take(w, 't3');
    await send({ type: 'start', job: held.id!, pid: 9, worker: 'gone' });
    await client.xadd(`${prefix}:tasks-c0-m0-g0:events`, '*', 'event', 'stalled', 'jobId', held.id!);
    const lost = await second;
    assert.deepEqual(lost.outcome, { ok: false, exception: { type: 'WorkerLost', message: 'The worker gone running this task stopped responding (it died or lost its connection to Redis).' } });
    await executor.shutdown();
  });

  test('at most maxInFlight tasks are on the queue; cancelling drops the rest and takes them off the queue', async () => {
    const executor = await connect(2);
    const results = ['10', '11', '12', '13'].map((id) => executor.submit(spec(id, { memory: 64 }), recorder().events));
    const waiting = await eventually(async () => {
      const n = await client.llen(`${prefix}:tasks-c0-m64-g0:wait`);
      return n > 0 ? n : undefined;
    });
    await new Promise((r) => setTimeout(r, 100)); // nothing more arrives
    assert.equal(waiting, 2);
    assert.equal(await client.llen(`${prefix}:tasks-c0-m64-g0:wait`), 2);
    executor.cancelPending('stop');
    for (const r of await Promise.all(results)) assert.deepEqual(r.outcome, { ok: false, exception: { type: 'Cancelled', message: 'stop' } });
    await executor.shutdown();
    assert.equal(await client.llen(`${prefix}:tasks-c0-m64-g0:wait`), 0);
    for (const id of ['10', '11']) assert.equal(await client.exists(keys.cancelled(jobIdOf({ ...spec(id), attempt: 0 }))), 1);
  });

  test('aborting a running task resolves it with the reason and tells its worker to stop', async () => {
    const executor = await connect(2);
    const sub = client.duplicate();
    const cancels: string[] = [];
    await sub.subscribe(keys.cancel);
    sub.on('message', (_c: string, id: string) => cancels.push(id));
    const abort = new AbortController();
    const r = recorder();
    const done = executor.submit(spec('20', { gpu: 1 }), r.events, abort.signal);
    const w = worker('tasks-c0-m0-g1');
    const job = await take(w, 't20');
    await send({ type: 'start', job: job.id!, pid: 5, worker: 'test' });
    await eventually(async () => (r.starts.length ? true : undefined));
    abort.abort({ type: 'TimeoutError', message: 'too slow' });
    assert.deepEqual((await done).outcome, { ok: false, exception: { type: 'TimeoutError', message: 'too slow' } });
    await eventually(async () => (cancels.includes(job.id!) ? true : undefined));
    await executor.shutdown();
    sub.disconnect();
  });
}
