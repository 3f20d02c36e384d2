import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronProblem, isTimeZone, normalizeCron } from './cron.js';

test('Should accept the cron expressions Argo accepts', () => {
  for (const e of ['* * * * *', '0 6 * * MON-FRI', '*/15 0-23/2 1,15 JAN-JUN 0', '5 4 * * sun', '0 0 1 * 7', '@daily', ' 0  6 * * * ']) {
    assert.equal(cronProblem(e), undefined, e);
  }
});

test('Should say which field of a bad cron expression is wrong', () => {
  assert.match(cronProblem('0 6 * *')!, /has 4 fields; a cron expression has five/);
  assert.match(cronProblem('60 * * * *')!, /minute field '60': 60 is outside 0-59/);
  assert.match(cronProblem('0 25 * * *')!, /hour field/);
  assert.match(cronProblem('0 0 0 * *')!, /day of month field '0': 0 is outside 1-31/);
  assert.match(cronProblem('0 0 * FOO *')!, /month field 'FOO': 'FOO' is not a number or a name/);
  assert.match(cronProblem('0 0 * * 5-1')!, /ends before it starts/);
  assert.match(cronProblem('*/0 * * * *')!, /step that is not a positive whole number/);
  assert.match(cronProblem('1,,2 * * * *')!, /empty list entry/);
  assert.match(cronProblem('@sometimes')!, /not one of @hourly/);
});

test('Should know IANA time zones', () => {
  assert.equal(isTimeZone('Europe/Paris'), true);
  assert.equal(isTimeZone('UTC'), true);
  assert.equal(isTimeZone('Mars/Olympus'), false);
});

test('Should write month and day names as numbers, as Argo wants them', () => {
  assert.equal(normalizeCron(' 0  6 * jan-Mar MON-FRI'), '0 6 * 1-3 1-5');
  assert.equal(normalizeCron('@daily'), '@daily');
});
