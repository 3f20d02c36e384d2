import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import v8 from 'node:v8';
import { afterEach, describe, it } from 'node:test';
import { decodeArtifact, encodeArtifact, registerClass, registeredSerializers, registerSerializer, unregisterSerializer } from './codec.js';
import { rejectsWithCode } from './store-helpers.fixture.js';

const ctx = { name: 'model', step: 'train' };
const roundTrip = (v: unknown): unknown => {
  const { bytes, encoding } = encodeArtifact(v, ctx);
  return decodeArtifact(bytes, encoding);
};
const rejects = (value: unknown, ...patterns: RegExp[]) =>
  rejectsWithCode(() => encodeArtifact(value, ctx), 'UNSERIALIZABLE_ARTIFACT', /"model"/, /"train"/, ...patterns);

class Layer {
  constructor(public units = 3, public weights = [0.5, 0.25]) {}
  describe(): string {
    return `${this.units} units`;
  }
}

afterEach(() => {
  for (const name of registeredSerializers()) unregisterSerializer(name);
});

describe('encodeArtifact with the default codec', () => {
  it('round-trips primitives, bigint, undefined and null', () => {
    for (const v of [0, -1.5, NaN, Infinity, 'text', '', true, false, 12345678901234567890n, undefined, null]) {
      assert.deepEqual(roundTrip(v), v);
    }
  });

  it('round-trips plain objects, arrays (with holes), Map and Set', () => {
    // eslint-disable-next-line no-sparse-arrays
    const value = { a: 1, nested: { list: [1, 'two', [3]], holes: [1, , 3] }, m: new Map<unknown, unknown>([['k', { v: 1 }], [2, [2]]]), s: new Set([1, 'x']) };
    assert.deepEqual(roundTrip(value), value);
  });

  it('round-trips Date, RegExp and errors with their class, message and cause', () => {
    const value = { d: new Date(1_700_000_000_000), r: /ab+c/gi, e: new TypeError('bad', { cause: { why: 1 } }), e2: new RangeError('far') };
    const back = roundTrip(value) as typeof value;
    assert.deepEqual(back.d, value.d);
    assert.equal(back.r.source, 'ab+c');
    assert.equal(back.r.flags, 'gi');
    assert.ok(back.e instanceof TypeError);
    assert.equal(back.e.message, 'bad');
    assert.deepEqual(back.e.cause, { why: 1 });
    assert.ok(back.e2 instanceof RangeError);
  });

  it('round-trips ArrayBuffer, every typed array and DataView', () => {
    const ab = new Uint8Array([1, 2, 3, 4]).buffer;
    const values = [
      ab, new Int8Array([-1, 2]), new Uint8Array([1, 255]), new Uint8ClampedArray([9]), new Int16Array([-300]),
      new Uint16Array([60000]), new Int32Array([-7]), new Uint32Array([4e9]), new Float32Array([1.5]),
      new Float64Array([Math.PI, -0]), new BigInt64Array([-5n]), new BigUint64Array([5n]),
    ];
    for (const v of values) {
      const back = roundTrip(v);
      assert.equal(Object.getPrototypeOf(back), Object.getPrototypeOf(v));
      assert.deepEqual(back, v);
    }
    const dv = roundTrip(new DataView(new Uint8Array([1, 2, 3, 4, 5]).buffer, 1, 3)) as DataView;
    assert.ok(dv instanceof DataView);
    assert.deepEqual([dv.getUint8(0), dv.getUint8(2), dv.byteLength], [2, 4, 3]);
  });

  it('brings a Buffer back as a Buffer', () => {
    const back = roundTrip({ buf: Buffer.from('hello') }) as { buf: Buffer };
    assert.ok(Buffer.isBuffer(back.buf));
    assert.equal(back.buf.toString(), 'hello');
  });

  it('round-trips boxed primitives', () => {
    for (const v of [Object(1), Object('s'), Object(false), Object(3n)]) assert.deepEqual(roundTrip(v), v);
  });

  it('keeps cyclic and shared references', () => {
    const shared = { id: 1 };
    const value: Record<string, unknown> = { a: shared, b: shared };
    value.self = value;
    const back = roundTrip(value) as Record<string, unknown>;
    assert.equal(back.self, back);
    assert.equal(back.a, back.b);
  });

  it('accepts objects with a null prototype', () => {
    const value = Object.assign(Object.create(null) as object, { a: 1 });
    assert.deepEqual({ ...(roundTrip(value) as object) }, { a: 1 });
  });

  it('reports readable type names and the v8 encoding, or raw for binary data', () => {
    const cases: [unknown, string, string][] = [
      [1, 'number', 'v8'], ['s', 'string', 'v8'], [1n, 'bigint', 'v8'], [undefined, 'undefined', 'v8'], [null, 'null', 'v8'],
      [[1], 'Array', 'v8'], [{}, 'Object', 'v8'], [new Map(), 'Map', 'v8'], [new Set(), 'Set', 'v8'], [new Date(0), 'Date', 'v8'],
      [new Float64Array(1), 'Float64Array', 'raw'], [Buffer.alloc(1), 'Buffer', 'raw'], [new ArrayBuffer(2), 'ArrayBuffer', 'raw'],
      [new DataView(new ArrayBuffer(3)), 'DataView', 'raw'], [new TypeError('x'), 'TypeError', 'v8'], [Object.create(null), 'Object', 'v8'],
      [[new Float64Array(1)], 'Array', 'v8'],
    ];
    for (const [v, type, encoding] of cases) {
      const enc = encodeArtifact(v, ctx);
      assert.equal(enc.type, type);
      assert.equal(enc.encoding, encoding);
      assert.equal(enc.size, enc.bytes.byteLength);
    }
  });

  it('checks a million-number array quickly', () => {
    const big = Array.from({ length: 1_000_000 }, (_, i) => i / 3);
    const t0 = performance.now();
    const { bytes, encoding } = encodeArtifact(big, ctx);
    assert.ok(performance.now() - t0 < 2000);
    assert.equal((decodeArtifact(bytes, encoding) as number[])[999_999], 999_999 / 3);
  });

  it('handles deeply nested values without running out of stack in the check', async () => {
    let deep: Record<string, unknown> = { leaf: () => 1 };
    for (let i = 0; i < 100_000; i++) deep = { next: deep };
    const e = await rejects(deep, /a function/);
    assert.match(e.message, /^[^]*model(\.next){100000}\.leaf is a function/);
  });

  it('explains a value nested too deeply to serialize', async () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 100_000; i++) deep = { next: deep };
    await rejects(deep, /nested too deeply/, /flatter/);
  });
});

