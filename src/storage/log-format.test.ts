import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeLog, LOG_HEADER, LogWriter } from './log-format.js';

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}

describe('LogWriter', () => {
  it('returns the lines each chunk completes, joining a line split over chunks', () => {
    const w = new LogWriter();
    assert.deepEqual(w.write('one\ntw', 10), ['one']);
    assert.deepEqual(w.write('o', 20), []);
    assert.deepEqual(w.write('\nthree\nfour', 30), ['two', 'three']);
    assert.equal(w.partial, 'four');
  });

  it('stamps each line with the time its first chunk was written', () => {
    const w = new LogWriter();
    w.write('one\ntw', 10);
    w.write('o\n', 20);
    w.write('tail', 30);
    assert.equal(text(w.encode()), `${LOG_HEADER}10 one\n10 two\n30+tail\n`);
  });

  it('counts writes in its version, and ignores empty chunks', () => {
    const w = new LogWriter();
    assert.equal(w.version, 0);
    assert.ok(w.empty);
    w.write('', 1);
    assert.equal(w.version, 0);
    w.write('x', 1);
    assert.equal(w.version, 1);
    assert.ok(!w.empty);
  });
});

describe('decodeLog', () => {
  it('gives back exactly what was printed, with or without a final newline', () => {
    for (const chunks of [['a\nb\n'], ['a\nb'], ['\n\n'], ['x\r\n', 'y'], ['', 'é ü 日本\n'], ['line with 123 digits\n']]) {
      const w = new LogWriter();
      chunks.forEach((c, i) => w.write(c, 1000 + i));
      assert.equal(decodeLog(w.encode()).text, chunks.join(''), JSON.stringify(chunks));
    }
  });

  it('reads each line with its time', () => {
    const w = new LogWriter();
    w.write('first\nsecond\n', 5);
    w.write('third', 7);
    assert.deepEqual(decodeLog(w.encode()).lines, [
      { at: 5, text: 'first' },
      { at: 5, text: 'second' },
      { at: 7, text: 'third' },
    ]);
  });

  it('reads output stored without the header as plain text without times', () => {
    const log = decodeLog(Buffer.from('try 1\nhello\n'));
    assert.equal(log.text, 'try 1\nhello\n');
    assert.deepEqual(log.lines, [
      { at: undefined, text: 'try 1' },
      { at: undefined, text: 'hello' },
    ]);
  });

  it('reads nothing as empty', () => {
    assert.deepEqual(decodeLog(undefined), { text: '', lines: [] });
    assert.deepEqual(decodeLog(new Uint8Array(0)), { text: '', lines: [] });
    assert.deepEqual(decodeLog(new LogWriter().encode()), { text: '', lines: [] });
  });

  it('keeps a damaged record as a line without a time', () => {
    const log = decodeLog(Buffer.from(`${LOG_HEADER}12 ok\ngarbage\n13 fine\n`));
    assert.equal(log.text, 'ok\ngarbage\nfine\n');
    assert.deepEqual(log.lines.map((l) => l.at), [12, undefined, 13]);
  });
});
