import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedProject, repoRoot } from './helpers.js';
import { Flow, Run } from '../src/index.js';

const project = sharedProject();

const TRAIN = `import { FlowSpec, step, Parameter, current, type Inputs } from 'cairnflow';

/** Trains a model. */
export class TrainFlow extends FlowSpec {
  alpha = Parameter('alpha', { default: 0.01, help: 'learning rate' });
  dataset = Parameter<string>('dataset', { required: true });
  config = Parameter('config', { type: 'json', default: { depth: 3 } });
  labels = Parameter('labels', { default: 'a,b', separator: ',' });
  static readonly MAX_DEPTH = 10;
  declare label: string;
  declare alpha_type: string;
  declare names_in_start: string[];
  declare seen_in_join: unknown;

  @step start() {
    this.alpha_type = typeof this.alpha;
    this.names_in_start = current.parameterNames;
    this.next(this.per_label, { foreach: 'labels' });
  }

  @step per_label() {
    this.label = this.input + '@' + this.alpha;
    this.next(this.join);
  }

  @step join(inputs: Inputs<TrainFlow>) {
    this.seen_in_join = {
      alpha: this.alpha, dataset: this.dataset, config: this.config, labels: this.labels,
      max: (this as unknown as { MAX_DEPTH: number }).MAX_DEPTH, by_class: TrainFlow.MAX_DEPTH, from_inputs: [...inputs].map((i) => i.label),
    };
    this.next(this.end);
  }

  @step end() {}
}
`;

async function run(file: string, args: string[], env: Record<string, string> = {}) {
  const idFile = join(project.dir, `run-id-${Math.random().toString(36).slice(2)}.txt`);
  const r = await project.cli(['run', file, '--run-id-file', idFile, ...args], env);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return Run.get(`${file.replace(/\.ts$/, '')}/${readFileSync(idFile, 'utf8')}`);
}

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

test('values from the command line are typed, visible in every step including a join, and recorded on the run', async () => {
  project.write('TrainFlow.ts', TRAIN);
  const r = await run('TrainFlow.ts', ['--dataset', 's3://x', '--alpha', '0.5', '--config', '{"depth":5}', '--labels', 'x, y']);
  assert.equal(await r.data.alpha, 0.5);
  const start = await (await r.step('start')).task();
  assert.equal(await start.data.alpha_type, 'number');
  assert.deepEqual(await start.data.names_in_start, ['alpha', 'dataset', 'config', 'labels']);
  assert.equal(await r.data.dataset, 's3://x');
  assert.deepEqual(await r.data.config, { depth: 5 });
  assert.deepEqual(await r.data.labels, ['x', 'y']);
  assert.deepEqual(await r.data.seen_in_join, {
    alpha: 0.5, dataset: 's3://x', config: { depth: 5 }, labels: ['x', 'y'], max: 10, by_class: 10, from_inputs: ['x@0.5', 'y@0.5'],
  });
  assert.deepEqual(r.parameters, { alpha: 0.5, dataset: 's3://x', config: { depth: 5 }, labels: ['x', 'y'] });
  const params = await (await r.step('_parameters')).task();
  assert.equal(await params.data.alpha, 0.5);
});

test('the environment gives values when the command line does not, and defaults fill the rest', async () => {
  project.write('TrainFlow.ts', TRAIN);
  const fromEnv = await run('TrainFlow.ts', [], { CAIRN_RUN_DATASET: 'from-env', CAIRN_RUN_ALPHA: '0.25' });
  assert.equal(await fromEnv.data.dataset, 'from-env');
  assert.equal(await fromEnv.data.alpha, 0.25);
  assert.deepEqual(await fromEnv.data.config, { depth: 3 });
  assert.deepEqual(await fromEnv.data.labels, ['a', 'b']);
  const cliWins = await run('TrainFlow.ts', ['--alpha', '0.75'], { CAIRN_RUN_DATASET: 'd', CAIRN_RUN_ALPHA: '0.25' });
  assert.equal(await cliWins.data.alpha, 0.75);
});

test('a class constant is a read-only artifact of every task', async () => {
  project.write('TrainFlow.ts', TRAIN);
  const r = await run('TrainFlow.ts', ['--dataset', 'd']);
  assert.equal(await r.data.MAX_DEPTH, 10);
  const start = await (await r.step('start')).task();
  assert.equal(await start.data.MAX_DEPTH, 10);
  assert.equal(r.parameters['MAX_DEPTH'], undefined);
});

