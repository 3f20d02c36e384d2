import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedProject } from './helpers.js';
import { Flow, namespace } from '../src/index.js';

const project = sharedProject();

function flow(name: string, body: string, fields = ''): string {
  return project.write(
    `${name}.ts`,
    `import { FlowSpec, step, retry, catchError, timeout, environment, resources, current, type Inputs } from 'cairnflow';
import { existsSync, writeFileSync } from 'node:fs';
export class ${name} extends FlowSpec {
${fields}
${body}
}
`,
  );
}

async function latest(name: string) {
  return (await (await Flow.get(name)).latestRun())!;
}

test('@retry re-runs a failed task; every attempt is recorded and the latest success is shown', async () => {
  const file = flow(
    'RetryFlow',
    `  @retry({ times: 2 }) @step start() {
    this.attempt_seen = current.retryCount;
    console.log('attempt ' + current.retryCount);
    if (current.retryCount < 2) throw new Error('flaky ' + current.retryCount);
    this.next(this.end);
  }
  @step end() {}`,
    '  declare attempt_seen: number;',
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /start\/1 \(pid \d+\)\] Task is starting \(retry\)\./);
  assert.match(r.stderr, /Error: flaky 0/);
  const run = await latest('RetryFlow');
  const task = await (await run.step('start')).task();
  assert.equal(task.retryCount, 2);
  assert.equal(await task.data.attempt_seen, 2);
  assert.equal(await task.stdout(), 'attempt 2\n');
});

test('@retry gives up after its budget and the run fails', async () => {
  const file = flow(
    'GiveUpFlow',
    `  @step @retry({ times: 1 }) start() { if (this.index === undefined) throw new RangeError('always'); this.next(this.end); }
  @step end() {}`,
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 1);
  assert.equal((r.stdout.match(/Task is starting \(retry\)\./g) ?? []).length, 1);
  assert.match(r.stderr, /This failed task will not be retried\./);
});

test('a task waiting between retries gives up at once when another task fails the run', async () => {
  const file = flow(
    'RetryWaitFlow',
    `  @step start() { this.next(this.patient, this.failing); }
  @step @retry({ times: 1, minutesBetweenRetries: 2 }) patient() { if (this.index === undefined) throw new Error('flaky'); this.next(this.join); }
  @step async failing() { await new Promise((r) => setTimeout(r, 500)); throw new Error('broken'); this.next(this.join); }
  @step join(inputs: Inputs<RetryWaitFlow>) { this.next(this.end); }
  @step end() {}`,
  );
  const began = Date.now();
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 1, r.stderr + r.stdout);
  assert.match(r.stdout + r.stderr, /Step failing \(task-id \d+\) failed: Error: broken/);
  assert.ok(Date.now() - began < 60_000, `the run waited out the retry delay (${Date.now() - began} ms)`);
});

test('@catchError swallows the failure after the retries, stores it, and the flow goes on', async () => {
  const file = flow(
    'CatchFlow',
    `  @step start() { this.next(this.risky); }
  @catchError({ var: 'failure' }) @retry({ times: 1 }) @step risky() {
    this.partial = 'never stored';
    if (current.retryCount >= 0) throw new TypeError('bad input ' + current.retryCount);
    this.next(this.end);
  }
  @step end() { console.log('end saw ' + (this.failure as { message: string }).message); }`,
    '  declare failure: unknown;\n  declare partial: string;',
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /Task fallback is starting to handle the failure\./);
  const run = await latest('CatchFlow');
  assert.equal(run.successful, true);
  const failure = (await run.data.failure) as { type: string; message: string };
  assert.equal(failure.type, 'TypeError');
  assert.equal(failure.message, 'bad input 1');
  await assert.rejects(run.data.partial, { code: 'NOT_FOUND' });
  assert.match(r.stdout, /end saw bad input 1/);
  const risky = await (await run.step('risky')).task();
  assert.equal(risky.retryCount, 2);
});

test('@timeout stops a step stuck in a synchronous loop, and the worker is replaced', async () => {
  const file = flow(
    'TimeoutFlow',
    `  @step start() { this.items = [0, 1]; this.next(this.work, { foreach: 'items' }); }
  @timeout({ seconds: 1 }) @step work() {
    if (this.input === 1) { const t = Date.now(); while (Date.now() - t < 60_000) {} }
    this.next(this.join);
  }
  @step join(inputs: Inputs) { this.next(this.end); }
  @step end() {}`,
    '  declare items: number[];',
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /TimeoutError: Step work timed out after 1 second\./);
  const run = await latest('TimeoutFlow');
  const tasks = await (await run.step('work')).tasks();
  const timedOut = tasks.find((t) => t.index === 1)!;
  assert.equal(timedOut.successful, false);
  assert.equal(timedOut.exception?.type, 'TimeoutError');
});

