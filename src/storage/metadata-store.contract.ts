/**
 * The behaviour every MetadataStore backend must have. A backend's test file calls
 * `metadataStoreContract(name, make)`; `make` returns a fresh, empty store for each test.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskKey } from '../core/types.js';
import { rejectsWithCode } from './store-helpers.fixture.js';
import type { MetadataStore, NewRun, NewTask, RunRow } from './types.js';

export interface MetadataStoreFixture {
  store: MetadataStore;
  cleanup(): Promise<void> | void;
  /** Opens another connection to the same data, as a second process would (skips that test if absent). */
  connectAgain?(): Promise<MetadataStore>;
}

const FLOW = 'ContractFlow';

export function newRun(runId: string, over: Partial<NewRun> = {}): NewRun {
  return {
    flow: FLOW, runId, user: 'alice', createdAt: 1_700_000_000_000, userTags: [], systemTags: ['user:alice'],
    params: {}, codePackage: null, ...over,
  };
}

function newTask(taskId: string, over: Partial<NewTask> = {}): NewTask {
  return { flow: FLOW, runId: 'r1', step: 'start', taskId, createdAt: 1_700_000_000_100, foreachStack: [], parents: [], ...over };
}

const ids = (runs: RunRow[]): string[] => runs.map((r) => r.runId);

