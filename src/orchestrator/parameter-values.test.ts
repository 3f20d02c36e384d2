import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { defineIncludeFile, defineParameter, type IncludeFileOptions, type ParameterContext, type ParameterOptions } from '../authoring/parameter.js';
import { envVarName, parseParameterText, resolveParameters, splitList, type FlowParameter } from './parameter-values.js';

function param(name: string, options: ParameterOptions = {}, field = name.replace(/-/g, '_')): FlowParameter {
  return { ...defineParameter(name, options), field };
}

function file(name: string, options: IncludeFileOptions = {}): FlowParameter {
  return { ...defineIncludeFile(name, options), field: name };
}

function values(params: FlowParameter[], given: Record<string, string[]> = {}, env: NodeJS.ProcessEnv = {}, cwd?: string) {
  return Object.fromEntries(resolveParameters('TrainFlow', params, { given, env, ...(cwd ? { cwd } : {}) }).map((r) => [r.param.field, r.value]));
}

function fails(params: FlowParameter[], given: Record<string, string[]>, env: NodeJS.ProcessEnv, message: string): void {
  assert.throws(
    () => resolveParameters('TrainFlow', params, { given, env }),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, 'INVALID_ARGUMENT');
      assert.equal(e.message, message);
      return true;
    },
  );
}

test('the environment variable is CAIRN_RUN_ and the name in upper case, with - as _', () => {
  assert.equal(envVarName('alpha'), 'CAIRN_RUN_ALPHA');
  assert.equal(envVarName('num-epochs'), 'CAIRN_RUN_NUM_EPOCHS');
  assert.equal(envVarName('learningRate'), 'CAIRN_RUN_LEARNINGRATE');
});

test('the command line wins over the environment, which wins over the default', () => {
  const alpha = [param('alpha', { default: 0.01 })];
  assert.deepEqual(values(alpha, { alpha: ['0.5'] }, { CAIRN_RUN_ALPHA: '0.2' }), { alpha: 0.5 });
  assert.deepEqual(values(alpha, {}, { CAIRN_RUN_ALPHA: '0.2' }), { alpha: 0.2 });
  assert.deepEqual(values(alpha, {}, {}), { alpha: 0.01 });
  const sources = resolveParameters('F', alpha, { given: {}, env: { CAIRN_RUN_ALPHA: '1' } }).map((r) => r.source);
  assert.deepEqual(sources, ['env']);
});

test('text becomes a value of the parameter type', () => {
  const p = [
    param('n', { type: 'number' }),
    param('flag', { type: 'boolean' }),
    param('off', { type: 'boolean', default: true }),
    param('cfg', { type: 'json' }),
    param('s'),
    param('labels', { separator: ',' }),
  ];
  const got = values(p, { n: ['-1e-3'], flag: ['yes'], off: ['False'], cfg: ['{"depth": [1, 2]}'], s: ['  spaced  '], labels: ['a, b ,c'] });
  assert.deepEqual(got, { n: -0.001, flag: true, off: false, cfg: { depth: [1, 2] }, s: '  spaced  ', labels: ['a', 'b', 'c'] });
});

test('a list default is split like a given value; empty text is an empty list', () => {
  assert.deepEqual(values([param('labels', { default: 'a,b', separator: ',' })]), { labels: ['a', 'b'] });
  assert.deepEqual(splitList('', ','), []);
  assert.deepEqual(splitList('x|y', '|'), ['x', 'y']);
});

test('an optional parameter without a default is undefined, shown as null', () => {
  const [r] = resolveParameters('F', [param('note')], { given: {}, env: {} });
  assert.equal(r!.value, undefined);
  assert.equal(r!.display, null);
  assert.equal(r!.source, 'none');
});

