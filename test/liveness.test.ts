/**
 * Runs whose orchestrator dies: killed with SIGKILL while a task runs, the run reads as failed
 * (lost) in the client and the CLI once its heartbeat is old, on SQLite and on Postgres; its
 * workers do not outlive it; it resumes; and a run that is still going is not resumed without
 * --force.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, eventually, Project } from './helpers.js';
import { Flow, namespace, Run, useDatastore } from '../src/index.js';
import { postgresSkipReason, TestDatabase, POSTGRES_TEST_ENV } from '../src/storage/postgres-test-db.fixture.js';

const FLOW = `import { FlowSpec, step } from 'cairnflow';
export class HangFlow extends FlowSpec {
  declare x: number;
  @step start() { this.x = 1; this.next(this.middle); }
  @step async middle() {
    console.log('middle is going');
    if (process.env.HANG) await new Promise((r) => setTimeout(r, 600_000));
    this.x += 1;
    this.next(this.end);
  }
  @step end() {}
}
`;

const BEAT = { CAIRN_HEARTBEAT_INTERVAL: '200' };

/** Starts a run whose middle step hangs; resolves once that step runs, with the run id and the worker's pid. */
async function startHanging(project: Project, env: Record<string, string>, idFile: string) {
  const run = project.start(['run', 'hang.ts', '--run-id-file', idFile], { ...BEAT, ...env, HANG: '1' });
  const [, pid] = await run.waitFor(/\/middle\/2 \(pid (\d+)\)\] middle is going/);
  return { run, runId: readFileSync(join(project.dir, idFile), 'utf8'), workerPid: Number(pid) };
}

function suite(name: string, setup: () => Promise<{ project: Project; env: Record<string, string>; cleanup(): Promise<void> }>): void {
  describe(name, () => {
    let project: Project;
    let env: Record<string, string>;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ project, env, cleanup } = await setup());
      project.write('hang.ts', FLOW);
      namespace('user:tester');
    });
    after(() => cleanup());

    test('a run whose orchestrator is killed reads as failed (lost); its worker goes too; it resumes', async () => {
      const { run, runId, workerPid } = await startHanging(project, env, 'killed.txt');
      // What the task printed is in the store while it runs.
      await eventually('the running task\'s line in the store', async () => {
        const t = await (await Run.get(`HangFlow/${runId}`)).step('middle').then((s) => s.task());
        return (await t.stdout()) === 'middle is going\n';
      });
      // While the orchestrator lives, it beats: the heartbeat moves and the run is not lost.
      const first = (await Run.get(`HangFlow/${runId}`)).finishedAt;
      assert.equal(first, undefined);
      const beat0 = await heartbeatOf(runId);
      await eventually('a later heartbeat', async () => (await heartbeatOf(runId)) > beat0);
      assert.equal((await Run.get(`HangFlow/${runId}`)).lost, false);

      run.child.kill('SIGKILL');
      await run.exited;
      const lost = await eventually('the run to read as lost', async () => {
        const r = await Run.get(`HangFlow/${runId}`);
        return r.lost ? r : undefined;
      });
      assert.deepEqual([lost.status, lost.finished, lost.successful], ['failed', true, false]);
      const middle = await (await lost.step('middle')).task();
      assert.deepEqual([middle.lost, middle.finished, middle.successful, middle.exception?.type], [true, true, false, 'RunLost']);
      await eventually('the orphaned worker to exit', () => !alive(workerPid));

      const tags = await project.cli(['tag', 'list', 'hang.ts', '--run-id', runId], env);
      assert.equal(tags.code, 0, tags.stderr);
      assert.match(tags.stdout, new RegExp(`HangFlow/${runId} \\(failed \\(lost\\), started`));
      const logs = await project.cli(['logs', 'hang.ts', `${runId}/middle`], env);
      assert.match(logs.stdout, /--- HangFlow\/\d+\/middle\/2, attempt 0 \(failed \(lost\)\), stdout ---\nmiddle is going\n/);

      // A lost run is resumed without --force: start is cloned, middle runs again.
      const resumed = await project.cli(['resume', 'hang.ts', '--origin-run-id', runId, '--run-id-file', 'resumed.txt'], { ...BEAT, ...env });
      assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
      assert.match(resumed.stdout, new RegExp(`Resuming run HangFlow/${runId} \\(failed \\(lost\\)\\)`));
      const again = await Run.get(`HangFlow/${readFileSync(join(project.dir, 'resumed.txt'), 'utf8')}`);
      assert.equal(again.successful, true);
      assert.equal(await again.data.x, 2);
    });

    test('resume refuses a run that is still going, and --force resumes it saying the risk', async () => {
      const { run, runId } = await startHanging(project, env, 'live.txt');
      try {
        const before = await countRuns();
        const refused = await project.cli(['resume', 'hang.ts', '--origin-run-id', runId], { ...BEAT, ...env });
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, new RegExp(`error: Run HangFlow/${runId} is still running \\(its orchestrator recorded a heartbeat \\d+ s ago\\): resuming it now would run the tasks it is running a second time`));
        assert.match(refused.stderr, /pass --force/);
        assert.doesNotMatch(refused.stderr, /\n\s+at /);
        assert.equal(await countRuns(), before);

        const forced = await project.cli(['resume', 'hang.ts', '--origin-run-id', runId, '--force'], { ...BEAT, ...env });
        assert.equal(forced.code, 0, forced.stdout + forced.stderr);
        assert.match(forced.stdout, /resuming it anyway \(--force\): tasks it is still running will run a second time/);
        assert.equal(await countRuns(), before + 1);
      } finally {
        run.child.kill('SIGKILL');
        await run.exited;
      }
    });

    async function heartbeatOf(runId: string): Promise<number> {
      const { openMetadataStore, resolveStoreConfig } = await import('../src/storage/config.js');
      const store = await openMetadataStore(resolveStoreConfig({ cwd: project.dir, env: { ...process.env, CAIRN_DATASTORE_ROOT: '', ...env } }), { create: false });
      try {
        return (await store.getRun('HangFlow', runId))!.heartbeatAt!;
      } finally {
        await store.close();
      }
    }
  });
}

async function countRuns(): Promise<number> {
  let n = 0;
  for await (const _ of (await Flow.get('HangFlow')).runs()) n++;
  return n;
}

suite('lost runs with SQLite metadata', async () => {
  const project = new Project();
  useDatastore(project.store);
  return {
    project,
    env: {},
    async cleanup() {
      useDatastore(undefined);
      project[Symbol.dispose]();
    },
  };
});

const pgSkip = postgresSkipReason();
if (pgSkip !== undefined) {
  test('lost runs with Postgres metadata', { skip: pgSkip }, () => undefined);
} else {
  suite('lost runs with Postgres metadata', async () => {
    const project = new Project();
    const db = await TestDatabase.create(process.env[POSTGRES_TEST_ENV]!, 'lost');
    const env = { CAIRN_METADATA: 'postgres', CAIRN_METADATA_URL: db.url, CAIRN_DATASTORE_ROOT: project.store };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    useDatastore(undefined);
    return {
      project,
      env,
      async cleanup() {
        useDatastore(undefined);
        for (const k of Object.keys(env)) {
          if (saved[k] === undefined) delete process.env[k];
          else process.env[k] = saved[k];
        }
        await new Promise((r) => setTimeout(r, 50));
        await db.drop();
        project[Symbol.dispose]();
      },
    };
  });
}
