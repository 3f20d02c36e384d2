import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CairnError } from '../errors.js';
import type { ExpectedTransition } from './protocol.js';
import { checkTransition, chooseCase, elementAt, splitCount } from './transition.js';

function invalidTransition(pattern: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof CairnError, `not a CairnError: ${String(e)}`);
    assert.equal(e.code, 'INVALID_TRANSITION');
    assert.match(e.message, pattern);
    return true;
  };
}

const linear: ExpectedTransition = { type: 'linear', out: ['b'] };
const split: ExpectedTransition = { type: 'split', out: ['left', 'right'] };
const foreach: ExpectedTransition = { type: 'foreach', out: ['body'], foreach: 'xs' };
const sw: ExpectedTransition = {
  type: 'switch',
  out: ['heavy', 'light'],
  switch: { condition: 'size', cases: { big: 'heavy', small: 'light', '3': 'light' } },
};

describe('checkTransition', () => {
  test('accepts a linear step that calls this.next() with its one target', () => {
    assert.doesNotThrow(() => checkTransition('a', linear, { kind: 'linear', targets: ['b'] }));
    assert.doesNotThrow(() => checkTransition('join', { type: 'join', out: ['end'] }, { kind: 'linear', targets: ['end'] }));
    assert.doesNotThrow(() => checkTransition('start', { type: 'start', out: ['b'] }, { kind: 'linear', targets: ['b'] }));
  });

  test('accepts a static split that calls this.next() with all its branches', () => {
    assert.doesNotThrow(() => checkTransition('start', split, { kind: 'linear', targets: ['left', 'right'] }));
  });

  test('accepts a foreach over the declared artifact', () => {
    assert.doesNotThrow(() => checkTransition('start', foreach, { kind: 'foreach', targets: ['body'], foreach: 'xs' }));
  });

  test('accepts a switch with the same condition and cases, written in any order', () => {
    assert.doesNotThrow(() =>
      checkTransition('choose', sw, { kind: 'switch', condition: 'size', cases: { '3': 'light', small: 'light', big: 'heavy' } }),
    );
  });

  test('accepts an end step that does not call this.next()', () => {
    assert.doesNotThrow(() => checkTransition('end', { type: 'end', out: [] }, undefined));
  });

  test('rejects a transition to another step, naming the step, the expected target and the call made', () => {
    assert.throws(
      () => checkTransition('a', linear, { kind: 'linear', targets: ['c'] }),
      invalidTransition(
        /^Based on static analysis of the code, step a was expected to transition to b, but it called this\.next\(this\.c\)\. Make sure/,
      ),
    );
  });

  test('rejects a static split that leaves out a branch or adds one', () => {
    assert.throws(
      () => checkTransition('start', split, { kind: 'linear', targets: ['left'] }),
      invalidTransition(/step start was expected to transition to left, right, but it called this\.next\(this\.left\)\./),
    );
    assert.throws(
      () => checkTransition('start', split, { kind: 'linear', targets: ['left', 'right', 'extra'] }),
      invalidTransition(/called this\.next\(this\.left, this\.right, this\.extra\)/),
    );
  });

  test('rejects a foreach over another artifact', () => {
    assert.throws(
      () => checkTransition('start', foreach, { kind: 'foreach', targets: ['body'], foreach: 'ys' }),
      invalidTransition(
        /step start was expected to transition to body \(foreach over 'xs'\), but it called this\.next\(this\.body, \{ foreach: 'ys' \}\)/,
      ),
    );
  });

  test('rejects a foreach step that calls a plain this.next(), and a linear step that calls a foreach', () => {
    assert.throws(
      () => checkTransition('start', foreach, { kind: 'linear', targets: ['body'] }),
      invalidTransition(/step start was expected .*\(foreach over 'xs'\), but it called this\.next\(this\.body\)\./),
    );
    assert.throws(
      () => checkTransition('a', linear, { kind: 'foreach', targets: ['b'], foreach: 'xs' }),
      invalidTransition(/step a was expected to transition to b, but it called this\.next\(this\.b, \{ foreach: 'xs' \}\)/),
    );
  });

  test('rejects a switch whose cases differ from the declared ones', () => {
    const cases: Array<Record<string, string>> = [
      { big: 'heavy', small: 'light' }, // a case missing
      { big: 'heavy', small: 'light', '3': 'light', huge: 'heavy' }, // a case added
      { big: 'light', small: 'light', '3': 'light' }, // a case pointing elsewhere
    ];
    for (const c of cases) {
      assert.throws(
        () => checkTransition('choose', sw, { kind: 'switch', condition: 'size', cases: c }),
        invalidTransition(/step choose was expected to transition to heavy, light \(switch on 'size'\), but it called this\.next\(\{ /),
        JSON.stringify(c),
      );
    }
  });

  test('rejects a switch on another condition, and a switch step that calls a plain this.next()', () => {
    assert.throws(
      () => checkTransition('choose', sw, { kind: 'switch', condition: 'mode', cases: { big: 'heavy', small: 'light', '3': 'light' } }),
      invalidTransition(/\{ condition: 'mode' \}\)/),
    );
    assert.throws(
      () => checkTransition('choose', sw, { kind: 'linear', targets: ['heavy'] }),
      invalidTransition(/step choose .*\(switch on 'size'\), but it called this\.next\(this\.heavy\)\./),
    );
  });

  test('rejects a step that finished without calling this.next(), naming it', () => {
    assert.throws(
      () => checkTransition('train', linear, undefined),
      invalidTransition(/^Step train finished without calling this\.next\(\)\. Every step but end/),
    );
  });

  test('rejects a this.next() call in the end step', () => {
    assert.throws(
      () => checkTransition('end', { type: 'end', out: [] }, { kind: 'linear', targets: ['start'] }),
      invalidTransition(/^The end step must not call this\.next\(\); it called this\.next\(this\.start\)\.$/),
    );
  });
});

describe('chooseCase', () => {
  const cases = { big: 'heavy', small: 'light', '3': 'light' };

  test('picks the case whose key is the string value of the condition', () => {
    assert.equal(chooseCase('choose', 'size', 'big', cases), 'heavy');
    assert.equal(chooseCase('choose', 'size', 'small', cases), 'light');
  });

  test('picks a numeric case from a number value', () => {
    assert.equal(chooseCase('choose', 'size', 3, { '2': 'heavy', '3': 'light' }), 'light');
    assert.equal(chooseCase('loop', 'more', true, { true: 'loop', false: 'end' }), 'loop');
  });

  test('rejects a value that matches no case, listing the cases', () => {
    assert.throws(
      () => chooseCase('choose', 'size', 'medium', cases),
      invalidTransition(
        /^Step choose switches on 'size', whose value "medium" matches no case \(3, big, small\)\. Add a case for it, or set 'size' to one of them\.$/,
      ),
    );
    assert.throws(() => chooseCase('choose', 'size', undefined, cases), invalidTransition(/whose value "undefined" matches no case/));
  });

  test('rejects a value that names a member every object has, not only its own cases', () => {
    for (const value of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      assert.throws(() => chooseCase('choose', 'size', value, cases), invalidTransition(/matches no case/), value);
    }
  });
});

describe('splitCount', () => {
  test('counts the elements of an array, a typed array, a Set, a Map and a string', () => {
    assert.equal(splitCount('s', 'xs', [1, 2, 3], 100), 3);
    assert.equal(splitCount('s', 'xs', new Float64Array(4), 100), 4);
    assert.equal(splitCount('s', 'xs', new Set(['a', 'b']), 100), 2);
    assert.equal(splitCount('s', 'xs', new Map([['k', 1]]), 100), 1);
    assert.equal(splitCount('s', 'xs', 'abcde', 100), 5);
  });

  test('allows exactly the maximum number of splits', () => {
    assert.equal(splitCount('s', 'xs', [1, 2, 3, 4], 4), 4);
  });

  test('rejects a foreach that produced zero splits', () => {
    for (const empty of [[], new Set(), new Map(), '', new Uint8Array(0)]) {
      assert.throws(
        () => splitCount('start', 'xs', empty, 100),
        invalidTransition(/^Step start has a foreach over 'xs', which produced zero splits\. A foreach needs at least one element\.$/),
      );
    }
  });

  test('rejects more splits than the maximum, naming the --max-num-splits remedy', () => {
    assert.throws(
      () => splitCount('start', 'xs', [1, 2, 3, 4, 5], 4),
      invalidTransition(
        /^Foreach in step start yields 5 child steps, which is more than the current maximum of 4\. If that is intended, raise the limit with --max-num-splits 5\.$/,
      ),
    );
  });

  test('rejects a foreach over something that is not a list', () => {
    assert.throws(
      () => splitCount('start', 'xs', undefined, 100),
      invalidTransition(/^Step start has a foreach over 'xs', which is not set; assign a list to this\.xs before calling this\.next\(\)\.$/),
    );
    assert.throws(() => splitCount('start', 'xs', 42, 100), invalidTransition(/over 'xs', which is of type number; assign a list to this\.xs/));
    assert.throws(() => splitCount('start', 'xs', { length: 2 }, 100), invalidTransition(/over 'xs', which is of type object/));
    assert.throws(() => splitCount('start', 'xs', new DataView(new ArrayBuffer(8)), 100), invalidTransition(/over 'xs', which is of type object/));
  });
});

describe('elementAt', () => {
  test('returns the element at an index of an array, a typed array or a string', () => {
    assert.equal(elementAt(['a', 'b', 'c'], 1), 'b');
    assert.equal(elementAt(new Int32Array([5, 6, 7]), 2), 7);
    assert.equal(elementAt('xyz', 0), 'x');
  });

  test('returns the element at an index of a Set, and the [key, value] entry of a Map, in insertion order', () => {
    assert.equal(elementAt(new Set(['q', 'r', 's']), 2), 's');
    assert.deepEqual(elementAt(new Map([['k1', 1], ['k2', 2]]), 1), ['k2', 2]);
  });

  test('returns undefined past the end and for something that is not a list', () => {
    assert.equal(elementAt([1], 1), undefined);
    assert.equal(elementAt(new Set([1]), 3), undefined);
    assert.equal(elementAt(42, 0), undefined);
    assert.equal(elementAt({ 0: 'a', length: 1 }, 0), undefined);
    assert.equal(elementAt(new DataView(new ArrayBuffer(8)), 0), undefined);
  });
});
