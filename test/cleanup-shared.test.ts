/**
 * `cairn delete` and `cairn gc` on the shared stores: metadata in Postgres, artifacts in an S3
 * bucket (the servers `scripts/services.sh` starts), read back by the client in a fresh process
 * configured by the same environment. Skipped, saying why, without them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project } from './helpers.js';
import { awsEnv, S3_SKIP_REASON, s3TestEnv, TestBucket } from '../src/storage/s3-test-bucket.fixture.js';
import { postgresSkipReason, TestDatabase, POSTGRES_TEST_ENV } from '../src/storage/postgres-test-db.fixture.js';

const s3 = s3TestEnv();
const pgSkip = postgresSkipReason();
const adminUrl = process.env[POSTGRES_TEST_ENV];

if (!s3 || pgSkip !== undefined || adminUrl === undefined) {
  test('delete and gc on Postgres + S3', { skip: s3 ? pgSkip : S3_SKIP_REASON }, () => undefined);
} else {
  const bucket = new TestBucket(s3);
  const project = new Project();
  let db: TestDatabase;
  let env: Record<string, string> = {};
  before(async () => {
    await bucket.create();
    db = await TestDatabase.create(adminUrl, 'gc');
    env = {
      ...awsEnv(s3), CAIRN_DATASTORE: 's3', CAIRN_DATASTORE_ROOT: `s3://${bucket.name}/cairn`,
      CAIRN_METADATA: 'postgres', CAIRN_METADATA_URL: db.url,
    };
  });
  after(async () => {
    project[Symbol.dispose]();
    await bucket.destroy();
    await db.drop();
  });

  const flow = project.write(
    'shared.ts',
    `import { FlowSpec, step, Parameter } from 'cairnflow';
export class SharedFlow extends FlowSpec {
  seed = Parameter('seed', { default: 1 });
  declare common: string;
  declare mine: number[];
  @step start() {
    this.common = 'stored once for both runs '.repeat(40);
    this.mine = Array.from({ length: 500 }, (_, i) => i * this.seed);
    console.log('seed', this.seed);
    this.next(this.end);
  }
  @step end() {}
}
`,
  );

  const run = async (seed: string): Promise<string> => {
    const r = await project.cli(['run', flow, '--seed', seed, '--run-id-file', `id-${seed}.txt`], env);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    return readFileSync(join(project.dir, `id-${seed}.txt`), 'utf8');
  };

  test('delete removes a run from Postgres and its objects from the bucket; gc takes the blobs only it used', async () => {
    const kept = await run('1');
    const gone = await run('2');
    const blobsBefore = (await bucket.keys('cairn/blobs/')).length;
    const del = await project.cli(['delete', `SharedFlow/${gone}`], env);
    assert.equal(del.code, 0, del.stderr);
    assert.deepEqual(await bucket.keys(`cairn/tasks/SharedFlow/${gone}/`), []);
    assert.deepEqual(await bucket.keys(`cairn/logs/SharedFlow/${gone}/`), []);
    assert.deepEqual(await db.query(`SELECT run_id FROM runs WHERE run_id = $1`, [gone]), []);

    const dry = await project.cli(['gc', '--grace', '0s', '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal((await bucket.keys('cairn/blobs/')).length, blobsBefore, '--dry-run changed nothing');
    const gc = await project.cli(['gc', '--grace', '0s'], env);
    assert.equal(gc.code, 0, gc.stderr);
    const taken = blobsBefore - (await bucket.keys('cairn/blobs/')).length;
    assert.ok(taken >= 2, `took ${taken}`); // the other run's parameters and \`mine\`
    assert.match(gc.stdout, new RegExp(`Deleted ${taken} of ${blobsBefore} blob\\(s\\)`));

    project.write('read.mjs', `import { Run, namespace } from 'cairnflow';
namespace(null);
const run = await Run.get('SharedFlow/${kept}');
console.log(JSON.stringify({ common: (await run.data.common).length, mine: (await run.data.mine).length, seed: await run.data.seed }));
`);
    const back = await project.exec(process.execPath, ['read.mjs'], env);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(JSON.parse(back.stdout), { common: 1040, mine: 500, seed: 1 });

    const bad = await project.cli(['gc', '--keep-last', '0', '--older-than', 'soon'], env);
    assert.equal(bad.code, 2, 'bad input, as a bad option is');
    assert.match(bad.stderr, /--older-than must be a duration/);
    assert.equal((await db.query('SELECT run_id FROM runs')).length, 1, 'a bad policy changed nothing');
  });
}
