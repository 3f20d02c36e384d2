/**
 * How `cairn worker` meets the machine it runs on: a code-package cache it cannot write (refused at
 * start-up), a task's environment (the machine's own, plus @environment, on both executors), and a
 * local store path that is another folder on the worker (the store-unavailable hint, no stack trace). The Redis parts are skipped, saying why, without CAIRN_TEST_REDIS_URL.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Project, repoRoot } from './helpers.js';
import { dropPrefix, queueEnv, REDIS_ENV, REDIS_SKIP_REASON, testPrefix, WorkerProcess } from './queue-helpers.js';

const redisUrl = process.env[REDIS_ENV];

test('a worker that cannot write its code-package cache refuses to start and says which folder', async () => {
  using project = new Project();
  // node_modules/.cache is a regular file: nothing can be created under it (ENOTDIR, even for root).
  writeFileSync(join(project.dir, 'node_modules', '.cache'), 'not a folder');
  const r = await project.cli(['worker', '--name', 'blocked'], { CAIRN_REDIS_URL: 'redis://127.0.0.1:1' });
  assert.equal(r.code, 2, r.stdout + r.stderr);
  const cache = join(project.dir, 'node_modules', '.cache', 'cairn');
  assert.ok(r.stderr.includes(`error: This worker cannot write its code-package cache ${cache} (ENOTDIR: `), r.stderr);
  assert.match(r.stderr, /Make that folder \(and the folders above it\) writable/);
  // Refused before it reached Redis (which is unreachable here) or took anything.
  assert.doesNotMatch(r.stderr + r.stdout, /Redis|is taking tasks| {4}at /);
});

/** Whether this process may run a command in a mount namespace of its own (root, CAP_SYS_ADMIN). */
function canUnshare(): boolean {
  return spawnSync('unshare', ['-m', 'true']).status === 0;
}

if (!redisUrl) {
  test('a worker whose local store path is another folder', { skip: REDIS_SKIP_REASON }, () => {});
} else {
  const project = new Project();
  const prefix = testPrefix();
  const env = queueEnv(redisUrl, prefix);
  const workers: WorkerProcess[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'cairn-other-folder-'));
  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await dropPrefix(redisUrl, prefix);
    project[Symbol.dispose]();
    rmSync(scratch, { recursive: true, force: true });
  });
  before(() => copyFileSync(join(repoRoot, 'examples', 'pass-artifacts-between-steps.ts'), join(project.dir, 'flow.ts')));

  const envFlow = `import { FlowSpec, step, environment } from 'cairnflow';
export class EnvFlow extends FlowSpec {
  @environment({ vars: { SET_BY: 'decorator', WHO_TOO: 'decorator' } })
  @step start() { console.log('who=' + process.env.WHO + ' set_by=' + process.env.SET_BY + ' who_too=' + process.env.WHO_TOO); this.next(this.end); }
  @step end() {}
}
`;

  test("a task sees the environment of the machine that runs it plus @environment's, on both executors", async () => {
    project.write('env.ts', envFlow);
    const orchestrator = { ...env, WHO: 'orchestrator', WHO_TOO: 'orchestrator' };
    const local = await project.cli(['run', 'env.ts', '--executor', 'local'], orchestrator);
    assert.equal(local.code, 0, local.stdout + local.stderr);
    assert.match(local.stdout, /who=orchestrator set_by=decorator who_too=decorator/);
    const worker = await WorkerProcess.start(project, 'env-worker', ['--concurrency', '1'], { ...env, WHO: 'worker', WHO_TOO: 'worker' });
    try {
      const queued = await project.cli(['run', 'env.ts', '--executor', 'queue'], orchestrator);
      assert.equal(queued.code, 0, queued.stdout + queued.stderr);
      assert.match(queued.stdout, /who=worker set_by=decorator who_too=decorator/);
    } finally {
      await worker.stop();
    }
  });

  test('a worker that sees another folder at the store path fails the task with the store-unavailable hint', { skip: canUnshare() ? false : 'needs `unshare -m` (root)' }, async () => {
    // The worker runs in a mount namespace where an empty folder is mounted over the project's store:
    // the same path, another folder, as on a machine that mounts a different disk there.
    mkdirSync(project.store, { recursive: true });
    const other = join(scratch, 'empty');
    mkdirSync(other);
    const wrap = (command: string[]) => ['unshare', '-m', 'sh', '-c', 'mount --bind "$1" "$2" && shift 2 && exec "$@"', 'sh', other, project.store, ...command];
    workers.push(await WorkerProcess.start(project, 'elsewhere', ['--concurrency', '1'], env, wrap));
    const r = await project.cli(['run', 'flow.ts', '--executor', 'queue'], env);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const out = r.stdout + r.stderr;
    assert.ok(out.includes(`StoreUnavailable: The run keeps its artifacts in the local folder ${project.store}, but the folder this worker (elsewhere on `), out);
    assert.match(out, /\) sees at that path is not the run's: it lacks the run's code package/);
    assert.match(out, /Check that the worker mounts the orchestrator's folder itself/);
    assert.doesNotMatch(out, /is not in the artifact store|are missing from the store| {4}at /);
    // The worker's view of the path stayed empty: it wrote nothing into the other folder's store.
    assert.equal(existsSync(join(other, 'tasks')), false);
  });
}
