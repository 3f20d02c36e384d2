import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedProject } from './helpers.js';
import { Flow, Run } from '../src/index.js';

const project = sharedProject();

async function runCount(flow: string): Promise<number> {
  try {
    let n = 0;
    for await (const _ of (await Flow.get(flow)).runs()) n++;
    return n;
  } catch (e) {
    if ((e as { code?: string }).code === 'NOT_FOUND') return 0;
    throw e;
  }
}

let ids = 0;
async function run(args: string[]) {
  const idFile = join(project.dir, `id-${ids++}.txt`);
  const r = await project.cli([...args, '--run-id-file', idFile]);
  let runId: string | undefined;
  try {
    runId = readFileSync(idFile, 'utf8');
  } catch {
    runId = undefined;
  }
  return { ...r, runId };
}

const FLAGS = project.write(
  'flags.ts',
  `import { FlowSpec, step, Parameter } from 'cairnflow';
export class FlagFlow extends FlowSpec {
  verbose = Parameter('verbose', { type: 'boolean', default: false });
  quiet = Parameter('quiet', { type: 'boolean', default: true });
  alpha = Parameter('alpha', { default: 1 });
  declare seen: string;
  @step start() { this.seen = this.verbose + '/' + this.quiet + '/' + this.alpha; this.next(this.end); }
  @step end() {}
}
`,
);

test('a boolean parameter is a flag: --verbose alone, --no-quiet, and values still work', async () => {
  const a = await run(['run', FLAGS, '--verbose', '--no-quiet', '--alpha', '2']);
  assert.equal(a.code, 0, a.stderr + a.stdout);
  assert.equal(await (await Run.get(`FlagFlow/${a.runId}`)).data.seen, 'true/false/2');
  const b = await run(['run', FLAGS, '--alpha', '3', '--verbose']);
  assert.equal(b.code, 0, b.stderr + b.stdout);
  assert.equal(await (await Run.get(`FlagFlow/${b.runId}`)).data.seen, 'true/true/3');
  const c = await run(['run', FLAGS, '--verbose=no', '--quiet', 'false']);
  assert.equal(c.code, 0, c.stderr + c.stdout);
  assert.equal(await (await Run.get(`FlagFlow/${c.runId}`)).data.seen, 'false/false/1');

  const help = await project.cli(['run', FLAGS, '--help']);
  assert.match(help.stdout, /^ {2}--\[no-\]verbose +\(boolean, default: false\)$/m);

  const before = await runCount('FlagFlow');
  const bad = await project.cli(['run', FLAGS, '--alpha']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /^error: --alpha needs a value \(a number\): write --alpha VALUE\.$/m);
  const bad2 = await project.cli(['run', FLAGS, '--no-verbose=yes']);
  assert.equal(bad2.code, 2, bad2.stderr);
  assert.match(bad2.stderr, /--no-verbose takes no value: write --no-verbose alone, or --verbose VALUE\./);
  assert.equal(await runCount('FlagFlow'), before);
});

const WITH = project.write(
  'with.ts',
  `import { FlowSpec, step, retry, current } from 'cairnflow';
export class WithCliFlow extends FlowSpec {
  declare attempts: number;
  @step start() {
    if (current.retryCount < 1) throw new Error('flaky start');
    this.attempts = current.retryCount;
    this.next(this.slow);
  }
  @retry({ times: 0 }) @step slow() {
    const t = Date.now(); while (Date.now() - t < 10_000) {}
    this.next(this.end);
  }
  @step end() {}
}
`,
);

test('run --with adds decorators to every step that lacks them; a step keeps its own', async () => {
  const r = await run(['run', WITH, '--with', 'retry:times=1', '--with', 'timeout:seconds=2']);
  assert.equal(r.code, 1, r.stderr + r.stdout);
  assert.match(r.stdout, /\/start\/1 \(pid \d+\)\] Task is starting \(retry\)\./);
  assert.match(r.stdout + r.stderr, /TimeoutError: Step slow timed out after 2 seconds\./);
  const slow = await (await (await Run.get(`WithCliFlow/${r.runId}`)).step('slow')).task();
  assert.equal(slow.retryCount, 0, "slow's own @retry({ times: 0 }) wins over --with retry");
  assert.equal((await (await (await Run.get(`WithCliFlow/${r.runId}`)).step('start')).task()).retryCount, 1);
});

test('bad --with specs are refused before anything runs', async () => {
  const before = await runCount('WithCliFlow');
  for (const [spec, message] of [
    ['retrys', /^error: --with retrys: there is no step decorator named retrys\. The step decorators are: retry, catchError, timeout, environment, resources, card, cache\.$/m],
    ['timeout', /^error: --with timeout: timeout needs options: write --with timeout:seconds=60\.$/m],
    ['retry:times=many', /^error: --with retry:times=many: times takes a number; got "many"\.$/m],
    ['retry:times', /is not key=value/],
  ] as const) {
    const r = await project.cli(['run', WITH, '--with', spec]);
    assert.equal(r.code, 2, `${spec}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.equal(await runCount('WithCliFlow'), before);
});

const RESUMABLE = project.write(
  'resumable.ts',
  `import { FlowSpec, step } from 'cairnflow';
export class StepAlias extends FlowSpec {
  declare n: number;
  @step start() { this.n = 1; this.next(this.middle); }
  @step middle() { console.log('middle runs'); this.n += 1; this.next(this.end); }
  @step end() {}
}
`,
);

test('resume --step STEP is the positional STEP; two different steps are refused', async () => {
  const first = await run(['run', RESUMABLE]);
  assert.equal(first.code, 0, first.stderr);
  const r = await run(['resume', RESUMABLE, '--step', 'middle', '--origin-run-id', first.runId!]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /Steps that run again: middle, end; the successful tasks of the other steps are cloned\./);
  assert.match(r.stdout, /middle runs/);
  const both = await project.cli(['resume', RESUMABLE, 'end', '--step', 'middle']);
  assert.equal(both.code, 2, both.stderr);
  assert.match(both.stderr, /^error: resume was given two steps to run again: end and --step middle\. Give one\.$/m);
  const unknown = await project.cli(['resume', RESUMABLE, '--step', 'midle']);
  assert.notEqual(unknown.code, 0);
  assert.doesNotMatch(unknown.stderr, /parameter/i);
  assert.match(unknown.stderr, /midle/);
});
