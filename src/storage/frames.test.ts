import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it, before } from 'node:test';
import { tableFromArrays, Table } from 'apache-arrow';
import pl from 'nodejs-polars';
import { decodeArtifact, encodeArtifact, prepareFrames } from './codec.js';
import { frameKind, readFrameHeader } from './frames.js';
import { previewValue } from './preview.js';

const ctx = { name: 'frame', step: 'start' };

function arrowTable(rows: number) {
  return tableFromArrays({
    id: Int32Array.from({ length: rows }, (_, i) => i),
    x: Float64Array.from({ length: rows }, (_, i) => i / 4),
    name: Array.from({ length: rows }, (_, i) => `n${i}`),
  });
}

describe('data frames', () => {
  before(() => prepareFrames([arrowTable(1)]));

  it('stores an apache-arrow Table as Arrow IPC and reads back a Table with the same schema and values', () => {
    const t = arrowTable(1000);
    const enc = encodeArtifact(t, ctx);
    assert.equal(enc.encoding, 'arrow-ipc');
    assert.equal(enc.type, 'arrow.Table');
    const back = decodeArtifact(enc.bytes, enc.encoding) as Table;
    assert.ok(back instanceof Table);
    assert.equal(back.numRows, 1000);
    assert.deepEqual(back.schema.fields.map((f) => f.name), ['id', 'x', 'name']);
    assert.equal(back.getChild('x')!.get(999), 999 / 4);
    assert.equal(back.getChild('name')!.get(3), 'n3');
  });

  it('stores a nodejs-polars DataFrame and reads back a DataFrame equal to it', () => {
    const df = pl.DataFrame({ a: [1, 2, 3], s: ['x', 'y', 'z'] });
    const enc = encodeArtifact(df, ctx);
    assert.equal(enc.encoding, 'polars-ipc');
    assert.equal(enc.type, 'polars.DataFrame');
    const back = decodeArtifact(enc.bytes, enc.encoding) as pl.DataFrame;
    assert.equal(frameKind(back), 'polars');
    assert.ok(back.frameEqual(df));
  });

  it('keeps the schema, row count and first rows in a checksummed header at the start of the blob', () => {
    const enc = encodeArtifact(arrowTable(500), ctx);
    const { header } = readFrameHeader(enc.bytes.subarray(0, 64 * 1024));
    assert.equal(header.rows, 500);
    assert.deepEqual(header.columns, [{ name: 'id', type: 'Int32' }, { name: 'x', type: 'Float64' }, { name: 'name', type: 'Dictionary<Int32, Utf8>' }]);
    assert.equal(header.head.length, 50);
    assert.deepEqual(header.head[2], [2, 0.5, 'n2']);
    const bad = Buffer.from(enc.bytes);
    bad[60]! ^= 1;
    assert.throws(() => readFrameHeader(bad), { code: 'CORRUPT_BLOB' });
    assert.throws(() => decodeArtifact(bad, 'arrow-ipc'), { code: 'CORRUPT_BLOB' });
  });

  it('previews a frame value as a table', () => {
    const p = previewValue(pl.DataFrame({ a: [1, 2], b: ['u', 'v'] }), { maxRows: 1 });
    assert.equal(p.kind, 'table');
    if (p.kind !== 'table') return;
    assert.equal(p.type, 'polars.DataFrame');
    assert.equal(p.rowCount, 2);
    assert.deepEqual(p.rows, [[1, 'u']]);
    assert.deepEqual(p.columns.map((c) => c.type), ['Float64', 'String']);
  });

  it('names the artifact and the serializer when a Table cannot be stored (one from the CommonJS copy of apache-arrow)', () => {
    const cjs = createRequire(import.meta.url)('apache-arrow') as typeof import('apache-arrow');
    assert.notEqual(cjs.Table, Table);
    const foreign = cjs.tableFromArrays({ a: Int32Array.from([1]) });
    assert.throws(() => encodeArtifact(foreign, ctx), (e: Error & { code?: string }) =>
      e.code === 'UNSERIALIZABLE_ARTIFACT' && /artifact "frame" of step "start"/.test(e.message) && /serializer arrow/.test(e.message) && /another copy of apache-arrow/.test(e.message));
  });
});
