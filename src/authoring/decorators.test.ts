import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { card, decoratorOptions, settingsOf } from './decorators.js';
import { step } from './step.js';
import { stepsOf } from './metadata.js';

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
    fails('nope', {}, /there is no step decorator named nope\. The step decorators are: retry, catchError, timeout, environment, resources, card, cache\./);
  });

  it('normalizes what it records', () => {
    assert.deepEqual(decoratorOptions('timeout', { minutes: 1, seconds: 30 }), { seconds: 90 });
    assert.deepEqual(decoratorOptions('environment', { vars: { A: '1' } }), { vars: { A: '1' } });
  });
});

describe('@card', () => {
  it('records its cards in source order, with defaults, several per step told apart by id', () => {
    class F {
      @card @card({ type: 'blank', id: 'live', refreshInterval: 0.5, timeout: 5 }) @step a() {}
      @step @card({ type: 'blank' }) b() {}
    }
    const steps = stepsOf(F as unknown as new () => unknown);
    assert.deepEqual(steps.get('a')!.decorators['card'], {
      cards: [
        { type: 'default', id: 'default', timeout: 45, refreshInterval: 1 },
        { type: 'blank', id: 'live', timeout: 5, refreshInterval: 0.5 },
      ],
    });
    assert.deepEqual(settingsOf(steps.get('b')!.decorators).cards, [{ type: 'blank', id: 'blank', timeout: 45, refreshInterval: 1 }]);
    assert.equal(steps.get('a')!.problems?.['card'], undefined);
  });

  it('records a problem (which check reports) for a duplicate id or a bad option', () => {
    class G {
      @card @card @step twice() {}
      @card({ id: 'no spaces' }) @step badId() {}
      @card({ type: 'fancy' as 'blank' }) @step badType() {}
    }
    const steps = stepsOf(G as unknown as new () => unknown);
    assert.match(steps.get('twice')!.problems!['card']!, /^@card on step twice: two cards have the id 'default'\. Give each card of a step its own id, like @card\(\{ id: 'metrics' \}\)\./);
    assert.match(steps.get('badId')!.problems!['card']!, /id must be 1 to 64 letters, digits, _ or -/);
    assert.match(steps.get('badType')!.problems!['card']!, /type must be 'default' or 'blank'; got "fancy"/);
    fails('card', { refreshInterval: 0 }, /refreshInterval must be a number of at least 0\.05/);
  });
});