test('@timeout with @retry: a timed-out attempt is retried', async () => {
  const file = flow(
    'TimeoutRetryFlow',
    `  @retry({ times: 1 }) @timeout({ seconds: 1 }) @step start() {
    if (current.retryCount === 0) { const t = Date.now(); while (Date.now() - t < 60_000) {} }
    this.ok = current.retryCount;
    this.next(this.end);
  }
  @step end() {}`,
    '  declare ok: number;',
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(await (await latest('TimeoutRetryFlow')).data.ok, 1);
});

test('@environment sets variables for the task only; @resources is recorded', async () => {
  const file = flow(
    'EnvFlow',
    `  @environment({ vars: { CAIRN_TEST_VAR: 'from-decorator' } }) @resources({ cpu: 2, memory: 512 }) @step start() {
    this.inside = process.env.CAIRN_TEST_VAR ?? 'unset';
    this.next(this.end);
  }
  @step end() { this.after = process.env.CAIRN_TEST_VAR ?? 'unset'; }`,
    '  declare inside: string;\n  declare after: string;',
  );
  const r = await project.cli(['run', file, '--max-workers', '1']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const run = await latest('EnvFlow');
  assert.equal(await (await (await run.step('start')).task()).data.inside, 'from-decorator');
  assert.equal(await run.data.after, 'unset');
});

test('current describes the running task', async () => {
  const file = flow(
    'CurrentFlow',
    `  @step start() { this.items = [7, 8]; this.next(this.each, { foreach: 'items' }); }
  @step each() {
    this.seen = { flow: current.flowName, run: current.runId, step: current.stepName, task: current.taskId,
      path: current.pathspec, retry: current.retryCount, ns: current.namespace, user: current.username,
      tags: current.tags, running: current.isRunningFlow, origin: current.originRunId ?? null };
    this.next(this.join);
  }
  @step join(inputs: Inputs<CurrentFlow>) { this.all = inputs.map((i) => i.seen); this.next(this.end); }
  @step end() {}`,
    '  declare items: number[];\n  declare seen: Record<string, unknown>;\n  declare all: Record<string, unknown>[];',
  );
  const r = await project.cli(['run', file, '--tag', 'exp-1']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const run = await latest('CurrentFlow');
  const all = (await run.data.all) as Array<Record<string, unknown>>;
  const tasks = await (await run.step('each')).tasks();
  assert.deepEqual(all.map((s) => s.task).sort(), tasks.map((t) => t.id).sort());
  for (const s of all) {
    assert.equal(s.flow, 'CurrentFlow');
    assert.equal(s.run, run.id);
    assert.equal(s.step, 'each');
    assert.equal(s.path, `CurrentFlow/${run.id}/each/${s.task}`);
    assert.equal(s.retry, 0);
    assert.equal(s.ns, 'user:tester');
    assert.equal(s.user, 'tester');
    assert.deepEqual(s.tags, ['exp-1']);
    assert.equal(s.running, true);
    assert.equal(s.origin, null);
  }
});

test('decorators with bad options fail when the flow loads, with a clear message', async () => {
  const file = flow(
    'BadRetryFlow',
    `  @retry({ times: -1 }) @step start() { this.next(this.end); }
  @step end() {}`,
  );
  const r = await project.cli(['run', file]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /BadRetryFlow\.ts:\d+:\d+: @retry on step start: times must be a whole number from 0 to 4; got -1\./);
  const many = flow(
    'ManyRetryFlow',
    `  @retry({ times: 9 }) @step start() { this.next(this.end); }
  @step end() {}`,
  );
  assert.match((await project.cli(['run', many])).stderr, /from 0 to 4; got 9/);
});

test('@catchError on a foreach step is rejected by the checker', async () => {
  const file = flow(
    'CatchForeachFlow',
    `  @catchError() @step start() { this.items = [1]; this.next(this.each, { foreach: 'items' }); }
  @step each() { this.next(this.join); }
  @step join(inputs: Inputs) { this.next(this.end); }
  @step end() {}`,
    '  declare items: number[];',
  );
  const r = await project.cli(['check', file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /CatchForeachFlow\.ts:\d+:\d+: Step \*start\* is a foreach and cannot have @catchError/);
});

test('what a timed-out task printed is kept for logs and the client', async () => {
  const file = flow(
    'TimeoutLogFlow',
    `  @timeout({ seconds: 3 }) @step start() {
    console.log('about to hang');
    const t = Date.now(); while (Date.now() - t < 60_000) {}
    this.next(this.end);
  }
  @step end() {}`,
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 1);
  const task = await (await (await latest('TimeoutLogFlow')).step('start')).task();
  assert.equal(await task.stdout(), 'about to hang\n');
  const logs = await project.cli(['logs', file, `${task.runId}/start/${task.id}`]);
  assert.equal(logs.stdout, 'about to hang\n');
});

test('@catchError({ printException: false }) keeps the caught exception off the console', async () => {
  const file = flow(
    'QuietCatchFlow',
    `  @catchError({ var: 'failure', printException: false }) @step start() {
    if (this.index === undefined) throw new Error('quietly handled');
    this.next(this.end);
  }
  @step end() {}`,
    '  declare failure: unknown;',
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.doesNotMatch(r.stdout + r.stderr, /quietly handled/);
  assert.match(r.stdout, /Task fallback is starting to handle the failure\./);
  assert.equal(((await (await latest('QuietCatchFlow')).data.failure) as { message: string }).message, 'quietly handled');
});

test('@retry and @catchError written bare, as in Metaflow, take their defaults', async () => {
  const file = flow(
    'BareFlow',
    `  @retry @step start() {
    if (current.retryCount < 2) throw new Error('flaky ' + current.retryCount);
    this.next(this.risky);
  }
  @catchError @step risky() {
    throw new Error('always');
    this.next(this.end);
  }
  @step() end() { console.log('end reached'); }`,
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /end reached/);
  const run = await latest('BareFlow');
  assert.equal((await (await run.step('start')).task()).retryCount, 2);
  assert.match(r.stdout, /Task fallback is starting to handle the failure\./);
});

test('the @catchError variable is null when the step succeeds, and holds the failure when it does not', async () => {
  const file = flow(
    'CatchNullFlow',
    `  @step start() { this.items = [0, 1]; this.next(this.work, { foreach: 'items' }); }
  @catchError({ var: 'failure' }) @step work() {
    if (this.input === 1) throw new RangeError('one is bad');
    this.next(this.join);
  }
  @step join(inputs: Inputs<CatchNullFlow>) {
    this.failures = inputs.map((i) => (i.failure === null ? null : (i.failure as { type: string }).type));
    this.next(this.end);
  }
  @step end() { console.log(JSON.stringify(this.failures)); }`,
    '  declare items: number[];\n  declare failure: unknown;\n  declare failures: unknown[];',
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /\[null,"RangeError"\]/);
  const run = await latest('CatchNullFlow');
  const tasks = await (await run.step('work')).tasks();
  const ok = tasks.find((t) => t.index === 0)!;
  assert.equal(await ok.data.failure, null);
});

test('decorator forms that cannot work are reported by check with the fix, and run records nothing', async () => {
  const file = project.write(
    'BadFormsFlow.ts',
    `import { FlowSpec, step, retry, catchError, timeout, environment, Parameter } from 'cairnflow';
export class BadFormsFlow extends FlowSpec {
  alpha = Parameter('alpha', { default: 1 });
  // @ts-expect-error: the form is wrong on purpose
  @timeout @step start() { this.next(this.middle); }
  @retry(3 as never) @step middle() { this.next(this.last); }
  @retry({ minutes_between_retries: 1 } as never) @catchError({ var: 'alpha' }) @step last() { this.next(this.end); }
  // @ts-expect-error: the form is wrong on purpose
  @environment @step end() {}
  @retry helper() {}
}
`,
  );
  const r = await project.cli(['check', file]);
  assert.equal(r.code, 1, r.stderr + r.stdout);
  assert.match(r.stderr, /BadFormsFlow\.ts:5:\d+: @timeout on step start: it needs a duration: write @timeout\(\{ seconds: 60 \}\) \(or minutes, hours\)\./);
  assert.match(r.stderr, /@retry on step middle: the options must be an object, like @retry\(\{ times: \.\.\. \}\); got 3\./);
  assert.match(r.stderr, /@retry on step last: unknown option 'minutes_between_retries'\. Did you mean minutesBetweenRetries\?/);
  assert.match(r.stderr, /@environment on step end: it needs variables/);
  assert.match(r.stderr, /Method \*helper\* has @retry but is not a step, so it does nothing\. Add @step to it, or remove @retry\./);
  assert.match(r.stderr, /@catchError on step last stores the failure in 'alpha', which is a parameter/);
  const run = await project.cli(['run', file]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /@timeout on step start: it needs a duration/);
  await assert.rejects(Flow.get('BadFormsFlow'), { code: 'NOT_FOUND' });
});
