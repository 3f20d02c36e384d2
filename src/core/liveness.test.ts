import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CairnError } from '../errors.js';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, heartbeatInterval, isLost, lostAfterMs, lostReason } from './liveness.js';

const running = { status: 'running', heartbeatAt: 1_000_000, heartbeatIntervalMs: 1000 };

test('A running run is lost only once its heartbeat is older than three intervals plus the slack', () => {
  const limit = lostAfterMs(1000);
  assert.ok(limit >= 3000 && limit < 6000);
  assert.equal(isLost(running, 1_000_000), false);
  assert.equal(isLost(running, 1_000_000 + limit), false);
  assert.equal(isLost(running, 1_000_000 + limit + 1), true);
});

test('Finished runs and runs without a heartbeat are never lost', () => {
  const later = 1_000_000 + 3_600_000;
  assert.equal(isLost({ ...running, status: 'succeeded' }, later), false);
  assert.equal(isLost({ ...running, status: 'failed' }, later), false);
  assert.equal(isLost({ status: 'running', heartbeatAt: null, heartbeatIntervalMs: null }, later), false);
});

test('The interval comes from CAIRN_HEARTBEAT_INTERVAL, and a bad value is refused with the rule', () => {
  assert.equal(heartbeatInterval({}), DEFAULT_HEARTBEAT_INTERVAL_MS);
  assert.equal(heartbeatInterval({ CAIRN_HEARTBEAT_INTERVAL: ' 250 ' }), 250);
  for (const bad of ['0', '-5', '1.5', 'fast', '99999999']) {
    assert.throws(
      () => heartbeatInterval({ CAIRN_HEARTBEAT_INTERVAL: bad }),
      (e: unknown) => e instanceof CairnError && e.code === 'INVALID_ARGUMENT' && /CAIRN_HEARTBEAT_INTERVAL must be a whole number of milliseconds/.test(e.message),
    );
  }
});

test('The reason of a lost run names it, says when it stopped and how to go on', () => {
  const text = lostReason({ ...running, flow: 'F', runId: '12' });
  assert.match(text, /Run F\/12 was lost/);
  assert.match(text, /1970-01-01T00:16:40\.000Z/);
  assert.match(text, /cairn resume/);
});
