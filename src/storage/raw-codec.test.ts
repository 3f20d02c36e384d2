import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { describe, it } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeArtifact, encodeArtifact, readArtifact, readArtifactSync } from './codec.js';
import { LocalArtifactStore } from './local-artifact-store.js';
import { decodeRaw, encodeRaw, rawKind } from './raw-codec.js';
import { sha1Hex } from './hash.js';

const ctx = { name: 'x', step: 'start' };

function values(): unknown[] {
  const f = new Float64Array([1.5, -0, NaN, Infinity, 2 ** 60]);
  const shared = new ArrayBuffer(64);
  return [
    f,
    new Float32Array([1, 2, 3]),
    new Int8Array([-1, 2]),
    new Uint8Array([0, 255]),
    new Uint8ClampedArray([9]),
    new Int16Array([-300]),
    new Uint16Array([65535]),
    new Int32Array([-1 << 30]),
    new Uint32Array([2 ** 32 - 1]),
    new BigInt64Array([-(2n ** 63n)]),
    new BigUint64Array([2n ** 64n - 1n]),
    Buffer.from('hello'),
    new ArrayBuffer(7),
    new DataView(shared, 8, 16),
    new Float64Array(shared, 16, 4), // a view into a larger buffer: only its own bytes are stored
    new Float64Array(0),
  ];
}

describe('raw encoding', () => {
  it('round-trips every typed array, Buffer, ArrayBuffer and DataView with its kind and exact memory', () => {
    for (const v of values()) {
      const enc = encodeArtifact(v, ctx);
      assert.equal(enc.encoding, 'raw', String(v));
      const back = decodeArtifact(enc.bytes, enc.encoding) as ArrayBufferView | ArrayBuffer;
      assert.equal(Object.getPrototypeOf(back), Object.getPrototypeOf(v));
      assert.deepEqual(back, v);
      const byteLength = back instanceof ArrayBuffer ? back.byteLength : back.byteLength;
      const memory = back instanceof ArrayBuffer ? back : back.buffer;
      assert.equal(memory.byteLength, byteLength, 'the value owns exactly its bytes');
    }
  });

  it('stores the value bytes as they are, behind a small header, without copying them', () => {
    const f = new Float64Array([1, 2, 3]);
    const [head, data] = encodeRaw(f, 'Float64Array');
    assert.ok(head!.byteLength < 128);
    assert.equal(data!.buffer, f.buffer, 'a view of the array, not a copy');
    assert.equal(Buffer.from(head!).subarray(0, 4).toString(), 'CRAW');
  });

  it('leaves subclasses, resizable buffers and plain objects to the other codecs', () => {
    class Mine extends Float64Array {}
    assert.equal(rawKind(new Mine(2)), undefined);
    const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer;
    assert.equal(rawKind(new Resizable(8, { maxByteLength: 16 })), undefined);
    assert.equal(rawKind({ length: 1 }), undefined);
    assert.equal(rawKind(null), undefined);
  });

  it('refuses a truncated or damaged header as a corrupt blob', () => {
    const whole = encodeArtifact(new Float64Array([1, 2, 3]), ctx).bytes;
    assert.throws(() => decodeRaw(whole.subarray(0, whole.byteLength - 8)), (e: Error & { code?: string }) => e.code === 'CORRUPT_BLOB' && /truncated/.test(e.message));
    const bad = Buffer.from(whole);
    bad[0] = 0;
    assert.throws(() => decodeRaw(bad), { code: 'CORRUPT_BLOB' });
  });

  it('still reads typed arrays that earlier versions stored with v8', () => {
    const old = v8.serialize(new Float64Array([4, 5]));
    assert.deepEqual(decodeArtifact(old, 'v8'), new Float64Array([4, 5]));
  });
});

describe('reading raw artifacts from the local store', () => {
  it('reads straight into the value (sync and async), verified, and names the artifact of a damaged blob', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cairn-raw-'));
    try {
      const store = new LocalArtifactStore(root);
      const big = new Float64Array(300_000).map((_, i) => i * 0.25); // 2.4 MB: written while hashed
      const enc = encodeArtifact(big, ctx);
      const sha = await store.putBlob(enc.parts);
      assert.equal(sha, sha1Hex(enc.bytes));
      const info = { sha, size: enc.size, type: enc.type, encoding: enc.encoding };
      assert.deepEqual(readArtifactSync(store, info, 'artifact "big"'), big);
      assert.deepEqual(await readArtifact(store, info, 'artifact "big"'), big);
      assert.deepEqual(readFileSync(store.blobPath(sha)), Buffer.from(enc.bytes));

      const path = store.blobPath(sha);
      const bytes = readFileSync(path);
      bytes[bytes.length - 1]! ^= 1;
      writeFileSync(path, bytes);
      assert.throws(() => readArtifactSync(store, info, 'artifact "big" of step start'), (e: Error & { code?: string }) =>
        e.code === 'CORRUPT_BLOB' && /artifact "big" of step start/.test(e.message) && e.message.includes(sha));
      truncateSync(path, 1000);
      await assert.rejects(readArtifact(store, info, 'artifact "big"'), (e: Error & { code?: string }) =>
        e.code === 'CORRUPT_BLOB' && /artifact "big"/.test(e.message));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
