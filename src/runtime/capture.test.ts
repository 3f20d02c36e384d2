import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeLog } from '../storage/log-format.js';
import { LocalArtifactStore } from '../storage/local-artifact-store.js';
import type { LogStream } from '../storage/types.js';
import { OutputCapture, type CaptureEvents } from './capture.js';

const key = { flow: 'F', runId: '1', step: 'start', taskId: '1' };
const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function store(): LocalArtifactStore {
  const root = mkdtempSync(join(tmpdir(), 'cairn-capture-'));
  roots.push(root);
  return new LocalArtifactStore(root);
}

/** Events that collect the console's lines (confirming them sent unless `hold`) and the stored notices. */
function events(hold = false) {
  const shown: string[] = [];
  const pending: Array<() => void> = [];
  const stored: Array<{ stream: LogStream; lines: number; end: number }> = [];
  const ev: CaptureEvents = {
    lines: (stream, lines, _at, _seq, sent) => {
      shown.push(...lines.map((l) => `${stream}:${l}`));
      if (hold) pending.push(sent);
      else sent();
    },
    stored: (stream, s) => stored.push({ stream, lines: s.lines, end: s.end }),
  };
  return { ev, shown, pending, stored };
}

async function text(s: LocalArtifactStore, stream: LogStream, attempt = 0): Promise<string> {
  const log = await s.readLog(key, attempt, stream);
  return decodeLog(log?.bytes, log?.format).text;
}

async function until(check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(5);
  }
}

test('The console gets complete lines in order; the store gets everything, the unfinished last line included', async () => {
  const s = store();
  const { ev, shown } = events();
  const capture = new OutputCapture(s, key, 0, ev);
  capture.write('stdout', 'a\nb');
  capture.write('stderr', 'oops\n');
  capture.write('stdout', 'c\nd');
  const logs = await capture.finish();
  assert.deepEqual(shown.filter((l) => l.startsWith('stdout')), ['stdout:a', 'stdout:bc', 'stdout:d']);
  assert.deepEqual(shown.filter((l) => l.startsWith('stderr')), ['stderr:oops']);
  assert.equal(await text(s, 'stdout'), 'a\nbc\nd');
  assert.equal(await text(s, 'stderr'), 'oops\n');
  assert.match(logs.stdout!, /logs\/F\/1\/start\/1\/0\.stdout\/$/);
});

test('A stream with no output is not stored', async () => {
  const s = store();
  const capture = new OutputCapture(s, key, 3, events().ev);
  capture.write('stdout', 'only stdout\n');
  const logs = await capture.finish();
  assert.equal(logs.stderr, null);
  assert.equal(await s.readLog(key, 3, 'stderr'), undefined);
  assert.equal(await text(s, 'stdout', 3), 'only stdout\n');
});

test('A line is in the store at once when the task prints now and then, and within flushMs when it prints a lot', async () => {
  const s = store();
  const { ev, stored } = events();
  const capture = new OutputCapture(s, key, 0, ev, { flushMs: 50 });
  capture.write('stdout', 'first\n');
  assert.equal(await text(s, 'stdout'), 'first\n', 'stored while write() ran');
  assert.deepEqual(stored.at(-1), { stream: 'stdout', lines: 1, end: (await s.readLog(key, 0, 'stdout'))!.end });
  capture.write('stdout', 'second, soon after\npartial');
  await until(async () => (await text(s, 'stdout')) === 'first\nsecond, soon after\npartial');
  capture.write('stdout', ' line\n');
  await capture.finish();
  assert.equal(await text(s, 'stdout'), 'first\nsecond, soon after\npartial line\n');
  assert.deepEqual(decodeLog((await s.readLog(key, 0, 'stdout'))!.bytes).lines.map((l) => l.text), ['first', 'second, soon after', 'partial line']);
});

test('record() adds to the stored stream on a line of its own, without showing it on the console', async () => {
  const s = store();
  const { ev, shown } = events();
  const capture = new OutputCapture(s, key, 0, ev);
  capture.write('stderr', 'warning: no newline');
  capture.record('stderr', 'TypeError: boom\n    at start (flow.ts:3:9)');
  await capture.finish();
  assert.equal(await text(s, 'stderr'), 'warning: no newline\nTypeError: boom\n    at start (flow.ts:3:9)\n');
  assert.deepEqual(shown, ['stderr:warning: no newline']);
});

