import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { it } from 'node:test';
import { releaseLargeGarbage } from './memory.js';

it('collects large garbage once it passes the threshold, and not for small growth', () => {
  releaseLargeGarbage(0); // baseline
  assert.equal(releaseLargeGarbage(), false);
  let big: Float64Array | undefined = new Float64Array(16 * 1024 * 1024); // 128 MiB
  big[0] = 1;
  big = undefined;
  const before = v8.getHeapStatistics().external_memory;
  assert.ok(before >= 128 * 1024 * 1024);
  assert.equal(releaseLargeGarbage(), true);
  assert.ok(v8.getHeapStatistics().external_memory < before - 100 * 1024 * 1024, 'the array was freed');
  assert.equal(releaseLargeGarbage(), false);
});
