import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Project } from './helpers.js';

// The runner executes flows in this process, so it is used as installed: from the built package.
const cairn = (await import('cairnflow')) as typeof import('../src/index.js');

const project = new Project();
after(() => project[Symbol.dispose]());

const env = { ...process.env, CAIRN_USER: 'tester', CAIRN_DATASTORE_ROOT: '' };

const source = `import { FlowSpec, step, Parameter, current } from 'cairnflow';
export class RunnerFlow extends FlowSpec {
  alpha = Parameter('alpha', { default: 1 });
  declare result: number;
  declare attempt_origin: string | null;
  @step start() {
    if (process.env.RUNNER_FAIL === '1') throw new Error('asked to fail');
    this.result = this.alpha * 2;
    this.attempt_origin = current.originRunId ?? null;
    this.next(this.end);
  }
  @step end() {}
}
`;

test('runFlow runs a flow in this process and resolves to its Run', async () => {
  const file = project.write('runner-flow.ts', source);
  const run = await cairn.runFlow(file, { params: { alpha: 21 }, tags: ['from-runner'], cwd: project.dir, env });
  assert.equal(run.successful, true);
  assert.equal(run.flowName, 'RunnerFlow');
  assert.deepEqual(run.userTags, ['from-runner']);
  assert.equal(await run.data.result, 42);
});

test('runFlow resolves to the failed Run when a task fails, and resumeFlow finishes it', async () => {
  const file = project.write('runner-flow.ts', source);
  const failed = await cairn.runFlow(file, { cwd: project.dir, env: { ...env, RUNNER_FAIL: '1' } });
  assert.equal(failed.successful, false);
  const resumed = await cairn.resumeFlow(file, { originRunId: failed.id, cwd: project.dir, env });
  assert.equal(resumed.successful, true);
  assert.equal(resumed.originRunId, failed.id);
  assert.equal(await resumed.data.result, 2);
  assert.equal(await resumed.data.attempt_origin, failed.id);
});

test('runFlow rejects, storing nothing, when the flow or its parameters are invalid', async () => {
  const file = project.write('runner-flow.ts', source);
  await assert.rejects(cairn.runFlow(file, { params: { alpha: 'many' }, cwd: project.dir, env }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'INVALID_ARGUMENT');
    assert.match(e.message, /alpha/);
    return true;
  });
  await assert.rejects(cairn.runFlow(join(project.dir, 'missing.ts'), { cwd: project.dir, env }), { code: 'INVALID_ARGUMENT' });
});

test('runFlow with: adds decorators to every step; a bad spec rejects before anything is stored', async () => {
  const file = project.write(
    'with-flow.ts',
    `import { FlowSpec, step, catchError, current } from 'cairnflow';
export class WithFlow extends FlowSpec {
  declare failure: unknown;
  declare attempts: number;
  @step start() {
    if (current.retryCount < 2) throw new Error('flaky');
    this.attempts = current.retryCount + 1;
    this.next(this.risky);
  }
  @catchError({ var: 'failure', printException: false }) @step risky() {
    throw new Error('always');
    this.next(this.end);
  }
  @step end() {}
}
`,
  );
  const run = await cairn.runFlow(file, { with: ['retry:times=2', 'catch:var=caught'], cwd: project.dir, env });
  assert.equal(run.successful, true);
  assert.equal(await run.data.attempts, 3);
  assert.equal(((await run.data.failure) as { message: string }).message, 'always', "the step's own @catchError wins over --with catch");
  assert.equal(await run.data.caught, null, 'the --with catch variable is null in the steps that succeeded');
  assert.equal((await (await run.step('risky')).task()).retryCount, 3, 'retry from --with applies to risky too, then its own catch');

  await assert.rejects(cairn.runFlow(file, { with: ['retry:tims=2'], cwd: project.dir, env }), {
    code: 'INVALID_ARGUMENT',
    message: "--with retry:tims=2: unknown option 'tims'. The options of retry are: times, minutesBetweenRetries.",
  });
  cairn.useDatastore(join(project.dir, '.cairn'));
  cairn.namespace('user:tester');
  let runs = 0;
  for await (const _ of (await cairn.Flow.get('WithFlow')).runs()) runs++;
  assert.equal(runs, 1);
});
