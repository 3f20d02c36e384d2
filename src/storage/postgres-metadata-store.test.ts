import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, describe, it, test } from 'node:test';
import pg from 'pg';
import { openMetadataStore } from './config.js';
import { metadataStoreContract, newRun } from './metadata-store.contract.js';
import { PostgresMetadataStore } from './postgres-metadata-store.js';
import { MIGRATIONS, migrate, SCHEMA_VERSION } from './postgres-schema.js';
import { postgresSkipReason, TestDatabase, POSTGRES_TEST_ENV } from './postgres-test-db.fixture.js';
import { rejectsWithCode } from './store-helpers.fixture.js';

const skip = postgresSkipReason();
const adminUrl = process.env[POSTGRES_TEST_ENV];

if (skip !== undefined || adminUrl === undefined) {
  test('Postgres metadata store', { skip }, () => undefined);
} else {
  let db: TestDatabase;
  before(async () => {
    db = await TestDatabase.create(adminUrl, 'store');
  });
  after(() => db.drop());

  metadataStoreContract('postgres', async () => {
    const { schema, url } = await db.freshSchema();
    return {
      store: await PostgresMetadataStore.open(url),
      cleanup: () => db.dropSchema(schema),
      connectAgain: () => PostgresMetadataStore.open(url, { create: false }),
    };
  });

  const tablesIn = async (schema: string): Promise<string[]> =>
    (await db.query<{ t: string }>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [schema]))
      .map((r) => r.t);

  describe('PostgresMetadataStore: schema', () => {
    it('creates the versioned schema once when several stores open a fresh database at the same time', async () => {
      const { schema, url } = await db.freshSchema();
      const stores = await Promise.all(Array.from({ length: 8 }, () => PostgresMetadataStore.open(url)));
      try {
        const versions = await db.query<{ version: number }>('SELECT version FROM cairn_schema ORDER BY version', [], url);
        assert.deepEqual(versions.map((v) => v.version), Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
        assert.deepEqual(await tablesIn(schema), ['attempts', 'cairn_schema', 'run_tags', 'runs', 'task_cache', 'tasks']);
        await Promise.all(stores.map((s, i) => s.createRun(newRun(`r${i}`, { createdAt: i }))));
        assert.equal((await stores[0]!.listRuns({ flow: 'ContractFlow' })).length, 8);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('does not create the schema when opened for reading, and says there is no cairn data', async () => {
      const { schema, url } = await db.freshSchema();
      await rejectsWithCode(() => PostgresMetadataStore.open(url, { create: false }), 'NOT_FOUND', /No cairn data/, /CAIRN_METADATA/);
      const cfg = { root: '/nonexistent', artifacts: { kind: 'local', root: '/nonexistent' }, metadata: { kind: 'postgres', url } } as const;
      await rejectsWithCode(() => openMetadataStore(cfg, { create: false }), 'NOT_FOUND', /No cairn data was found in the Postgres database/);
      assert.deepEqual(await tablesIn(schema), []);
      const store = await openMetadataStore(cfg, { create: true });
      assert.equal(store.kind, 'postgres');
      await store.createRun(newRun('r1'));
      await store.close();
      const reader = await openMetadataStore(cfg, { create: false });
      assert.equal((await reader.getRun('ContractFlow', 'r1'))?.runId, 'r1');
      await reader.close();
    });

    it('migrates a database of an older schema version, keeping its data, and refuses one newer than it knows', async () => {
      const { url } = await db.freshSchema();
      const old = await PostgresMetadataStore.open(url);
      await old.createRun(newRun('kept', { userTags: ['exp'] }));
      assert.equal((await old.getRun('ContractFlow', 'kept'))?.runId, 'kept');
      // A later cairn adds a migration; two of its processes open the database at once.
      const newer = [...MIGRATIONS, 'ALTER TABLE runs ADD COLUMN note text'];
      const pools = [new pg.Pool({ connectionString: url }), new pg.Pool({ connectionString: url })];
      try {
        await Promise.all(pools.map(async (pool) => {
          const client = await pool.connect();
          try {
            await migrate(client, { create: true, location: 'test', migrations: newer });
          } finally {
            client.release();
          }
        }));
      } finally {
        await Promise.all(pools.map((p) => p.end()));
      }
      const versions = await db.query<{ version: number }>('SELECT version FROM cairn_schema ORDER BY version', [], url);
      assert.deepEqual(versions.map((v) => v.version), Array.from({ length: newer.length }, (_, i) => i + 1));
      assert.deepEqual(await db.query('SELECT run_id, note FROM runs', [], url), [{ run_id: 'kept', note: null }]);
      // A store opened before keeps working: its prepared queries name their columns.
      assert.deepEqual((await old.getRun('ContractFlow', 'kept'))?.userTags, ['exp']);
      await old.close();
      // This cairn knows only the older schema: it refuses rather than misread the data.
      await rejectsWithCode(() => PostgresMetadataStore.open(url), 'STORE', new RegExp(`schema version ${MIGRATIONS.length + 1}`), /newer/, /upgrade cairn/);
    });

    it('names the database in its location, without the password', async () => {
      const { url } = await db.freshSchema();
      const u = new URL(url);
      u.password = 'not-checked-by-trust';
      const store = await PostgresMetadataStore.open(u.toString());
      try {
        assert.match(store.location, new RegExp(`@${u.host}/${db.name}`));
        assert.doesNotMatch(store.location + inspect(store, { depth: 4 }), /not-checked-by-trust/);
      } finally {
        await store.close();
      }
    });
  });

  describe('PostgresMetadataStore: opening fails clearly', () => {
    const secret = 's3cret-Pa55word';
    const assertHidden = (e: Error): void => {
      assert.doesNotMatch(e.message, new RegExp(secret));
      assert.doesNotMatch(inspect(e, { depth: 8 }), new RegExp(secret), 'the password is in the error or its cause');
    };

    it('when nothing listens at the address', async () => {
      const e = await rejectsWithCode(
        () => PostgresMetadataStore.open(`postgres://cairn:${secret}@127.0.0.1:1/cairn`),
        'STORE', /Cannot connect to the Postgres metadata store/, /127\.0\.0\.1:1/, /ECONNREFUSED/, /CAIRN_METADATA_URL/,
      );
      assertHidden(e);
      assertHidden(await rejectsWithCode(() => PostgresMetadataStore.open(`postgres://cairn@127.0.0.1:1/cairn?password=${secret}`), 'STORE'));
    });

    it('when the database does not exist or the role is unknown', async () => {
      const u = new URL(adminUrl);
      u.password = secret;
      u.pathname = '/cairn_no_such_database';
      assertHidden(await rejectsWithCode(() => PostgresMetadataStore.open(u.toString()), 'STORE', /cairn_no_such_database/, /does not exist/, /Create the database first/));
      u.pathname = `/${db.name}`;
      u.username = 'cairn_no_such_role';
      assertHidden(await rejectsWithCode(() => PostgresMetadataStore.open(u.toString()), 'STORE', /role "cairn_no_such_role" does not exist/, /Check the user and password/));
    });

    it('when the setting is not a postgres URL', async () => {
      assertHidden(await rejectsWithCode(() => PostgresMetadataStore.open(`host=db password=${secret}`), 'STORE', /not a valid URL/, /postgres:\/\//));
      assertHidden(await rejectsWithCode(() => PostgresMetadataStore.open(`mysql://u:${secret}@h/db`), 'STORE', /must start with postgres:\/\//));
    });
  });

  describe('PostgresMetadataStore: after open', () => {
    it('commits the writes still queued when it closes', async () => {
      const { url } = await db.freshSchema();
      const store = await PostgresMetadataStore.open(url);
      const pending = [store.createRun(newRun('r1')), store.createRun(newRun('r2'))];
      await store.close();
      await Promise.all(pending);
      await rejectsWithCode(() => store.createRun(newRun('r3')), 'STORE', /closed/);
      const reader = await PostgresMetadataStore.open(url, { create: false });
      assert.deepEqual((await reader.listRuns({ flow: 'ContractFlow' })).map((r) => r.runId).sort(), ['r1', 'r2']);
      await reader.close();
    });

    it('reports a write that cannot be stored without losing the others queued with it', async () => {
      const { url } = await db.freshSchema();
      const store = await PostgresMetadataStore.open(url);
      try {
        const params = { big: 1n } as unknown as Record<string, unknown>;
        const results = await Promise.allSettled([store.createRun(newRun('ok1')), store.createRun(newRun('bad', { params })), store.createRun(newRun('ok2'))]);
        assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
        await rejectsWithCode(() => Promise.reject((results[1] as PromiseRejectedResult).reason), 'STORE', /create run ContractFlow\/bad/, /BigInt/);
        assert.equal(await store.getRun('ContractFlow', 'bad'), undefined);
      } finally {
        await store.close();
      }
    });
  });
}
