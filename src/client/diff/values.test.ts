import { test } from 'node:test';
import assert from 'node:assert/strict';
import { previewValue } from '../../storage/preview.js';
import { diffPreviews, diffValues, shown } from './values.js';
import type { ValueDiff } from './types.js';

function kind<K extends ValueDiff['kind']>(d: ValueDiff | undefined, k: K): Extract<ValueDiff, { kind: K }> {
  assert.equal(d?.kind, k, `expected a ${k} diff, got ${JSON.stringify(d)?.slice(0, 300)}`);
  return d as Extract<ValueDiff, { kind: K }>;
}

test('two numbers differ at the root', () => {
  assert.deepEqual(diffValues(1, 2), { kind: 'json', changes: [{ path: '', status: 'changed', a: 1, b: 2 }], truncated: false });
});

test('objects differ by path: changed, added and removed keys, nested arrays and maps', () => {
  const a = { lr: 0.1, layers: [8, 16], opts: { seed: 1, name: 'a' }, m: new Map([['k', 1]]) };
  const b = { lr: 0.2, layers: [8, 16, 32], opts: { seed: 1, 'odd key': true }, m: new Map([['k', 2]]) };
  const d = kind(diffValues(a, b), 'json');
  assert.deepEqual(d.changes, [
    { path: '.lr', status: 'changed', a: 0.1, b: 0.2 },
    { path: '.layers[2]', status: 'added', b: 32 },
    { path: '.opts.name', status: 'removed', a: 'a' },
    { path: '.opts["odd key"]', status: 'added', b: true },
    { path: '.m["k"]', status: 'changed', a: 1, b: 2 },
  ]);
  assert.equal(d.truncated, false);
});

test('a value whose kind changed is one change, shown as JSON', () => {
  const d = kind(diffValues({ x: 'text' }, { x: { y: [1, 2] } }), 'json');
  assert.deepEqual(d.changes, [{ path: '.x', status: 'changed', a: 'text', b: { y: [1, 2] } }]);
});

test('sets of primitives are compared by membership', () => {
  const d = kind(diffValues(new Set(['a', 'b']), new Set(['b', 'c'])), 'json');
  assert.deepEqual(d.changes, [
    { path: '{}', status: 'removed', a: 'a' },
    { path: '{}', status: 'added', b: 'c' },
  ]);
});

test('a JSON diff lists at most maxChanges changes and says it is cut', () => {
  const a = Array.from({ length: 100 }, (_, i) => `v${i}`);
  const b = a.map((v) => `${v}!`);
  const d = kind(diffValues(a, b, { maxChanges: 5, maxString: 200 }), 'json');
  assert.equal(d.changes.length, 5);
  assert.equal(d.truncated, true);
});

test('values JSON cannot hold are shown as text, and large parts are cut', () => {
  assert.equal(shown(10n, { maxString: 5 }), '10n');
  assert.equal(shown(NaN, { maxString: 5 }), 'NaN');
  assert.equal(shown(undefined, { maxString: 5 }), 'undefined');
  assert.equal(shown('abcdefgh', { maxString: 3 }), 'abc…');
  assert.equal(shown(new Float64Array(7), { maxString: 3 }), 'Float64Array(7 items)');
  const long = shown(Array.from({ length: 25 }, (_, i) => i), { maxString: 3 }) as unknown[];
  assert.equal(long.length, 21);
  assert.equal(long[20], '… 5 more');
});

test('two typed arrays: lengths, how many elements changed, the largest change, stats deltas', () => {
  const a = Float64Array.from([1, 2, 3, 4]);
  const b = Float64Array.from([1, 2.5, 3, 4, 10]);
  const d = kind(diffValues(a, b), 'numbers');
  assert.deepEqual(d.length, { a: 4, b: 5 });
  assert.equal(d.changed, 1);
  assert.equal(d.maxAbsDelta, 0.5);
  assert.deepEqual(d.min, { a: 1, b: 1, delta: 0 });
  assert.deepEqual(d.max, { a: 4, b: 10, delta: 6 });
  assert.deepEqual(d.mean, { a: 2.5, b: 4.1, delta: 4.1 - 2.5 });
});

test('NaN in the same place is no change; arrays of numbers count as series', () => {
  const d = kind(diffValues([NaN, 1], [NaN, 2]), 'numbers');
  assert.equal(d.changed, 1);
  assert.deepEqual(d.type, { a: 'Array', b: 'Array' });
});

test('tables of rows: row counts, changed rows, and per column changes with numeric deltas', () => {
  const a = [{ id: 1, score: 0.5, tag: 'x' }, { id: 2, score: 0.7, tag: 'y' }];
  const b = [{ id: 1, score: 0.5, note: 'n' }, { id: 2, score: 0.9, note: 'n' }, { id: 3, score: 1, note: 'n' }];
  const d = kind(diffValues(a, b), 'table');
  assert.deepEqual(d.rows, { a: 2, b: 3 });
  assert.equal(d.changedRows, 1);
  const byName = new Map(d.columns.map((c) => [c.name, c]));
  assert.equal(byName.get('id')?.status, 'changed', 'a row was added, so every common column changed');
  assert.equal(byName.get('id')?.changed, 0);
  assert.equal(byName.get('score')?.changed, 1);
  assert.deepEqual(byName.get('score')?.max, { a: 0.7, b: 1, delta: 1 - 0.7 });
  assert.equal(byName.get('tag')?.status, 'removed');
  assert.equal(byName.get('note')?.status, 'added');
  assert.deepEqual(byName.get('note')?.type, { b: 'string' });
});

test('tables of columns compare equally long columns', () => {
  const d = kind(diffValues({ x: Float64Array.from([1, 2, 3]), y: ['a', 'b', 'c'] }, { x: Float64Array.from([1, 2, 4]), y: ['a', 'b', 'c'] }), 'table');
  assert.equal(d.changedRows, 1);
  assert.deepEqual(d.columns.map((c) => [c.name, c.status, c.changed]), [['x', 'changed', 1], ['y', 'same', 0]]);
  assert.deepEqual(d.columns[0]!.type, { a: 'Float64', b: 'Float64' });
});

test('class instances get no detail from their values', () => {
  class Point {
    constructor(readonly x: number) {}
  }
  assert.equal(diffValues(new Point(1), new Point(2)), undefined);
});

test('previews of number series and tables give lengths, stats and schemas without changed counts', () => {
  const n = kind(diffPreviews(previewValue(Float64Array.from([1, 2, 3])), previewValue(Float64Array.from([1, 2, 3, 6]))), 'numbers');
  assert.deepEqual(n.length, { a: 3, b: 4 });
  assert.equal(n.changed, undefined);
  assert.deepEqual(n.mean, { a: 2, b: 3, delta: 1 });
  const t = kind(diffPreviews(previewValue([{ a: 1, b: 'x' }]), previewValue([{ a: 'one' }, { a: 'two' }])), 'table');
  assert.deepEqual(t.rows, { a: 1, b: 2 });
  assert.deepEqual(t.columns, [
    { name: 'a', status: 'changed', type: { a: 'number', b: 'string' } },
    { name: 'b', status: 'removed', type: { a: 'string' } },
  ]);
  const same = kind(diffPreviews(previewValue([{ a: 1 }]), previewValue([{ a: 2 }])), 'table');
  assert.equal(same.columns[0]!.status, 'unknown');
  assert.equal(diffPreviews(previewValue('a'), previewValue('b')), undefined);
});
