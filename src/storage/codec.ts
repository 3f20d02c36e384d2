/**
 * Artifact serialization. The default codec is `v8.serialize` (encoding `v8`), which handles what
 * the structured-clone algorithm handles; a value is checked first so that nothing is silently
 * changed on the way back (a class instance would come back as a plain object). Class instances
 * and data-frame types can be stored through a registered serializer (encoding
 * `serializer:<name>`); serializers are tried in registration order. A value that holds registered
 * values inside it (or an instance of a class registered with `registerClass`) is stored with the
 * encoding `v8+registered` (see `registered-values.ts`).
 *
 * Known limits of the default codec: an Error keeps its class (for the built-in error classes),
 * message, stack and cause, but not its other own properties; an object with a null prototype
 * comes back with `Object.prototype`; typed arrays that shared one ArrayBuffer come back as views
 * that no longer share memory with each other.
 */
import v8 from 'node:v8';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CairnError } from '../errors.js';
import { valueTypeName, type ValueProblem } from './value-check.js';
import { decodeRaw, encodeRaw, planRaw, RAW_ENCODING, rawKind, type RawPlan } from './raw-codec.js';
import type { ArtifactInfo, ArtifactStore } from './types.js';
import { ARROW_ENCODING, decodeFrame, encodeFrame, frameKind, frameTypeName, POLARS_ENCODING, prepareFrames } from './frames.js';
import {
  decodeRegistered,
  encodeRegistered,
  findRegistered,
  isClassSerializer,
  markClassSerializer,
  REGISTERED_ENCODING,
  type EncodeContext,
} from './registered-values.js';

export interface ArtifactSerializer {
  /** Unique name; the encoding recorded for the artifact is `serializer:<name>`. */
  name: string;
  /** Whether this serializer handles the value (called with each artifact value, in registration order). */
  test(value: unknown): boolean;
  serialize(value: unknown): Uint8Array;
  deserialize(bytes: Uint8Array): unknown;
}

export interface EncodedArtifact {
  /** The stored bytes: the concatenation of `parts` (made on first use: prefer `parts` and `size`). */
  readonly bytes: Uint8Array;
  /** The stored bytes, in parts (views of the value's memory for a raw value: nothing is copied). */
  parts: Uint8Array[];
  /** The stored size, in bytes. */
  size: number;
  /** A readable type name (`number`, `Array`, `Map`, ... or the serializer's name). */
  type: string;
  /** `v8`, `raw`, `v8+registered`, `arrow-ipc`, `polars-ipc` or `serializer:<name>`, with `+gzip` when compressed. */
  encoding: string;
}

/** An `EncodedArtifact` over parts. */
export function encoded(parts: Uint8Array[], type: string, encoding: string): EncodedArtifact {
  let joined: Uint8Array | undefined;
  return {
    parts,
    size: parts.reduce((n, p) => n + p.byteLength, 0),
    type,
    encoding,
    get bytes() {
      joined ??= parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      return joined;
    },
  };
}

export interface ArtifactContext {
  /** The artifact's name (the property assigned on `this`). */
  name: string;
  /** The step that assigned it. */
  step: string;
}

export const V8_ENCODING = 'v8';
export { RAW_ENCODING };
const SERIALIZER_PREFIX = 'serializer:';

const serializers: ArtifactSerializer[] = [];

/**
 * Adds a serializer, tried before the default codec and after the ones registered earlier.
 * Registering a name again replaces that serializer in place (a module loaded twice is harmless).
 */
export function registerSerializer(serializer: ArtifactSerializer): void {
  const { name } = serializer;
  if (typeof name !== 'string' || name.trim() === '' || /\s/.test(name)) {
    throw new CairnError('INVALID_ARGUMENT', `A serializer needs a non-empty name without spaces; got ${JSON.stringify(name)}.`);
  }
  for (const fn of ['test', 'serialize', 'deserialize'] as const) {
    if (typeof serializer[fn] !== 'function') {
      throw new CairnError('INVALID_ARGUMENT', `Serializer "${name}" has no ${fn}() function.`);
    }
  }
  const at = serializers.findIndex((s) => s.name === name);
  if (at >= 0) serializers[at] = serializer;
  else serializers.push(serializer);
}