test('a missing required value, a wrong type or an unknown option fail before anything runs, and no run is recorded', async () => {
  project.write('StrictFlow.ts', TRAIN.replace(/TrainFlow/g, 'StrictFlow'));
  const missing = await project.cli(['run', 'StrictFlow.ts']);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /^error: --dataset is required: give --dataset VALUE or set CAIRN_RUN_DATASET\.$/m);
  assert.doesNotMatch(missing.stdout, /Workflow starting/);

  const wrong = await project.cli(['run', 'StrictFlow.ts', '--dataset', 'd', '--alpha', 'abc']);
  assert.equal(wrong.code, 2, wrong.stderr);
  assert.match(wrong.stderr, /^error: --alpha expects a number; got 'abc'\.$/m);

  const badJson = await project.cli(['run', 'StrictFlow.ts', '--dataset', 'd', '--config', '{depth: 3}']);
  assert.equal(badJson.code, 2, badJson.stderr);
  assert.match(badJson.stderr, /^error: --config expects JSON; got '\{depth: 3\}' \(/m);

  const envWrong = await project.cli(['run', 'StrictFlow.ts', '--dataset', 'd'], { CAIRN_RUN_ALPHA: 'lots' });
  assert.equal(envWrong.code, 2, envWrong.stderr);
  assert.match(envWrong.stderr, /^error: CAIRN_RUN_ALPHA \(for --alpha\) expects a number; got 'lots'\.$/m);

  const unknown = await project.cli(['run', 'StrictFlow.ts', '--dataset', 'd', '--alpah', '3']);
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(
    unknown.stderr,
    /^error: Unknown option --alpah for `run`\. Did you mean --alpha\? The parameters of StrictFlow are: --alpha, --dataset, --config, --labels\./m,
  );
  assert.equal(await runCount('StrictFlow'), 0);
});

test('assigning to a parameter fails the task with a clear message', async () => {
  project.write(
    'AssignFlow.ts',
    `import { FlowSpec, step, Parameter } from 'cairnflow';
export class AssignFlow extends FlowSpec {
  alpha = Parameter('alpha', { default: 1 });
  @step start() { this.alpha = 2; this.next(this.end); }
  @step end() {}
}
`,
  );
  const r = await project.cli(['run', 'AssignFlow.ts']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /Step start \(task-id 1\) failed: CairnError\(INVALID_ARGUMENT\): Step start assigned to parameter 'alpha'\. Parameters are read-only in every step/);
  const latest = (await (await Flow.get('AssignFlow')).latestRun())!;
  assert.equal(latest.successful, false);
  assert.equal(latest.parameters['alpha'], 1);
});

test('IncludeFile stores the contents of a text or a binary file; the run records the path', async () => {
  writeFileSync(join(project.dir, 'data.csv'), 'x,y\n1,2\n');
  writeFileSync(join(project.dir, 'weights.bin'), Buffer.from([0, 1, 254, 255]));
  project.write(
    'FileFlow.ts',
    `import { FlowSpec, step, IncludeFile } from 'cairnflow';
export class FileFlow extends FlowSpec {
  data = IncludeFile('data', { default: './data.csv' });
  weights = IncludeFile('weights', { isText: false, required: true });
  notes = IncludeFile('notes');
  declare summary: string;
  @step start() {
    this.summary = this.data.split('\\n')[1] + ' / ' + this.weights.length + ' bytes / ' + String(this.notes);
    this.next(this.end);
  }
  @step end() {}
}
`,
  );
  const r = await run('FileFlow.ts', ['--weights', 'weights.bin']);
  assert.equal(await r.data.data, 'x,y\n1,2\n');
  const weights = (await r.data.weights) as Buffer;
  assert.ok(Buffer.isBuffer(weights));
  assert.deepEqual([...weights], [0, 1, 254, 255]);
  assert.equal(await r.data.notes, undefined);
  assert.equal(await r.data.summary, '1,2 / 4 bytes / undefined');
  assert.deepEqual(r.parameters, { data: './data.csv', weights: 'weights.bin', notes: null });

  const missing = await project.cli(['run', 'FileFlow.ts', '--weights', 'nope.bin']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^error: --weights: cannot read the file nope\.bin \(no such file\)\. Check the path\.$/m);
});

test('run --help lists the parameters with their type, default, required and help; show lists them above the steps', async () => {
  project.write('TrainFlow.ts', TRAIN);
  const help = await project.cli(['run', 'TrainFlow.ts', '--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^ {2}--max-workers N /m);
  assert.match(help.stdout, /^Parameters of TrainFlow \(each can also be set in the environment as CAIRN_RUN_<NAME>, e\.g\. CAIRN_RUN_ALPHA\):$/m);
  assert.match(help.stdout, /^ {2}--alpha NUMBER +learning rate \(number, default: 0\.01\)$/m);
  assert.match(help.stdout, /^ {2}--dataset STRING +\(string, required\)$/m);
  assert.match(help.stdout, /^ {2}--config JSON +\(json, default: \{"depth":3\}\)$/m);
  assert.match(help.stdout, /^ {2}--labels LIST +\(strings separated by ",", default: "a,b"\)$/m);

  const show = await project.cli(['show', 'TrainFlow.ts']);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /^Trains a model\.\n\nParameters\n {4}--alpha NUMBER +learning rate \(number, default: 0\.01\)\n/);
  assert.ok(show.stdout.indexOf('--labels LIST') < show.stdout.indexOf('Step *start*'));
});

test('the parameters example runs with a value from the command line and one from the environment', async () => {
  copyFileSync(join(repoRoot, 'examples', 'parameters.ts'), join(project.dir, 'parameters.ts'));
  writeFileSync(join(project.dir, 'notes.txt'), 'one\ntwo\nthree');
  const idFile = join(project.dir, 'example-run.txt');
  const r = await project.cli(['run', 'parameters.ts', '--labels', 'x,yy', '--notes', 'notes.txt', '--run-id-file', idFile], { CAIRN_RUN_DATASET: 'demo' });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /dataset demo, depth 3, 3 lines of notes/);
  const run = await Run.get(`ParamFlow/${readFileSync(idFile, 'utf8')}`);
  assert.equal(await run.data.total, 0.03);
  assert.equal(await run.data.MAX_DEPTH, 10);
});

