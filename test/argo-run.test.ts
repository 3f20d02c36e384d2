/**
 * Proved to run: the WorkflowTemplates `cairn argo-workflows create` writes for the foreach, branch
 * and switch examples run the way Argo would run them (test/argo-emulator.ts walks the DAG, expands
 * withParam, evaluates when, and runs every container's command as a local process) against the
 * Postgres and S3 servers of the CI, with the store settings given as the ConfigMap and Secret the
 * templates name. Each run reads back through the client exactly as a `cairn run` of the same flow.
 * Skipped, saying why, without the servers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Project, repoRoot } from './helpers.js';
import { emulateWorkflow } from './argo-emulator.js';
import { Run, namespace, useDatastore } from '../src/index.js';
import { awsEnv, S3_SKIP_REASON, s3TestEnv, TestBucket } from '../src/storage/s3-test-bucket.fixture.js';
import { postgresSkipReason, POSTGRES_TEST_ENV, TestDatabase } from '../src/storage/postgres-test-db.fixture.js';

const s3 = s3TestEnv();
const adminUrl = process.env[POSTGRES_TEST_ENV];
const skip = !s3 ? S3_SKIP_REASON : !adminUrl ? postgresSkipReason() : undefined;

/** Every task's artifacts, by step, in split order: what a run is, to a reader. */
async function contents(run: Run): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const step of await run.steps()) {
    const tasks = (await step.tasks()).sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    out[step.id] = await Promise.all(
      tasks.map(async (t) => {
        const values: Record<string, unknown> = {};
        for (const a of await t.artifacts()) values[a.name] = await a.data();
        return { index: t.index, successful: t.successful, values, stdout: await t.stdout() };
      }),
    );
  }
  return out;
}

