import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StopSignals } from './stop-signals.js';

test('the first stop signal stops the run, the second only says so, the third exits', () => {
  const notices: string[] = [];
  const exits: number[] = [];
  const stops: string[] = [];
  const signals = new StopSignals((t) => notices.push(t), (code) => exits.push(code));
  try {
    process.emit('SIGHUP', 'SIGHUP');
    signals.onStop((s) => stops.push(s)); // a signal before the run could take it is not lost
    assert.deepEqual(stops, ['SIGHUP']);
    process.emit('SIGINT', 'SIGINT');
    assert.deepEqual(stops, ['SIGHUP']);
    assert.match(notices[0]!, /SIGINT again: the run is stopping and recording its end/);
    assert.deepEqual(exits, []);
    process.emit('SIGINT', 'SIGINT');
    assert.deepEqual(exits, [130]);
    assert.match(notices[1]!, /exiting now; the run will read as failed \(lost\)/);
    assert.equal(process.listenerCount('SIGINT'), 0, 'after exiting it no longer holds the signals');
  } finally {
    signals.dispose();
  }
});

test('dispose gives the signals back', () => {
  const before = process.listenerCount('SIGTERM');
  const signals = new StopSignals(() => {});
  assert.equal(process.listenerCount('SIGTERM'), before + 1);
  signals.dispose();
  assert.equal(process.listenerCount('SIGTERM'), before);
});
