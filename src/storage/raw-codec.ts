/**
 * The `raw` encoding: typed arrays, `Buffer`, `ArrayBuffer` and `DataView` stored as their own
 * bytes behind a small header, instead of through `v8.serialize`.
 *
 *   bytes 0..3    "CRAW"
 *   byte  4       header version (1)
 *   bytes 5..7    0
 *   bytes 8..11   n: length of the JSON header, u32 little-endian
 *   bytes 12..    the JSON header: { kind, length, byteLength, endian }
 *   then          the value's bytes, as they are in memory
 *
 * Encoding makes no copy: the parts are the header and a view of the value's memory. Decoding can
 * read the bytes straight into the memory of the value it returns (`rawLayout`), so a large array
 * is never held twice.
 */
import { endianness } from 'node:os';
import { CairnError } from '../errors.js';

export const RAW_ENCODING = 'raw';
const MAGIC = [0x43, 0x52, 0x41, 0x57]; // "CRAW"
const VERSION = 1;
const FIXED = 12;
/** A header is never longer than this; a read looks at this many first bytes to plan the rest. */
export const RAW_HEAD_BYTES = 4096;
const ENDIAN = endianness();

type TypedArrayCtor =
  | Int8ArrayConstructor | Uint8ArrayConstructor | Uint8ClampedArrayConstructor | Int16ArrayConstructor
  | Uint16ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor | Float32ArrayConstructor
  | Float64ArrayConstructor | BigInt64ArrayConstructor | BigUint64ArrayConstructor;

const TYPED: Record<string, TypedArrayCtor> = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
};
const TYPED_BY_PROTO = new Map<object, string>(Object.entries(TYPED).map(([name, c]) => [c.prototype as object, name]));

export interface RawHeader {
  /** `Float64Array`, ..., `Buffer`, `ArrayBuffer`, `DataView`. */
  kind: string;
  /** Elements (bytes for Buffer, ArrayBuffer and DataView). */
  length: number;
  byteLength: number;
  endian: 'LE' | 'BE';
}

/** The kind under which a value is stored raw, or undefined when it is not such a value. */
export function rawKind(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === null) return undefined;
  if (proto === ArrayBuffer.prototype) return plainBuffer(value as ArrayBuffer) ? 'ArrayBuffer' : undefined;
  const view = value as ArrayBufferView;
  if (!ArrayBuffer.isView(view) || !plainBuffer(view.buffer)) return undefined;
  if (proto === Buffer.prototype) return 'Buffer';
  if (proto === DataView.prototype) return 'DataView';
  return TYPED_BY_PROTO.get(proto);
}

/** Not a SharedArrayBuffer (refused elsewhere) and not resizable (v8 keeps that; raw bytes do not). */
function plainBuffer(b: ArrayBufferLike): boolean {
  return b instanceof ArrayBuffer && !(b as ArrayBuffer & { resizable?: boolean }).resizable;
}

function bytesOf(value: unknown): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  const v = value as ArrayBufferView;
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** The header and a view of the value's bytes (no copy). `value` must have a `rawKind`. */
export function encodeRaw(value: unknown, kind: string): Uint8Array[] {
  const data = bytesOf(value);
  const length = kind in TYPED ? (value as { length: number }).length : data.byteLength;
  const header: RawHeader = { kind, length, byteLength: data.byteLength, endian: ENDIAN };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(FIXED + json.length);
  head.set(MAGIC, 0);
  head[4] = VERSION;
  head.writeUInt32LE(json.length, 8);
  json.copy(head, FIXED);
  return [head, data];
}

function corrupt(why: string): CairnError {
  return new CairnError('CORRUPT_BLOB', `A blob of encoding "raw" is damaged: ${why}.`);
}

/** Reads the header at the start of `bytes`: the header and where the value's bytes start. */
export function readRawHeader(bytes: Uint8Array, size: number): { header: RawHeader; start: number } {
  if (bytes.byteLength < FIXED || !MAGIC.every((b, i) => bytes[i] === b)) throw corrupt('it does not start with a raw header');
  if (bytes[4] !== VERSION) {
    throw new CairnError('STORE', `A blob of encoding "raw" has header version ${bytes[4]}: it was written by a newer version of cairn. Upgrade cairnflow to read it.`);
  }
  const n = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32LE(8);
  if (FIXED + n > Math.min(bytes.byteLength, RAW_HEAD_BYTES)) throw corrupt('its header is cut short');
  let header: RawHeader;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + FIXED, n).toString('utf8')) as RawHeader;
  } catch {
    throw corrupt('its header is not valid JSON');
  }
  const start = FIXED + n;
  const ctor = TYPED[header.kind];
  const known = ctor || ['Buffer', 'ArrayBuffer', 'DataView'].includes(header.kind);
  if (!known) throw new CairnError('STORE', `A blob of encoding "raw" holds a "${header.kind}", which this version of cairn does not know.`);
  const width = ctor ? ctor.BYTES_PER_ELEMENT : 1;
  if (!Number.isSafeInteger(header.byteLength) || header.byteLength !== header.length * width) throw corrupt('its header does not add up');
  if (size !== start + header.byteLength) {
    throw corrupt(`it holds ${size - start} bytes of data where its header announces ${header.byteLength} (truncated or extended)`);
  }
  if (header.endian !== ENDIAN && width > 1) {
    throw new CairnError('STORE', `A ${header.kind} was stored on a ${header.endian} machine and cannot be read on this ${ENDIAN} one.`);
  }
  return { header, start };
}

/** A fresh value of the header's kind, over memory of exactly its byte length, and a byte view of that memory. */
export function allocateRaw(header: RawHeader): { value: unknown; bytes: Uint8Array } {
  if (header.kind === 'Buffer') {
    const b = Buffer.allocUnsafeSlow(header.byteLength);
    return { value: b, bytes: b };
  }
  const memory = new ArrayBuffer(header.byteLength);
  const bytes = new Uint8Array(memory);
  if (header.kind === 'ArrayBuffer') return { value: memory, bytes };
  if (header.kind === 'DataView') return { value: new DataView(memory), bytes };
  return { value: new TYPED[header.kind]!(memory), bytes };
}

/** Decodes a whole raw blob held in memory (one copy of the data, into the value's own memory). */
export function decodeRaw(blob: Uint8Array): unknown {
  const { header, start } = readRawHeader(blob.subarray(0, RAW_HEAD_BYTES), blob.byteLength);
  const { value, bytes } = allocateRaw(header);
  bytes.set(blob.subarray(start));
  return value;
}

/** What a store needs to read a blob straight into a value's memory (see `BlobLayout` in types.ts). */
export interface RawPlan {
  skip: number;
  into: Uint8Array;
  value: unknown;
}

/** Plans the read of a raw blob from its first bytes and its size. */
export function planRaw(head: Uint8Array, size: number): RawPlan {
  const { header, start } = readRawHeader(head, size);
  const { value, bytes } = allocateRaw(header);
  return { skip: start, into: bytes, value };
}
