import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeLog } from '../storage/log-format.js';
import type { ArtifactStore, LogStream } from '../storage/types.js';
import { LogSaver, OutputCapture } from './capture.js';

const key = { flow: 'F', runId: '1', step: 'start', taskId: '1' };

/** Records every putLog; everything else is unused here. */
function logStore() {
  const puts: Array<{ attempt: number; stream: LogStream; text: string }> = [];
  const store = {
    async putLog(_task: unknown, attempt: number, stream: LogStream, data: Uint8Array) {
      puts.push({ attempt, stream, text: decodeLog(data).text });
      return `mem:${stream}`;
    },
  } as unknown as ArtifactStore;
  return { store, puts };
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(5);
  }
}

test('OutputCapture forwards complete lines and keeps everything, the unfinished last line included', () => {
  const forwarded: string[] = [];
  const capture = new OutputCapture((stream, lines) => forwarded.push(...lines.map((l) => `${stream}:${l}`)));
  capture.write('stdout', 'a\nb');
  capture.write('stderr', 'oops\n');
  capture.write('stdout', 'c\nd');
  assert.deepEqual(forwarded, ['stdout:a', 'stderr:oops', 'stdout:bc']);
  const out = capture.finish();
  assert.deepEqual(forwarded, ['stdout:a', 'stderr:oops', 'stdout:bc', 'stdout:d']);
  assert.equal(decodeLog(out.stdout).text, 'a\nbc\nd');
  assert.equal(decodeLog(out.stderr).text, 'oops\n');
});

test('A stream with no output is not stored', async () => {
  const { store, puts } = logStore();
  const capture = new OutputCapture(() => undefined);
  capture.write('stdout', 'only stdout\n');
  const logs = await new LogSaver(capture, store, key, 0, 60_000).finish();
  assert.deepEqual(logs, { stdout: 'mem:stdout', stderr: null });
  assert.deepEqual(puts, [{ attempt: 0, stream: 'stdout', text: 'only stdout\n' }]);
});

test('LogSaver stores the output while the task runs, only when there is something new, and all of it at the end', async () => {
  const { store, puts } = logStore();
  const capture = new OutputCapture(() => undefined);
  const saver = new LogSaver(capture, store, key, 2, 10);
  await sleep(50);
  assert.equal(puts.length, 0, 'nothing printed, nothing stored');

  capture.write('stdout', 'first\npart');
  await until(() => puts.length === 1);
  assert.deepEqual(puts[0], { attempt: 2, stream: 'stdout', text: 'first\npart' });
  await sleep(60);
  assert.equal(puts.length, 1, 'nothing new, nothing stored again');

  capture.write('stderr', 'warning\n');
  await until(() => puts.length === 3);
  assert.deepEqual(puts.slice(1).map((p) => p.stream).sort(), ['stderr', 'stdout']);

  capture.write('stdout', 'ial\nlast\n');
  const logs = await saver.finish();
  assert.deepEqual(logs, { stdout: 'mem:stdout', stderr: 'mem:stderr' });
  const final = puts.slice(-2);
  assert.deepEqual(final.find((p) => p.stream === 'stdout')?.text, 'first\npartial\nlast\n');
  const count = puts.length;
  await sleep(60);
  assert.equal(puts.length, count, 'no save after finish');
});

test('OutputCapture decodes a character split between two byte writes, and text written in another encoding', () => {
  const forwarded: string[] = [];
  const capture = new OutputCapture((_stream, lines) => forwarded.push(...lines));
  const bytes = Buffer.from('héllo €\n');
  capture.write('stdout', bytes.subarray(0, 2));
  capture.write('stdout', bytes.subarray(2, 8));
  capture.write('stdout', bytes.subarray(8));
  capture.write('stdout', '48690a', 'hex');
  capture.write('stdout', new Uint8Array([0xe2, 0x82]));
  const out = capture.finish();
  assert.deepEqual(forwarded, ['héllo €', 'Hi', '\ufffd']);
  assert.equal(decodeLog(out.stdout).text, 'héllo €\nHi\n\ufffd');
});
