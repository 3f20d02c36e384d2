import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CairnError } from '../errors.js';
import { applyTagChange, validateTags } from './tags.js';

const run = { userTags: ['a', 'b'], systemTags: ['user:alice', 'runtime:node'], pathspec: 'F/1' };

function isInvalidArgument(pattern: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof CairnError);
    assert.equal(e.code, 'INVALID_ARGUMENT');
    assert.match(e.message, pattern);
    return true;
  };
}

test('Adding tags appends new ones once, in order', () => {
  assert.deepEqual(applyTagChange(run, { remove: [], add: ['c', 'a', 'd'] }), ['a', 'b', 'c', 'd']);
});

test('Adding a tag equal to a system tag is silently dropped', () => {
  assert.deepEqual(applyTagChange(run, { remove: [], add: ['user:alice', 'c'] }), ['a', 'b', 'c']);
});

test('Removing a system tag is refused', () => {
  assert.throws(() => applyTagChange(run, { remove: ['a', 'user:alice'], add: [] }), isInvalidArgument(/system tag 'user:alice'/));
});

test('Replacing removes first, then adds', () => {
  assert.deepEqual(applyTagChange(run, { remove: ['a', 'b'], add: ['b', 'x'] }), ['b', 'x']);
});

test('A change that neither adds nor removes is refused', () => {
  assert.throws(() => applyTagChange(run, { remove: [], add: [] }), isInvalidArgument(/at least one tag/));
});

test('A run cannot have more than 50 user tags', () => {
  const many = Array.from({ length: 49 }, (_, i) => `t${i}`);
  assert.equal(applyTagChange(run, { remove: [], add: many.slice(0, 48) }).length, 50);
  assert.throws(() => applyTagChange(run, { remove: [], add: many }), isInvalidArgument(/at most 50/));
});

test('Tags must be non-empty strings of at most 500 characters', () => {
  assert.throws(() => validateTags([''], 'addTags()'), isInvalidArgument(/cannot be empty/));
  assert.throws(() => validateTags(['x'.repeat(501)], 'addTags()'), isInvalidArgument(/at most 500/));
  assert.throws(() => validateTags([7], 'addTags()'), isInvalidArgument(/must be a string/));
  assert.throws(() => validateTags(null, 'addTags()'), isInvalidArgument(/array of tag strings/));
  assert.throws(() => validateTags(['\ud800'], 'addTags()'), isInvalidArgument(/not valid text/));
  assert.deepEqual(validateTags(['x'.repeat(500), 'é', '😀'], 'addTags()').length, 3);
  assert.deepEqual(validateTags('one', 'addTags()'), ['one']);
});