test('a bad parameter definition is a validity issue: check reports it and run refuses to start', async () => {
  project.write(
    'ReservedFlow.ts',
    `import { FlowSpec, step, Parameter } from 'cairnflow';
export class ReservedFlow extends FlowSpec {
  tags = Parameter('tags', { default: 'a' });
  @step start() { this.next(this.end); }
  @step end() {}
}
`,
  );
  const message = "ReservedFlow: Parameter --tags (field tags): 'tags' is a reserved name (an option of cairn run, or reserved as in Metaflow). Choose another name.";
  const check = await project.cli(['check', 'ReservedFlow.ts']);
  assert.equal(check.code, 1);
  assert.ok(check.stderr.includes(message), check.stderr);
  const r = await project.cli(['run', 'ReservedFlow.ts']);
  assert.equal(r.code, 1);
  assert.ok(r.stderr.includes(`error: Validity checker found an issue in ReservedFlow:\n${message}`), r.stderr);
  assert.equal(await runCount('ReservedFlow'), 0);
});

test('an int parameter refuses 2.5 before anything runs; a default function sees the flow, the user and the other values', async () => {
  project.write(
    'EpochFlow.ts',
    `import { FlowSpec, step, Parameter } from 'cairnflow';
export class EpochFlow extends FlowSpec {
  epochs = Parameter('epochs', { type: 'int', default: 3, help: 'passes' });
  fast = Parameter('fast', { type: 'boolean', default: false });
  out = Parameter('out', { default: (ctx) => \`/out/\${ctx.user}/\${ctx.flowName}/\${ctx.parameters.fast ? 'quick' : 'full'}\` });
  batches = Parameter('batches', { type: 'int', default: (ctx) => (ctx.parameters.epochs as number) * 10 });
  declare seen: string;
  @step start() {
    this.seen = typeof this.epochs + ':' + this.epochs + ':' + this.out + ':' + this.batches;
    this.next(this.end);
  }
  @step end() {}
}
`,
  );
  const bad = await project.cli(['run', 'EpochFlow.ts', '--epochs', '2.5']);
  assert.equal(bad.code, 2, bad.stderr + bad.stdout);
  assert.match(bad.stderr, /^error: --epochs expects a whole number \(int\); got '2\.5'\.$/m);
  await assert.rejects(Flow.get('EpochFlow'), { code: 'NOT_FOUND' });

  const r = await run('EpochFlow.ts', ['--epochs', '4', '--fast', 'yes']);
  assert.equal(await r.data.seen, 'number:4:/out/tester/EpochFlow/quick:40');
  assert.deepEqual(r.parameters, { epochs: 4, fast: true, out: '/out/tester/EpochFlow/quick', batches: 40 });
  const given = await run('EpochFlow.ts', ['--out', '/mine']);
  assert.equal(await given.data.seen, 'number:3:/mine:30');

  const help = await project.cli(['run', 'EpochFlow.ts', '--help']);
  assert.match(help.stdout, /^ {2}--epochs INT +passes \(int, default: 3\)$/m);
  assert.match(help.stdout, /^ {2}--out STRING +\(string, default: computed when the run starts\)$/m);
});

test('a default function that fails stops the run before anything is recorded', async () => {
  project.write(
    'BadDefaultFlow.ts',
    `import { FlowSpec, step, Parameter } from 'cairnflow';
export class BadDefaultFlow extends FlowSpec {
  n = Parameter('n', { type: 'int', default: () => 2.5 });
  @step start() { this.next(this.end); }
  @step end() {}
}
`,
  );
  const r = await project.cli(['run', 'BadDefaultFlow.ts']);
  assert.equal(r.code, 2, r.stderr + r.stdout);
  assert.match(r.stderr, /^error: The default function of --n returned 2\.5, which is not a whole number \(the type of --n is 'int'\)\.$/m);
  await assert.rejects(Flow.get('BadDefaultFlow'), { code: 'NOT_FOUND' });
});