if (skip !== undefined || !s3 || !adminUrl) {
  test('generated Argo workflows run against Postgres and S3', { skip }, () => {});
} else {
  describe('generated Argo workflows, run as Argo would', () => {
    const project = new Project();
    const bucket = new TestBucket(s3);
    let db: TestDatabase | undefined;
    let store: Record<string, string>;
    let objects: Record<string, Record<string, string>>;

    before(async () => {
      await bucket.create();
      db = await TestDatabase.create(adminUrl, 'argo');
      const aws = awsEnv(s3);
      // What an operator puts in the ConfigMap and the Secret the templates name.
      objects = {
        'cairn-config': { CAIRN_DATASTORE: 's3', CAIRN_DATASTORE_ROOT: `s3://${bucket.name}/cairn`, CAIRN_METADATA: 'postgres', AWS_REGION: aws['AWS_REGION']!, CAIRN_S3_ENDPOINT: aws['CAIRN_S3_ENDPOINT']! },
        'cairn-creds': { CAIRN_METADATA_URL: db.url, AWS_ACCESS_KEY_ID: aws['AWS_ACCESS_KEY_ID']!, AWS_SECRET_ACCESS_KEY: aws['AWS_SECRET_ACCESS_KEY']! },
      };
      store = { ...objects['cairn-config'], ...objects['cairn-creds'] };
      for (const f of ['foreach.ts', 'branch-join.ts', 'switch.ts']) copyFileSync(join(repoRoot, 'examples', f), join(project.dir, f));
      // The image's node_modules/.bin/cairn.
      mkdirSync(join(project.dir, 'node_modules', '.bin'));
      symlinkSync(join(repoRoot, 'dist', 'cli', 'bin.js'), join(project.dir, 'node_modules', '.bin', 'cairn'));
      Object.assign(process.env, store);
      useDatastore(undefined);
      namespace(null);
    });
    after(async () => {
      for (const k of Object.keys(store ?? {})) delete process.env[k];
      useDatastore(undefined);
      await new Promise((r) => setTimeout(r, 50)); // let the client's pool close before the database goes
      await db?.drop();
      await bucket.destroy().catch(() => {});
      project[Symbol.dispose]();
    });

    let n = 0;
    async function deployAndRun(file: string, flow: string, parameters: Record<string, string> = {}) {
      const created = await project.cli(['argo-workflows', 'create', file, '--only-json', '--config-map', 'cairn-config', '--secret', 'cairn-creds'], { ...store, CAIRN_USER: 'deployer' });
      assert.doesNotMatch(created.stdout, new RegExp(db!.name)); // the store's settings stay in the Secret
      assert.equal(created.code, 0, created.stderr);
      const wt = (JSON.parse(created.stdout) as { items: Array<Record<string, unknown>> }).items[0]!;
      const workflowName = `${flow.toLowerCase()}-x${n++}k2p`;
      const baseEnv = { PATH: process.env['PATH'] ?? '', HOME: project.dir };
      const wf = await emulateWorkflow(wt, { cwd: project.dir, workflowName, parameters, objects, baseEnv });
      assert.equal(wf.phase, 'Succeeded', wf.pods.map((p) => `${p.task} ${p.args.join(' ')} → ${p.code}\n${p.stdout}${p.stderr}`).join('\n'));
      const given = Object.entries(parameters).flatMap(([k, v]) => [`--${k}`, v]);
      const idFile = `ref-${n}.txt`;
      const ref = await project.cli(['run', file, '--run-id-file', idFile, '--no-progress', ...given], { ...store, CAIRN_USER: 'deployer' });
      assert.equal(ref.code, 0, ref.stderr);
      const deployed = await Run.get(`${flow}/argo-${workflowName}`);
      const local = await Run.get(`${flow}/${readFileSync(join(project.dir, idFile), 'utf8')}`);
      assert.equal(deployed.successful, true);
      assert.deepEqual(await contents(deployed), await contents(local));
      assert.ok(deployed.systemTags.includes('runtime:scheduler') && deployed.systemTags.includes('user:deployer'));
      return { wf, deployed };
    }

    test('the foreach fans out over withParam and its join reads the splits in order', async () => {
      const { wf, deployed } = await deployAndRun('foreach.ts', 'ForeachFlow');
      assert.equal(wf.pods.filter((p) => p.task === 'measure').length, 4);
      assert.deepEqual(await deployed.data['lengths' as never], [5, 4, 5, 5]);
    });

    test('the static branch runs both sides and the join merges them', async () => {
      const { deployed } = await deployAndRun('branch-join.ts', 'BranchFlow');
      assert.equal(await deployed.data['report' as never], 'linear(1000 rows) on age, income');
    });

    test('retries come from retryStrategy with the attempt as {{retries}}, and @catchError works in its pod', async () => {
      project.write('flaky.ts', `
import { FlowSpec, catchError, current, retry, step } from 'cairnflow';
export class FlakyFlow extends FlowSpec {
  declare attempt: number;
  declare caught: { type: string; message: string } | null;
  @retry({ times: 2 })
  @step start() {
    if (current.retryCount < 1) throw new Error('flaky');
    this.attempt = current.retryCount;
    this.next(this.risky);
  }
  @catchError({ var: 'caught', printException: false })
  @step risky() {
    if (this.attempt > 0) throw new TypeError('always');
    this.next(this.end);
  }
  @step end() {}
}
`);
      const created = await project.cli(['argo-workflows', 'create', 'flaky.ts', '--only-json', '--config-map', 'cairn-config', '--secret', 'cairn-creds'], { ...store, CAIRN_USER: 'deployer' });
      assert.equal(created.code, 0, created.stderr);
      const wt = (JSON.parse(created.stdout) as { items: Array<Record<string, unknown>> }).items[0]!;
      const baseEnv = { PATH: process.env['PATH'] ?? '', HOME: project.dir };
      const wf = await emulateWorkflow(wt, { cwd: project.dir, workflowName: 'flakyflow-r3try', objects, baseEnv });
      assert.equal(wf.phase, 'Succeeded', wf.pods.map((p) => `${p.task} → ${p.code}\n${p.stderr}`).join('\n'));
      assert.deepEqual(wf.pods.filter((p) => p.task === 'start').map((p) => p.code), [1, 0]);
      const run = await Run.get('FlakyFlow/argo-flakyflow-r3try');
      assert.equal(run.successful, true);
      const start = await (await run.step('start')).task();
      assert.equal(start.retryCount, 1);
      assert.equal(await start.data['attempt' as never], 1);
      const risky = await (await run.step('risky')).task();
      assert.equal((await risky.data['caught' as never] as { type: string }).type, 'TypeError');
    });

    test('the switch runs only the chosen branch, from a workflow parameter', async () => {
      const { wf, deployed } = await deployAndRun('switch.ts', 'SwitchFlow', { size: 'big' });
      assert.equal(wf.nodes['light'], 'Skipped');
      assert.equal(wf.nodes['heavy-check'], 'Succeeded');
      assert.equal(await deployed.data['result' as never], 'heavy work, checked');
      assert.deepEqual((await deployed.steps()).map((s) => s.id).sort(), ['end', 'heavy', 'heavy_check', 'start']);
    });
  });
}
