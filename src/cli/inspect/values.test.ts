import { test } from 'node:test';
import assert from 'node:assert/strict';
import { artifactLine, formatSize, renderValue, summarize } from './values.js';

test('Sizes read in bytes below 1000, then in kB, MB and GB with one decimal', () => {
  assert.equal(formatSize(0), '0 B');
  assert.equal(formatSize(999), '999 B');
  assert.equal(formatSize(1000), '1.0 kB');
  assert.equal(formatSize(1534), '1.5 kB');
  assert.equal(formatSize(999_999), '1.0 MB');
  assert.equal(formatSize(8_000_009), '8.0 MB');
  assert.equal(formatSize(1_200_000_000), '1.2 GB');
  assert.equal(formatSize(5e15), '5000.0 TB');
});

test('A large value is summarised by its type and size', () => {
  assert.equal(summarize('Float64Array', 8_000_009), '<Float64Array, 8.0 MB>');
  assert.equal(summarize('string', 1001), '<string, 1.0 kB>');
});

test('Values render without colours, nested objects included', () => {
  assert.equal(renderValue([1, 2, 4]), '[ 1, 2, 4 ]');
  assert.equal(renderValue('text'), "'text'");
  assert.equal(renderValue(new Map([['a', 1]])), "Map(1) { 'a' => 1 }");
  const nested = renderValue({ a: { b: { c: { d: { e: 1 } } } } });
  assert.match(nested, /e: 1/);
  assert.doesNotMatch(nested, /\[Object\]/);
  assert.doesNotMatch(renderValue({ x: 'y' }), /\u001b\[/);
});

test('Long lists are cut', () => {
  assert.match(renderValue(Array.from({ length: 500 }, (_, i) => i)), /\.\.\. 400 more items/);
});

test('A value that spans lines is indented under its name', () => {
  assert.equal(artifactLine('x', '1'), 'x: 1');
  assert.equal(artifactLine('cfg', '{\n  a: 1\n}'), 'cfg: {\n    a: 1\n  }');
});
