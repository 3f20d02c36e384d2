// Runs flows through the real CLI with their metadata in Postgres (artifacts in the local folder),
// and reads them back through the client configured the same way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project, repoRoot } from './helpers.js';
import { Flow, Run, useDatastore, namespace } from '../src/index.js';
import { postgresSkipReason, TestDatabase, POSTGRES_TEST_ENV } from '../src/storage/postgres-test-db.fixture.js';

const skip = postgresSkipReason();
const adminUrl = process.env[POSTGRES_TEST_ENV];

if (skip !== undefined || adminUrl === undefined) {
  test('flows with Postgres metadata', { skip }, () => undefined);
} else {
  const project = new Project();
  let db: TestDatabase;
  let env: Record<string, string>;
  before(async () => {
    db = await TestDatabase.create(adminUrl, 'e2e');
    env = { CAIRN_METADATA: 'postgres', CAIRN_METADATA_URL: db.url, CAIRN_DATASTORE_ROOT: project.store };
    // The client in this process resolves its stores from the same settings as the CLI.
    Object.assign(process.env, env);
    useDatastore(undefined);
    namespace('user:tester');
  });
  after(async () => {
    useDatastore(undefined);
    await new Promise((r) => setTimeout(r, 50)); // let the client's pool close before the database goes
    await db.drop();
    project[Symbol.dispose]();
  });

  const example = (name: string): string => {
    copyFileSync(join(repoRoot, 'examples', name), join(project.dir, name));
    return name;
  };

  test('the seed flow runs through the CLI and reads back through the client', async () => {
    const r = await project.cli(['run', example('pass-artifacts-between-steps.ts'), '--run-id-file', 'seed.txt', '--tag', 'pg'], env);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const runId = readFileSync(join(project.dir, 'seed.txt'), 'utf8');
    assert.match(r.stdout, new RegExp(`\\[${runId}/end/3 \\(pid \\d+\\)\\] the data artifact is: \\[1,2,4\\]`));

    const run = await Run.get(`ArtFlow/${runId}`);
    assert.equal(run.successful, true);
    assert.deepEqual(await run.data.some_data, [1, 2, 4]);
    assert.deepEqual(run.userTags, ['pg']);
    assert.equal((await (await Flow.get('ArtFlow')).latestRun())?.id, runId);
    const middle = await (await run.step('middle')).task();
    assert.equal(await middle.stdout(), 'the data artifact is: [1,2,3]\n');

    // The metadata is in Postgres: the local folder holds artifacts only.
    assert.equal(existsSync(join(project.store, 'metadata.db')), false);
    const rows = await db.query<{ status: string; n: number }>(
      `SELECT r.status, (SELECT count(*)::int FROM tasks t WHERE t.run_id = r.run_id) AS n FROM runs r WHERE r.flow = 'ArtFlow' AND r.run_id = $1`,
      [runId],
    );
    assert.deepEqual(rows, [{ status: 'succeeded', n: 4 }]);
  });

  test('a foreach and its join run with Postgres metadata', async () => {
    const r = await project.cli(['run', example('foreach.ts')], env);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const run = (await (await Flow.get('ForeachFlow')).latestRun())!;
    assert.deepEqual(await run.data.lengths, [5, 4, 5, 5]);
    assert.equal(await run.data.total, 19);
    const tasks = await (await run.step('measure')).tasks();
    assert.deepEqual(tasks.map((t) => t.index).sort(), [0, 1, 2, 3]);
    for (const t of tasks) assert.equal(await t.data.shard, ['alpha', 'beta', 'gamma', 'delta'][t.index!]);
  });

  test('a static branch joins with mergeArtifacts', async () => {
    const r = await project.cli(['run', example('branch-join.ts')], env);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const run = (await (await Flow.get('BranchFlow')).latestRun())!;
    assert.equal(await run.data.report, 'linear(1000 rows) on age, income');
    assert.deepEqual(await run.data.config, { rows: 1000 });
  });

  test('a 1000-way foreach records every task', async (t) => {
    project.write('wide.ts', `import { FlowSpec, step, type Inputs } from 'cairnflow';
export class Wide extends FlowSpec {
  declare items: number[];
  declare y: number;
  declare total: number;
  @step start() { this.items = Array.from({ length: 1000 }, (_, i) => i); this.next(this.work, { foreach: 'items' }); }
  @step work() { this.y = this.input * 2; this.next(this.join); }
  @step join(inputs: Inputs<Wide>) { this.total = inputs.reduce((a, i) => a + i.y, 0); this.next(this.end); }
  @step end() {}
}
`);
    const t0 = performance.now();
    const r = await project.cli(['run', 'wide.ts', '--max-num-splits', '1000'], env);
    t.diagnostic(`1000-way foreach with Postgres metadata: ${((performance.now() - t0) / 1000).toFixed(2)} s, start to exit`);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const run = (await (await Flow.get('Wide')).latestRun())!;
    assert.equal(await run.data.total, 999 * 1000);
    const steps = await run.steps();
    assert.deepEqual(steps.map((s) => s.id), ['end', 'join', 'work', 'start']); // newest first
    assert.equal((await (await run.step('work')).tasks()).length, 1000);
  });

  test('a store that is not there fails the run with a clear message, without the password', async () => {
    const r = await project.cli(['run', example('pass-artifacts-between-steps.ts')], { ...env, CAIRN_METADATA_URL: 'postgres://tester:hunter2-secret@127.0.0.1:1/cairn' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /Cannot connect to the Postgres metadata store postgres:\/\/tester:\*\*\*@127\.0\.0\.1:1\/cairn/);
    assert.doesNotMatch(r.stderr + r.stdout, /hunter2/);
  });
}
