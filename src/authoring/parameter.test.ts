/**
 * `Parameter()` and `IncludeFile()`: the types they give fields (checked by `tsc --noEmit`; each
 * `@ts-expect-error` fails the type check if its line stops being an error), type inference, and
 * every definition error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IncludeFile, Parameter, defineIncludeFile, defineParameter, parameterDefinitionOf, type ParameterDefinition } from './parameter.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {}

// Never called: only type-checked.
export function typeChecks(): void {
  const alpha = Parameter('alpha', { default: 0.01, help: 'learning rate' });
  expectType<Equal<typeof alpha, number>>();
  const dataset = Parameter<string>('dataset', { required: true });
  expectType<Equal<typeof dataset, string>>();
  const config = Parameter('config', { type: 'json', default: { depth: 3 } });
  expectType<Equal<typeof config, { depth: number }>>();
  const labels = Parameter('labels', { default: 'a,b', separator: ',' });
  expectType<Equal<typeof labels, string[]>>();
  const maybeLabels = Parameter('maybe-labels', { separator: ',' });
  expectType<Equal<typeof maybeLabels, string[] | undefined>>();
  const name = Parameter('name', { default: 'x' });
  expectType<Equal<typeof name, string>>();
  const flag = Parameter('flag', { type: 'boolean' });
  expectType<Equal<typeof flag, boolean | undefined>>();
  const count = Parameter('count', { type: 'number', required: true });
  expectType<Equal<typeof count, number>>();
  const free = Parameter('free');
  expectType<Equal<typeof free, string | undefined>>();
  const inferredJson = Parameter('obj', { default: { a: [1, 2] } });
  expectType<Equal<typeof inferredJson, { a: number[] }>>();
  const text = IncludeFile('data', { default: './data.csv' });
  expectType<Equal<typeof text, string>>();
  const bytes = IncludeFile('blob', { isText: false, required: true });
  expectType<Equal<typeof bytes, Buffer>>();
  const maybeText = IncludeFile('notes');
  expectType<Equal<typeof maybeText, string | undefined>>();
  // @ts-expect-error a default must match the type
  Parameter('n', { type: 'number', default: 'three' });
  // @ts-expect-error a separator needs a string default
  Parameter('s', { separator: ',', default: 3 });
  // @ts-expect-error unknown option
  Parameter('u', { defualt: 3 });
  const explicit = Parameter<number>('explicit', { type: 'number', default: 2 });
  expectType<Equal<typeof explicit, number>>();
  // @ts-expect-error an explicit type argument must agree with type
  Parameter<number>('e', { type: 'string', default: 2 });
  // @ts-expect-error an IncludeFile default is a path
  IncludeFile('f', { default: 3 });
  const epochs = Parameter('epochs', { type: 'int', default: 10 });
  expectType<Equal<typeof epochs, number>>();
  const maybeInt = Parameter('maybe', { type: 'int' });
  expectType<Equal<typeof maybeInt, number | undefined>>();
  const out = Parameter('out', { default: (ctx) => `/tmp/${ctx.user}/${ctx.flowName}` });
  expectType<Equal<typeof out, string>>();
  const computedInt = Parameter('n', { type: 'int', default: (ctx) => (ctx.parameters['fast'] ? 1 : 10) });
  expectType<Equal<typeof computedInt, number>>();
  const computedJson = Parameter('cfg', { type: 'json', default: () => ({ depth: 3 }) });
  expectType<Equal<typeof computedJson, { depth: number }>>();
  const computedList = Parameter('l', { separator: ',', default: () => 'a,b' });
  expectType<Equal<typeof computedList, string[]>>();
  // @ts-expect-error without a type, a default function returns a string
  Parameter('x', { default: () => 3 });
  // @ts-expect-error a default function returns a value of the type
  Parameter('y', { type: 'int', default: () => 'three' });
}

function def(value: unknown): ParameterDefinition {
  const d = parameterDefinitionOf(value);
  assert.ok(d, 'not a parameter marker');
  return d;
}

test('the type comes from the default: number, string, boolean, object as JSON; string without one', () => {
  assert.equal(def(Parameter('a', { default: 0.5 })).type, 'number');
  assert.equal(def(Parameter('a', { default: 'x' })).type, 'string');
  assert.equal(def(Parameter('a', { default: false })).type, 'boolean');
  assert.equal(def(Parameter('a', { default: { depth: 3 } })).type, 'json');
  assert.equal(def(Parameter('a', { default: [1, 2] })).type, 'json');
  assert.equal(def(Parameter('a')).type, 'string');
  assert.equal(def(Parameter('a', { type: 'number' })).type, 'number');
  assert.equal(def(Parameter('a', { type: 'json', default: 3 })).type, 'json');
  assert.equal(def(Parameter('a', { type: 'int', default: 3 })).type, 'int');
  assert.equal(def(Parameter('a', { default: 3 })).type, 'number', 'a whole default is still a number: ask for int with type');
  const computed = def(Parameter('a', { default: () => 'x' }));
  assert.deepEqual([computed.type, computed.computed, computed.hasDefault], ['string', true, true]);
  assert.equal(def(Parameter('a', { type: 'int', default: () => 1 })).type, 'int');
});

test('a definition keeps what was declared', () => {
  const d = def(Parameter('num-epochs', { default: 3, help: 'how many' }));
  assert.deepEqual(
    { kind: d.kind, name: d.name, help: d.help, required: d.required, hasDefault: d.hasDefault, default: d.default },
    { kind: 'parameter', name: 'num-epochs', help: 'how many', required: false, hasDefault: true, default: 3 },
  );
  const r = def(Parameter<string>('dataset', { required: true }));
  assert.equal(r.required, true);
  assert.equal(r.hasDefault, false);
  const l = def(Parameter('labels', { default: 'a,b', separator: ',' }));
  assert.equal(l.separator, ',');
  assert.equal(l.default, 'a,b');
});

test('IncludeFile is text in utf8 by default, binary with isText: false', () => {
  const t = def(IncludeFile('data', { default: './data.csv' }));
  assert.deepEqual([t.kind, t.isText, t.encoding, t.default], ['file', true, 'utf8', './data.csv']);
  const b = def(IncludeFile('blob', { isText: false }));
  assert.deepEqual([b.isText, b.hasDefault], [false, false]);
  assert.equal(def(IncludeFile('latin', { encoding: 'latin1' })).encoding, 'latin1');
});

test('the marker is no plain value: it says what it is, and only markers have a definition', () => {
  assert.equal(String(Parameter('alpha', { default: 1 })), '[Parameter --alpha]');
  assert.equal(String(IncludeFile('data')), '[IncludeFile --data]');
  assert.equal(parameterDefinitionOf({ alpha: 1 }), undefined);
  assert.equal(parameterDefinitionOf(null), undefined);
  assert.ok(Object.isFrozen(Parameter('alpha')));
});

function rejects(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (e: Error & { code?: string }) => {
    assert.equal(e.code, 'INVALID_FLOW');
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test('a bad name is refused', () => {
  const why = "the name must start with a letter and contain only letters, digits, '-' and '_' (it becomes the option --name)";
  rejects(() => defineParameter(''), `Parameter(""): ${why}; got "".`);
  rejects(() => defineParameter('my alpha'), `Parameter("my alpha"): ${why}; got "my alpha".`);
  rejects(() => defineParameter('--alpha'), `Parameter("--alpha"): ${why}; got "--alpha".`);
  rejects(() => defineParameter('1st'), /Parameter\("1st"\): the name must start with a letter/);
  rejects(() => defineParameter(3), `Parameter(): ${why}; got 3.`);
  rejects(() => defineIncludeFile('a=b'), /^IncludeFile\("a=b"\): the name must start with a letter/);
});

test('a default of the wrong type for `type` is refused', () => {
  rejects(
    () => defineParameter('alpha', { type: 'number', default: 'x' }),
    `Parameter("alpha"): the default "x" is not a number, but the type is 'number'. Change the default or the type.`,
  );
  rejects(() => defineParameter('flag', { type: 'boolean', default: 1 }), /the default 1 is not a boolean, but the type is 'boolean'/);
  rejects(() => defineParameter('s', { type: 'string', default: 2 }), /the default 2 is not a string/);
  rejects(() => defineParameter('n', { type: 'number', default: Number.NaN }), /the default NaN is not a number/);
  rejects(() => defineParameter('cfg', { type: 'json', default: new Map() }), /is not a JSON value \(plain objects, arrays, strings, finite numbers, booleans, null\), but the type is 'json'/);
  rejects(() => defineParameter('cfg', { default: { when: new Date(0) } }), /is not a JSON value/);
  rejects(() => defineParameter('big', { default: 10n }), `Parameter("big"): the default 10n cannot be a parameter value. Give a string, a number, a boolean or a JSON value.`);
  rejects(() => defineParameter('n', { type: 'int', default: 2.5 }), `Parameter("n"): the default 2.5 is not a whole number, but the type is 'int'. Change the default or the type.`);
});

test('an unknown type, a separator on a non-string, and other bad options are refused', () => {
  rejects(() => defineParameter('a', { type: 'integer' as never }), `Parameter("a"): type must be one of 'string', 'number', 'int', 'boolean', 'json'; got "integer".`);
  rejects(
    () => defineParameter('a', { default: 3, separator: ',' }),
    'Parameter("a"): separator is only allowed for string parameters, and this one is a number.',
  );
  rejects(() => defineParameter('a', { type: 'json', separator: ',' }), /separator is only allowed for string parameters, and this one is a json/);
  rejects(() => defineParameter('a', { separator: '' }), 'Parameter("a"): separator must be a non-empty string; got "".');
  rejects(() => defineParameter('a', { defualt: 3 } as never), `Parameter("a"): unknown option 'defualt'. The options are: default, type, help, required, separator.`);
  rejects(() => defineParameter('a', { help: 3 } as never), 'Parameter("a"): help must be a string; got 3.');
  rejects(() => defineParameter('a', { required: 'yes' } as never), 'Parameter("a"): required must be true or false; got "yes".');
  rejects(() => defineParameter('a', 'x' as never), /the options must be an object/);
  rejects(
    () => defineParameter('a', { required: true, default: 1 }),
    'Parameter("a"): a required parameter cannot have a default (a default makes it optional). Remove one of them.',
  );
});

test('IncludeFile options are checked', () => {
  rejects(() => defineIncludeFile('f', { default: 3 } as never), 'IncludeFile("f"): the default must be the path of a file, as a string; got 3.');
  rejects(() => defineIncludeFile('f', { encoding: 'klingon' as never }), `IncludeFile("f"): encoding "klingon" is not an encoding Node knows (try 'utf8' or 'latin1').`);
  rejects(() => defineIncludeFile('f', { isText: false, encoding: 'utf8' }), 'IncludeFile("f"): encoding applies to text files only; remove it or set isText: true.');
  rejects(() => defineIncludeFile('f', { isText: 'no' } as never), 'IncludeFile("f"): isText must be true or false; got "no".');
  rejects(() => defineIncludeFile('f', { required: true, default: 'x' }), /a required file cannot have a default/);
  rejects(() => defineIncludeFile('f', { separator: ',' } as never), `IncludeFile("f"): unknown option 'separator'. The options are: isText, required, default, encoding, help.`);
});

test('the markers throw these errors where the flow instance is created', () => {
  rejects(() => Parameter('alpha', { type: 'number', default: 'x' } as never), /^Parameter\("alpha"\): the default "x" is not a number/);
  rejects(() => IncludeFile('', {}), /^IncludeFile\(""\)/);
});
