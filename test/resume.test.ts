import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedProject, repoRoot } from './helpers.js';
import { Flow, Run, type Task } from '../src/index.js';

const project = sharedProject();

let files = 0;
/** Runs the CLI with `--run-id-file`; resolves to its output and the id of the run it recorded. */
async function cli(args: string[], env: Record<string, string> = {}) {
  const idFile = `run-id-${files++}.txt`;
  const r = await project.cli([...args, '--run-id-file', idFile], env);
  let runId: string | undefined;
  try {
    runId = readFileSync(join(project.dir, idFile), 'utf8');
  } catch {
    runId = undefined;
  }
  return { ...r, runId };
}

async function tasksOf(flow: string, runId: string, step: string): Promise<Task[]> {
  return (await (await Run.get(`${flow}/${runId}`)).step(step)).tasks();
}

async function sha(task: Task, name: string): Promise<string> {
  return (await task.artifact(name)).sha;
}

async function runCount(flow: string): Promise<number> {
  let n = 0;
  for await (const _ of (await Flow.get(flow)).runs()) n++;
  return n;
}

const LINEAR = project.write(
  'linear.ts',
  `import { FlowSpec, step, current } from 'cairnflow';
export class ResumeLinear extends FlowSpec {
  declare data: number[];
  declare doubled: number[];
  declare origin: string | null;
  @step start() { console.log('start computes data'); this.data = [1, 2, 3]; this.next(this.middle); }
  @step middle() {
    if (process.env.BREAK_MIDDLE) throw new Error('middle is broken');
    console.log('middle doubles');
    this.doubled = this.data.map((x) => x * 2);
    this.next(this.end);
  }
  @step end() { this.origin = current.originRunId ?? null; }
}
ResumeLinear.main(import.meta);
`,
);

let linearOrigin = '';
let linearResumed = '';