/** Removes a registered serializer; returns whether one was registered under that name. */
export function unregisterSerializer(name: string): boolean {
  const at = serializers.findIndex((s) => s.name === name);
  if (at >= 0) serializers.splice(at, 1);
  return at >= 0;
}

/** The names of the registered serializers, in the order they are tried. */
export function registeredSerializers(): string[] {
  return serializers.map((s) => s.name);
}

type Constructor = abstract new (...args: never[]) => object;

/**
 * Registers a class whose instances are stored as their own enumerable properties and get the
 * class's prototype back when read, wherever they appear in an artifact (inside arrays, objects,
 * Maps, other registered instances; shared references and cycles are kept). Subclasses need their
 * own registration. Private `#fields` and state outside own properties are not kept.
 */
export function registerClass(cls: Constructor, opts: { name?: string } = {}): void {
  const name = opts.name ?? cls.name;
  if (!name) {
    throw new CairnError('INVALID_ARGUMENT', 'registerClass() was given an anonymous class: pass { name } to name it.');
  }
  const proto = cls.prototype as object;
  const serializer: ArtifactSerializer = {
    name,
    test: (value) => typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === proto,
    // Values are written with the `v8+registered` encoding; this reads what earlier versions wrote.
    serialize: (value) => v8.serialize({ ...(value as object) }),
    deserialize: (bytes) => Object.assign(Object.create(proto) as object, v8.deserialize(bytes) as object),
  };
  markClassSerializer(serializer, proto);
  registerSerializer(serializer);
}

function problemMessage(ctx: ArtifactContext, problem: ValueProblem): string {
  const head = `Cannot store artifact "${ctx.name}" of step "${ctx.step}": ${problem.path} is ${problem.what}.`;
  if (problem.className) {
    return `${head} Store plain data instead (objects, arrays, Map, Set, typed arrays...), or register a serializer ` +
      `for the class with registerSerializer({ name, test, serialize, deserialize }) or registerClass(${problem.className}).`;
  }
  return `${head} Store plain data instead (objects, arrays, Map, Set, typed arrays, primitives...).`;
}

function encodeWith(s: ArtifactSerializer, value: unknown, ctx: ArtifactContext): EncodedArtifact {
  let bytes: unknown;
  try {
    bytes = s.serialize(value);
  } catch (e) {
    throw new CairnError(
      'UNSERIALIZABLE_ARTIFACT',
      `Cannot store artifact "${ctx.name}" of step "${ctx.step}": serializer "${s.name}" failed: ${errorText(e)}`,
      { cause: e },
    );
  }
  if (!(bytes instanceof Uint8Array)) {
    throw new CairnError(
      'UNSERIALIZABLE_ARTIFACT',
      `Cannot store artifact "${ctx.name}" of step "${ctx.step}": serializer "${s.name}" returned ${valueTypeName(bytes)} instead of a Uint8Array.`,
    );
  }
  return encoded([bytes], s.name, SERIALIZER_PREFIX + s.name);
}

/** How an artifact's bytes are compressed: `gzip` (level 1) or not at all. */
export type Compression = 'gzip' | 'none';
export const COMPRESSIONS: readonly Compression[] = ['gzip', 'none'];
const GZIP_SUFFIX = '+gzip';
/** v8-encoded values from this size are gzipped unless the step chose otherwise (see docs/performance.md). */
export const AUTO_GZIP_BYTES = 64 * 1024;

/**
 * The default choice: gzip for values stored by v8 from 64 KiB (plain data: objects, arrays,
 * strings, which compress 5-10x at a small fraction of the cost of serializing them), none for raw
 * bytes and data frames (numbers: about 1.07x, for a large cost) and serializers' output.
 */
