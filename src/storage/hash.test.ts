import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSha1Hex, sha1Hex } from './hash.js';

describe('sha1Hex', () => {
  it('hashes bytes to 40 lowercase hex digits', () => {
    assert.equal(sha1Hex(new TextEncoder().encode('abc')), 'a9993e364706816aba3e25717850c26c9cd0d89d');
    assert.equal(sha1Hex(new Uint8Array(0)), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
  });

  it('hashes only the bytes of a view, not its whole buffer', () => {
    const buf = new TextEncoder().encode('xxabcxx');
    assert.equal(sha1Hex(buf.subarray(2, 5)), sha1Hex(new TextEncoder().encode('abc')));
  });

  it('recognises addresses', () => {
    assert.ok(isSha1Hex('a9993e364706816aba3e25717850c26c9cd0d89d'));
    assert.ok(!isSha1Hex('A9993E364706816ABA3E25717850C26C9CD0D89D'));
    assert.ok(!isSha1Hex('../a9993e364706816aba3e25717850c26c9cd0'));
  });
});