test('wrong types name the parameter, where the value came from and the expected type', () => {
  fails([param('alpha', { default: 0.01 })], { alpha: ['abc'] }, {}, "--alpha expects a number; got 'abc'.");
  fails([param('alpha', { default: 0.01 })], {}, { CAIRN_RUN_ALPHA: 'abc' }, "CAIRN_RUN_ALPHA (for --alpha) expects a number; got 'abc'.");
  fails([param('n', { type: 'number' })], { n: [''] }, {}, "--n expects a number; got ''.");
  fails([param('n', { type: 'number' })], { n: ['Infinity'] }, {}, "--n expects a number; got 'Infinity'.");
  fails([param('flag', { default: false })], { flag: ['maybe'] }, {}, "--flag expects a boolean (true or false); got 'maybe'.");
  assert.throws(() => values([param('config', { type: 'json' })], { config: ['{depth: 3}'] }), {
    code: 'INVALID_ARGUMENT',
    message: /^--config expects JSON; got '\{depth: 3\}' \(.+\)\.$/,
  });
});

test('a missing required value says how to give it', () => {
  fails([param('dataset', { required: true })], {}, {}, '--dataset is required: give --dataset VALUE or set CAIRN_RUN_DATASET.');
  fails([file('data', { required: true })], {}, {}, '--data is required: give --data PATH or set CAIRN_RUN_DATA.');
  assert.deepEqual(values([param('dataset', { required: true })], {}, { CAIRN_RUN_DATASET: 's3://x' }), { dataset: 's3://x' });
});

test('an unknown option lists the flow parameters and suggests a close one', () => {
  const p = [param('alpha', { default: 1 }), param('dataset')];
  fails(
    p,
    { alpah: ['3'] },
    {},
    'Unknown option --alpah for `run`. Did you mean --alpha? The parameters of TrainFlow are: --alpha, --dataset. ' +
      'Run `cairn run <flow.ts> --help` to see them with the options of run.',
  );
  assert.throws(() => values(p, { Alpha: ['3'] }), { message: /^Unknown option --Alpha for `run`\. Did you mean --alpha\?/ });
  assert.throws(() => values(p, { banana: ['3'] }), { message: /^Unknown option --banana for `run`\. The parameters of TrainFlow are: --alpha, --dataset\./ });
  fails([], { x: ['1'] }, {}, 'Unknown option --x for `run`. TrainFlow has no parameters; run `cairn run --help` to see the options of run.');
  assert.throws(() => resolveParameters('TrainFlow', [], { given: { 'max-wrokers': ['3'] }, env: {}, commandOptions: ['tag', 'max-workers'] }), {
    message: 'Unknown option --max-wrokers for `run`. Did you mean --max-workers? TrainFlow has no parameters; run `cairn run --help` to see the options of run.',
  });
});

test('a parameter given twice is refused', () => {
  fails([param('alpha', { default: 1 })], { alpha: ['1', '2'] }, {}, '--alpha was given 2 times; give it once.');
});

test('every problem is reported at once', () => {
  fails(
    [param('alpha', { default: 1 }), param('dataset', { required: true })],
    { alpha: ['x'], beta: ['2'] },
    {},
    'The parameters of TrainFlow have 3 problems:\n' +
      '  Unknown option --beta for `run`. The parameters of TrainFlow are: --alpha, --dataset. Run `cairn run <flow.ts> --help` to see them with the options of run.\n' +
      "  --alpha expects a number; got 'x'.\n" +
      '  --dataset is required: give --dataset VALUE or set CAIRN_RUN_DATASET.',
  );
});

