import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CairnError } from '../errors.js';
import type { ArtifactInfo } from '../storage/types.js';
import { Binding, type Persisted } from './binding.js';
import { makeInputs, mergeArtifacts } from './join-inputs.js';

/**
 * A tiny content-addressed store: `art(value)` gives the info of a stored value (equal values share
 * a sha), and `load` reads it back while counting the reads by name.
 */
function fakeStore() {
  const blobs = new Map<string, unknown>();
  const loads: string[] = [];
  return {
    loads,
    art(value: unknown): ArtifactInfo {
      const sha = `sha-${JSON.stringify(value)}`;
      blobs.set(sha, value);
      return { sha, size: 1, type: typeof value, encoding: 'v8' };
    },
    load(name: string, info: ArtifactInfo): unknown {
      loads.push(name);
      assert.ok(blobs.has(info.sha), `no blob ${info.sha}`);
      return structuredClone(blobs.get(info.sha));
    },
  };
}

function codeIs(code: string, pattern: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof CairnError, `not a CairnError: ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  };
}

/** `collect()` as name → persisted entry, so assertions do not depend on property order. */
function collected(binding: Binding): Record<string, Omit<Persisted, 'name'>> {
  const out: Record<string, Omit<Persisted, 'name'>> = {};
  for (const { name, ...rest } of binding.collect()) out[name] = rest;
  return out;
}

/** A join task: its instance, binding (parameters inherited, read-only) and inputs. */
function joinTask(
  store: ReturnType<typeof fakeStore>,
  inputs: Array<{ step: string; artifacts: Record<string, unknown> }>,
  params: Record<string, unknown> = {},
) {
  const inherited = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, store.art(v)]));
  const instance: Record<string, unknown> = {};
  const binding = new Binding(instance, { step: 'join', inherited, readonlyNames: new Set(Object.keys(params)), load: store.load });
  const views = makeInputs(
    inputs.map((input, i) => ({
      step: input.step,
      taskId: String(i + 1),
      artifacts: Object.fromEntries(Object.entries(input.artifacts).map(([k, v]) => [k, store.art(v)])),
    })),
    store.load,
  );
  return { instance, binding, inputs: views };
}

describe('makeInputs', () => {
  test('keeps the inputs in the order given', () => {
    const store = fakeStore();
    const inputs = makeInputs(
      [
        { step: 'body', taskId: '3', artifacts: { i: store.art(0) } },
        { step: 'body', taskId: '4', artifacts: { i: store.art(1) } },
        { step: 'body', taskId: '5', artifacts: { i: store.art(2) } },
      ],
      store.load,
    ) as ReadonlyArray<Record<string, unknown>>;
    assert.equal(inputs.length, 3);
    assert.deepEqual(
      inputs.map((v) => v.i),
      [0, 1, 2],
    );
  });

  test('loads an artifact only when it is first read, and only once', () => {
    const store = fakeStore();
    const inputs = makeInputs(
      [
        { step: 'a', taskId: '1', artifacts: { x: store.art({ n: 1 }), y: store.art('unread') } },
        { step: 'b', taskId: '2', artifacts: { x: store.art({ n: 2 }) } },
      ],
      store.load,
    ) as ReadonlyArray<Record<string, unknown>>;
    assert.deepEqual(store.loads, []);
    assert.deepEqual(inputs[1]!.x, { n: 2 });
    assert.deepEqual(store.loads, ['x']);
    const first = inputs[1]!.x;
    assert.equal(inputs[1]!.x, first);
    assert.deepEqual(store.loads, ['x']);
    assert.deepEqual(inputs[0]!.x, { n: 1 });
    assert.deepEqual(store.loads, ['x', 'x']);
  });

  test('lists the artifact names of an input as its keys', () => {
    const store = fakeStore();
    const [view] = makeInputs([{ step: 'a', taskId: '1', artifacts: { x: store.art(1), y: store.art(2) } }], store.load);
    assert.deepEqual(Object.keys(view as object).sort(), ['x', 'y']);
    assert.deepEqual(store.loads, []);
  });

  test('names the inputs of a static join by their steps, without making the names enumerable', () => {
    const store = fakeStore();
    const inputs = makeInputs(
      [
        { step: 'train', taskId: '1', artifacts: { score: store.art(0.9) } },
        { step: 'baseline', taskId: '2', artifacts: { score: store.art(0.5) } },
      ],
      store.load,
    ) as ReadonlyArray<Record<string, unknown>> & Record<string, Record<string, unknown>>;
    assert.equal(inputs.train, inputs[0]);
    assert.equal(inputs.baseline, inputs[1]);
    assert.equal(inputs.baseline!.score, 0.5);
    assert.deepEqual(Object.keys(inputs), ['0', '1']);
  });

  test('does not name the inputs of a foreach join, whose tasks share one step', () => {
    const store = fakeStore();
    const inputs = makeInputs(
      [
        { step: 'body', taskId: '1', artifacts: {} },
        { step: 'body', taskId: '2', artifacts: {} },
      ],
      store.load,
    );
    assert.equal('body' in inputs, false);
  });

  test('leaves array members alone when a branch step is named like one', () => {
    const store = fakeStore();
    const inputs = makeInputs(
      [
        { step: 'map', taskId: '1', artifacts: { x: store.art(1) } },
        { step: 'length', taskId: '2', artifacts: { x: store.art(2) } },
        { step: 'other', taskId: '3', artifacts: { x: store.art(3) } },
      ],
      store.load,
    ) as ReadonlyArray<Record<string, unknown>> & Record<string, Record<string, unknown>>;
    assert.equal(inputs.length, 3);
    assert.deepEqual(
      inputs.map((v) => v.x),
      [1, 2, 3],
    );
    assert.equal(inputs.other, inputs[2]);
  });

  test('makes every input read-only: assigning to an artifact or adding one throws', () => {
    const store = fakeStore();
    const inputs = makeInputs([{ step: 'a', taskId: '1', artifacts: { x: store.art(1) } }], store.load);
    const view = inputs[0] as Record<string, unknown>;
    assert.throws(() => {
      view.x = 2;
    }, TypeError);
    assert.throws(() => {
      view.y = 3;
    }, TypeError);
    assert.equal(view.x, 1);
    assert.equal('y' in view, false);
  });

  test('freezes the array of inputs', () => {
    const store = fakeStore();
    const inputs = makeInputs([{ step: 'a', taskId: '1', artifacts: {} }], store.load) as unknown[];
    assert.ok(Object.isFrozen(inputs));
    assert.throws(() => inputs.push({}), TypeError);
    assert.throws(() => {
      inputs[0] = {};
    }, TypeError);
    assert.equal(inputs.length, 1);
  });
});

describe('mergeArtifacts', () => {
  test('merges an artifact with the same content on every input by its hash, without loading it', () => {
    const store = fakeStore();
    const { instance, binding, inputs } = joinTask(store, [
      { step: 'a', artifacts: { config: { rows: 1000 } } },
      { step: 'b', artifacts: { config: { rows: 1000 } } },
    ]);
    mergeArtifacts('join', true, binding, inputs, {});
    assert.deepEqual(store.loads, []);
    assert.deepEqual(collected(binding), { config: { info: store.art({ rows: 1000 }) } });
    assert.deepEqual(instance.config, { rows: 1000 });
    assert.deepEqual(store.loads, ['config']);
  });

  test('merges an artifact that only one input has', () => {
    const store = fakeStore();
    const { instance, binding, inputs } = joinTask(store, [
      { step: 'a', artifacts: { features: ['age', 'income'] } },
      { step: 'b', artifacts: { model: 'linear' } },
      { step: 'c', artifacts: {} },
    ]);
    mergeArtifacts('join', true, binding, inputs, {});
    assert.deepEqual(Object.keys(instance).sort(), ['features', 'model']);
    assert.equal(instance.model, 'linear');
    assert.deepEqual(instance.features, ['age', 'income']);
  });

  test('merges an artifact that some inputs have with the same content and others lack', () => {
    const store = fakeStore();
    const { binding, inputs } = joinTask(store, [
      { step: 'a', artifacts: { x: 7 } },
      { step: 'b', artifacts: {} },
      { step: 'c', artifacts: { x: 7 } },
    ]);
    mergeArtifacts('join', true, binding, inputs, {});
    assert.deepEqual(collected(binding), { x: { info: store.art(7) } });
  });

  test('refuses artifacts whose content differs, naming every one of them, and sets nothing', () => {
    const store = fakeStore();
    const { instance, binding, inputs } = joinTask(store, [
      { step: 'a', artifacts: { x: 1, y: 'left', same: 0, only: true } },
      { step: 'b', artifacts: { x: 2, y: 'right', same: 0 } },
    ]);
    assert.throws(
      () => mergeArtifacts('join', true, binding, inputs, {}),
      codeIs('MERGE_CONFLICT', /^Step join cannot merge artifacts whose values differ between its inputs: x, y\. .*exclude/),
    );
    assert.deepEqual(Object.keys(instance), []);
    assert.deepEqual(binding.collect(), []);
    assert.equal(binding.has('same'), false);
    assert.equal(binding.has('only'), false);
  });

  test('does not merge a name the join assigned itself, even when the inputs disagree on it', () => {
    const store = fakeStore();
    const { instance, binding, inputs } = joinTask(store, [
      { step: 'a', artifacts: { x: 1, y: 5 } },
      { step: 'b', artifacts: { x: 2, y: 5 } },
    ]);
    instance.x = 3;
    mergeArtifacts('join', true, binding, inputs, {});
    assert.equal(instance.x, 3);
    assert.deepEqual(collected(binding), { x: { value: 3 }, y: { info: store.art(5) } });
  });

  test('does not merge over a parameter', () => {
    const store = fakeStore();
    const { instance, binding, inputs } = joinTask(
      store,
      [
        { step: 'a', artifacts: { alpha: 0.1, x: 1 } },
        { step: 'b', artifacts: { alpha: 0.1, x: 1 } },
      ],
      { alpha: 0.5 },
    );
    mergeArtifacts('join', true, binding, inputs, {});
    assert.equal(instance.alpha, 0.5);
    assert.deepEqual(collected(binding), { alpha: { info: store.art(0.5) }, x: { info: store.art(1) } });
  });

  test('with include, merges only the names listed', () => {
    const store = fakeStore();
    const { instance, binding, inputs } = joinTask(store, [
      { step: 'a', artifacts: { keep: 1, other: 'a', conflicting: 1 } },
      { step: 'b', artifacts: { keep: 1, conflicting: 2 } },
    ]);
    mergeArtifacts('join', true, binding, inputs, { include: ['keep'] });
    assert.deepEqual(Object.keys(instance), ['keep']);
    assert.equal(instance.keep, 1);
  });

  test('with include, still refuses a listed name whose content differs', () => {
    const store = fakeStore();
    const { instance, binding, inputs } = joinTask(store, [
      { step: 'a', artifacts: { x: 1 } },
      { step: 'b', artifacts: { x: 2 } },
    ]);
    assert.throws(() => mergeArtifacts('join', true, binding, inputs, { include: ['x'] }), codeIs('MERGE_CONFLICT', /inputs: x\./));
    assert.deepEqual(Object.keys(instance), []);
  });

  test('with include, fails for listed names that no input has and that are not set, and sets nothing', () => {
    const store = fakeStore();
    const { instance, binding, inputs } = joinTask(store, [
      { step: 'a', artifacts: { x: 1 } },
      { step: 'b', artifacts: { x: 1 } },
    ]);
    assert.throws(
      () => mergeArtifacts('join', true, binding, inputs, { include: ['x', 'zeta', 'nope'] }),
      codeIs('INVALID_ARGUMENT', /^Step join: mergeArtifacts was asked to include nope, zeta, which no input has\.$/),
    );
    assert.deepEqual(Object.keys(instance), []);
  });

  test('with include, accepts a listed name that no input has but the join already set', () => {
    const store = fakeStore();
    const { instance, binding, inputs } = joinTask(
      store,
      [
        { step: 'a', artifacts: { x: 1 } },
        { step: 'b', artifacts: { x: 1 } },
      ],
      { alpha: 0.5 },
    );
    instance.mine = 'assigned';
    mergeArtifacts('join', true, binding, inputs, { include: ['x', 'mine', 'alpha'] });
    assert.deepEqual(Object.keys(instance).sort(), ['alpha', 'mine', 'x']);
    assert.equal(instance.mine, 'assigned');
  });

  test('with exclude, skips the names listed, conflicting or not', () => {
    const store = fakeStore();
    const { instance, binding, inputs } = joinTask(store, [
      { step: 'a', artifacts: { x: 1, scratch: 'a', y: 2 } },
      { step: 'b', artifacts: { x: 1, scratch: 'b', y: 2 } },
    ]);
    mergeArtifacts('join', true, binding, inputs, { exclude: ['scratch', 'y'] });
    assert.deepEqual(Object.keys(instance), ['x']);
  });

  test('refuses include and exclude together', () => {
    const store = fakeStore();
    const { instance, binding, inputs } = joinTask(store, [{ step: 'a', artifacts: { x: 1 } }]);
    assert.throws(
      () => mergeArtifacts('join', true, binding, inputs, { include: ['x'], exclude: ['y'] }),
      codeIs('INVALID_ARGUMENT', /^Step join: mergeArtifacts takes include or exclude, not both\.$/),
    );
    assert.deepEqual(Object.keys(instance), []);
  });

  test('refuses to run outside a join step, naming the step', () => {
    const store = fakeStore();
    const { binding, inputs } = joinTask(store, [{ step: 'a', artifacts: { x: 1 } }]);
    assert.throws(
      () => mergeArtifacts('start', false, binding, inputs, {}),
      codeIs('INVALID_ARGUMENT', /^Step start called mergeArtifacts, which works only in a join step \(one that takes inputs\)\.$/),
    );
  });

  test('refuses something that is not the inputs of the join', () => {
    const store = fakeStore();
    const { binding, inputs } = joinTask(store, [{ step: 'a', artifacts: { x: 1 } }]);
    const notInputs = [undefined, null, 'inputs', { 0: inputs[0], length: 1 }, [{ x: 1 }], [inputs[0], { x: 1 }], [...inputs, null]];
    for (const bad of notInputs) {
      assert.throws(
        () => mergeArtifacts('join', true, binding, bad, {}),
        codeIs('INVALID_ARGUMENT', /^mergeArtifacts\(inputs\) takes the inputs parameter of the join step\.$/),
        `accepted ${JSON.stringify(bad)}`,
      );
    }
    assert.equal(binding.has('x'), false);
  });
});

describe('Binding', () => {
  function linearTask(inherited: Record<string, unknown>, instance: Record<string, unknown> = {}, readonly: string[] = []) {
    const store = fakeStore();
    const infos = Object.fromEntries(Object.entries(inherited).map(([k, v]) => [k, store.art(v)]));
    const binding = new Binding(instance, { step: 'train', inherited: infos, readonlyNames: new Set(readonly), load: store.load });
    return { store, instance, binding };
  }

  test('loads an inherited artifact on its first read, and only once', () => {
    const { store, instance } = linearTask({ count: 3, label: 'x' });
    assert.deepEqual(store.loads, []);
    assert.equal(instance.count, 3);
    assert.equal(instance.count, 3);
    assert.deepEqual(store.loads, ['count']);
  });

  test('passes an untouched inherited artifact on by its hash', () => {
    const { store, binding } = linearTask({ count: 3, rows: [1, 2] });
    assert.deepEqual(collected(binding), { count: { info: store.art(3) }, rows: { info: store.art([1, 2]) } });
    assert.deepEqual(store.loads, []);
  });

  test('persists the value of an inherited artifact that the step assigned', () => {
    const { store, instance, binding } = linearTask({ count: 3 });
    instance.count = 4;
    assert.equal(instance.count, 4);
    assert.deepEqual(collected(binding), { count: { value: 4, was: store.art(3) } });
    assert.deepEqual(store.loads, []);
  });

  test('persists an inherited object that the step read, so that changes made in place are kept', () => {
    const { store, instance, binding } = linearTask({ items: [1, 2], meta: { a: 1 } });
    (instance.items as number[]).push(3);
    void instance.meta;
    assert.deepEqual(collected(binding), {
      items: { value: [1, 2, 3], was: store.art([1, 2]) },
      meta: { value: { a: 1 }, was: store.art({ a: 1 }) },
    });
  });

  test('passes on by hash an inherited primitive that the step only read', () => {
    const { store, instance, binding } = linearTask({ count: 3, name: 'n', nothing: null });
    assert.equal(instance.count, 3);
    assert.equal(instance.name, 'n');
    assert.equal(instance.nothing, null);
    assert.deepEqual(collected(binding), {
      count: { info: store.art(3) },
      name: { info: store.art('n') },
      nothing: { info: store.art(null) },
    });
  });

  test('refuses an assignment to a read-only name with a message naming the step and the parameter', () => {
    const { instance, binding, store } = linearTask({ alpha: 0.5, x: 1 }, {}, ['alpha']);
    assert.throws(
      () => {
        instance.alpha = 1;
      },
      codeIs('INVALID_ARGUMENT', /^Step train assigned to parameter 'alpha'\. Parameters are read-only/),
    );
    assert.equal(instance.alpha, 0.5);
    instance.x = 2;
    assert.deepEqual(collected(binding), { alpha: { info: store.art(0.5) }, x: { value: 2, was: store.art(1) } });
  });

  test('lets inherited artifacts replace the values of field initialisers', () => {
    class Flow {
      count = 0;
      label = 'default';
      fresh = 'initial';
    }
    const instance = new Flow();
    const { store, binding } = linearTask({ count: 3, label: 'inherited' }, instance as unknown as Record<string, unknown>);
    assert.equal(instance.count, 3);
    assert.equal(instance.label, 'inherited');
    assert.deepEqual(collected(binding), {
      count: { info: store.art(3) },
      label: { info: store.art('inherited') },
      fresh: { value: 'initial' },
    });
  });

  test('does not persist a field initialised to undefined that the step never assigned', () => {
    class Flow {
      unset: number | undefined = undefined;
      later: number | undefined = undefined;
      declared?: string;
    }
    const instance = new Flow();
    const { binding } = linearTask({}, instance as unknown as Record<string, unknown>);
    instance.later = 5;
    assert.deepEqual(collected(binding), { later: { value: 5 } });
  });

  test('persists the values the step assigns to new names, and what it assigns to initialised fields', () => {
    class Flow {
      total = 0;
    }
    const instance = new Flow() as Flow & Record<string, unknown>;
    const { store, binding } = linearTask({ count: 3 }, instance);
    instance.total = 10;
    instance.added = { deep: [1] };
    assert.deepEqual(collected(binding), { count: { info: store.art(3) }, total: { value: 10 }, added: { value: { deep: [1] } } });
  });

  test('skips functions that field initialisers set, but keeps a function a step assigns (so storing it fails)', () => {
    class Flow {
      helper = (n: number) => n + 1;
      kept = 1;
    }
    const instance = new Flow() as Flow & Record<string, unknown>;
    const { binding } = linearTask({}, instance);
    const callback = () => 'no';
    instance.callback = callback;
    assert.deepEqual(collected(binding), { kept: { value: 1 }, callback: { value: callback } });
  });

  test('drops an inherited artifact that the step deleted', () => {
    const { store, instance, binding } = linearTask({ gone: 1, kept: 2 });
    delete instance.gone;
    assert.deepEqual(collected(binding), { kept: { info: store.art(2) } });
  });

  test('knows which names are set: inherited or assigned, but not fields still holding their initial value', () => {
    class Flow {
      field = 1;
      changed = 1;
      bare!: number;
    }
    const instance = new Flow() as Flow & Record<string, unknown>;
    const { binding } = linearTask({ inherited: 1 }, instance);
    instance.assigned = 2;
    instance.changed = 5;
    assert.equal(binding.has('inherited'), true);
    assert.equal(binding.has('assigned'), true);
    assert.equal(binding.has('changed'), true);
    assert.equal(binding.has('field'), false);
    assert.equal(binding.has('bare'), false);
    assert.equal(binding.has('missing'), false);
  });
});