function defaultCompression(e: EncodedArtifact): Compression {
  return (e.encoding === V8_ENCODING || e.encoding === REGISTERED_ENCODING) && e.size >= AUTO_GZIP_BYTES ? 'gzip' : 'none';
}

/**
 * Serializes one artifact value, or throws `CairnError('UNSERIALIZABLE_ARTIFACT')` saying what to
 * do; compressed as `compression` says (default: see `defaultCompression`), which the encoding
 * records (`v8+gzip`).
 */
export function encodeArtifact(value: unknown, ctx: ArtifactContext, compression?: Compression): EncodedArtifact {
  const e = encodeUncompressed(value, ctx);
  if ((compression ?? defaultCompression(e)) !== 'gzip') return e;
  const input = e.parts.length === 1 ? e.parts[0]! : Buffer.concat(e.parts);
  return encoded([gzipSync(input, { level: 1 })], e.type, e.encoding + GZIP_SUFFIX);
}

function encodeUncompressed(value: unknown, ctx: ArtifactContext): EncodedArtifact {
  for (const s of serializers) {
    let claimed: boolean;
    try {
      claimed = s.test(value) === true;
    } catch (e) {
      throw new CairnError(
        'UNSERIALIZABLE_ARTIFACT',
        `Cannot store artifact "${ctx.name}" of step "${ctx.step}": the test() of serializer "${s.name}" threw: ${errorText(e)}`,
        { cause: e },
      );
    }
    if (claimed) {
      if (!isClassSerializer(s)) return encodeWith(s, value, ctx);
      const found = findRegistered(value, encodeContext(ctx), s);
      return encoded([encodeRegistered(value, found, encodeContext(ctx))], s.name, REGISTERED_ENCODING);
    }
  }
  const kind = rawKind(value);
  if (kind) return encoded(encodeRaw(value, kind), kind, RAW_ENCODING);
  const frame = frameKind(value);
  if (frame) {
    const serializer = frame === 'arrow' ? 'arrow (Arrow IPC)' : 'polars (its Arrow IPC)';
    try {
      return encoded(encodeFrame(frame, value), frameTypeName(frame), frame === 'arrow' ? ARROW_ENCODING : POLARS_ENCODING);
    } catch (e) {
      throw new CairnError('UNSERIALIZABLE_ARTIFACT', `Cannot store artifact "${ctx.name}" of step "${ctx.step}": the built-in serializer ${serializer} failed: ${errorText(e)}`, { cause: e });
    }
  }
  const found = findRegistered(value, encodeContext(ctx));
  if (found.claimed.size > 0) {
    return encoded([encodeRegistered(value, found, encodeContext(ctx))], valueTypeName(value), REGISTERED_ENCODING);
  }
  let bytes: Uint8Array;
  try {
    bytes = v8.serialize(value);
  } catch (e) {
    const why = e instanceof RangeError
      ? 'it is nested too deeply to serialize. Store it flatter (for example a list of nodes instead of a long linked chain)'
      : `${errorText(e)}. Store plain data instead, or register a serializer with registerSerializer(...)`;
    throw new CairnError('UNSERIALIZABLE_ARTIFACT', `Cannot store artifact "${ctx.name}" of step "${ctx.step}": ${why}.`, { cause: e });
  }
  return encoded([bytes], valueTypeName(value), V8_ENCODING);
}

export { prepareFrames };

function encodeContext(ctx: ArtifactContext): EncodeContext {
  return { ...ctx, serializers, problemMessage: (problem) => problemMessage(ctx, problem) };
}

