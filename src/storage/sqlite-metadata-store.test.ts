import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { metadataStoreContract, newRun } from './metadata-store.contract.js';
import { MIGRATIONS, SCHEMA_VERSION } from './sqlite-schema.js';
import { runQuerySql, SqliteMetadataStore } from './sqlite-metadata-store.js';
import { rejectsWithCode } from './store-helpers.fixture.js';

const run = promisify(execFile);
const roots: string[] = [];
function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'cairn-metadata-'));
  roots.push(root);
  return root;
}
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

metadataStoreContract('sqlite', async () => {
  const root = tempRoot();
  const path = join(root, 'metadata.db');
  return {
    store: new SqliteMetadataStore(path),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
    connectAgain: async () => new SqliteMetadataStore(path, { create: false }),
  };
});

describe('SqliteMetadataStore', () => {
  it('creates a versioned schema in WAL mode', async () => {
    const path = join(tempRoot(), 'metadata.db');
    await new SqliteMetadataStore(path).close();
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
  });

  it('opens an existing database again without touching its data', async () => {
    const path = join(tempRoot(), 'metadata.db');
    const first = new SqliteMetadataStore(path);
    await first.createRun(newRun('r1'));
    await first.close();
    const second = new SqliteMetadataStore(path, { create: false });
    assert.equal((await second.getRun('ContractFlow', 'r1'))?.runId, 'r1');
    await second.close();
  });

  it('migrates a database of the first schema version, keeping its runs (which record no heartbeat)', async () => {
    const path = join(tempRoot(), 'metadata.db');
    const db = new Database(path);
    db.exec(MIGRATIONS[0]!);
    db.pragma('user_version = 1');
    db.prepare(`INSERT INTO runs (flow, run_id, user, created_at, status, user_tags, system_tags, params)
      VALUES ('ContractFlow', 'old', 'alice', 5, 'running', '[]', '[]', '{}')`).run();
    db.close();
    const store = new SqliteMetadataStore(path);
    try {
      const old = await store.getRun('ContractFlow', 'old');
      assert.deepEqual([old?.status, old?.heartbeatAt, old?.heartbeatIntervalMs], ['running', null, null]);
      await store.createRun(newRun('new', { heartbeatIntervalMs: 100 }));
      assert.equal((await store.getRun('ContractFlow', 'new'))?.heartbeatIntervalMs, 100);
    } finally {
      await store.close();
    }
  });

  it('refuses to create the file when opened with create: false', async () => {
    const path = join(tempRoot(), 'metadata.db');
    await rejectsWithCode(() => new SqliteMetadataStore(path, { create: false }), 'NOT_FOUND', /metadata\.db/);
  });

  it('refuses a database written by a newer schema', async () => {
    const path = join(tempRoot(), 'metadata.db');
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    await rejectsWithCode(() => new SqliteMetadataStore(path), 'STORE', /newer/, /upgrade cairn/);
  });

  it('answers run listings from indexes, without sorting', async () => {
    const path = join(tempRoot(), 'metadata.db');
    await new SqliteMetadataStore(path).close();
    const db = new Database(path, { readonly: true });
    try {
      for (const [tags, ok, before] of [[0, false, false], [1, false, true], [2, true, false], [0, true, true]] as const) {
        const params: unknown[] = ['F', ...(before ? [1, 'x'] : []), ...Array.from({ length: tags }, () => 't'), 10];
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${runQuerySql(tags, ok, before)}`).all(...params) as { detail: string }[])
          .map((r) => r.detail)
          .join('\n');
        assert.doesNotMatch(plan, /TEMP B-TREE/, plan);
        assert.match(plan, /USING INDEX runs_newest/, plan);
      }
    } finally {
      db.close();
    }
  });

  it('lets two processes create and write the same new database at the same time', async () => {
    const root = tempRoot();
    const path = join(root, 'metadata.db');
    const moduleUrl = pathToFileURL(fileURLToPath(new URL('./sqlite-metadata-store.ts', import.meta.url))).href;
    const script = `
      import { SqliteMetadataStore } from ${JSON.stringify(moduleUrl)};
      const [path, who, startAt] = [process.argv[1], process.argv[2], Number(process.argv[3])];
      while (Date.now() < startAt) {}
      const store = new SqliteMetadataStore(path);
      for (let i = 0; i < 200; i++) {
        const runId = who + '-' + i;
        await store.createRun({ flow: 'F', runId, user: who, createdAt: i, userTags: [], systemTags: ['user:' + who], params: {}, codePackage: null });
        const key = { flow: 'F', runId, step: 'start', taskId: '1' };
        await store.createTask({ ...key, createdAt: i, foreachStack: [], parents: [] });
        await store.startAttempt(key, 0, i, process.pid);
        await store.finishAttempt(key, 0, { status: 'succeeded', finishedAt: i });
        await store.finishTask(key, 'succeeded', i, 0);
        await store.finishRun('F', runId, 'succeeded', i);
      }
      await store.close();
    `;
    const startAt = String(Date.now() + 1500);
    const spawn = (who: string) =>
      run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, path, who, startAt]);
    // Meanwhile this process keeps reading, as a client would.
    const reads = (async () => {
      let n = 0;
      while (Date.now() < Number(startAt) + 500) {
        await new Promise((r) => setTimeout(r, 20));
        try {
          const reader = new SqliteMetadataStore(path, { create: false });
          await reader.listRuns({ flow: 'F', limit: 5 });
          await reader.close();
          n++;
        } catch (e) {
          if (!(e instanceof Error && 'code' in e && e.code === 'NOT_FOUND')) throw e;
        }
      }
      return n;
    })();
    await Promise.all([spawn('a'), spawn('b'), reads]);
    const store = new SqliteMetadataStore(path, { create: false });
    try {
      const runs = await store.listRuns({ flow: 'F', successfulOnly: true });
      assert.equal(runs.length, 400);
      assert.equal((await store.listRuns({ flow: 'F', tags: ['user:a'] })).length, 200);
      assert.equal((await store.listSteps('F', 'b-199'))[0]?.finishedAt, 199);
    } finally {
      await store.close();
    }
  });
});
