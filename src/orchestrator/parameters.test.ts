import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { FlowSpec } from '../authoring/flow-spec.js';
import { step } from '../authoring/step.js';
import { IncludeFile, Parameter } from '../authoring/parameter.js';
import { decodeArtifact } from '../storage/codec.js';
import { LocalArtifactStore } from '../storage/local-artifact-store.js';
import type { MetadataStore, RunRow, TaskRecord } from '../storage/types.js';
import type { LoadedFlow } from './load-flow.js';
import type { RunReporter } from './reporter.js';
import {
  describeParameters, discoverParameters, parameterInputs, parameterProblems, resolveParameters, reuseParameters, storeParameters,
} from './parameters.js';

class Base extends FlowSpec {
  static readonly SHARED = 'base';
  static readonly OVERRIDDEN: number = 1;
}

class TrainFlow extends Base {
  alpha = Parameter('alpha', { default: 0.01, help: 'learning rate' });
  dataset = Parameter<string>('dataset', { required: true });
  num_epochs = Parameter('num-epochs', { default: 3 });
  labels = Parameter('labels', { default: 'a,b', separator: ',' });
  data = IncludeFile('data', { default: './data.csv' });
  plain = 5;
  static readonly MAX_DEPTH = 10;
  static override readonly OVERRIDDEN: number = 2;
  static readonly GRID = new Map([['a', [1, 2]]]);
  static helper = (): number => 1;
  static readonly unstorable = { run: () => 1 };
  static describe(): string {
    return 'a static method';
  }
  @step start() {
    this.next(this.end);
  }
  @step end() {}
}

function flowWith(fields: Record<string, () => unknown>, statics: Record<string, unknown> = {}): typeof FlowSpec {
  class F extends FlowSpec {
    constructor() {
      super();
      // As class fields do: define, not assign.
      for (const [k, make] of Object.entries(fields)) Object.defineProperty(this, k, { value: make(), enumerable: true, writable: true, configurable: true });
    }
    @step start() {
      this.next(this.end);
    }
    @step end() {}
  }
  Object.assign(F, statics);
  Object.defineProperty(F, 'name', { value: 'BadFlow' });
  return F;
}