test('resume clones the successful tasks of a failed run and re-runs the failed one', async () => {
  const failed = await cli(['run', LINEAR], { BREAK_MIDDLE: '1' });
  assert.equal(failed.code, 1, failed.stderr + failed.stdout);
  const origin = failed.runId!;
  const r = await cli(['resume', LINEAR]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const resumed = r.runId!;
  assert.notEqual(resumed, origin);
  assert.match(r.stdout, new RegExp(`Resuming run ResumeLinear/${origin} \\(failed\\), the latest run of ResumeLinear`));
  assert.match(r.stdout, /Gathering required information to resume run\.\.\./);
  assert.match(r.stdout, new RegExp(`Cloning ResumeLinear/${origin}$`, 'm'));
  assert.match(r.stdout, new RegExp(`\\[${resumed}/start/1\\] Cloning previously run task ResumeLinear/${origin}/start/1$`, 'm'));
  assert.doesNotMatch(r.stdout, /start computes data/, 'a cloned task does not run, so it prints nothing');
  assert.match(r.stdout, new RegExp(`\\[${resumed}/middle/2 \\(pid \\d+\\)\\] middle doubles`));

  const run = await Run.get(`ResumeLinear/${resumed}`);
  assert.equal(run.successful, true);
  assert.equal(run.originRunId, origin);
  assert.equal(run.originPathspec, `ResumeLinear/${origin}`);
  assert.deepEqual(await run.data.doubled, [2, 4, 6]);
  assert.equal(await run.data.origin, origin, 'current.originRunId is set in the tasks of a resumed run');
  const [start] = await tasksOf('ResumeLinear', resumed, 'start');
  const [originStart] = await tasksOf('ResumeLinear', origin, 'start');
  assert.equal(start!.originPathspec, `ResumeLinear/${origin}/start/1`);
  assert.equal(await sha(start!, 'data'), await sha(originStart!, 'data'));
  assert.equal(await start!.stdout(), 'start computes data\n', "a cloned task shows its origin's output");
  const [middle] = await tasksOf('ResumeLinear', resumed, 'middle');
  assert.equal(middle!.originPathspec, undefined);
  assert.equal((await Run.get(`ResumeLinear/${origin}`)).originRunId, undefined);
  linearOrigin = origin;
  linearResumed = resumed;
});

test('resume STEP re-runs that step and everything after it, through tsx too', async () => {
  assert.ok(linearResumed, 'needs the previous test');
  const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const r = await project.exec(process.execPath, [tsx, LINEAR, 'resume', 'middle', '--origin-run-id', linearResumed, '--run-id-file', 'step.txt']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const runId = readFileSync(join(project.dir, 'step.txt'), 'utf8');
  assert.doesNotMatch(r.stdout, /the latest run of/);
  assert.match(r.stdout, /Steps that run again: middle, end; the successful tasks of the other steps are cloned\./);
  assert.match(r.stdout, new RegExp(`\\[${runId}/middle/2 \\(pid \\d+\\)\\] middle doubles`));
  const [start] = await tasksOf('ResumeLinear', runId, 'start');
  assert.equal(start!.originPathspec, `ResumeLinear/${linearResumed}/start/1`);
  assert.equal(await start!.stdout(), 'start computes data\n', 'output is found through a clone of a clone');
  for (const step of ['middle', 'end']) {
    const [task] = await tasksOf('ResumeLinear', runId, step);
    assert.equal(task!.originPathspec, undefined, `${step} ran again`);
  }
  const run = await Run.get(`ResumeLinear/${runId}`);
  assert.equal(run.originRunId, linearResumed);
  assert.equal(await run.data.origin, linearResumed);
});

test('a foreach with a failed split: the successful splits are cloned, the rest run, then the join', async () => {
  const file = project.write(
    'foreach.ts',
    `import { FlowSpec, step, type Inputs } from 'cairnflow';
export class ResumeForeach extends FlowSpec {
  declare items: number[];
  declare sq: number;
  declare squares: number[];
  @step start() { this.items = [0, 1, 2, 3]; this.next(this.work, { foreach: 'items' }); }
  @step work() {
    if (this.input === 1 && process.env.BREAK_SPLIT) throw new Error('split 1 is broken');
    this.sq = this.input * this.input;
    this.next(this.join);
  }
  @step join(inputs: Inputs<ResumeForeach>) { this.squares = inputs.map((i) => i.sq); this.next(this.end); }
  @step end() {}
}
`,
  );
  const failed = await cli(['run', file, '--max-workers', '1'], { BREAK_SPLIT: '1' });
  assert.equal(failed.code, 1, failed.stderr + failed.stdout);
  const origin = failed.runId!;
  const r = await cli(['resume', file, '--origin-run-id', origin]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const run = await Run.get(`ResumeForeach/${r.runId}`);
  assert.deepEqual(await run.data.squares, [0, 1, 4, 9]);

  const before = new Map((await tasksOf('ResumeForeach', origin, 'work')).map((t) => [t.index, t]));
  assert.equal(before.get(0)?.successful, true, 'with one worker, split 0 ran before split 1 failed');
  assert.equal(before.get(1)?.successful, false);
  const work = await tasksOf('ResumeForeach', r.runId!, 'work');
  assert.deepEqual(work.map((t) => t.index).sort(), [0, 1, 2, 3]);
  for (const t of work) {
    const was = before.get(t.index);
    if (was?.successful) {
      assert.equal(t.originPathspec, was.pathspec, `split ${t.index} is cloned`);
      assert.equal(await sha(t, 'sq'), await sha(was, 'sq'));
    } else {
      assert.equal(t.originPathspec, undefined, `split ${t.index} ran`);
    }
  }
  const [join] = await tasksOf('ResumeForeach', r.runId!, 'join');
  assert.equal(join!.originPathspec, undefined);
});

const LOOP = `import { FlowSpec, step } from 'cairnflow';
export class ResumeLoop extends FlowSpec {
  count!: number;
  declare state: string;
  declare path: string[];
  @step start() { this.count = 0; this.path = []; this.next(this.loop); }
  @step loop() {
    this.count += 1;
    if (this.count === 3 && process.env.BREAK_LOOP) throw new Error('the third iteration is broken');
    this.path = [...this.path, 'loop' + this.count];
    this.state = this.count < 4 ? 'again' : 'done';
    this.next({ again: this.loop, done: this.end }, { condition: 'state' });
  }
  @step end() {}
}
`;

test('a switch loop resumes at the iteration that failed; with STEP every iteration runs again', async () => {
  const file = project.write('loop.ts', LOOP);
  const failed = await cli(['run', file], { BREAK_LOOP: '1' });
  assert.equal(failed.code, 1, failed.stderr + failed.stdout);
  const origin = failed.runId!;
  const originLoops = await tasksOf('ResumeLoop', origin, 'loop');
  const byId = (a: Task, b: Task) => Number(a.id) - Number(b.id);
  originLoops.sort(byId);
  assert.deepEqual(originLoops.map((t) => t.successful), [true, true, false]);

  const r = await cli(['resume', file]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(await (await Run.get(`ResumeLoop/${r.runId}`)).data.path, ['loop1', 'loop2', 'loop3', 'loop4']);
  const loops = (await tasksOf('ResumeLoop', r.runId!, 'loop')).sort(byId);
  assert.deepEqual(loops.map((t) => t.originPathspec), [originLoops[0]!.pathspec, originLoops[1]!.pathspec, undefined, undefined]);
  assert.equal(await sha(loops[1]!, 'path'), await sha(originLoops[1]!, 'path'));

  const again = await cli(['resume', file, 'loop']);
  assert.equal(again.code, 0, again.stderr + again.stdout);
  assert.match(again.stdout, new RegExp(`Resuming run ResumeLoop/${r.runId} \\(succeeded\\)`));
  const rerun = await tasksOf('ResumeLoop', again.runId!, 'loop');
  assert.equal(rerun.length, 4);
  assert.ok(rerun.every((t) => t.originPathspec === undefined));
  const [start] = await tasksOf('ResumeLoop', again.runId!, 'start');
  assert.ok(start!.originPathspec);
});

test('a resumed run keeps the parameter values of its origin and refuses new ones', async () => {
  const file = project.write(
    'params.ts',
    `import { FlowSpec, step, Parameter } from 'cairnflow';
export class ResumeParams extends FlowSpec {
  alpha = Parameter('alpha', { default: 0.01 });
  declare scaled: number;
  @step start() { this.next(this.scale); }
  @step scale() {
    if (process.env.BREAK_SCALE) throw new Error('scale is broken');
    this.scaled = this.alpha * 100;
    this.next(this.end);
  }
  @step end() {}
}
`,
  );
  const failed = await cli(['run', file, '--alpha', '0.5'], { BREAK_SCALE: '1' });
  assert.equal(failed.code, 1, failed.stderr + failed.stdout);
  const refused = await cli(['resume', file, '--alpha', '2']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /A resumed run keeps the parameter values of the run it resumes/);
  assert.equal(refused.runId, undefined);

  const r = await cli(['resume', file]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const run = await Run.get(`ResumeParams/${r.runId}`);
  const origin = await Run.get(`ResumeParams/${failed.runId}`);
  assert.equal(await run.data.scaled, 50);
  assert.deepEqual(run.parameters, origin.parameters);
  const params = await (await run.step('_parameters')).task();
  const originParams = await (await origin.step('_parameters')).task();
  assert.equal(await sha(params, 'alpha'), await sha(originParams, 'alpha'));
});

test('a step whose transition changed since the origin runs again, and so does everything after it', async () => {
  const v1 = `import { FlowSpec, step } from 'cairnflow';
export class ResumeChanged extends FlowSpec {
  declare trail: string[];
  @step start() { this.trail = ['start']; this.next(this.mid); }
  @step mid() { this.trail = [...this.trail, 'mid']; this.next(this.end); }
  @step end() { if (process.env.BREAK_END) throw new Error('end is broken'); }
}
`;
  const file = project.write('changed.ts', v1);
  const failed = await cli(['run', file], { BREAK_END: '1' });
  assert.equal(failed.code, 1, failed.stderr + failed.stdout);
  project.write(
    'changed.ts',
    v1
      .replace("this.trail = ['start']; this.next(this.mid);", "this.trail = ['start']; this.next(this.extra);")
      .replace('@step mid()', "@step extra() { this.trail = [...this.trail, 'extra']; this.next(this.mid); }\n  @step mid()"),
  );
  const r = await cli(['resume', file]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /Step start went to mid in the origin run, which the flow no longer does/);
  assert.doesNotMatch(r.stdout, /Cloning previously run task/);
  assert.deepEqual(await (await Run.get(`ResumeChanged/${r.runId}`)).data.trail, ['start', 'extra', 'mid']);
});

test('bad input: no run, an unknown run, a run of another flow, an unknown step; nothing is recorded', async () => {
  const fresh = project.write(
    'fresh.ts',
    `import { FlowSpec, step } from 'cairnflow';
export class NeverRun extends FlowSpec {
  @step start() { this.next(this.end); }
  @step end() {}
}
`,
  );
  const none = await cli(['resume', fresh]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /^error: There is no run of NeverRun to resume in the store at .*\. Run the flow first with `cairn run`\.$/m);
  await assert.rejects(Flow.get('NeverRun'), { code: 'NOT_FOUND' });

  assert.ok(linearOrigin, 'needs the first test');
  const runs = await runCount('ResumeLinear');
  const unknown = await cli(['resume', LINEAR, '--origin-run-id', '42']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /error: ResumeLinear has no run 42 in the store at .*\. Its latest runs are: \d+ \(succeeded\), /);
  assert.match(unknown.stderr, new RegExp(`${linearOrigin} \\(failed\\)`));

  const other = await cli(['resume', fresh, '--origin-run-id', linearOrigin]);
  assert.equal(other.code, 1);
  assert.match(other.stderr, new RegExp(`error: Run ${linearOrigin} is a run of ResumeLinear, not of NeverRun\\. Resume it with the flow file that defines ResumeLinear\\.`));

  const step = await cli(['resume', LINEAR, 'midle']);
  assert.equal(step.code, 2);
  assert.match(step.stderr, /error: ResumeLinear has no step "midle" to resume from\. Its steps are: start, middle, end\./);

  for (const r of [unknown, other, step]) assert.equal(r.runId, undefined);
  assert.equal(await runCount('ResumeLinear'), runs);
  await assert.rejects(Flow.get('NeverRun'), { code: 'NOT_FOUND' });
});
