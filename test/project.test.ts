/**
 * `@project` namespaces and the flow decorators' checks: runs of a project flow carry the project
 * and branch as system tags (user branch by default, `--branch`, `--production`), the client reads
 * and filters them, and `check` refuses bad schedules, unknown flows and unknown parameters with a
 * message naming the decorator. A deployment's task reads other runs in its own namespace only.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project } from './helpers.js';
import { Flow, Run, namespace, useDatastore } from '../src/index.js';

const project = new Project();
before(() => {
  useDatastore(project.store);
  namespace(null);
});
after(() => {
  useDatastore(undefined);
  project[Symbol.dispose]();
});

const flowSource = (extra = '') => `
import { FlowSpec, Parameter, current, project, schedule, step, trigger } from 'cairnflow';

/** Scores things. */
@project({ name: 'fraud' })
@schedule({ daily: true })
@trigger({ event: 'data_ready', parameters: { alpha: 'level' } })
${extra}
export class ScoreFlow extends FlowSpec {
  alpha = Parameter('alpha', { default: 1 });
  declare score: number;
  declare where: unknown[];
  @step start() {
    this.score = this.alpha * 2;
    this.where = [current.projectName, current.branchName, current.projectFlowName, current.isUserBranch, current.isProduction];
    this.next(this.end);
  }
  @step end() {}
}
`;

const runId = (file: string) => readFileSync(join(project.dir, file), 'utf8');

test('runs of a @project flow carry the project and branch, readable and filterable in the client', async () => {
  project.write('score.ts', flowSource());
  const check = await project.cli(['check', 'score.ts']);
  assert.equal(check.code, 0, check.stderr);
  for (const [args, file] of [[[], 'user.txt'], [['--branch', 'new_model'], 'test.txt'], [['--production'], 'prod.txt']] as const) {
    const r = await project.cli(['run', 'score.ts', '--run-id-file', file, '--no-progress', ...args]);
    assert.equal(r.code, 0, r.stderr);
  }
  const user = await Run.get(`ScoreFlow/${runId('user.txt')}`);
  assert.deepEqual(user.project, { name: 'fraud', branch: 'user.tester' });
  assert.ok(user.systemTags.includes('project:fraud') && user.systemTags.includes('project_branch:user.tester'));
  assert.deepEqual((await Run.get(`ScoreFlow/${runId('test.txt')}`)).project, { name: 'fraud', branch: 'test.new_model' });
  const prodRun = await Run.get(`ScoreFlow/${runId('prod.txt')}`);
  assert.deepEqual(prodRun.project, { name: 'fraud', branch: 'prod' });
  assert.deepEqual(await (await user.step('start')).task().then((t) => t.data.where), ['fraud', 'user.tester', 'fraud.user.tester.ScoreFlow', true, false]);
  assert.deepEqual(await (await prodRun.step('start')).task().then((t) => t.data.where), ['fraud', 'prod', 'fraud.prod.ScoreFlow', false, true]);
  const prod: string[] = [];
  for await (const r of (await Flow.get('ScoreFlow')).runs({ tags: ['project_branch:prod'] })) prod.push(r.id);
  assert.deepEqual(prod, [runId('prod.txt')]);
});

test('--branch on a flow without @project and a bad branch name are refused before anything runs', async () => {
  project.write('plain.ts', `
import { FlowSpec, step } from 'cairnflow';
export class PlainFlow extends FlowSpec {
  @step start() { this.next(this.end); }
  @step end() {}
}
`);
  const r = await project.cli(['run', 'plain.ts', '--production']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--production needs a flow with @project; PlainFlow has none/);
  const b = await project.cli(['run', 'score.ts', '--branch', 'Bad Name']);
  assert.notEqual(b.code, 0);
  assert.match(b.stderr, /is not a branch name/);
  assert.equal((await project.cli(['check', 'plain.ts'])).code, 0);
});

test('check refuses a bad cron, an unknown parameter and an unknown flow, naming the decorator', async () => {
  // The decorators' own checks fail `run` too; whether an upstream flow exists only `check` and `argo-workflows create` ask.
  const cases: Array<[string, string, RegExp, boolean]> = [
    ['bad-cron.ts', flowSource().replace('@schedule({ daily: true })', "@schedule({ cron: '0 25 * * *' })"), /@schedule on flow ScoreFlow: cron '0 25 \* \* \*' is not a valid cron expression: its hour field '25': 25 is outside 0-23/, true],
    ['bad-param.ts', flowSource().replace("{ alpha: 'level' }", "{ beta: 'level' }"), /@trigger on flow ScoreFlow: parameters names 'beta', which is not a parameter of ScoreFlow \(its parameters are: alpha\)/, true],
    ['bad-flow.ts', flowSource("@triggerOnFinish({ flow: 'NoSuchFlow' })").replace('trigger }', 'trigger, triggerOnFinish }'), /@triggerOnFinish on flow ScoreFlow: flow 'NoSuchFlow' is unknown/, false],
  ];
  for (const [file, source, message, failsRun] of cases) {
    project.write(file, source);
    const r = await project.cli(['check', file]);
    assert.equal(r.code, 1, `${file}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
    const run = await project.cli(['run', file, '--no-progress']);
    assert.equal(run.code !== 0, failsRun, `${file}: ${run.stderr}`);
    if (failsRun) assert.match(run.stderr, message);
  }
  // A flow declared beside it, or recorded in the store, is known.
  project.write('downstream.ts', flowSource("@triggerOnFinish({ flows: ['PlainFlow'] })").replace('trigger }', 'trigger, triggerOnFinish }'));
  const ok = await project.cli(['check', 'downstream.ts']);
  assert.equal(ok.code, 0, ok.stderr);
});

test("a deployment's task reads other runs in its project branch's namespace, never a user branch's", async () => {
  project.write('score.ts', flowSource());
  project.write('reader.ts', `
import { Flow, FlowSpec, current, project, step } from 'cairnflow';
@project({ name: 'fraud' })
export class ReaderFlow extends FlowSpec {
  declare seen: string | null;
  declare ns: string;
  declare branch: string | undefined;
  @step async start() {
    this.ns = current.namespace;
    this.branch = current.branchName;
    this.seen = (await (await Flow.get('ScoreFlow')).latestRun())?.id ?? null;
    this.next(this.end);
  }
  @step end() {}
}
`);
  const deploy = async (file: string, id: string) => {
    assert.equal((await project.cli(['init-run', file, '--run-id', id, '--production'])).code, 0);
    const s = await project.cli(['step', file, '--run-id', id, '--step', 'start', '--task-id', 'start']);
    assert.equal(s.code, 0, s.stderr);
    const e = await project.cli(['step', file, '--run-id', id, '--step', 'end', '--task-id', 'end', '--input-paths', 'start/start']);
    assert.equal(e.code, 0, e.stderr);
  };
  await deploy('score.ts', 'argo-score-1');
  // A newer run of the user's own branch, and one of another project branch, are not what production reads.
  assert.equal((await project.cli(['run', 'score.ts', '--no-progress'])).code, 0);
  assert.equal((await project.cli(['init-run', 'score.ts', '--run-id', 'argo-score-2', '--branch', 'exp'])).code, 0);
  await deploy('reader.ts', 'argo-reader-1');
  const reader = await Run.get('ReaderFlow/argo-reader-1');
  assert.ok(reader.systemTags.includes('production:fraud.prod'));
  const start = await (await reader.step('start')).task();
  assert.equal(await start.data.ns, 'production:fraud.prod');
  assert.equal(await start.data.branch, 'prod');
  assert.equal(await start.data.seen, 'argo-score-1');
});
