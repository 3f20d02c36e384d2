/**
 * The whole scale-out setup at once: artifacts in an S3 bucket, metadata in Postgres, tasks on the
 * queue, run by `cairn worker` processes that have the S3 credentials and nothing of the database.
 * The core flows (seed, foreach, branch and join, resume) run through the CLI and read back through
 * the client. Skipped, saying which, when a service's test environment is missing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Project, repoRoot } from './helpers.js';
import { dropPrefix, jobHashes, queueEnv, REDIS_ENV, REDIS_SKIP_REASON, testPrefix, WorkerProcess } from './queue-helpers.js';
import { Flow, Run, namespace, useDatastore } from '../src/index.js';
import { awsEnv, S3_SKIP_REASON, s3TestEnv, TestBucket } from '../src/storage/s3-test-bucket.fixture.js';
import { postgresSkipReason, POSTGRES_TEST_ENV, TestDatabase } from '../src/storage/postgres-test-db.fixture.js';

const redisUrl = process.env[REDIS_ENV];
const s3 = s3TestEnv();
const adminUrl = process.env[POSTGRES_TEST_ENV];
const skip = !redisUrl ? REDIS_SKIP_REASON : !s3 ? S3_SKIP_REASON : !adminUrl ? postgresSkipReason() : undefined;

if (skip !== undefined || !redisUrl || !s3 || !adminUrl) {
  test('flows with S3 artifacts, Postgres metadata and the queue executor', { skip }, () => {});
} else {
  const project = new Project();
  const prefix = testPrefix();
  const bucket = new TestBucket(s3);
  let db: TestDatabase | undefined;
  /** What the orchestrator and the client get: every store and the queue. */
  let env: Record<string, string>;
  const workers: WorkerProcess[] = [];

  before(async () => {
    await bucket.create();
    db = await TestDatabase.create(adminUrl, 'dist');
    const artifacts = { ...awsEnv(s3), CAIRN_DATASTORE: 's3', CAIRN_DATASTORE_ROOT: `s3://${bucket.name}/cairn` };
    env = { ...artifacts, ...queueEnv(redisUrl, prefix), CAIRN_METADATA: 'postgres', CAIRN_METADATA_URL: db.url };
    // Workers know the queue and have the S3 credentials; they are never told about the database.
    for (const name of ['dist-1', 'dist-2']) {
      workers.push(await WorkerProcess.start(project, name, ['--concurrency', '2', '--stall-seconds', '2'], { ...awsEnv(s3), ...queueEnv(redisUrl, prefix) }));
    }
    Object.assign(process.env, env);
    useDatastore(undefined);
    namespace('user:tester');
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    useDatastore(undefined);
    await new Promise((r) => setTimeout(r, 50)); // let the client's pool close before the database goes
    await db?.drop();
    await bucket.destroy().catch(() => {}); // a bucket that was never created
    await dropPrefix(redisUrl, prefix);
    project[Symbol.dispose]();
  });

  const example = (name: string): string => {
    copyFileSync(join(repoRoot, 'examples', name), join(project.dir, name));
    return name;
  };
  let ids = 0;
  const run = async (args: string[]) => {
    const idFile = `run-${ids++}.txt`;
    const r = await project.cli([...args, '--executor', 'queue', '--run-id-file', idFile], env);
    return { ...r, runId: readFileSync(join(project.dir, idFile), 'utf8') };
  };

  test('the seed flow runs on the workers with its data in the bucket and its metadata in Postgres', async () => {
    const r = await run(['run', example('pass-artifacts-between-steps.ts')]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, new RegExp(`\\[${r.runId}/middle/2 \\(pid \\d+\\)\\] the data artifact is: \\[1,2,3\\]`));
    const back = await Run.get(`ArtFlow/${r.runId}`);
    assert.equal(back.successful, true);
    assert.deepEqual(await back.data.some_data, [1, 2, 4]);
    assert.equal(await (await (await back.step('middle')).task()).stdout(), 'the data artifact is: [1,2,3]\n');

    const rows = await db!.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE run_id = $1`, [r.runId]);
    assert.deepEqual(rows, [{ n: 4 }]);
    const keys = await bucket.keys('cairn/');
    assert.ok(keys.includes(`cairn/tasks/ArtFlow/${r.runId}/middle/2/0.json`), keys.join('\n'));
    // The jobs name the bucket, never the database.
    const jobs = (await jobHashes(redisUrl, prefix)).filter((j) => j['data']?.includes(r.runId));
    assert.equal(jobs.length, 3);
    for (const j of jobs) {
      assert.match(j['data']!, new RegExp(bucket.name));
      assert.doesNotMatch(j['data']!, /postgres|54329|metadata/i);
    }
  });

  test('a foreach and a static branch with its join', async () => {
    const f = await run(['run', example('foreach.ts')]);
    assert.equal(f.code, 0, f.stderr + f.stdout);
    const foreach = await Run.get(`ForeachFlow/${f.runId}`);
    assert.deepEqual(await foreach.data.lengths, [5, 4, 5, 5]);
    const tasks = await (await foreach.step('measure')).tasks();
    assert.deepEqual(tasks.map((t) => t.index).sort(), [0, 1, 2, 3]);
    for (const t of tasks) assert.equal(await t.data.shard, ['alpha', 'beta', 'gamma', 'delta'][t.index!]);

    const b = await run(['run', example('branch-join.ts')]);
    assert.equal(b.code, 0, b.stderr + b.stdout);
    const branch = await Run.get(`BranchFlow/${b.runId}`);
    assert.equal(await branch.data.report, 'linear(1000 rows) on age, income');
    assert.deepEqual(await branch.data.config, { rows: 1000 });
  });

  test('resume clones what succeeded and runs the rest on the workers', async () => {
    const flag = join(project.dir, 'break-middle');
    project.write('break-middle', '');
    project.write(
      'resumable.ts',
      `import { FlowSpec, step } from 'cairnflow';
import { existsSync } from 'node:fs';
export class Resumable extends FlowSpec {
  declare data: number[];
  declare doubled: number[];
  @step start() { console.log('start computes data'); this.data = [1, 2, 3]; this.next(this.middle); }
  @step middle() {
    if (existsSync(${JSON.stringify(flag)})) throw new Error('middle is broken');
    this.doubled = this.data.map((x) => x * 2);
    this.next(this.end);
  }
  @step end() {}
}
`,
    );
    const failed = await run(['run', 'resumable.ts']);
    assert.equal(failed.code, 1, failed.stderr + failed.stdout);
    assert.match(failed.stdout + failed.stderr, /Error: middle is broken/);
    rmSync(flag);
    const resumed = await run(['resume', 'resumable.ts', '--origin-run-id', failed.runId]);
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    assert.match(resumed.stdout, new RegExp(`\\[${resumed.runId}/start/1\\] Cloning previously run task Resumable/${failed.runId}/start/1`));
    assert.doesNotMatch(resumed.stdout, /start computes data/);
    const back = await Run.get(`Resumable/${resumed.runId}`);
    assert.equal(back.successful, true);
    assert.deepEqual(await back.data.doubled, [2, 4, 6]);
    assert.equal((await (await Flow.get('Resumable')).latestRun())?.id, resumed.runId);
    const ran = workers.map((w) => w.output).join('');
    assert.match(ran, new RegExp(`Resumable/${resumed.runId}/middle/2/0: succeeded`));
    assert.doesNotMatch(ran, new RegExp(`Resumable/${resumed.runId}/start/`));
  });

  test("a worker's own S3 endpoint wins over the orchestrator's: it reaches the bucket its own way", async () => {
    // The worker's endpoint is a TCP relay to the same gateway that counts its connections: a worker
    // in another network reaching the store through another address.
    const target = new URL(s3.endpoint);
    let connections = 0;
    const relay: Server = createServer((inbound) => {
      connections++;
      const outbound = connect(Number(target.port), target.hostname);
      inbound.pipe(outbound).pipe(inbound);
      const close = () => (inbound.destroy(), outbound.destroy());
      inbound.on('error', close);
      outbound.on('error', close);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayUrl = `http://127.0.0.1:${(relay.address() as { port: number }).port}`;
    const ownPrefix = testPrefix();
    // This process's environment has the stores' settings by now: the worker is told none of them.
    const worker = await WorkerProcess.start(project, 'elsewhere', ['--concurrency', '1'], {
      ...awsEnv(s3), ...queueEnv(redisUrl, ownPrefix), CAIRN_S3_ENDPOINT: relayUrl, CAIRN_DATASTORE: '', CAIRN_METADATA: '', CAIRN_METADATA_URL: '',
    });
    try {
      const idFile = 'own-endpoint.txt';
      const r = await project.cli(['run', example('pass-artifacts-between-steps.ts'), '--executor', 'queue', '--run-id-file', idFile], {
        ...env, ...queueEnv(redisUrl, ownPrefix),
      });
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const runId = readFileSync(join(project.dir, idFile), 'utf8');
      assert.match(worker.output, new RegExp(`ArtFlow/${runId}/end/3/0: succeeded`));
      assert.ok(connections > 0, 'the worker used its own endpoint');
      // The jobs still name the orchestrator's endpoint: the worker's setting won on the worker.
      const jobs = (await jobHashes(redisUrl, ownPrefix)).filter((j) => j['data']?.includes(runId));
      for (const j of jobs) assert.ok(j['data']!.includes(s3.endpoint) && !j['data']!.includes(relayUrl), j['data']);
      assert.deepEqual(await (await Run.get(`ArtFlow/${runId}`)).data.some_data, [1, 2, 4]);
    } finally {
      await worker.stop();
      await dropPrefix(redisUrl, ownPrefix);
      await new Promise((resolve) => relay.close(resolve));
      relay.unref();
    }
  });
}