function invalid(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (e: Error & { code?: string }) => {
    assert.equal(e.code, 'INVALID_FLOW');
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test('parameters are the fields holding markers, in field order; the field is the artifact name', () => {
  const found = discoverParameters(TrainFlow);
  assert.equal(found.flow, 'TrainFlow');
  assert.deepEqual(found.parameters.map((p) => [p.field, p.name, p.kind]), [
    ['alpha', 'alpha', 'parameter'], ['dataset', 'dataset', 'parameter'], ['num_epochs', 'num-epochs', 'parameter'],
    ['labels', 'labels', 'parameter'], ['data', 'data', 'file'],
  ]);
});

test('class constants are the storable static properties of the class and its bases', () => {
  const constants = discoverParameters(TrainFlow).constants;
  const byName = Object.fromEntries(constants.map((c) => [c.name, c.value]));
  assert.deepEqual(Object.keys(byName).sort(), ['GRID', 'MAX_DEPTH', 'OVERRIDDEN', 'SHARED']);
  assert.equal(byName['OVERRIDDEN'], 2);
  assert.equal(byName['SHARED'], 'base');
  assert.deepEqual(byName['GRID'], new Map([['a', [1, 2]]]));
  assert.deepEqual(discoverParameters(flowWith({})).constants, []);
});

test('reserved names are refused, in any case and with - or _', () => {
  for (const name of ['tag', 'TAGS', 'run-id-file', 'run_id_file', 'max-workers', 'origin-run-id', 'help', 'namespace', 'with', 'cache', 'no_cache', 'Executor']) {
    invalid(() => discoverParameters(flowWith({ p: () => Parameter(name) })), new RegExp(`^BadFlow: Parameter --${name} \\(field p\\): '${name}' is a reserved name`));
  }
});

test('a parameter named like a step, or hiding a FlowSpec member, is refused', () => {
  invalid(
    () => discoverParameters(flowWith({ p: () => Parameter('start') })),
    'BadFlow: Parameter --start (field p) is named like the step start. Rename the parameter or the step.',
  );
  invalid(() => discoverParameters(flowWith({ end: () => Parameter('finish') })), /Parameter --finish \(field end\) is named like the step end/);
  invalid(
    () => discoverParameters(flowWith({ input: () => Parameter('input') })),
    'BadFlow: Parameter --input (field input): the field input would hide this.input of FlowSpec. Rename the field.',
  );
});

test('names must be unique ignoring case and - versus _', () => {
  invalid(
    () => discoverParameters(flowWith({ a: () => Parameter('rate'), b: () => Parameter('Rate') })),
    "BadFlow: the parameters --rate (field a) and --Rate (field b) have the same name: names are compared ignoring case and with '-' the same as '_', " +
      'since both would be set by CAIRN_RUN_RATE. Rename one.',
  );
  invalid(() => discoverParameters(flowWith({ a: () => Parameter('num-epochs'), b: () => IncludeFile('num_epochs') })), /--num-epochs \(field a\) and --num_epochs \(field b\)/);
});

test('a bad definition or a failing constructor is reported when the flow instance is created', () => {
  invalid(() => discoverParameters(flowWith({ p: () => Parameter('alpha', { type: 'number', default: 'x' } as never) })), /^Parameter\("alpha"\): the default "x" is not a number/);
  invalid(
    () => discoverParameters(flowWith({ p: () => { throw new TypeError('no config'); } })),
    'Creating an instance of BadFlow to find its parameters failed: TypeError: no config. Keep field initialisers free of side effects that can fail.',
  );
  assert.deepEqual(parameterProblems(flowWith({ p: () => Parameter('tag') })), [
    "BadFlow: Parameter --tag (field p): 'tag' is a reserved name (an option of cairn run, or reserved as in Metaflow). Choose another name.",
  ]);
  assert.deepEqual(parameterProblems(TrainFlow), []);
});

test('constants that clash with a parameter, a step or a FlowSpec member, and static parameters, are refused', () => {
  invalid(
    () => discoverParameters(flowWith({ alpha: () => Parameter('alpha') }, { alpha: 1 })),
    'BadFlow: the class constant alpha and the parameter --alpha (field alpha) have the same name. Rename one.',
  );
  invalid(() => discoverParameters(flowWith({}, { end: 'x' })), 'BadFlow: the class constant end is named like a step. Rename the constant or the step.');
  invalid(() => discoverParameters(flowWith({}, { next: 3 })), 'BadFlow: the class constant next would hide this.next of FlowSpec. Rename it.');
  invalid(
    () => discoverParameters(flowWith({}, { ALPHA: Parameter('alpha') })),
    /^BadFlow: the static field BadFlow\.ALPHA holds Parameter\('alpha'\)\. Parameters are instance fields/,
  );
});

function tempStore(): { store: LocalArtifactStore; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-params-'));
  return { store: new LocalArtifactStore(dir), [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

test('stored parameters: artifacts by field (constants too), names of parameters only, display values', async () => {
  using tmp = tempStore();
  const found = discoverParameters(flowWith({ alpha: () => Parameter('alpha', { default: 0.5 }), note: () => Parameter('note') }, { MAX: 7 }));
  const resolved = resolveParameters(found.flow, found.parameters, { given: {}, env: {} });
  const stored = await storeParameters(found, resolved, tmp.store);
  assert.deepEqual(Object.keys(stored.artifacts), ['alpha', 'note', 'MAX']);
  assert.deepEqual(stored.names, ['alpha', 'note']);
  assert.deepEqual(stored.values, { alpha: 0.5, note: null });
  const read = (name: string) => decodeArtifact(tmp.store.getBlobSync(stored.artifacts[name]!.sha), stored.artifacts[name]!.encoding);
  assert.equal(read('alpha'), 0.5);
  assert.equal(read('note'), undefined);
  assert.equal(read('MAX'), 7);
  assert.equal(stored.artifacts['alpha']!.type, 'number');
});

const reporter = {} as RunReporter;
function loadedOf(flowClass: typeof FlowSpec): LoadedFlow {
  return { flowClass, file: '/x/flow.ts', code: undefined, codeSha: '0', graph: {} as LoadedFlow['graph'], issues: [] };
}

test('parameterInputs resolves and stores, and fails before storing anything', async () => {
  using tmp = tempStore();
  const metadata = {} as MetadataStore;
  const ok = await parameterInputs({ given: { dataset: ['s3://x'], labels: ['p;q'] }, env: {}, cwd: tmpdir() })({
    loaded: loadedOf(flowWith({ dataset: () => Parameter<string>('dataset', { required: true }), labels: () => Parameter('labels', { separator: ';' }) })),
    artifacts: tmp.store, metadata, reporter,
  });
  assert.deepEqual(ok.parameters.values, { dataset: 's3://x', labels: ['p', 'q'] });
  const inputs = parameterInputs({ given: { alpha: ['abc'] }, env: {} });
  await assert.rejects(inputs({ loaded: loadedOf(TrainFlow), artifacts: tmp.store, metadata, reporter }), {
    code: 'INVALID_ARGUMENT',
    message: /--alpha expects a number; got 'abc'\.\n {2}--dataset is required/,
  });
});

test('reuseParameters returns the origin record as it is, and refuses parameters the origin did not have', async () => {
  using tmp = tempStore();
  const sha = await tmp.store.putBlob(Buffer.from('0.5'));
  const record: TaskRecord = { version: 1, artifacts: { alpha: { sha, size: 3, type: 'number', encoding: 'v8' } } };
  await tmp.store.putTaskRecord({ flow: 'BadFlow', runId: '7', step: '_parameters', taskId: '0' }, 0, record);
  const row = { params: { alpha: 0.5 } } as unknown as RunRow;
  const metadata = { getRun: async (flow: string, runId: string) => (flow === 'BadFlow' && runId === '7' ? row : undefined) } as MetadataStore;
  const same = flowWith({ alpha: () => Parameter('alpha', { default: 1 }) });
  const reused = await reuseParameters({ loaded: loadedOf(same), artifacts: tmp.store, metadata }, '7');
  assert.deepEqual(reused, { artifacts: record.artifacts, names: ['alpha'], values: { alpha: 0.5 } });
  const grown = flowWith({ alpha: () => Parameter('alpha', { default: 1 }), beta: () => Parameter('beta') });
  await assert.rejects(reuseParameters({ loaded: loadedOf(grown), artifacts: tmp.store, metadata }, '7'), {
    code: 'INVALID_ARGUMENT',
    message: 'BadFlow now has --beta, which run 7 did not have. A resumed run reuses the parameters of the run it resumes; start a new run with `cairn run` instead.',
  });
  await assert.rejects(reuseParameters({ loaded: loadedOf(same), artifacts: tmp.store, metadata }, '8'), { code: 'NOT_FOUND' });
  // A value deleted from the store (by gc) cannot be reused.
  await tmp.store.putTaskRecord({ flow: 'BadFlow', runId: '9', step: '_parameters', taskId: '0' }, 0, { version: 1, artifacts: { alpha: { ...record.artifacts['alpha']!, sha: 'a'.repeat(40) } } });
  const gone = { getRun: async () => row } as unknown as MetadataStore;
  await assert.rejects(reuseParameters({ loaded: loadedOf(same), artifacts: tmp.store, metadata: gone }, '9'), { code: 'NOT_FOUND', message: /no longer in the store/ });
});

test('describeParameters gives name, type, default or required, and help', () => {
  assert.deepEqual(describeParameters(discoverParameters(TrainFlow).parameters), [
    '--alpha NUMBER             learning rate (number, default: 0.01)',
    '--dataset STRING           (string, required)',
    '--num-epochs NUMBER        (number, default: 3)',
    '--labels LIST              (strings separated by ",", default: "a,b")',
    '--data PATH                (text file, default: ./data.csv)',
  ]);
  const more = discoverParameters(flowWith({ b: () => IncludeFile('blob', { isText: false }), c: () => Parameter('cfg', { type: 'json' }) })).parameters;
  assert.deepEqual(describeParameters(more), ['--blob PATH                (binary file, optional)', '--cfg JSON                 (json, optional)']);
});
