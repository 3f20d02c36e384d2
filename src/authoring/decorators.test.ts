import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decoratorOptions } from './decorators.js';

const fails = (name: string, options: unknown, pattern: RegExp) =>
  assert.throws(() => decoratorOptions(name, options, `@${name} on step s`), (e: Error & { code?: string }) => e.code === 'INVALID_FLOW' && pattern.test(e.message));

describe('decoratorOptions', () => {
  it('gives a bare decorator its defaults', () => {
    assert.deepEqual(decoratorOptions('retry', undefined), { times: 3, minutesBetweenRetries: 0 });
    assert.deepEqual(decoratorOptions('catchError', undefined), { var: undefined, printException: true });
    assert.deepEqual(decoratorOptions('resources', undefined), { cpu: undefined, memory: undefined, gpu: undefined });
  });

  it('says how to write a decorator that cannot be bare', () => {
    fails('timeout', undefined, /^@timeout on step s: it needs a duration: write @timeout\(\{ seconds: 60 \}\)/);
    fails('environment', undefined, /it needs variables: write @environment\(\{ vars: \{ NAME: 'value' \} \}\)/);
  });

  it('refuses options that are not an object, unknown options, and bad values', () => {
    fails('retry', 3, /the options must be an object, like @retry\(\{ times: \.\.\. \}\); got 3\./);
    fails('catchError', 'failure', /got "failure"/);
    fails('retry', { time: 2 }, /unknown option 'time'\. The options of @retry are: times, minutesBetweenRetries\./);
    fails('catchError', { print_exception: false }, /Did you mean printException\?/);
    fails('retry', { times: 2.5 }, /times must be a whole number from 0 to 4; got 2\.5\./);
    fails('catchError', { printException: 'no' }, /printException must be true or false/);
    fails('timeout', { seconds: 0 }, /positive duration/);
    fails('nope', {}, /there is no step decorator named nope\. The step decorators are: retry, catchError, timeout, environment, resources\./);
  });

  it('normalizes what it records', () => {
    assert.deepEqual(decoratorOptions('timeout', { minutes: 1, seconds: 30 }), { seconds: 90 });
    assert.deepEqual(decoratorOptions('environment', { vars: { A: '1' } }), { vars: { A: '1' } });
  });
});
