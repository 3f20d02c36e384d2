import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAnsi, stripAnsi } from './ansi.js';

const E = '\x1b';

test('Should split a line into spans by its SGR colour codes', () => {
  const { spans, style } = parseAnsi(`plain ${E}[31mred ${E}[1mbold red${E}[0m back`);
  assert.deepEqual(spans, [
    { text: 'plain ', style: {} },
    { text: 'red ', style: { fg: 'c1' } },
    { text: 'bold red', style: { fg: 'c1', bold: true } },
    { text: ' back', style: {} },
  ]);
  assert.deepEqual(style, {});
});

test('Should read bright, 256-colour and true-colour codes, and reset each part alone', () => {
  assert.deepEqual(parseAnsi(`${E}[92;101mx`).spans[0]!.style, { fg: 'c10', bg: 'c9' });
  assert.deepEqual(parseAnsi(`${E}[38;5;196mx`).spans[0]!.style, { fg: 'rgb(255, 0, 0)' });
  assert.deepEqual(parseAnsi(`${E}[38;5;244mx`).spans[0]!.style, { fg: 'rgb(128, 128, 128)' });
  assert.deepEqual(parseAnsi(`${E}[48;2;10;20;30mx`).spans[0]!.style, { bg: 'rgb(10, 20, 30)' });
  assert.deepEqual(parseAnsi(`${E}[1;4;33mx${E}[22;39my`).spans.map((s) => s.style), [{ bold: true, underline: true, fg: 'c3' }, { underline: true }]);
  assert.deepEqual(parseAnsi(`${E}[38;2;300;0;0mx`).spans[0]!.style, {}, 'a colour out of range is ignored');
});

test('Should carry the style from one line to the next, as a terminal does', () => {
  const first = parseAnsi(`${E}[32mgreen starts`);
  const second = parseAnsi('and goes on', first.style);
  assert.deepEqual(second.spans, [{ text: 'and goes on', style: { fg: 'c2' } }]);
});

test('Should drop cursor moves, erasing, titles and hyperlinks, keeping the text', () => {
  const line = `${E}[2K${E}[1G${E}]0;title${E}\\${E}]8;;https://x.example${E}\\link${E}]8;;${E}\\ 50%${E}[?25l\x07`;
  assert.equal(stripAnsi(line), 'link 50%');
  assert.deepEqual(parseAnsi(line).spans, [{ text: 'link 50%', style: {} }]);
});

test('Should keep markup-like text as text (the page renders it as text)', () => {
  assert.deepEqual(parseAnsi('<img src=x onerror=alert(1)>').spans, [{ text: '<img src=x onerror=alert(1)>', style: {} }]);
});
