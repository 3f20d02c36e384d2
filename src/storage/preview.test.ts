import { test } from 'node:test';
import assert from 'node:assert/strict';
import { previewValue, type ArtifactPreview, type TreeContainer } from './preview.js';

function kind<K extends ArtifactPreview['kind']>(p: ArtifactPreview, k: K): Extract<ArtifactPreview, { kind: K }> {
  assert.equal(p.kind, k, `expected a ${k} preview, got ${JSON.stringify(p).slice(0, 200)}`);
  return p as Extract<ArtifactPreview, { kind: K }>;
}

test('primitives, dates and errors are values with their text', () => {
  assert.deepEqual(previewValue(42), { kind: 'value', type: 'number', text: '42' });
  assert.deepEqual(previewValue(10n), { kind: 'value', type: 'bigint', text: '10n' });
  assert.deepEqual(previewValue(null), { kind: 'value', type: 'null', text: 'null' });
  assert.equal(kind(previewValue(new Date('2026-01-02T03:04:05Z')), 'value').text, '2026-01-02T03:04:05.000Z');
  assert.equal(kind(previewValue(new TypeError('bad')), 'value').text, 'TypeError: bad');
});

test('a long string is cut, and says how long it was', () => {
  const p = kind(previewValue('x'.repeat(5000), { maxString: 10 }), 'text');
  assert.equal(p.length, 5000);
  assert.equal(p.truncated, true);
  assert.equal(p.text, `${'x'.repeat(10)}…`);
});

test('a typed array is summarised with a sample for a plot', () => {
  const a = Float64Array.from({ length: 1000 }, (_, i) => i);
  a[3] = NaN;
  const p = kind(previewValue(a, { samplePoints: 11 }), 'numbers');
  assert.equal(p.type, 'Float64Array');
  assert.equal(p.length, 1000);
  assert.deepEqual(p.stats && { min: p.stats.min, max: p.stats.max, nonFinite: p.stats.nonFinite }, { min: 0, max: 999, nonFinite: 1 });
  assert.equal(p.sample.length, 11);
  assert.deepEqual(p.sampleIndex.slice(0, 2), [0, 100]);
  assert.equal(p.sampleIndex.at(-1), 999);
});

test('an array of numbers is summarised like a typed array; an empty one has no stats', () => {
  assert.equal(kind(previewValue([3, 1, 2]), 'numbers').stats?.mean, 2);
  assert.equal(kind(previewValue(new Int32Array(0)), 'numbers').stats, undefined);
});

test('an array of objects is a table, cut at maxRows', () => {
  const rows = Array.from({ length: 120 }, (_, i) => ({ id: i, name: `n${i}`, ok: i % 2 === 0, at: new Date(0) }));
  const p = kind(previewValue(rows, { maxRows: 5 }), 'table');
  assert.deepEqual(p.columns, [
    { name: 'id', type: 'number' },
    { name: 'name', type: 'string' },
    { name: 'ok', type: 'boolean' },
    { name: 'at', type: 'Date' },
  ]);
  assert.equal(p.rowCount, 120);
  assert.equal(p.rows.length, 5);
  assert.equal(p.truncated, true);
  assert.deepEqual(p.rows[1], [1, 'n1', false, '1970-01-01T00:00:00.000Z']);
});

test('an object of equally long columns is a table', () => {
  const p = kind(previewValue({ x: new Float32Array([1, 2, 3]), label: ['a', 'b', 'c'] }), 'table');
  assert.deepEqual(p.columns, [
    { name: 'x', type: 'Float32' },
    { name: 'label', type: 'string' },
  ]);
  assert.deepEqual(p.rows, [
    [1, 'a'],
    [2, 'b'],
    [3, 'c'],
  ]);
});

test('PNG bytes are an image; other bytes show their length and first bytes', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
  const img = kind(previewValue(png), 'image');
  assert.equal(img.mime, 'image/png');
  assert.deepEqual(Buffer.from(img.base64, 'base64'), png);
  const raw = kind(previewValue(new Uint8Array([1, 2, 255]).buffer), 'bytes');
  assert.deepEqual({ length: raw.length, head: raw.head, type: raw.type }, { length: 3, head: '0102ff', type: 'ArrayBuffer' });
  assert.equal(kind(previewValue(png, { maxImageBytes: 4 }), 'bytes').length, png.length);
});

test('nested values are a tree, cut in depth and width, cycles named', () => {
  const deep: Record<string, unknown> = { a: { b: { c: { d: 1 } } }, list: Array.from({ length: 10 }, (_, i) => ({ i })), m: new Map([['k', new Set([1])]]) };
  deep['self'] = deep;
  const p = kind(previewValue(deep, { maxDepth: 2, maxItems: 3 }), 'tree');
  assert.equal(p.truncated, true);
  const root = p.root as TreeContainer;
  assert.equal(root.size, 4);
  assert.deepEqual(root.entries.map(([k]) => k), ['a', 'list', 'm']);
  const a = root.entries[0]![1] as TreeContainer;
  assert.equal((a.entries[0]![1] as { cut?: boolean }).cut, true);
  const list = root.entries[1]![1] as TreeContainer;
  assert.equal(list.size, 10);
  assert.equal(list.entries.length, 3);
  const cyclic = previewValue(deep, { maxItems: 10 }) as Extract<ArtifactPreview, { kind: 'tree' }>;
  const self = (cyclic.root as TreeContainer).entries.find(([k]) => k === 'self')![1];
  assert.deepEqual(self, { kind: 'leaf', type: 'Object', text: '[Circular]' });
});

test('a preview never calls a getter and stays JSON-able', () => {
  let called = false;
  const obj = Object.defineProperty({ plain: 1 }, 'lazy', { enumerable: true, get: () => (called = true) });
  const p = previewValue({ obj, big: 10n, when: new Date(0) });
  assert.equal(called, false);
  assert.doesNotThrow(() => JSON.stringify(p));
});
