import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONSOLE_LINE_MAX, decodeLog, decodeRecords, LOG_HEADER, LogRecorder, RECORD_TEXT_MAX } from './log-format.js';

/** Everything a recorder produced, as one buffer of records (taking what is open at the end). */
function recorded(r: LogRecorder): Buffer {
  return Buffer.from(r.take({ open: true }), 'utf8');
}

describe('LogRecorder', () => {
  it('returns the lines each chunk completes, joining a line split over chunks', () => {
    const r = new LogRecorder();
    assert.deepEqual(r.write('one\ntw', 10), ['one']);
    assert.deepEqual(r.write('o', 20), []);
    assert.deepEqual(r.write('\nthree\nfour', 30), ['two', 'three']);
    assert.equal(r.partial, 'four');
    assert.equal(r.lineCount, 3);
  });

  it('stamps each line with the time its first chunk was written', () => {
    const r = new LogRecorder();
    r.write('one\ntw', 10);
    r.write('o\n', 20);
    r.write('tail', 30);
    assert.equal(r.take(), '10 one\n10 two\n');
    assert.equal(r.take({ open: true }), '30+tail\n');
    assert.equal(r.take({ open: true }), '');
  });

  it('hands out an open line in pieces that the next records continue', () => {
    const r = new LogRecorder();
    r.write('progress: 1', 5);
    const first = r.take({ open: true });
    r.write('0%, 20%', 6);
    const second = r.take({ open: true });
    r.write(' done\nnext\n', 7);
    const all = Buffer.from(first + second + r.take());
    assert.equal(decodeLog(all).text, 'progress: 10%, 20% done\nnext\n');
    assert.deepEqual(decodeLog(all).lines, [{ at: 5, text: 'progress: 10%, 20% done' }, { at: 7, text: 'next' }]);
  });

  it('cuts a very long line into records without holding it whole, and the console gets its start', () => {
    const r = new LogRecorder();
    const piece = 'é'.repeat(1000) + '😀'.repeat(1000);
    const lines: string[] = [];
    let bytes = '';
    for (let i = 0; i < 100; i++) {
      lines.push(...r.write(piece, 1));
      bytes += r.take();
      assert.ok(r.pendingChars <= RECORD_TEXT_MAX, String(r.pendingChars));
    }
    lines.push(...r.write('\n', 2));
    bytes += r.take();
    const decoded = decodeLog(Buffer.from(bytes));
    assert.equal(decoded.text, `${piece.repeat(100)}\n`);
    assert.equal(decoded.lines.length, 1);
    assert.ok(bytes.split('\n').length > 3, 'several records');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.length > CONSOLE_LINE_MAX, true);
    assert.match(lines[0]!, new RegExp(`\\[\\.\\.\\. ${piece.length * 100 - CONSOLE_LINE_MAX} more characters: \`cairn logs\` shows the whole line\\]$`));
  });

  it('says whether anything was printed, and ignores empty chunks', () => {
    const r = new LogRecorder();
    assert.ok(r.empty);
    r.write('', 1);
    assert.ok(r.empty);
    r.write('x', 1);
    assert.ok(!r.empty);
  });
});

describe('decodeRecords and decodeLog', () => {
  it('give back exactly what was printed, with or without a final newline', () => {
    for (const chunks of [['a\nb\n'], ['a\nb'], ['\n\n'], ['x\r\n', 'y'], ['', 'é ü 日本\n'], ['line with 123 digits\n']]) {
      const r = new LogRecorder();
      chunks.forEach((c, i) => r.write(c, 1000 + i));
      assert.equal(decodeLog(recorded(r)).text, chunks.join(''), JSON.stringify(chunks));
    }
  });

  it('read from a byte offset, and point past the complete lines to the line still open', () => {
    const r = new LogRecorder();
    r.write('first\nsecond\nthi', 5);
    const all = recorded(r);
    const whole = decodeRecords(all);
    assert.deepEqual(whole.lines, [{ at: 5, text: 'first' }, { at: 5, text: 'second' }, { at: 5, text: 'thi' }]);
    assert.deepEqual(whole.partial, { at: 5, text: 'thi' });
    const second = Buffer.byteLength('5 first\n');
    assert.equal(whole.next, second + Buffer.byteLength('5 second\n'));
    const tail = decodeRecords(all.subarray(second), second);
    assert.deepEqual(tail.lines.map((l) => l.text), ['second', 'thi']);
    assert.equal(tail.next, whole.next);
    const done = decodeRecords(Buffer.from('5 first\n'));
    assert.deepEqual([done.partial, done.next], [undefined, 8]);
  });

  it('read the single-file format of older versions, and plain text without times', () => {
    const old = decodeLog(Buffer.from(`${LOG_HEADER}12 ok\n13+tail\n`), 'text');
    assert.equal(old.text, 'ok\ntail');
    assert.deepEqual(old.lines.map((l) => l.at), [12, 13]);
    const plain = decodeLog(Buffer.from('try 1\nhello\n'), 'text');
    assert.equal(plain.text, 'try 1\nhello\n');
    assert.deepEqual(plain.lines, [{ at: undefined, text: 'try 1' }, { at: undefined, text: 'hello' }]);
  });

  it('read nothing as empty, and keep a damaged record as a line without a time', () => {
    assert.deepEqual(decodeLog(undefined), { text: '', lines: [] });
    assert.deepEqual(decodeLog(new Uint8Array(0)), { text: '', lines: [] });
    const log = decodeLog(Buffer.from('12 ok\ngarbage\n13 fine\n'));
    assert.equal(log.text, 'ok\ngarbage\nfine\n');
    assert.deepEqual(log.lines.map((l) => l.at), [12, undefined, 13]);
  });
});
