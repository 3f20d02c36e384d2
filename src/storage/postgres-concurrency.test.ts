import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import type { TaskKey } from '../core/types.js';
import { newRun } from './metadata-store.contract.js';
import { PostgresMetadataStore, runQuerySql } from './postgres-metadata-store.js';
import { postgresSkipReason, TestDatabase, POSTGRES_TEST_ENV } from './postgres-test-db.fixture.js';
import { rejectsWithCode } from './store-helpers.fixture.js';

const skip = postgresSkipReason();
const adminUrl = process.env[POSTGRES_TEST_ENV];
const FLOW = 'ContractFlow';
const runId = (i: number): string => String(1_700_000_000_000_000 + i);

if (skip !== undefined || adminUrl === undefined) {
  test('Postgres metadata store under concurrency', { skip }, () => undefined);
} else {
  let db: TestDatabase;
  before(async () => {
    db = await TestDatabase.create(adminUrl, 'concurrency');
  });
  after(() => db.drop());

  /** `n` stores on one fresh schema, as `n` processes would have; closed and dropped after `fn`. */
  async function withStores(n: number, fn: (stores: PostgresMetadataStore[], url: string) => Promise<void>): Promise<void> {
    const { schema, url } = await db.freshSchema();
    const stores: PostgresMetadataStore[] = [];
    try {
      for (let i = 0; i < n; i++) stores.push(await PostgresMetadataStore.open(url));
      await fn(stores, url);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await db.dropSchema(schema);
    }
  }

  /** One orchestrator's run: every task written in bursts, as a wide foreach does. */
  async function orchestrate(store: PostgresMetadataStore, runId: string, user: string, tasks: number): Promise<void> {
    await store.createRun(newRun(runId, { user, systemTags: [`user:${user}`], createdAt: Date.now() }));
    const keys: TaskKey[] = Array.from({ length: tasks }, (_, i) => ({ flow: FLOW, runId, step: i === 0 ? 'start' : 'train', taskId: String(i + 1) }));
    await Promise.all(keys.map((k, i) => store.createTask({ ...k, createdAt: 1000 + i, foreachStack: [], parents: i === 0 ? [] : ['start/1'] })));
    await Promise.all(keys.map((k) => store.startAttempt(k, 0, 2000, 4242)));
    await Promise.all(keys.map((k) => store.finishAttempt(k, 0, { status: 'succeeded', finishedAt: 3000, logs: { stdout: `/logs/${k.taskId}`, stderr: null } })));
    await Promise.all(keys.map((k) => store.finishTask(k, 'succeeded', 3000, 0)));
    await store.finishRun(FLOW, runId, 'succeeded', 4000);
  }

  describe('PostgresMetadataStore: concurrency', () => {
    it('keeps the runs of several orchestrators writing at once apart and whole', () =>
      withStores(4, async (stores) => {
        await Promise.all(stores.flatMap((s, i) => [orchestrate(s, `run-${i}-a`, `u${i}`, 300), orchestrate(s, `run-${i}-b`, `u${i}`, 50)]));
        const reader = stores[0]!;
        assert.equal((await reader.listRuns({ flow: FLOW, successfulOnly: true })).length, 8);
        for (let i = 0; i < 4; i++) {
          assert.deepEqual((await reader.listRuns({ flow: FLOW, tags: [`user:u${i}`] })).map((r) => r.runId).sort(), [`run-${i}-a`, `run-${i}-b`]);
          const tasks = await reader.listTasks(FLOW, `run-${i}-a`);
          assert.equal(tasks.length, 300);
          assert.deepEqual(tasks.map((t) => t.taskId), Array.from({ length: 300 }, (_, j) => String(j + 1)));
          assert.ok(tasks.every((t) => t.status === 'succeeded' && t.doneAttempt === 0 && t.attempt === 0));
          assert.deepEqual((await reader.listSteps(FLOW, `run-${i}-b`)).map((s) => [s.step, s.taskCount, s.finishedAt]), [['start', 1, 3000], ['train', 49, 3000]]);
          const attempts = await reader.listAttempts({ flow: FLOW, runId: `run-${i}-a`, step: 'train', taskId: '300' });
          assert.deepEqual(attempts.map((a) => [a.status, a.logs.stdout]), [['succeeded', '/logs/300']]);
        }
      }));

    it('leaves the tag rows matching the run when tag updates race from many clients', () =>
      withStores(6, async (stores, url) => {
        await stores[0]!.createRun(newRun('r1', { userTags: ['start'] }));
        const all = new Set(['start']);
        const checkConsistent = async (round: number): Promise<void> => {
          const run = await stores[1]!.getRun(FLOW, 'r1');
          const rows = await db.query<{ tag: string }>(`SELECT tag FROM run_tags WHERE run_id = 'r1' AND kind = 'user' ORDER BY tag`, [], url);
          assert.deepEqual(rows.map((r) => r.tag), [...(run?.userTags ?? [])].sort(), `round ${round}`);
          assert.deepEqual(run?.systemTags, ['user:alice']);
        };
        for (let round = 0; round < 40; round++) {
          // Every client replaces the tags at the same moment, each in a transaction of its own.
          const sets = stores.map((_, i) => [`t${(round + i) % 7}`, `u${(round * 3 + i) % 11}`, `v${round}-${i}`]);
          for (const tag of sets.flat()) all.add(tag);
          await Promise.all(stores.map((s, i) => s.setUserTags(FLOW, 'r1', sets[i]!)));
          await checkConsistent(round);
        }
        // Several replacements from one client in the same turn: the last one called wins.
        await Promise.all([['a'], ['b', 'c'], ['d']].map((tags) => stores[2]!.setUserTags(FLOW, 'r1', tags)));
        await checkConsistent(40);
        assert.deepEqual((await stores[3]!.getRun(FLOW, 'r1'))?.userTags, ['d']);
        for (const tag of [...all, 'a', 'b', 'c']) assert.equal((await stores[4]!.listRuns({ flow: FLOW, tags: [tag] })).length, 0, tag);
        assert.equal((await stores[4]!.listRuns({ flow: FLOW, tags: ['d', 'user:alice'] })).length, 1);
      }));

    it('commits a burst of writes made in one turn in one transaction, each promise with its own result', () =>
      withStores(1, async ([store], url) => {
        await store!.createRun(newRun('r1'));
        const task = (taskId: string, runId = 'r1') => ({ flow: FLOW, runId, step: 'train', taskId, createdAt: 1, foreachStack: [], parents: [] });
        const burst = [
          ...Array.from({ length: 1500 }, (_, i) => store!.createTask(task(String(i + 1)))),
          store!.createTask(task('7')),
          store!.createTask(task('1', 'no-such-run')),
          store!.startAttempt({ flow: FLOW, runId: 'r1', step: 'train', taskId: '9999' }, 0, 1, null),
          store!.startAttempt({ flow: FLOW, runId: 'r1', step: 'train', taskId: '3' }, 0, 1, null),
          store!.finishRun(FLOW, 'no-such-run', 'failed', 1),
        ];
        const results = await Promise.allSettled(burst);
        assert.equal(results.slice(0, 1500).filter((r) => r.status === 'fulfilled').length, 1500);
        const rest = results.slice(1500);
        const reason = (i: number) => (rest[i] as PromiseRejectedResult).reason as unknown;
        await rejectsWithCode(() => Promise.reject(reason(0)), 'INVALID_ARGUMENT', /Task ContractFlow\/r1\/train\/7 already exists/);
        await rejectsWithCode(() => Promise.reject(reason(1)), 'NOT_FOUND', /run ContractFlow\/no-such-run does not exist/);
        await rejectsWithCode(() => Promise.reject(reason(2)), 'NOT_FOUND', /9999 does not exist/);
        assert.equal(rest[3]?.status, 'fulfilled');
        await rejectsWithCode(() => Promise.reject(reason(4)), 'NOT_FOUND', /no-such-run/);
        // Every row written by the burst carries the id of the one transaction that wrote it.
        const xacts = await db.query<{ n: number }>(
          `SELECT count(DISTINCT x)::int AS n FROM (SELECT xmin::text AS x FROM tasks UNION ALL SELECT xmin::text FROM attempts) w`, [], url);
        assert.equal(xacts[0]?.n, 1);
        assert.equal((await store!.getTask({ flow: FLOW, runId: 'r1', step: 'train', taskId: '3' }))?.status, 'running');
      }));

    it('applies the writes of one turn in the order they were made, repeated keys included', () =>
      withStores(1, async ([store]) => {
        const s = store!;
        const key = (taskId: string, runId = 'r1'): TaskKey => ({ flow: FLOW, runId, step: 'start', taskId });
        const create = (k: TaskKey) => s.createTask({ ...k, createdAt: 1, foreachStack: [], parents: [] });
        const results = await Promise.allSettled([
          s.createRun(newRun('r1')),
          create(key('1')),
          s.startAttempt(key('1'), 0, 2, 10),
          s.startAttempt(key('1'), 0, 2, 10),
          s.finishAttempt(key('1'), 0, { status: 'failed', finishedAt: 3, exception: { type: 'Error', message: 'first' } }),
          s.startAttempt(key('1'), 1, 4, 11),
          s.finishTask(key('1'), 'failed', 5, null),
          s.finishTask(key('1'), 'succeeded', 6, 1),
          create(key('2')),
          create(key('2')),
          s.createRun(newRun('r2')),
          create(key('1', 'r2')),
        ]);
        assert.deepEqual(results.map((r) => r.status), [
          'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled',
        ]);
        await rejectsWithCode(() => Promise.reject((results[3] as PromiseRejectedResult).reason), 'INVALID_ARGUMENT', /Attempt 0 of task ContractFlow\/r1\/start\/1 was already started/);
        await rejectsWithCode(() => Promise.reject((results[9] as PromiseRejectedResult).reason), 'INVALID_ARGUMENT', /Task ContractFlow\/r1\/start\/2 already exists/);
        const task = await s.getTask(key('1'));
        assert.deepEqual([task?.status, task?.attempt, task?.doneAttempt, task?.finishedAt], ['succeeded', 1, 1, 6]);
        assert.deepEqual((await s.listAttempts(key('1'))).map((a) => [a.attempt, a.status, a.pid, a.exception?.message]), [[0, 'failed', 10, 'first'], [1, 'running', 11, undefined]]);
        assert.equal((await s.listTasks(FLOW, 'r2')).length, 1);
      }));

    it('fails only the write at fault when a burst meets an error it could not foresee', () =>
      withStores(1, async ([store]) => {
        await store!.createRun(newRun('r1'));
        const key = (taskId: string): TaskKey => ({ flow: FLOW, runId: 'r1', step: 'start', taskId });
        const results = await Promise.allSettled([
          store!.createTask({ ...key('1'), createdAt: 1, foreachStack: [], parents: [] }),
          store!.finishRun(FLOW, 'r1', 'bogus' as 'failed', 1),
          store!.createTask({ ...key('2'), createdAt: 1, foreachStack: [], parents: [] }),
          store!.createRun(newRun('r1')),
        ]);
        assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected']);
        await rejectsWithCode(() => Promise.reject((results[1] as PromiseRejectedResult).reason), 'INVALID_ARGUMENT', /Cannot finish run ContractFlow\/r1/, /check constraint/);
        await rejectsWithCode(() => Promise.reject((results[3] as PromiseRejectedResult).reason), 'INVALID_ARGUMENT', /already exists/);
        const pid = await Promise.allSettled([store!.startAttempt(key('1'), 0, 1, 2 ** 40), store!.startAttempt(key('2'), 0, 1, 7)]);
        await rejectsWithCode(() => Promise.reject((pid[0] as PromiseRejectedResult).reason), 'INVALID_ARGUMENT', /out of range/);
        assert.equal(pid[1]?.status, 'fulfilled');
        assert.deepEqual((await store!.listTasks(FLOW, 'r1')).map((t) => [t.taskId, t.status]), [['1', 'pending'], ['2', 'running']]);
        assert.equal((await store!.getRun(FLOW, 'r1'))?.status, 'running');
      }));
  });

  describe('PostgresMetadataStore: query plans', () => {
    it('answers run listings, the latest run of a namespace included, from indexes without sorting', () =>
      withStores(1, async ([store], url) => {
        const writes: Promise<void>[] = [];
        for (let i = 0; i < 4000; i++) {
          const user = i % 10 === 0 ? 'bob' : 'alice';
          writes.push(store!.createRun(newRun(runId(i), { createdAt: 1_700_000_000_000 + i, user, systemTags: [`user:${user}`], userTags: i % 100 === 0 ? ['rare'] : [] })));
        }
        await Promise.all(writes);
        await Promise.all(Array.from({ length: 4000 }, (_, i) => i % 3 === 0 ? store!.finishRun(FLOW, runId(i), 'succeeded', 1) : Promise.resolve()));
        await db.query('ANALYZE', [], url);
        // Pages of runs, as the client reads them (a listing without a limit reads the whole flow and may sort).
        const shapes: Array<[tags: string[], ok: boolean, before: boolean, limit: number]> = [
          [[], false, false, 1], [[], false, false, 100], [[], false, true, 50], [[], true, false, 1], [[], true, true, 20],
          [['user:alice'], false, false, 1], [['user:bob'], true, false, 1], [['user:alice'], false, true, 100],
        ];
        for (const [tags, ok, before, limit] of shapes) {
          const values = [FLOW, ...(before ? [1_700_000_000_000 + 2000, runId(2000)] : []), ...tags, limit];
          const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${runQuerySql(tags.length, ok, before)}`, values, url))
            .map((r) => r['QUERY PLAN']).join('\n');
          assert.doesNotMatch(plan, /Sort/, plan);
          assert.match(plan, /Index (Only )?Scan Backward using runs_newest/, plan);
          if (before) assert.match(plan, /Index Cond: .*ROW\(created_at, run_id\) < ROW/, plan);
        }
        const page = await store!.listRuns({ flow: FLOW, tags: ['user:bob'], limit: 3, before: { createdAt: 1_700_000_000_000 + 3000, runId: runId(3000) } });
        assert.deepEqual(page.map((r) => r.runId), [runId(2990), runId(2980), runId(2970)]);
        assert.equal((await store!.listRuns({ flow: FLOW, tags: ['rare', 'user:bob'] })).length, 40);
        assert.deepEqual(await store!.listFlows(), [FLOW]);
      }));

    it('finds a task by its key through the primary key, before the table has statistics', () =>
      withStores(1, async ([store], url) => {
        await orchestrate(store!, 'wide', 'alice', 3000);
        // The same lookup the foreign-key check of every new attempt makes.
        const plan = (await db.query<{ 'QUERY PLAN': string }>(
          'EXPLAIN SELECT 1 FROM tasks WHERE flow = $1 AND run_id = $2 AND step = $3 AND task_id = $4', [FLOW, 'wide', 'train', '77'], url,
        )).map((r) => r['QUERY PLAN']).join('\n');
        assert.match(plan, /using tasks_pkey/, plan);
        assert.equal((await store!.listTasks(FLOW, 'wide', 'train')).length, 2999);
      }));
  });
}
