import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { blobCutoff, checkPolicy, DEFAULT_GRACE_MS, judgeRuns, parseDuration } from './gc-policy.js';
import type { RunRow } from './types.js';

const DAY = 86_400_000;
const NOW = 1_800_000_000_000;

function run(flow: string, runId: string, ageDays: number, over: Partial<RunRow> = {}): RunRow {
  return {
    flow, runId, user: 'u', createdAt: NOW - ageDays * DAY, finishedAt: NOW - ageDays * DAY + 1000, status: 'succeeded',
    userTags: [], systemTags: ['user:u'], params: {}, codePackage: null, originRunId: null, heartbeatAt: null, heartbeatIntervalMs: null,
    ...over,
  };
}

function verdicts(rows: RunRow[], opts: Parameters<typeof checkPolicy>[0]): Record<string, string> {
  const v = judgeRuns(rows, checkPolicy(opts), NOW);
  return Object.fromEntries(rows.map((r) => [`${r.flow}/${r.runId}`, v.get(r)!]));
}

describe('gc policy', () => {
  it('reads durations with units, and refuses anything else saying what is expected', () => {
    assert.equal(parseDuration('30d', 'x'), 30 * DAY);
    assert.equal(parseDuration('1.5h', 'x'), 5_400_000);
    assert.equal(parseDuration('90m', 'x'), 5_400_000);
    assert.equal(parseDuration('0s', 'x'), 0);
    assert.equal(parseDuration(250, 'x'), 250);
    for (const bad of ['30', '30x', '-1d', '', 'd']) {
      assert.throws(() => parseDuration(bad, '--older-than'), /--older-than must be a duration such as 30d.*Nothing was deleted/);
    }
    assert.throws(() => parseDuration(-5, '--grace'), /at least 0/);
  });

  it('refuses a bad policy before anything happens', () => {
    assert.throws(() => checkPolicy({ keepLast: -1 }), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT' && /--keep-last/.test(e.message));
    assert.throws(() => checkPolicy({ keepLast: 1.5 }), /--keep-last/);
    assert.throws(() => checkPolicy({ keepTags: [''] }), /--keep-tag needs a tag/);
    assert.equal(checkPolicy({}).graceMs, DEFAULT_GRACE_MS);
  });

  it('keeps the N newest runs of each flow with --keep-last', () => {
    const rows = [run('A', '1', 5), run('A', '2', 4), run('A', '3', 3), run('B', '1', 9)];
    assert.deepEqual(verdicts(rows, { keepLast: 2 }), { 'A/1': 'delete', 'A/2': 'newest', 'A/3': 'newest', 'B/1': 'newest' });
    assert.deepEqual(verdicts(rows, { keepLast: 0 }), { 'A/1': 'delete', 'A/2': 'delete', 'A/3': 'delete', 'B/1': 'delete' });
  });

  it('deletes only runs older than --older-than, and with --keep-last only past the newest', () => {
    const rows = [run('A', '1', 40), run('A', '2', 35), run('A', '3', 10)];
    assert.deepEqual(verdicts(rows, { olderThan: '30d' }), { 'A/1': 'delete', 'A/2': 'delete', 'A/3': 'recent' });
    assert.deepEqual(verdicts(rows, { olderThan: '30d', keepLast: 2 }), { 'A/1': 'delete', 'A/2': 'newest', 'A/3': 'newest' });
  });

  it('never deletes a run with a kept tag, a run still going, or without a policy', () => {
    const going = run('A', '2', 50, { status: 'running', finishedAt: null, heartbeatAt: NOW - 1000, heartbeatIntervalMs: 5000 });
    const lost = run('A', '3', 50, { status: 'running', finishedAt: null, heartbeatAt: NOW - DAY, heartbeatIntervalMs: 5000 });
    const rows = [run('A', '1', 50, { userTags: ['prod'] }), going, lost, run('A', '4', 50, { systemTags: ['user:u', 'pinned'] })];
    assert.deepEqual(verdicts(rows, { olderThan: '1d', keepTags: ['prod', 'pinned'] }), {
      'A/1': 'tagged', 'A/2': 'going', 'A/3': 'delete', 'A/4': 'tagged',
    });
    assert.deepEqual(Object.values(verdicts(rows, { keepTags: ['prod'] })), ['no-policy', 'no-policy', 'no-policy', 'no-policy']);
  });

  it('limits deletion to one flow with flow', () => {
    const rows = [run('A', '1', 50), run('B', '1', 50)];
    assert.deepEqual(verdicts(rows, { olderThan: '1d', flow: 'B' }), { 'A/1': 'other-flow', 'B/1': 'delete' });
  });

  it('moves the blob cutoff back to the start of the oldest run still going, less the grace', () => {
    const going = run('A', '2', 2, { status: 'running', finishedAt: null, heartbeatAt: NOW - 1000, heartbeatIntervalMs: 5000 });
    const unknown = run('A', '3', 1, { status: 'running', finishedAt: null });
    assert.deepEqual(blobCutoff([run('A', '1', 3)], NOW, 1000), { cutoff: NOW - 1000 });
    const held = blobCutoff([run('A', '1', 3), going, unknown], NOW, 1000);
    assert.equal(held.cutoff, going.createdAt - 1000);
    assert.equal(held.heldBy, going);
  });
});
