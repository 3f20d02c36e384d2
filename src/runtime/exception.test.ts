import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toException } from './exception.js';

test('toException records what a step threw, plain objects and other non-errors included', () => {
  assert.deepEqual(toException({ code: 42, reason: 'x' }), { type: 'object', message: "{ code: 42, reason: 'x' }" });
  assert.deepEqual(toException('a string'), { type: 'string', message: 'a string' });
  assert.deepEqual(toException(null), { type: 'object', message: 'null' });
  const e = toException(new RangeError('bad'));
  assert.equal(e.type, 'RangeError');
  assert.equal(e.message, 'bad');
});