test('A console that falls behind gets a note instead of the lines it missed; the store has every line', async () => {
  const s = store();
  const { ev, shown, pending } = events(true);
  const capture = new OutputCapture(s, key, 0, ev, { sendMs: 1 });
  const line = 'x'.repeat(1000);
  for (let i = 0; i < 6000; i++) capture.write('stdout', `${i} ${line}\n`);
  const before = shown.length;
  assert.ok(before > 1000 && before < 6000, String(before));
  for (const sent of pending.splice(0)) sent();
  capture.write('stdout', 'after the console caught up\n');
  await capture.finish();
  const note = shown.find((l) => l.includes('not shown here'));
  assert.match(note ?? '', new RegExp(`^stdout:\\[${6000 - before} lines not shown here: the task printed faster than the console could show; \`cairn logs\` has every line\\]$`));
  assert.equal(shown.at(-1), 'stdout:after the console caught up');
  const lines = decodeLog((await s.readLog(key, 0, 'stdout'))!.bytes).lines;
  assert.equal(lines.length, 6001);
  assert.equal(lines[5999]!.text, `5999 ${line}`);
});

test('A store that refuses a write gets it again before anything after it, so the stored output has no gap', async () => {
  const s = store();
  // The logs folder cannot be made while a file has its name.
  writeFileSync(join(s.root, 'logs'), 'in the way');
  const capture = new OutputCapture(s, key, 0, events().ev, { flushMs: 5 });
  capture.write('stdout', 'one\n');
  await sleep(20);
  capture.write('stdout', 'two\n');
  assert.equal(await s.readLog(key, 0, 'stdout').catch(() => undefined), undefined);
  unlinkSync(join(s.root, 'logs'));
  capture.write('stdout', 'three\n');
  await capture.finish();
  assert.equal(await text(s, 'stdout'), 'one\ntwo\nthree\n');

  writeFileSync(join(s.root, 'logs', 'F', '1', 'start', '1', '1.stdout'), 'in the way');
  const failing = new OutputCapture(s, key, 1, events().ev);
  failing.write('stdout', 'lost\n');
  await assert.rejects(failing.finish(), /1\.stdout/);
});

test('Bytes are decoded across writes, and text written in another encoding is read in it', async () => {
  const s = store();
  const { ev, shown } = events();
  const capture = new OutputCapture(s, key, 0, ev);
  const bytes = Buffer.from('héllo €\n');
  capture.write('stdout', bytes.subarray(0, 2));
  capture.write('stdout', bytes.subarray(2, 8));
  capture.write('stdout', bytes.subarray(8));
  capture.write('stdout', '48690a', 'hex');
  capture.write('stdout', new Uint8Array([0xe2, 0x82]));
  await capture.finish();
  assert.deepEqual(shown, ['stdout:héllo €', 'stdout:Hi', 'stdout:\ufffd']);
  assert.equal(await text(s, 'stdout'), 'héllo €\nHi\n\ufffd');
});

test('One large write is stored a segment at a time, whole, a character split at a segment edge included', async () => {
  const s = store();
  const { ev, shown, stored } = events();
  const capture = new OutputCapture(s, key, 0, ev);
  const MiB = 1024 * 1024;
  // A surrogate pair (text) and a 3-byte character (bytes) straddle each 1 MiB edge.
  const line = ('x'.repeat(MiB - 1) + '😀').repeat(5);
  capture.write('stdout', line + '\n');
  const bytes = Buffer.from(('y'.repeat(MiB - 1) + '€').repeat(3) + '\n');
  capture.write('stderr', bytes);
  // Segments were stored during the write, not only at its end.
  assert.ok(stored.filter((x) => x.stream === 'stdout').length >= 5, JSON.stringify(stored));
  assert.ok(stored.filter((x) => x.stream === 'stderr').length >= 3, JSON.stringify(stored));
  await capture.finish();
  assert.equal(await text(s, 'stdout'), line + '\n');
  assert.equal(await text(s, 'stderr'), bytes.toString());
  assert.equal(shown.length, 2);
});
