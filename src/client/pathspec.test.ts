import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidPathspecError } from '../errors.js';
import { DataArtifact, Flow, Run, Step, Task } from './index.js';
import { parsePathspec } from './pathspec.js';

test('A pathspec splits into exactly the components its kind needs', () => {
  assert.deepEqual(parsePathspec('Flow', 'ArtFlow'), ['ArtFlow']);
  assert.deepEqual(parsePathspec('Run', 'ArtFlow/17'), ['ArtFlow', '17']);
  assert.deepEqual(parsePathspec('DataArtifact', 'ArtFlow/17/end/3/x'), ['ArtFlow', '17', 'end', '3', 'x']);
});

test('A pathspec with the wrong number of components is rejected with the expected form', () => {
  assert.throws(() => parsePathspec('Run', 'ArtFlow'), (e: unknown) => {
    assert.ok(e instanceof InvalidPathspecError);
    assert.equal(e.code, 'INVALID_PATHSPEC');
    assert.match(e.message, /'FlowName\/runId'/);
    return true;
  });
  assert.throws(() => parsePathspec('Step', 'ArtFlow/1/start/2'), /FlowName\/runId\/stepName/);
});

test('A pathspec with an empty component names the empty part', () => {
  assert.throws(() => parsePathspec('Task', 'ArtFlow//start/2'), /runId component is empty/);
  assert.throws(() => parsePathspec('Flow', ''), /FlowName component is empty/);
});

test('Every get() rejects a malformed pathspec with InvalidPathspecError before touching a store', async () => {
  const cases: [string, () => Promise<unknown>][] = [
    ['Flow', () => Flow.get('a/b')],
    ['Run', () => Run.get('ArtFlow')],
    ['Run', () => Run.get('ArtFlow/')],
    ['Step', () => Step.get('ArtFlow/1')],
    ['Task', () => Task.get('ArtFlow/1/start')],
    ['DataArtifact', () => DataArtifact.get('ArtFlow/1/start/2')],
    ['Run', () => Run.get(42 as unknown as string)],
  ];
  for (const [kind, get] of cases) {
    await assert.rejects(get(), (e: unknown) => {
      assert.ok(e instanceof InvalidPathspecError, `${kind}: ${String(e)}`);
      assert.match(e.message, new RegExp(kind));
      return true;
    });
  }
});
