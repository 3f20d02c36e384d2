import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { CairnError, NamespaceMismatchError, NotFoundError } from '../errors.js';
import { defaultNamespace, Flow, getNamespace, namespace, Run } from './index.js';
import { linearRun, TestStore } from './store.fixture.js';

process.env.CAIRN_USER = 'alice';
const T0 = Date.UTC(2026, 0, 1);
let store: TestStore;

before(async () => {
  store = await TestStore.open();
  // 250 runs of ManyFlow by alice, every 10th tagged 'prod', the newest two failing / running.
  for (let i = 0; i < 250; i++) {
    const id = String(1000 + i);
    const status = i === 249 ? 'running' : i === 248 ? 'failed' : 'succeeded';
    await store.seedRun(linearRun('ManyFlow', id, T0 + i * 1000, { i }, { status, userTags: i % 10 === 0 ? ['prod'] : [] }));
  }
  // Two runs share a timestamp: ordered by run id, descending.
  await store.seedRun(linearRun('TieFlow', 'a', T0, { v: 'a' }));
  await store.seedRun(linearRun('TieFlow', 'b', T0, { v: 'b' }));
  await store.seedRun(linearRun('TieFlow', 'c', T0, { v: 'c' }));
  // BobFlow has only runs of bob; MixedFlow has runs of both.
  await store.seedRun(linearRun('BobFlow', '1', T0, { who: 'bob' }, { user: 'bob' }));
  await store.seedRun(linearRun('MixedFlow', '1', T0, { who: 'alice' }));
  await store.seedRun(linearRun('MixedFlow', '2', T0 + 1, { who: 'bob' }, { user: 'bob' }));
});

after(async () => {
  await store.close();
});

beforeEach(() => {
  defaultNamespace();
});

test('The default namespace is user:<current user>', () => {
  assert.equal(getNamespace(), 'user:alice');
  assert.equal(namespace(null), null);
  assert.equal(getNamespace(), null);
  assert.equal(defaultNamespace(), 'user:alice');
  assert.equal(getNamespace(), 'user:alice');
});

test('namespace() rejects an empty tag', () => {
  assert.throws(() => namespace(''), (e: unknown) => e instanceof CairnError && e.code === 'INVALID_ARGUMENT');
});

test('Flow.get loads a flow with a run in the namespace and carries no tags', async () => {
  const flow = await Flow.get('ManyFlow');
  assert.equal(flow.id, 'ManyFlow');
  assert.equal(flow.pathspec, 'ManyFlow');
  assert.deepEqual(flow.tags, []);
  assert.equal(flow.namespace, 'user:alice');
});

test('Flow.get of a flow that has no run rejects with NotFoundError naming it', async () => {
  await assert.rejects(Flow.get('NoSuchFlow'), (e: unknown) => {
    assert.ok(e instanceof NotFoundError);
    assert.equal(e.code, 'NOT_FOUND');
    assert.match(e.message, /Flow 'NoSuchFlow' was not found/);
    return true;
  });
});

test('A flow whose runs are all in another namespace is a namespace mismatch until namespace(null)', async () => {
  await assert.rejects(Flow.get('BobFlow'), (e: unknown) => {
    assert.ok(e instanceof NamespaceMismatchError);
    assert.equal(e.code, 'NAMESPACE_MISMATCH');
    assert.match(e.message, /namespace\(null\)/);
    return true;
  });
  namespace(null);
  const flow = await Flow.get('BobFlow');
  assert.equal((await flow.latestRun())?.id, '1');
  namespace('user:bob');
  assert.equal((await Flow.get('BobFlow')).namespace, 'user:bob');
});

test('latestRun is the newest run in the namespace, whatever its status', async () => {
  const flow = await Flow.get('ManyFlow');
  const run = await flow.latestRun();
  assert.ok(run instanceof Run);
  assert.equal(run.id, '1249');
  assert.equal(run.finished, false);
  assert.equal(run.successful, false);
  assert.equal(run.finishedAt, undefined);

  const mixed = await Flow.get('MixedFlow');
  assert.equal((await mixed.latestRun())?.id, '1', "bob's newer run is outside alice's namespace");
  namespace(null);
  const global = await Flow.get('MixedFlow');
  assert.equal((await global.latestRun())?.id, '2');
});