describe('encodeArtifact refusing values that would not come back as they are', () => {
  it('names the path, the class and the remedy for a class instance', async () => {
    const e = await rejects({ layers: [{}, {}, new Layer()] }, /model\.layers\[2\] is an instance of class Layer/, /registerSerializer\(/, /registerClass\(Layer\)/, /plain data/);
    assert.match(e.message, /prototype would be lost/);
  });

  it('refuses a class instance at the top level', async () => {
    await rejects(new Layer(), /model is an instance of class Layer/);
  });

  it('refuses functions, classes and symbols wherever they are', async () => {
    await rejects({ fit: () => 1 }, /model\.fit is a function/);
    await rejects(() => 1, /model is a function/);
    await rejects({ cls: Layer }, /model\.cls is a class \(Layer\)/);
    await rejects([Symbol('s')], /model\[0\] is a symbol/);
    await rejects({ 'odd key': [1, { f() {} }] }, /model\["odd key"\]\[1\]\.f is a function/);
  });

  it('refuses promises, weak collections, proxies and shared memory', async () => {
    await rejects({ p: Promise.resolve(1) }, /model\.p is a Promise/);
    await rejects({ w: new WeakMap() }, /model\.w is a WeakMap/);
    await rejects(new WeakSet(), /a WeakSet/);
    await rejects({ x: new Proxy({}, {}) }, /model\.x is a Proxy/);
    await rejects({ sab: new SharedArrayBuffer(8) }, /SharedArrayBuffer/);
    await rejects({ sym: Object(Symbol('b')) }, /a boxed symbol/);
  });

  it('refuses subclasses of built-ins and errors whose class would be lost', async () => {
    class Registry extends Map {}
    class HttpError extends Error {}
    class Bytes extends Uint8Array {}
    await rejects({ r: new Registry() }, /an instance of class Registry \(a subclass of Map\)/);
    await rejects([new HttpError('x')], /model\[0\] is an instance of class HttpError/);
    await rejects(new Bytes(2), /class Bytes/);
    await rejects(new AggregateError([], 'x'), /class AggregateError/);
  });

  it('refuses a socket', async () => {
    const server = createServer();
    try {
      await rejects({ conn: server }, /model\.conn is an instance of class Server/);
    } finally {
      server.close();
    }
  });

  it('shows where inside Map, Set and error causes the problem is', async () => {
    await rejects({ m: new Map([['k', () => 1]]) }, /model\.m\.get\("k"\) is a function/);
    await rejects({ m: new Map([[{}, new Layer()]]) }, /model\.m<Map value #0> is an instance of class Layer/);
    await rejects({ m: new Map([[new Layer(), 1]]) }, /model\.m<Map key #0> is an instance of class Layer/);
    await rejects({ s: new Set([1, new Layer()]) }, /model\.s<Set entry #1> is an instance of class Layer/);
    await rejects(new Error('x', { cause: () => 1 }), /model\.cause is a function/);
  });
});

describe('registered serializers', () => {
  it('encode a matching value with serializer:<name> and decode it back', () => {
    registerSerializer({
      name: 'layer-json',
      test: (v) => v instanceof Layer,
      serialize: (v) => new TextEncoder().encode(JSON.stringify(v)),
      deserialize: (b) => Object.assign(new Layer(), JSON.parse(new TextDecoder().decode(b)) as object),
    });
    const enc = encodeArtifact(new Layer(7), ctx);
    assert.equal(enc.encoding, 'serializer:layer-json');
    assert.equal(enc.type, 'layer-json');
    const back = decodeArtifact(enc.bytes, enc.encoding) as Layer;
    assert.ok(back instanceof Layer);
    assert.equal(back.describe(), '7 units');
    assert.equal(encodeArtifact({ plain: 1 }, ctx).encoding, 'v8');
  });

  it('are tried in registration order, and registering a name again replaces it in place', () => {
    const make = (name: string, tag: number) => ({
      name, test: (v: unknown) => typeof v === 'number', serialize: () => new Uint8Array([tag]), deserialize: (b: Uint8Array) => b[0],
    });
    registerSerializer(make('first', 1));
    registerSerializer(make('second', 2));
    assert.equal(encodeArtifact(5, ctx).encoding, 'serializer:first');
    registerSerializer(make('first', 3));
    assert.deepEqual(registeredSerializers(), ['first', 'second']);
    assert.deepEqual([...encodeArtifact(5, ctx).bytes], [3]);
  });

  it('explain which serializer to register when decoding an unknown one', async () => {
    await rejectsWithCode(() => decodeArtifact(new Uint8Array([1]), 'serializer:polars'), 'STORE', /"polars"/, /registerSerializer\(\{ name: 'polars'/, /[Ii]mport the module/);
    await rejectsWithCode(() => decodeArtifact(new Uint8Array([1]), 'pickle-v4'), 'STORE', /pickle-v4/);
  });

  it('turn a failing serializer into an error that names the artifact', async () => {
    registerSerializer({ name: 'broken', test: () => true, serialize: () => { throw new Error('disk on fire'); }, deserialize: () => 0 });
    await rejects(1, /serializer "broken" failed: disk on fire/);
    registerSerializer({ name: 'broken', test: () => true, serialize: () => 'not bytes' as unknown as Uint8Array, deserialize: () => 0 });
    await rejects(1, /returned string instead of a Uint8Array/);
  });

  it('reject a bad registration', async () => {
    await rejectsWithCode(() => registerSerializer({ name: '', test: () => true, serialize: () => new Uint8Array(), deserialize: () => 0 }), 'INVALID_ARGUMENT');
    await rejectsWithCode(() => registerSerializer({ name: 'x', test: () => true } as never), 'INVALID_ARGUMENT', /serialize/);
  });
});

describe('registerClass', () => {
  it('stores own properties and restores the prototype', () => {
    registerClass(Layer);
    const enc = encodeArtifact(new Layer(4, [1, 2]), ctx);
    assert.equal(enc.encoding, 'v8+registered');
    assert.equal(enc.type, 'Layer');
    const back = decodeArtifact(enc.bytes, enc.encoding) as Layer;
    assert.ok(back instanceof Layer);
    assert.deepEqual(back.weights, [1, 2]);
    assert.equal(back.describe(), '4 units');
  });

  it('takes a name, and does not claim subclasses', async () => {
    class Dense extends Layer {}
    registerClass(Layer, { name: 'nn.Layer' });
    assert.equal(encodeArtifact(new Layer(), ctx).type, 'nn.Layer');
    await rejects(new Dense(), /class Dense \(a subclass of Layer\)/);
  });

  it('names the path of an unstorable property', async () => {
    registerClass(Layer);
    const layer = new Layer();
    (layer as unknown as { hook: unknown }).hook = () => 1;
    await rejects(layer, /model\.hook is a function/);
  });

  it('stores registered instances inside arrays, objects, Maps and Sets', () => {
    registerClass(Layer);
    const a = new Layer(1, [1]);
    const value = { layers: [a, new Layer(2, [2])], byName: new Map([['a', a]]), set: new Set([a]), plain: { n: 1 } };
    const enc = encodeArtifact(value, ctx);
    assert.equal(enc.encoding, 'v8+registered');
    assert.equal(enc.type, 'Object');
    const back = decodeArtifact(enc.bytes, enc.encoding) as typeof value;
    assert.ok(back.layers.every((l) => l instanceof Layer));
    assert.equal(back.layers[1]!.describe(), '2 units');
    assert.equal(back.byName.get('a'), back.layers[0], 'a shared instance stays one object');
    assert.equal([...back.set][0], back.layers[0]);
    assert.deepEqual(back.plain, { n: 1 });
  });

  it('keeps instances that point at each other, cycles included, and instances inside instances', () => {
    class TreeNode {
      children: TreeNode[] = [];
      constructor(public label: string, public parent?: TreeNode) {}
      path(): string {
        return this.parent ? `${this.parent.path()}/${this.label}` : this.label;
      }
    }
    registerClass(TreeNode);
    const root = new TreeNode('root');
    const child = new TreeNode('child', root);
    root.children.push(child);
    const back = roundTrip(root) as TreeNode;
    assert.ok(back instanceof TreeNode);
    assert.equal(back.children[0]!.path(), 'root/child');
    assert.equal(back.children[0]!.parent, back);
  });

  it('applies a registered serializer wherever its values appear, and leaves plain look-alikes alone', () => {
    class Blob {
      constructor(readonly n: number) {}
    }
    registerSerializer({ name: 'blob', test: (v) => v instanceof Blob, serialize: (v) => new Uint8Array([(v as Blob).n]), deserialize: (b) => new Blob(b[0]!) });
    const value = [new Blob(7), { s: 'blob', b: new Uint8Array([9]) }, { s: 'blob', c: {} }];
    const back = roundTrip(value) as [Blob, unknown, unknown];
    assert.ok(back[0] instanceof Blob);
    assert.equal(back[0].n, 7);
    assert.deepEqual(back[1], { s: 'blob', b: new Uint8Array([9]) });
    assert.deepEqual(back[2], { s: 'blob', c: {} });
  });

  it('offers nested plain data to no serializer', () => {
    let calls = 0;
    registerSerializer({ name: 'greedy', test: () => (calls++, false), serialize: () => new Uint8Array(), deserialize: () => 0 });
    assert.equal(encodeArtifact({ a: [1, { b: new Map([[1, 2]]) }] }, ctx).encoding, 'v8');
    assert.equal(calls, 1, 'only the whole value is offered');
  });

  it('names the class, the artifact and the fix for an unregistered class nested beside registered ones', async () => {
    class Other {}
    registerClass(Layer);
    await rejects({ layers: [new Layer(), new Other()] }, /model\.layers\[1\] is an instance of class Other/, /registerClass\(Other\)/);
    const layer = new Layer();
    (layer as unknown as { inner: unknown }).inner = { fn: () => 1 };
    await rejects([layer], /model\[0\]\.inner\.fn is a function/);
  });

  it('reads a registered value nested in an artifact only where its class is registered', async () => {
    registerClass(Layer);
    const enc = encodeArtifact({ layers: [new Layer()] }, ctx);
    unregisterSerializer('Layer');
    await rejectsWithCode(() => decodeArtifact(enc.bytes, enc.encoding), 'STORE', /serializer "Layer"/, /registerClass/);
  });

  it('still reads instances stored whole by earlier versions (encoding serializer:<name>)', () => {
    registerClass(Layer);
    const old = new Uint8Array(v8.serialize({ units: 5, weights: [1] }));
    const back = decodeArtifact(old, 'serializer:Layer') as Layer;
    assert.ok(back instanceof Layer);
    assert.equal(back.describe(), '5 units');
  });
});

describe('decodeArtifact', () => {
  it('reports bytes that are not a v8 serialization as a corrupt blob', async () => {
    await rejectsWithCode(() => decodeArtifact(new Uint8Array([0xff, 0x0f, 0x99, 0x99, 0x99]), 'v8'), 'CORRUPT_BLOB');
  });
});

describe('compression', () => {
  const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, name: `user${i}`, tags: ['a', 'b'] }));

  it('gzips plain data from 64 KiB by default, records it in the encoding, and reads it back', () => {
    const enc = encodeArtifact(rows, ctx);
    assert.equal(enc.encoding, 'v8+gzip');
    assert.ok(enc.size * 4 < v8.serialize(rows).byteLength, 'at least 4x smaller');
    assert.deepEqual(decodeArtifact(enc.bytes, enc.encoding), rows);
    assert.equal(encodeArtifact(rows.slice(0, 10), ctx).encoding, 'v8', 'small values are not compressed');
    assert.equal(encodeArtifact(new Float64Array(100_000), ctx).encoding, 'raw', 'numbers are not compressed by default');
  });

  it('follows an explicit choice either way, and refuses damaged compressed bytes', () => {
    assert.equal(encodeArtifact(rows, ctx, 'none').encoding, 'v8');
    const f = encodeArtifact(new Float64Array(100_000), ctx, 'gzip');
    assert.equal(f.encoding, 'raw+gzip');
    assert.deepEqual(decodeArtifact(f.bytes, f.encoding), new Float64Array(100_000));
    const bad = Buffer.from(encodeArtifact(rows, ctx).bytes);
    bad[bad.length - 5]! ^= 0xff;
    assert.throws(() => decodeArtifact(bad, 'v8+gzip'), { code: 'CORRUPT_BLOB' });
  });
});
