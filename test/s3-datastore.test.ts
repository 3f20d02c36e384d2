/**
 * Flows run through the real CLI with their artifacts, task records and logs in an S3 bucket (the
 * Ceph RADOS Gateway that `scripts/services.sh` starts), and read back through the client in a
 * fresh process configured by the same environment. Skipped, saying why, without CAIRN_TEST_S3_ENDPOINT.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project, repoRoot } from './helpers.js';
import { awsEnv, S3_SKIP_REASON, s3TestEnv, TestBucket } from '../src/storage/s3-test-bucket.fixture.js';

const env = s3TestEnv();

if (!env) {
  it('flows with an S3 datastore', { skip: S3_SKIP_REASON }, () => {});
} else {
  const bucket = new TestBucket(env);
  const project = new Project();
  const s3Env = { ...awsEnv(env), CAIRN_DATASTORE: 's3', CAIRN_DATASTORE_ROOT: `s3://${bucket.name}/team/cairn` };

  before(() => bucket.create());
  after(async () => {
    project[Symbol.dispose]();
    await bucket.destroy();
  });

  const example = (name: string): string => {
    copyFileSync(join(repoRoot, 'examples', name), join(project.dir, name));
    return name;
  };

  /** Runs `body` (an ES module that prints JSON) with the client, in a fresh process. */
  const readBack = async (body: string): Promise<Record<string, unknown>> => {
    project.write('read.mjs', `import { Flow, Run, namespace } from 'cairnflow';\nnamespace(null);\n${body}`);
    const r = await project.exec(process.execPath, ['read.mjs'], s3Env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  const runFlow = async (args: string[]) => {
    const r = await project.cli(['run', ...args], s3Env);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.doesNotMatch(r.stderr, /NodeVersionSupportWarning/);
    return r;
  };

  it('runs the seed flow with its data in the bucket and reads it back through the client', async () => {
    const file = example('pass-artifacts-between-steps.ts');
    const r = await runFlow([file, '--run-id-file', 'seed-run.txt']);
    const runId = readFileSync(join(project.dir, 'seed-run.txt'), 'utf8');
    assert.match(r.stdout, new RegExp(`\\[${runId}/middle/2 \\(pid \\d+\\)\\] the data artifact is: \\[1,2,3\\]`));
    assert.match(r.stdout, new RegExp(`\\[${runId}/end/3 \\(pid \\d+\\)\\] the data artifact is: \\[1,2,4\\]`));

    const back = await readBack(`
      const run = await Run.get('ArtFlow/${runId}');
      const middle = await (await run.step('middle')).task();
      const start = await (await run.step('start')).task();
      console.log(JSON.stringify({ end: await run.data.some_data, start: await start.data.some_data, log: await middle.stdout(), ok: run.successful }));
    `);
    assert.deepEqual(back, { end: [1, 2, 4], start: [1, 2, 3], log: 'the data artifact is: [1,2,3]\n', ok: true });

    const keys = await bucket.keys('team/cairn/');
    assert.ok(keys.includes(`team/cairn/tasks/ArtFlow/${runId}/middle/2/0.json`), keys.join('\n'));
    assert.ok(keys.some((k) => k.startsWith(`team/cairn/logs/ArtFlow/${runId}/middle/2/0.stdout/`) && k.endsWith('.log')), keys.join('\n'));
    assert.ok(keys.some((k) => k.startsWith('team/cairn/blobs/')));
    // Locally: the metadata database and the read cache, but no blobs, records or logs.
    const local = join(project.dir, '.cairn');
    assert.ok(existsSync(join(local, 'metadata.db')));
    for (const area of ['blobs', 'tasks', 'logs']) assert.equal(existsSync(join(local, area)), false, area);
    assert.ok(readdirSync(join(local, 'cache', 'blobs')).length > 0);

    const logs = await project.cli(['logs', file, `${runId}/end`], s3Env);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /the data artifact is: \[1,2,4\]/);
  });

  it('dump and logs against the right metadata but another artifact store fail, naming both stores', async () => {
    const file = example('pass-artifacts-between-steps.ts');
    await runFlow([file, '--run-id-file', 'mixed-run.txt']);
    const runId = readFileSync(join(project.dir, 'mixed-run.txt'), 'utf8');
    // The same local metadata database, but another prefix of the bucket: nothing of the run is there.
    const wrong = { ...s3Env, CAIRN_DATASTORE_ROOT: `s3://${bucket.name}/elsewhere` };
    const metadata = join(project.dir, '.cairn', 'metadata.db');
    for (const args of [['dump', file, `${runId}/end/3`], ['dump', file, `${runId}/end`], ['logs', file, `${runId}/middle/2`]]) {
      const r = await project.cli(args, wrong);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, new RegExp(`The metadata store \\(sqlite ${metadata.replace(/[.]/g, '\\.')}\\) records the (record|stdout) of task 'ArtFlow/${runId}/`));
      assert.match(r.stderr, new RegExp(`but the artifact store \\(s3 s3://${bucket.name}/elsewhere\\) does not have it`));
      assert.doesNotMatch(r.stdout, /no artifacts/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    const right = await project.cli(['dump', file, `${runId}/end/3`], s3Env);
    assert.equal(right.code, 0, right.stderr);
    assert.match(right.stdout, /some_data/);
  });

  it('runs a foreach and a static join against the bucket', async () => {
    await runFlow([example('foreach.ts')]);
    await runFlow([example('branch-join.ts')]);
    const back = await readBack(`
      const foreach = await (await Flow.get('ForeachFlow')).latestRun();
      const branch = await (await Flow.get('BranchFlow')).latestRun();
      const measured = await (await foreach.step('measure')).tasks();
      const shards = await Promise.all(measured.map(async (t) => [t.index, await t.data.shard]));
      console.log(JSON.stringify({
        lengths: await foreach.data.lengths, total: await foreach.data.total,
        shards: shards.sort((a, b) => a[0] - b[0]).map((s) => s[1]),
        report: await branch.data.report, config: await branch.data.config,
      }));
    `);
    assert.deepEqual(back, {
      lengths: [5, 4, 5, 5],
      total: 19,
      shards: ['alpha', 'beta', 'gamma', 'delta'],
      report: 'linear(1000 rows) on age, income',
      config: { rows: 1000 },
    });
  });

  it('joins many foreach inputs that share a large typed array, each read lazily in its task', async () => {
    project.write(
      'wide.ts',
      `import { FlowSpec, step, type Inputs } from 'cairnflow';
export class WideS3 extends FlowSpec {
  declare items: number[];
  declare table: Float64Array;
  declare y: number;
  declare ys: number[];
  @step start() {
    this.items = Array.from({ length: 40 }, (_, i) => i);
    this.table = new Float64Array(3 * 1024 * 1024).map((_, i) => i / 2); // 24 MiB: a multipart blob
    this.next(this.work, { foreach: 'items' });
  }
  @step work() {
    this.y = this.table[this.input * 1000]! + this.input;
    this.next(this.join);
  }
  @step join(inputs: Inputs<WideS3>) {
    this.ys = inputs.map((i) => i.y);
    this.mergeArtifacts(inputs, { include: ['table'] });
    this.next(this.end);
  }
  @step end() {
    console.log('sum', this.ys.reduce((a, b) => a + b, 0), 'table', this.table.length);
  }
}
WideS3.main(import.meta);
`,
    );
    const r = await runFlow(['wide.ts', '--run-id-file', 'wide-run.txt', '--max-workers', '4']);
    const expected = Array.from({ length: 40 }, (_, i) => i * 500 + i);
    const sum = expected.reduce((a, b) => a + b, 0);
    assert.match(r.stdout, new RegExp(`sum ${sum} table ${3 * 1024 * 1024}`));
    const runId = readFileSync(join(project.dir, 'wide-run.txt'), 'utf8');
    const back = await readBack(`
      const run = await Run.get('WideS3/${runId}');
      const table = await run.data.table;
      console.log(JSON.stringify({ ys: await run.data.ys, length: table.length, last: table[table.length - 1], type: table.constructor.name }));
    `);
    assert.deepEqual(back, { ys: expected, length: 3 * 1024 * 1024, last: (3 * 1024 * 1024 - 1) / 2, type: 'Float64Array' });
  });
}