test('IncludeFile reads the file relative to the working folder: text or bytes; the display is the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-params-'));
  try {
    writeFileSync(join(dir, 'data.csv'), 'x,y\n1,2\n');
    writeFileSync(join(dir, 'blob.bin'), Buffer.from([0, 255, 1]));
    writeFileSync(join(dir, 'latin.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    const p = [file('data', { default: 'data.csv' }), file('blob', { isText: false }), file('latin', { encoding: 'latin1' }), file('none')];
    const resolved = resolveParameters('F', p, { given: { blob: ['blob.bin'] }, env: { CAIRN_RUN_LATIN: join(dir, 'latin.txt') }, cwd: dir });
    const [data, blob, latin, none] = resolved;
    assert.equal(data!.value, 'x,y\n1,2\n');
    assert.equal(data!.display, 'data.csv');
    assert.ok(Buffer.isBuffer(blob!.value));
    assert.deepEqual([...(blob!.value as Buffer)], [0, 255, 1]);
    assert.equal(blob!.display, 'blob.bin');
    assert.equal(latin!.value, 'café');
    assert.deepEqual([none!.value, none!.display], [undefined, null]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file that cannot be read is an error that names the file and where the path came from', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-params-'));
  try {
    assert.throws(
      () => resolveParameters('F', [file('data', { default: './data.csv' })], { given: {}, env: {}, cwd: dir }),
      { code: 'INVALID_ARGUMENT', message: 'The default of --data: cannot read the file ./data.csv (no such file). Check the path.' },
    );
    assert.throws(
      () => resolveParameters('F', [file('data')], { given: { data: ['nope.csv'] }, env: {}, cwd: dir }),
      { message: '--data: cannot read the file nope.csv (no such file). Check the path.' },
    );
    assert.throws(() => resolveParameters('F', [file('data')], { given: { data: ['.'] }, env: {}, cwd: dir }), { message: /^--data: cannot read the file \. \(EISDIR/ });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseParameterText reports instead of throwing', () => {
  const p = defineParameter('alpha', { default: 1 });
  assert.deepEqual(parseParameterText(p, '2', '--alpha'), { ok: true, value: 2 });
  assert.deepEqual(parseParameterText(p, 'two', '--alpha'), { ok: false, message: "--alpha expects a number; got 'two'." });
});

test('an int parameter takes whole numbers only', () => {
  const n = [param('epochs', { type: 'int', default: 3 })];
  assert.deepEqual(values(n), { epochs: 3 });
  assert.deepEqual(values(n, { epochs: ['-12'] }), { epochs: -12 });
  assert.deepEqual(values(n, {}, { CAIRN_RUN_EPOCHS: ' 7 ' }), { epochs: 7 });
  fails(n, { epochs: ['2.5'] }, {}, "--epochs expects a whole number (int); got '2.5'.");
  fails(n, { epochs: ['1e3'] }, {}, "--epochs expects a whole number (int); got '1e3'.");
  fails(n, { epochs: ['99999999999999999999'] }, {}, "--epochs expects a whole number (int); got '99999999999999999999', which is too large to be exact.");
  fails(n, {}, { CAIRN_RUN_EPOCHS: 'many' }, "CAIRN_RUN_EPOCHS (for --epochs) expects a whole number (int); got 'many'.");
});

test('a default function is called with the flow, the user, the parameter and the values known so far', () => {
  const seen: unknown[] = [];
  const params = [
    param('out', { default: (ctx: ParameterContext) => (seen.push(ctx), `${ctx.parameters['base']}/${ctx.user}/${ctx.flowName}`) }),
    param('base', { default: '/data' }),
    param('epochs', { type: 'int', default: (ctx: ParameterContext) => (ctx.parameters['fast'] ? 1 : 10) }),
    param('fast', { type: 'boolean', default: false }),
    param('twice', { type: 'int', default: (ctx: ParameterContext) => (ctx.parameters['epochs'] as number) * 2 }),
  ];
  const r = resolveParameters('TrainFlow', params, { given: { fast: ['yes'] }, env: {}, user: 'ada', flowFile: '/x/train.ts' });
  assert.deepEqual(Object.fromEntries(r.map((x) => [x.param.field, x.value])), { out: '/data/ada/TrainFlow', base: '/data', epochs: 1, fast: true, twice: 2 });
  assert.deepEqual(r.map((x) => x.param.field), ['out', 'base', 'epochs', 'fast', 'twice'], 'in declaration order');
  const ctx = seen[0] as { flowName: string; parameterName: string; user: string; flowFile: string; parameters: Record<string, unknown> };
  assert.deepEqual([ctx.flowName, ctx.parameterName, ctx.user, ctx.flowFile], ['TrainFlow', 'out', 'ada', '/x/train.ts']);
  assert.deepEqual(ctx.parameters, { base: '/data', fast: true }, 'defaults computed later are not known yet');
  assert.ok(Object.isFrozen(ctx.parameters));
  assert.deepEqual(values(params.slice(0, 2), { out: ['/given'] }), { out: '/given', base: '/data' }, 'a given value wins: the function is not called');
  assert.deepEqual(values([param('tags', { separator: ',', default: () => 'a, b' })]), { tags: ['a', 'b'] });
});

test('a default function that throws or returns a value of the wrong type is refused, with the fix', () => {
  fails([param('n', { type: 'int', default: () => 2.5 })], {}, {}, "The default function of --n returned 2.5, which is not a whole number (the type of --n is 'int').");
  fails(
    [param('n', { default: (() => 3) as never })],
    {},
    {},
    "The default function of --n returned 3, which is not a string (the type of --n is 'string'). Give the parameter a type (type: 'number', 'int', 'boolean' or 'json'), or return a string.",
  );
  fails([param('n', { default: () => { throw new RangeError('no data'); } })], {}, {}, 'The default function of --n threw: RangeError: no data. Fix it, or give --n a value.');
  fails([param('n', { default: (async () => 'x') as never })], {}, {}, 'The default function of --n returned a Promise; it must return the value itself (default functions run before the run starts, and are not awaited).');
});

test('an IncludeFile default is relative to the flow file; a given path to the working folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-params-'));
  try {
    const flowDir = join(dir, 'flows');
    mkdirSync(flowDir);
    writeFileSync(join(flowDir, 'data.csv'), 'next to the flow');
    writeFileSync(join(dir, 'data.csv'), 'in the working folder');
    const p = [file('data', { default: 'data.csv' })];
    const flowFile = join(flowDir, 'train.ts');
    assert.equal(resolveParameters('F', p, { env: {}, cwd: dir, flowFile })[0]!.value, 'next to the flow');
    assert.equal(resolveParameters('F', p, { given: { data: ['data.csv'] }, env: {}, cwd: dir, flowFile })[0]!.value, 'in the working folder');
    assert.throws(() => resolveParameters('F', [file('other', { default: 'other.csv' })], { env: {}, cwd: dir, flowFile }), {
      message: `The default of --other: cannot read the file other.csv (no such file in ${flowDir}, the flow file's folder). Check the path.`,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a boolean parameter is a flag: --verbose alone is true, --no-verbose false', () => {
  const p = [param('verbose', { type: 'boolean', default: false }), param('alpha', { default: 1 })];
  const run = (given: Record<string, Array<string | true>>) =>
    Object.fromEntries(resolveParameters('TrainFlow', p, { given, env: {} }).map((r) => [r.param.field, r.value]));
  assert.deepEqual(run({ verbose: [true] }), { verbose: true, alpha: 1 });
  assert.deepEqual(run({ 'no-verbose': [true] }), { verbose: false, alpha: 1 });
  assert.deepEqual(run({ verbose: ['no'] }), { verbose: false, alpha: 1 });
  const fails = (given: Record<string, Array<string | true>>, message: string) =>
    assert.throws(() => resolveParameters('TrainFlow', p, { given, env: {} }), { code: 'INVALID_ARGUMENT', message });
  fails({ alpha: [true] }, '--alpha needs a value (a number): write --alpha VALUE.');
  fails({ 'no-verbose': ['true'] }, '--no-verbose takes no value: write --no-verbose alone, or --verbose VALUE.');
  fails({ verbose: [true], 'no-verbose': [true] }, '--verbose was given 2 times; give it once.');
  assert.throws(() => resolveParameters('TrainFlow', p, { given: { 'no-alpha': [true] }, env: {} }), { message: /^Unknown option --no-alpha for `run`/ });
  const own = [param('no-cache', { type: 'boolean' }), param('cache', { type: 'boolean' })];
  assert.deepEqual(resolveParameters('F', own, { given: { 'no-cache': [true] }, env: {} }).map((r) => r.value), [true, undefined], 'a parameter named no-cache is itself');
});
