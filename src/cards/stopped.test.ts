import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stoppedCard } from './stopped.js';
import type { CardDocument } from './document.js';

const task = { flow: 'F', runId: '1', step: 'train', taskId: '3' };
const spec = { type: 'blank' as const, id: 'progress', timeout: 45, refreshInterval: 1 };
const timeout = { type: 'TimeoutError', message: 'Step train timed out after 2 seconds.' };

const live: CardDocument = {
  version: 1, id: 'progress', type: 'blank', status: 'rendering', updatedAt: Date.UTC(2026, 0, 2, 3, 4, 5), title: 'F/1/train/3',
  task: { pathspec: 'F/1/train/3', attempt: 0, status: 'running' }, refreshInterval: 1000, components: [{ type: 'markdown', text: 'epoch 3' }],
};

test('stoppedCard keeps a live card as last drawn, marked with why its task stopped', () => {
  const doc = stoppedCard(task, 0, spec, live, timeout, 99)!;
  assert.deepEqual(doc.components, live.components);
  assert.deepEqual([doc.status, doc.task.status, doc.updatedAt, doc.error?.type], ['error', 'failed', 99, 'TimeoutError']);
  assert.equal(doc.error?.message, 'Step train timed out after 2 seconds. The task was stopped before its card was drawn for the last time: this is its last live update, from 2026-01-02T03:04:05.000Z.');
});

test('stoppedCard draws an error card for a card never stored, and leaves a finished card alone', () => {
  const doc = stoppedCard(task, 2, spec, undefined, timeout, 99)!;
  assert.deepEqual([doc.id, doc.type, doc.status, doc.components, doc.task], ['progress', 'blank', 'error', [], { pathspec: 'F/1/train/3', attempt: 2, status: 'failed' }]);
  assert.equal(stoppedCard(task, 0, spec, { ...live, status: 'ready' }, timeout, 99), undefined);
  assert.equal(stoppedCard(task, 0, spec, { ...live, status: 'error' }, timeout, 99), undefined);
});
