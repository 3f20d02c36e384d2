import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeLog, LogRecorder } from '../../storage/log-format.js';
import { LocalArtifactStore } from '../../storage/local-artifact-store.js';
import { HeardTail } from './heard-tail.js';

const key = { flow: 'F', runId: '1', step: 'start', taskId: '1' };
const root = mkdtempSync(join(tmpdir(), 'cairn-heard-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('What a killed worker had not stored is appended after what it had, with the failure ending stderr', async () => {
  const store = new LocalArtifactStore(root);
  // The worker stored two lines and the start of a third, then heard nothing more back.
  const worker = new LogRecorder();
  worker.write('one\ntwo\nthr', 10);
  const bytes = Buffer.from(worker.take({ open: true }));
  const location = await store.appendLog(key, 0, 'stdout', { start: 0, bytes });
  const heard = new HeardTail();
  heard.add('stdout', ['one', 'two'], 10, 0);
  heard.stored('stdout', { lines: 2, partial: 3, end: bytes.byteLength, location });
  heard.add('stdout', ['three', 'four'], 20, 2);
  heard.add('stdout', ['[a note of the console]'], 20, undefined);

  const logs = await heard.store(store, key, 0, 'TimeoutError: Step start timed out after 1 second.');
  assert.equal(logs.stdout, location);
  const out = await store.readLog(key, 0, 'stdout');
  assert.equal(decodeLog(out!.bytes).text, 'one\ntwo\nthree\nfour\n');
  const err = await store.readLog(key, 0, 'stderr');
  assert.equal(decodeLog(err!.bytes).text, 'TimeoutError: Step start timed out after 1 second.\n');
  assert.match(logs.stderr!, /0\.stderr\/$/);
});

test('Without a store, the locations the worker reported are kept', async () => {
  const heard = new HeardTail();
  heard.stored('stderr', { lines: 1, partial: 0, end: 9, location: 'somewhere/' });
  assert.deepEqual(await heard.store(undefined, key, 0, 'Killed: the run was interrupted.'), { stdout: null, stderr: 'somewhere/' });
});
