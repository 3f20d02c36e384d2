import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import { Flow, Run, useDatastore } from './index.js';
import { linearRun, TestStore } from './store.fixture.js';

process.env.CAIRN_USER = 'alice';

test('Reading from a store root that holds no data rejects with NOT_FOUND and creates nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-empty-'));
  const root = join(dir, 'nothing-here');
  try {
    useDatastore(root);
    await assert.rejects(Flow.get('ArtFlow'), (e: unknown) => {
      assert.ok(e instanceof CairnError);
      assert.equal(e.code, 'NOT_FOUND');
      return true;
    });
    assert.equal(existsSync(root), false);
  } finally {
    useDatastore(undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('useDatastore switches the store the client reads', async () => {
  const a = await TestStore.open();
  await a.seedRun(linearRun('ArtFlow', '1', 1, { v: 'a' }));
  const b = await TestStore.open();
  await b.seedRun(linearRun('ArtFlow', '1', 1, { v: 'b' }));
  try {
    useDatastore(a.root);
    assert.equal(await (await Run.get('ArtFlow/1')).data.v, 'a');
    useDatastore(b.root);
    assert.equal(await (await Run.get('ArtFlow/1')).data.v, 'b');
  } finally {
    await a.close();
    await b.close();
  }
});

test('useDatastore rejects an empty root', () => {
  assert.throws(() => useDatastore(''), (e: unknown) => e instanceof CairnError && e.code === 'INVALID_ARGUMENT');
});