/** Turns stored bytes back into a value, given the encoding recorded with them. */
export function decodeArtifact(bytes: Uint8Array, encoding: string): unknown {
  if (encoding.endsWith(GZIP_SUFFIX) && !serializers.some((s) => SERIALIZER_PREFIX + s.name === encoding)) {
    let plain: Buffer;
    try {
      plain = gunzipSync(bytes);
    } catch (e) {
      throw new CairnError('CORRUPT_BLOB', `Cannot decompress an artifact of encoding "${encoding}" (${bytes.byteLength} bytes): ${errorText(e)}`, { cause: e });
    }
    return decodeArtifact(plain, encoding.slice(0, -GZIP_SUFFIX.length));
  }
  if (encoding === RAW_ENCODING) return decodeRaw(bytes);
  if (encoding === ARROW_ENCODING || encoding === POLARS_ENCODING) {
    try {
      return decodeFrame(encoding, bytes);
    } catch (e) {
      if (e instanceof CairnError) throw e;
      throw new CairnError('CORRUPT_BLOB', `Cannot decode an artifact of encoding "${encoding}" (${bytes.byteLength} bytes): ${errorText(e)}`, { cause: e });
    }
  }
  if (encoding === REGISTERED_ENCODING) return decodeRegistered(bytes, serializers);
  if (encoding === V8_ENCODING) {
    try {
      return v8.deserialize(bytes);
    } catch (e) {
      throw new CairnError('CORRUPT_BLOB', `Cannot decode an artifact of encoding "v8" (${bytes.byteLength} bytes): ${errorText(e)}`, { cause: e });
    }
  }
  if (encoding.startsWith(SERIALIZER_PREFIX)) {
    const name = encoding.slice(SERIALIZER_PREFIX.length);
    const s = serializers.find((x) => x.name === name);
    if (!s) {
      const known = serializers.length > 0 ? ` (registered here: ${registeredSerializers().join(', ')})` : '';
      throw new CairnError(
        'STORE',
        `This artifact was stored by serializer "${name}", which is not registered in this process${known}. ` +
          `Import the module that calls registerSerializer({ name: '${name}', ... }) (or registerClass) before reading it.`,
      );
    }
    try {
      return s.deserialize(bytes);
    } catch (e) {
      throw new CairnError('STORE', `Serializer "${name}" failed to decode an artifact: ${errorText(e)}`, { cause: e });
    }
  }
  throw new CairnError('STORE', `Unknown artifact encoding "${encoding}": it was written by a different version of cairn or by another tool.`);
}

/**
 * Reads and decodes an artifact synchronously (the store must offer `getBlobSync`). A raw value is
 * read straight into its own memory. An integrity error (a damaged or truncated blob) names the
 * artifact: `what`, e.g. `artifact "x" of step start`.
 */
export function readArtifactSync(store: ArtifactStore, info: ArtifactInfo, what: string): unknown {
  return named(what, () => {
    if (info.encoding === RAW_ENCODING && store.readBlobSync) {
      let plan: RawPlan | undefined;
      store.readBlobSync(info.sha, (head, size) => (plan = planRaw(head, size)));
      return plan!.value;
    }
    if (!store.getBlobSync) throw new CairnError('STORE', `The ${store.kind} artifact store cannot read ${what} synchronously.`);
    return decodeArtifact(store.getBlobSync(info.sha), info.encoding);
  });
}

/** The same, asynchronously, with any store. */
export async function readArtifact(store: ArtifactStore, info: ArtifactInfo, what: string): Promise<unknown> {
  await prepareFrames([], [info.encoding]);
  return named(what, async () => {
    if (info.encoding === RAW_ENCODING && store.readBlob) {
      let plan: RawPlan | undefined;
      await store.readBlob(info.sha, (head, size) => (plan = planRaw(head, size)));
      return plan!.value;
    }
    return decodeArtifact(await store.getBlob(info.sha), info.encoding);
  });
}

function named<T>(what: string, fn: () => T): T {
  const rename = (e: unknown): never => {
    if (e instanceof CairnError && e.code === 'CORRUPT_BLOB' && !e.message.startsWith('Cannot read ')) {
      throw new CairnError('CORRUPT_BLOB', `Cannot read ${what}: ${e.message}`, { cause: e });
    }
    throw e;
  };
  try {
    const out = fn();
    return (out instanceof Promise ? out.catch(rename) : out) as T;
  } catch (e) {
    return rename(e);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
