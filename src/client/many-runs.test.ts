import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { linearRun, TestStore } from './store.fixture.js';

const T0 = Date.UTC(2026, 0, 1);
let store: TestStore;

before(async () => {
  store = await TestStore.open();
  for (let i = 0; i < 999; i++) {
    const runId = String(10_000 + i);
    await store.metadata.createRun({
      flow: 'BigFlow', runId, user: 'alice', createdAt: T0 + i, userTags: [], systemTags: ['user:alice'], params: {}, codePackage: null,
    });
    await store.metadata.finishRun('BigFlow', runId, 'succeeded', T0 + i + 1);
  }
  await store.seedRun(linearRun('BigFlow', '20000', T0 + 5000, { some_data: [1, 2, 4] }));
});

after(async () => {
  await store.close();
});

test('A fresh process finds the newest of 1000 runs and reads its artifact', () => {
  const client = pathToFileURL(fileURLToPath(new URL('./index.ts', import.meta.url))).href;
  const script = `
    const t0 = performance.now();
    const { Flow } = await import(${JSON.stringify(client)});
    const t1 = performance.now();
    const run = await (await Flow.get('BigFlow')).latestRun();
    const value = await run.data.some_data;
    const t2 = performance.now();
    console.log(JSON.stringify({ runId: run.id, value, importMs: t1 - t0, readMs: t2 - t1, sinceStartMs: t2 }));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, CAIRN_DATASTORE_ROOT: store.root, CAIRN_USER: 'alice' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { runId: string; value: number[]; readMs: number; importMs: number; sinceStartMs: number };
  assert.equal(out.runId, '20000');
  assert.deepEqual(out.value, [1, 2, 4]);
});