test('latestSuccessfulRun skips failed and running runs', async () => {
  const run = await (await Flow.get('ManyFlow')).latestSuccessfulRun();
  assert.equal(run?.id, '1247');
  assert.equal(run?.successful, true);
  assert.equal(run?.finished, true);
  assert.ok(run?.finishedAt instanceof Date);
});

test('A flow object keeps the namespace it was loaded in', async () => {
  const flow = await Flow.get('MixedFlow');
  namespace(null);
  assert.equal((await flow.latestRun())?.id, '1');
});

test('runs() lists every run newest first, a page at a time', async () => {
  const flow = await Flow.get('ManyFlow');
  const ids: string[] = [];
  for await (const run of flow.runs({ pageSize: 7 })) ids.push(run.id);
  assert.equal(ids.length, 250);
  assert.deepEqual(ids, Array.from({ length: 250 }, (_, i) => String(1249 - i)));

  const defaults: string[] = [];
  for await (const run of flow.runs()) defaults.push(run.id);
  assert.deepEqual(defaults, ids);
});

test('runs() pages only as far as the caller reads', async () => {
  const flow = await Flow.get('ManyFlow');
  const seen: number[] = [];
  // Count the store queries made through the client's own store instance.
  const clientStore = await (await import('./context.js')).clientContext();
  const list = clientStore.metadata.listRuns.bind(clientStore.metadata);
  clientStore.metadata.listRuns = async (q) => {
    seen.push(q.limit ?? -1);
    return list(q);
  };
  try {
    let n = 0;
    for await (const _ of flow.runs({ pageSize: 10 })) if (++n === 15) break;
    assert.deepEqual(seen, [10, 10]);
  } finally {
    clientStore.metadata.listRuns = list;
  }
});

test('runs() with ties on createdAt orders them by run id, descending, across pages', async () => {
  const flow = await Flow.get('TieFlow');
  const ids: string[] = [];
  for await (const run of flow.runs({ pageSize: 1 })) ids.push(run.id);
  assert.deepEqual(ids, ['c', 'b', 'a']);
});

test('runs({ tags }) keeps only runs carrying every tag', async () => {
  const flow = await Flow.get('ManyFlow');
  const ids: string[] = [];
  for await (const run of flow.runs({ tags: ['prod'], pageSize: 4 })) ids.push(run.id);
  assert.deepEqual(ids, Array.from({ length: 25 }, (_, i) => String(1240 - i * 10)));
  const none: string[] = [];
  for await (const run of flow.runs({ tags: ['prod', 'nope'] })) none.push(run.id);
  assert.deepEqual(none, []);
});

test('runs() rejects a malformed tags option', async () => {
  const flow = await Flow.get('ManyFlow');
  await assert.rejects(flow.runs({ tags: [''] }).next(), (e: unknown) => e instanceof CairnError && e.code === 'INVALID_ARGUMENT');
});

test('Flow.list shows the flows visible in the namespace', async () => {
  assert.deepEqual((await Flow.list()).map((f) => f.id), ['ManyFlow', 'MixedFlow', 'TieFlow']);
  namespace(null);
  assert.deepEqual((await Flow.list()).map((f) => f.id), ['BobFlow', 'ManyFlow', 'MixedFlow', 'TieFlow']);
});

test('flow.run(id) loads one run of the flow', async () => {
  const flow = await Flow.get('ManyFlow');
  assert.equal((await flow.run('1100')).pathspec, 'ManyFlow/1100');
  await assert.rejects(flow.run('999'), /Run 'ManyFlow\/999' was not found/);
});

test('runs({ before }) starts after a given run, so a page can be read from its predecessor', async () => {
  const flow = await Flow.get('ManyFlow');
  const first: Run[] = [];
  for await (const r of flow.runs({ pageSize: 7 })) {
    first.push(r);
    if (first.length === 7) break;
  }
  const next: string[] = [];
  for await (const r of flow.runs({ pageSize: 3, before: first.at(-1)! })) {
    next.push(r.id);
    if (next.length === 5) break;
  }
  assert.deepEqual(next, ['1242', '1241', '1240', '1239', '1238']);
  const tie: string[] = [];
  for await (const r of (await Flow.get('TieFlow')).runs({ before: { createdAt: T0, id: 'c' } })) tie.push(r.id);
  assert.deepEqual(tie, ['b', 'a']);
  await assert.rejects(flow.runs({ before: { createdAt: Number.NaN, id: 'x' } }).next(), /runs\(\{ before \}\)/);
});
