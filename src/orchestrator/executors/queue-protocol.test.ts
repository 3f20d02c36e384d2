import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { biggerFirst, fits, jobIdOf, queueKeys, queueNameOf, redactUrl, requirementOf } from './queue-protocol.js';
import { idleNotice } from './queue-idle.js';
import { resolveExecutorSettings, resolveQueueSettings } from './choose.js';

test('a task needs what its @resources names and nothing else', () => {
  assert.deepEqual(requirementOf(undefined), { cpu: 0, memory: 0, gpu: 0 });
  assert.deepEqual(requirementOf({ cpu: 8 }), { cpu: 8, memory: 0, gpu: 0 });
  assert.deepEqual(requirementOf({ cpu: 0.5, memory: 2048, gpu: 1 }), { cpu: 0.5, memory: 2048, gpu: 1 });
});

test('each resource class has its own queue, named without the ":" BullMQ refuses', () => {
  assert.equal(queueNameOf(requirementOf({})), 'tasks-c0-m0-g0');
  assert.equal(queueNameOf(requirementOf({ cpu: 0.5, memory: 512, gpu: 2 })), 'tasks-c0.5-m512-g2');
  assert.notEqual(queueNameOf(requirementOf({ cpu: 1 })), queueNameOf(requirementOf({ memory: 1 })));
  assert.doesNotMatch(queueNameOf(requirementOf({ cpu: 3, memory: 4, gpu: 5 })), /:/);
});

test('a requirement fits a capacity only when every resource does', () => {
  const have = { cpu: 8, memory: 16_000, gpu: 0 };
  assert.equal(fits({ cpu: 8, memory: 16_000, gpu: 0 }, have), true);
  assert.equal(fits({ cpu: 8.5, memory: 0, gpu: 0 }, have), false);
  assert.equal(fits({ cpu: 0, memory: 16_001, gpu: 0 }, have), false);
  assert.equal(fits({ cpu: 0, memory: 0, gpu: 1 }, have), false);
});

test('larger classes come first: gpu, then cpu, then memory', () => {
  const classes = [{ cpu: 1, memory: 0, gpu: 0 }, { cpu: 0, memory: 9000, gpu: 0 }, { cpu: 0, memory: 0, gpu: 1 }, { cpu: 4, memory: 0, gpu: 0 }];
  assert.deepEqual([...classes].sort(biggerFirst), [classes[2], classes[3], classes[0], classes[1]]);
});

test('a job id names one attempt of one task', () => {
  const key = { flow: 'F', runId: '17', step: 'train', taskId: '4', attempt: 2 };
  assert.equal(jobIdOf(key), 'F/17/train/4/2');
  assert.notEqual(jobIdOf(key), jobIdOf({ ...key, attempt: 3 }));
  assert.equal(queueKeys('team').run('F', '17'), 'team:run:F/17');
});

test('URLs in messages lose their password', () => {
  assert.equal(redactUrl('redis://:s3cret@redis.internal:6379/0'), 'redis://:***@redis.internal:6379/0');
  assert.equal(redactUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
});

test('the idle notice says what is missing: any worker, one big enough, or a free one', () => {
  const where = 'Redis redis://r:6379, queue prefix cairn';
  const big = { step: 'train', need: { cpu: 0, memory: 0, gpu: 1 }, since: 0 };
  const small = { step: 'prep', need: { cpu: 0, memory: 0, gpu: 0 }, since: 0 };
  assert.deepEqual(idleNotice([small], [], { seconds: 30, anyStarted: false, where }), [
    'No worker has taken a task yet (30 s); start one with `cairn worker` (Redis redis://r:6379, queue prefix cairn).',
  ]);
  const ad = { name: 'w', host: 'h', pid: 1, capacity: { cpu: 2, memory: 4096, gpu: 0 }, concurrency: 2, running: 2 };
  const lines = idleNotice([big, small], [ad], { seconds: 30, anyStarted: true, where });
  assert.equal(lines[0], 'No worker has taken a task for 30 s; 1 worker is connected (Redis redis://r:6379, queue prefix cairn).');
  assert.match(lines[1]!, /Step train needs cpu 0, memory 0 MB, gpu 1 \(@resources\), which no connected worker has \(the largest advertises cpu 2, memory 4096 MB, gpu 0\); start a worker that does: `cairn worker --gpu 1`\./);
  assert.equal(lines[2], '    Step prep: 1 connected worker fits its needs but is busy.');
});

test('the executor comes from the option, then CAIRN_EXECUTOR, then the config file, else local', () => {
  const root = mkdtempSync(join(tmpdir(), 'cairn-exec-'));
  try {
    assert.equal(resolveExecutorSettings({ localRoot: root, env: {} }).kind, 'local');
    writeFileSync(join(root, 'config.json'), JSON.stringify({ executor: 'queue', redisUrl: 'redis://file:1', queuePrefix: 'fromfile' }));
    assert.deepEqual(resolveExecutorSettings({ localRoot: root, env: {} }), { kind: 'queue', redisUrl: 'redis://file:1', prefix: 'fromfile' });
    assert.equal(resolveExecutorSettings({ localRoot: root, env: { CAIRN_EXECUTOR: 'local' } }).kind, 'local');
    assert.equal(resolveExecutorSettings({ localRoot: root, env: { CAIRN_EXECUTOR: 'local' }, option: 'queue' }).kind, 'queue');
    const fromEnv = resolveQueueSettings({ localRoot: root, env: { CAIRN_REDIS_URL: 'redis://env:2', CAIRN_QUEUE_PREFIX: 'fromenv' } });
    assert.deepEqual(fromEnv, { redisUrl: 'redis://env:2', prefix: 'fromenv' });
    assert.deepEqual(resolveQueueSettings({ localRoot: root, env: {}, redisUrl: 'redis://opt:3', prefix: 'opt' }), { redisUrl: 'redis://opt:3', prefix: 'opt' });
    assert.throws(() => resolveExecutorSettings({ localRoot: root, env: { CAIRN_EXECUTOR: 'k8s' } }), {
      code: 'INVALID_ARGUMENT',
      message: 'CAIRN_EXECUTOR must be local or queue; got "k8s".',
    });
    assert.throws(() => resolveQueueSettings({ localRoot: root, env: { CAIRN_QUEUE_PREFIX: 'a b' } }), /The queue prefix \(CAIRN_QUEUE_PREFIX\) must be/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('without any setting the queue is redis://127.0.0.1:6379 under the prefix cairn', () => {
  const root = mkdtempSync(join(tmpdir(), 'cairn-exec-'));
  try {
    assert.deepEqual(resolveQueueSettings({ localRoot: root, env: {} }), { redisUrl: 'redis://127.0.0.1:6379', prefix: 'cairn' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
