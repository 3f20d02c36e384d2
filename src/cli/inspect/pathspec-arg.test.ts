import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTaskPathArg } from './pathspec-arg.js';

const parse = (text: string) => parseTaskPathArg(text, 'ArtFlow', 'flow.ts');

function usage(pattern: RegExp) {
  return (e: unknown): boolean => {
    assert.equal((e as { code?: string }).code, 'INVALID_ARGUMENT');
    assert.match((e as Error).message, pattern);
    return true;
  };
}

test('RUN/STEP names every task of a step, RUN/STEP/TASK one task', () => {
  assert.deepEqual(parse('17/start'), { runId: '17', step: 'start' });
  assert.deepEqual(parse('17/measure/3'), { runId: '17', step: 'measure', taskId: '3' });
});

test("The flow's own name may lead the pathspec", () => {
  assert.deepEqual(parse('ArtFlow/17/start'), { runId: '17', step: 'start' });
  assert.deepEqual(parse('ArtFlow/17/start/1'), { runId: '17', step: 'start', taskId: '1' });
});

test('A task of another flow is refused, naming both flows', () => {
  assert.throws(() => parse('OtherFlow/17/start/1'), usage(/is a task of flow OtherFlow, but flow\.ts defines flow ArtFlow/));
});

test('A pathspec of the wrong shape is refused with the expected form', () => {
  for (const bad of ['start', '17', '17/start/1/x', '1/2/3/4', '17/start/1/x/y', '']) {
    assert.throws(() => parse(bad), usage(/expected RUN\/STEP or RUN\/STEP\/TASK/), bad);
  }
});

test('An empty part is named', () => {
  assert.throws(() => parse('/start'), usage(/its RUN part is empty/));
  assert.throws(() => parse('17//3'), usage(/its STEP part is empty/));
  assert.throws(() => parse('17/start/'), usage(/its TASK part is empty/));
});

test('The flow and a run id alone name a run, not a step', () => {
  assert.throws(() => parse('ArtFlow/17'), usage(/names a whole run; name a step of it/));
});