export function metadataStoreContract(name: string, make: () => Promise<MetadataStoreFixture>): void {
  const withStore = async (fn: (fx: MetadataStoreFixture) => Promise<void>): Promise<void> => {
    const fx = await make();
    try {
      await fn(fx);
    } finally {
      await fx.store.close();
      await fx.cleanup();
    }
  };

  describe(`MetadataStore contract: ${name}`, () => {
    it('creates a run and reads back every field', () =>
      withStore(async ({ store }) => {
        const run = newRun('r1', {
          userTags: ['exp', 'b'], systemTags: ['user:alice', 'runtime:dev'], params: { alpha: 0.1, cfg: { depth: 3 } },
          codePackage: 'a'.repeat(40), originRunId: 'r0',
        });
        await store.createRun(run);
        assert.deepEqual(await store.getRun(FLOW, 'r1'), {
          flow: FLOW, runId: 'r1', user: 'alice', createdAt: run.createdAt, finishedAt: null, status: 'running',
          userTags: ['exp', 'b'], systemTags: ['user:alice', 'runtime:dev'], params: { alpha: 0.1, cfg: { depth: 3 } },
          codePackage: 'a'.repeat(40), originRunId: 'r0', heartbeatAt: null, heartbeatIntervalMs: null,
        });
        assert.equal((await store.getRun(FLOW, 'nope')), undefined);
        await store.createRun(newRun('r2'));
        assert.equal((await store.getRun(FLOW, 'r2'))?.originRunId, null);
      }));

    it('rejects a run id that exists in the flow, but not in another flow', () =>
      withStore(async ({ store }) => {
        await store.createRun(newRun('r1'));
        await rejectsWithCode(() => store.createRun(newRun('r1', { createdAt: 5 })), 'INVALID_ARGUMENT', /r1/);
        await store.createRun(newRun('r1', { flow: 'OtherFlow' }));
        assert.deepEqual(await store.listFlows(), ['ContractFlow', 'OtherFlow']);
      }));

    it('finishes a run with its status and time', () =>
      withStore(async ({ store }) => {
        await store.createRun(newRun('r1'));
        await store.finishRun(FLOW, 'r1', 'succeeded', 1_700_000_009_000);
        const run = await store.getRun(FLOW, 'r1');
        assert.equal(run?.status, 'succeeded');
        assert.equal(run?.finishedAt, 1_700_000_009_000);
        await rejectsWithCode(() => store.finishRun(FLOW, 'missing', 'failed', 1), 'NOT_FOUND');
      }));

    it('records heartbeats of a running run in the reader\'s clock, and none after it finished', () =>
      withStore(async ({ store }) => {
        const before = Date.now();
        await store.createRun(newRun('r1', { heartbeatIntervalMs: 250 }));
        const created = await store.getRun(FLOW, 'r1');
        assert.equal(created?.heartbeatIntervalMs, 250);
        // The first heartbeat is the creation (within a second of this clock, whatever the server's says).
        assert.ok(created?.heartbeatAt !== null && Math.abs(created!.heartbeatAt! - before) < 1000, String(created?.heartbeatAt));
        await new Promise((r) => setTimeout(r, 30));
        await store.heartbeat(FLOW, 'r1');
        const beaten = (await store.getRun(FLOW, 'r1'))!.heartbeatAt!;
        assert.ok(beaten > created!.heartbeatAt!, `${beaten} > ${created!.heartbeatAt}`);
        assert.equal((await store.listRuns({ flow: FLOW }))[0]?.heartbeatIntervalMs, 250);

        await store.finishRun(FLOW, 'r1', 'failed', 1_700_000_009_000);
        const finished = (await store.getRun(FLOW, 'r1'))!;
        // Read in the reader's clock, two reads of one heartbeat differ by the jitter of a round trip
        // to the server (tens of ms on a loaded machine): wait well beyond it.
        await new Promise((r) => setTimeout(r, 400));
        await store.heartbeat(FLOW, 'r1');
        const after = (await store.getRun(FLOW, 'r1'))!.heartbeatAt!;
        assert.ok(Math.abs(after - finished.heartbeatAt!) < 200, `${after} vs ${finished.heartbeatAt}: no heartbeat after the end`);

        // A run created without a heartbeat never gets one, and a missing run is no error.
        await store.createRun(newRun('r2'));
        await store.heartbeat(FLOW, 'r2');
        await store.heartbeat(FLOW, 'missing');
        assert.deepEqual([(await store.getRun(FLOW, 'r2'))?.heartbeatAt, (await store.getRun(FLOW, 'r2'))?.heartbeatIntervalMs], [null, null]);
      }));

    it('lists 1000 runs newest first and pages through them with before', () =>
      withStore(async ({ store }) => {
        for (let i = 0; i < 1000; i++) {
          // Pairs of runs share a creation time, so ties are broken by run id.
          const runId = String(1_700_000_000_000_000 + i);
          await store.createRun(newRun(runId, { createdAt: 1_700_000_000_000 + Math.floor(i / 2) }));
        }
        const all = await store.listRuns({ flow: FLOW });
        assert.equal(all.length, 1000);
        const expected = Array.from({ length: 1000 }, (_, i) => String(1_700_000_000_000_000 + 999 - i));
        assert.deepEqual(ids(all), expected);

        const paged: RunRow[] = [];
        let before: { createdAt: number; runId: string } | undefined;
        for (;;) {
          const page = await store.listRuns({ flow: FLOW, limit: 37, ...(before ? { before } : {}) });
          paged.push(...page);
          const last = page.at(-1);
          if (page.length < 37 || !last) break;
          before = { createdAt: last.createdAt, runId: last.runId };
        }
        assert.deepEqual(ids(paged), expected);
        assert.deepEqual(ids(await store.listRuns({ flow: FLOW, limit: 3 })), expected.slice(0, 3));
        assert.deepEqual(await store.listRuns({ flow: 'NoSuchFlow' }), []);
      }));

    it('filters runs by tags, all of which must be present, user or system', () =>
      withStore(async ({ store }) => {
        await store.createRun(newRun('r1', { createdAt: 1, userTags: ['exp'], systemTags: ['user:alice'] }));
        await store.createRun(newRun('r2', { createdAt: 2, userTags: ['exp', 'big'], systemTags: ['user:bob'] }));
        await store.createRun(newRun('r3', { createdAt: 3, userTags: [], systemTags: ['user:alice', 'big'] }));
        await store.createRun(newRun('r4', { createdAt: 4, userTags: ['exp', 'big'], systemTags: ['user:alice'] }));
        assert.deepEqual(ids(await store.listRuns({ flow: FLOW, tags: ['exp'] })), ['r4', 'r2', 'r1']);
        assert.deepEqual(ids(await store.listRuns({ flow: FLOW, tags: ['user:alice'] })), ['r4', 'r3', 'r1']);
        assert.deepEqual(ids(await store.listRuns({ flow: FLOW, tags: ['big', 'user:alice'] })), ['r4', 'r3']);
        assert.deepEqual(ids(await store.listRuns({ flow: FLOW, tags: ['big', 'exp', 'user:alice'] })), ['r4']);
        assert.deepEqual(ids(await store.listRuns({ flow: FLOW, tags: ['exp', 'exp'] })), ['r4', 'r2', 'r1']);
        assert.deepEqual(ids(await store.listRuns({ flow: FLOW, tags: ['nope'] })), []);
        assert.deepEqual(ids(await store.listRuns({ flow: FLOW, tags: [] })), ['r4', 'r3', 'r2', 'r1']);
        const page = await store.listRuns({ flow: FLOW, tags: ['exp'], limit: 1, before: { createdAt: 4, runId: 'r4' } });
        assert.deepEqual(ids(page), ['r2']);
      }));

    it('counts runs by status, with every tag given, and returns the running ones', () =>
      withStore(async ({ store }) => {
        for (const [i, status] of (['succeeded', 'failed', 'running', 'succeeded', 'running'] as const).entries()) {
          await store.createRun(newRun(`r${i}`, { createdAt: i, userTags: i % 2 === 1 ? ['odd'] : [] }));
          if (status !== 'running') await store.finishRun(FLOW, `r${i}`, status, 100 + i);
        }
        const all = await store.countRuns({ flow: FLOW });
        assert.deepEqual([all.succeeded, all.failed, ids(all.running)], [2, 1, ['r4', 'r2']]);
        assert.equal(all.running[0]?.status, 'running');
        const odd = await store.countRuns({ flow: FLOW, tags: ['odd', 'odd'] });
        assert.deepEqual([odd.succeeded, odd.failed, ids(odd.running)], [1, 1, []]);
        assert.deepEqual(await store.countRuns({ flow: 'NoSuchFlow' }), { succeeded: 0, failed: 0, running: [] });
      }));

    it('lists only successful runs when asked', () =>
      withStore(async ({ store }) => {
        for (const [i, status] of (['succeeded', 'failed', 'running', 'succeeded'] as const).entries()) {
          await store.createRun(newRun(`r${i}`, { createdAt: i, userTags: i === 3 ? ['x'] : [] }));
          if (status !== 'running') await store.finishRun(FLOW, `r${i}`, status, 100 + i);
        }
        assert.deepEqual(ids(await store.listRuns({ flow: FLOW, successfulOnly: true })), ['r3', 'r0']);
        assert.deepEqual(ids(await store.listRuns({ flow: FLOW, successfulOnly: true, limit: 1 })), ['r3']);
        assert.deepEqual(ids(await store.listRuns({ flow: FLOW, successfulOnly: true, tags: ['x'] })), ['r3']);
        assert.deepEqual(
          ids(await store.listRuns({ flow: FLOW, successfulOnly: true, before: { createdAt: 3, runId: 'r3' } })),
          ['r0'],
        );
      }));

    it('replaces the user tags of a run and keeps its system tags', () =>
      withStore(async ({ store }) => {
        await store.createRun(newRun('r1', { userTags: ['old'], systemTags: ['user:alice'] }));
        await store.setUserTags(FLOW, 'r1', ['new', 'other', 'new']);
        const run = await store.getRun(FLOW, 'r1');
        assert.deepEqual(run?.userTags, ['new', 'other']);
        assert.deepEqual(run?.systemTags, ['user:alice']);
        assert.deepEqual(ids(await store.listRuns({ flow: FLOW, tags: ['old'] })), []);
        assert.deepEqual(ids(await store.listRuns({ flow: FLOW, tags: ['new', 'user:alice'] })), ['r1']);
        await store.setUserTags(FLOW, 'r1', []);
        assert.deepEqual((await store.getRun(FLOW, 'r1'))?.userTags, []);
        await rejectsWithCode(() => store.setUserTags(FLOW, 'missing', ['x']), 'NOT_FOUND');
      }));

    it('records a task through failed and successful attempts', () =>
      withStore(async ({ store }) => {
        await store.createRun(newRun('r1'));
        const frame = { step: 'split', var: 'shards', numSplits: 3, index: 1, listSha: 'b'.repeat(40) };
        const key: TaskKey = { flow: FLOW, runId: 'r1', step: 'train', taskId: '5' };
        await store.createTask(newTask('5', { step: 'train', createdAt: 10, foreachStack: [frame], parents: ['split/4'] }));
        assert.deepEqual(await store.getTask(key), {
          ...key, createdAt: 10, finishedAt: null, status: 'pending', attempt: 0, doneAttempt: null,
          foreachStack: [frame], parents: ['split/4'], originPathspec: null,
        });

        await store.startAttempt(key, 0, 11, 4242);
        assert.equal((await store.getTask(key))?.status, 'running');
        const exception = { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' };
        await store.finishAttempt(key, 0, { status: 'failed', finishedAt: 12, exception, logs: { stdout: '/o0', stderr: '/e0' } });
        await store.startAttempt(key, 1, 13, null);
        assert.equal((await store.getTask(key))?.attempt, 1);
        await store.finishAttempt(key, 1, { status: 'succeeded', finishedAt: 14 });
        await store.finishTask(key, 'succeeded', 15, 1);

        const task = await store.getTask(key);
        assert.equal(task?.status, 'succeeded');
        assert.equal(task?.finishedAt, 15);
        assert.equal(task?.doneAttempt, 1);
        assert.deepEqual(await store.listAttempts(key), [
          { ...key, attempt: 0, startedAt: 11, finishedAt: 12, status: 'failed', exception, logs: { stdout: '/o0', stderr: '/e0' }, pid: 4242 },
          { ...key, attempt: 1, startedAt: 13, finishedAt: 14, status: 'succeeded', exception: null, logs: { stdout: null, stderr: null }, pid: null },
        ]);
        const other: TaskKey = { ...key, taskId: '6' };
        await store.createTask(newTask('6', { step: 'train' }));
        await store.startAttempt(other, 0, 16, null);
        assert.deepEqual(await store.listStepAttempts(FLOW, key.runId, 'train'), [...(await store.listAttempts(key)), ...(await store.listAttempts(other))]);
        assert.deepEqual(await store.listStepAttempts(FLOW, key.runId, 'nope'), []);
      }));

    it('records a task that failed for good, and a task cloned from another run', () =>
      withStore(async ({ store }) => {
        await store.createRun(newRun('r1'));
        const failed: TaskKey = { flow: FLOW, runId: 'r1', step: 'start', taskId: '1' };
        await store.createTask(newTask('1'));
        await store.startAttempt(failed, 0, 1, 1);
        await store.finishAttempt(failed, 0, { status: 'failed', finishedAt: 2, exception: { type: 'TypeError', message: 'x' } });
        await store.finishTask(failed, 'failed', 3, null);
        assert.equal((await store.getTask(failed))?.status, 'failed');
        assert.equal((await store.getTask(failed))?.doneAttempt, null);
        assert.deepEqual((await store.listAttempts(failed))[0]?.exception, { type: 'TypeError', message: 'x' });

        const cloned: TaskKey = { ...failed, taskId: '2' };
        await store.createTask(newTask('2', { originPathspec: 'r0/start/1' }));
        await store.finishTask(cloned, 'succeeded', 4, 0);
        const row = await store.getTask(cloned);
        assert.equal(row?.originPathspec, 'r0/start/1');
        assert.equal(row?.status, 'succeeded');
        assert.deepEqual(await store.listAttempts(cloned), []);
        assert.deepEqual(await store.listStepAttempts(FLOW, 'r1', 'start'), await store.listAttempts(failed));
      }));

    it('rejects task and attempt writes that do not fit what exists', () =>
      withStore(async ({ store }) => {
        await store.createRun(newRun('r1'));
        const key: TaskKey = { flow: FLOW, runId: 'r1', step: 'start', taskId: '1' };
        await rejectsWithCode(() => store.createTask(newTask('1', { runId: 'missing' })), 'NOT_FOUND');
        await rejectsWithCode(() => store.startAttempt(key, 0, 1, null), 'NOT_FOUND');
        await store.createTask(newTask('1'));
        await rejectsWithCode(() => store.createTask(newTask('1')), 'INVALID_ARGUMENT');
        await rejectsWithCode(() => store.finishAttempt(key, 0, { status: 'succeeded', finishedAt: 2 }), 'NOT_FOUND');
        await store.startAttempt(key, 0, 1, null);
        await rejectsWithCode(() => store.startAttempt(key, 0, 1, null), 'INVALID_ARGUMENT');
        await rejectsWithCode(() => store.finishTask({ ...key, taskId: '9' }, 'succeeded', 2, 0), 'NOT_FOUND');
        assert.equal(await store.getTask({ ...key, taskId: '9' }), undefined);
      }));

    it('deletes a run with its tags, tasks and attempts, and leaves other runs alone', () =>
      withStore(async ({ store }) => {
        await store.createRun(newRun('r1', { userTags: ['keep'] }));
        await store.createRun(newRun('r2', { userTags: ['keep'] }));
        const t1: TaskKey = { flow: FLOW, runId: 'r1', step: 'start', taskId: '1' };
        await store.createTask(newTask('1'));
        await store.startAttempt(t1, 0, 5, 1);
        await store.createTask(newTask('1', { runId: 'r2' }));
        assert.equal(await store.deleteRun(FLOW, 'r1'), true);
        assert.equal(await store.getRun(FLOW, 'r1'), undefined);
        assert.deepEqual(await store.listTasks(FLOW, 'r1'), []);
        assert.deepEqual(await store.listAttempts(t1), []);
        assert.deepEqual(ids(await store.listRuns({ flow: FLOW, tags: ['keep'] })), ['r2']);
        assert.equal((await store.listTasks(FLOW, 'r2')).length, 1);
        assert.equal(await store.deleteRun(FLOW, 'r1'), false, 'a second delete finds nothing');
        assert.equal(await store.deleteRun(FLOW, 'never'), false);
        // The id can be used again once the run is gone.
        await store.createRun(newRun('r1'));
        assert.equal((await store.getRun(FLOW, 'r1'))?.userTags.length, 0);
      }));

    it('files tasks under cache keys, finds the newest in the same flow and namespace, and drops them with their run', () =>
      withStore(async ({ store }) => {
        await store.createRun(newRun('r1'));
        await store.createRun(newRun('r2'));
        await store.createTask(newTask('1'));
        await store.createTask(newTask('4', { runId: 'r2' }));
        const entry = { flow: FLOW, runId: 'r1', step: 'start', taskId: '1', attempt: 1, key: 'k'.repeat(40), namespace: 'user:alice', createdAt: 10 };
        await store.recordCacheEntry(entry);
        await store.recordCacheEntry(entry); // filing it again changes nothing
        assert.deepEqual(await store.findCacheEntry(FLOW, entry.key, 'user:alice'), entry);
        assert.equal(await store.findCacheEntry(FLOW, entry.key, 'user:bob'), undefined, 'another namespace');
        assert.equal(await store.findCacheEntry('OtherFlow', entry.key, 'user:alice'), undefined, 'another flow');
        assert.equal(await store.findCacheEntry(FLOW, 'x'.repeat(40), 'user:alice'), undefined, 'another key');
        const newer = { ...entry, runId: 'r2', taskId: '4', attempt: 0, createdAt: 20 };
        await store.recordCacheEntry(newer);
        assert.deepEqual(await store.findCacheEntry(FLOW, entry.key, 'user:alice'), newer);
        await rejectsWithCode(() => store.recordCacheEntry({ ...entry, taskId: '99' }), 'NOT_FOUND');
        await store.deleteRun(FLOW, 'r2');
        assert.deepEqual(await store.findCacheEntry(FLOW, entry.key, 'user:alice'), entry);
      }));

    it('lists tasks in numeric task-id order, for a run or one step', () =>
      withStore(async ({ store }) => {
        await store.createRun(newRun('r1'));
        for (const [taskId, step] of [['2', 'start'], ['10', 'train'], ['9', 'train'], ['11', 'end'], ['1', 'start']] as const) {
          await store.createTask(newTask(taskId, { step }));
        }
        assert.deepEqual((await store.listTasks(FLOW, 'r1')).map((t) => t.taskId), ['1', '2', '9', '10', '11']);
        assert.deepEqual((await store.listTasks(FLOW, 'r1', 'train')).map((t) => t.taskId), ['9', '10']);
        assert.deepEqual(await store.listTasks(FLOW, 'r1', 'nope'), []);
        assert.deepEqual(await store.listTasks(FLOW, 'r2'), []);
      }));

    it('groups tasks into steps, finished only when all their tasks are', () =>
      withStore(async ({ store }) => {
        await store.createRun(newRun('r1'));
        await store.createTask(newTask('1', { step: 'start', createdAt: 100 }));
        await store.createTask(newTask('2', { step: 'train', createdAt: 200 }));
        await store.createTask(newTask('3', { step: 'train', createdAt: 210 }));
        await store.finishTask({ flow: FLOW, runId: 'r1', step: 'start', taskId: '1' }, 'succeeded', 150, 0);
        await store.finishTask({ flow: FLOW, runId: 'r1', step: 'train', taskId: '3' }, 'succeeded', 400, 0);
        const base = { flow: FLOW, runId: 'r1' };
        assert.deepEqual(await store.listSteps(FLOW, 'r1'), [
          { ...base, step: 'start', createdAt: 100, finishedAt: 150, taskCount: 1 },
          { ...base, step: 'train', createdAt: 200, finishedAt: null, taskCount: 2 },
        ]);
        await store.finishTask({ flow: FLOW, runId: 'r1', step: 'train', taskId: '2' }, 'failed', 300, null);
        assert.deepEqual((await store.listSteps(FLOW, 'r1'))[1], { ...base, step: 'train', createdAt: 200, finishedAt: 400, taskCount: 2 });
        assert.deepEqual(await store.listSteps(FLOW, 'r9'), []);
      }));

    it('shows one connection what another wrote, and takes writes from both', async (t) => {
      const fx = await make();
      try {
        if (!fx.connectAgain) {
          t.skip('this backend offers no second connection');
          return;
        }
        const other = await fx.connectAgain();
        try {
          await fx.store.createRun(newRun('r1', { createdAt: 1 }));
          await other.createRun(newRun('r2', { createdAt: 2 }));
          await other.createTask(newTask('1'));
          await fx.store.startAttempt({ flow: FLOW, runId: 'r1', step: 'start', taskId: '1' }, 0, 5, 1);
          await other.setUserTags(FLOW, 'r1', ['seen']);
          for (const s of [fx.store, other]) {
            assert.deepEqual(ids(await s.listRuns({ flow: FLOW })), ['r2', 'r1']);
            assert.deepEqual(ids(await s.listRuns({ flow: FLOW, tags: ['seen'] })), ['r1']);
            assert.equal((await s.getTask({ flow: FLOW, runId: 'r1', step: 'start', taskId: '1' }))?.status, 'running');
          }
        } finally {
          await other.close();
        }
      } finally {
        await fx.store.close();
        await fx.cleanup();
      }
    });
  });
}
