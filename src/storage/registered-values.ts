/**
 * Values that hold registered values inside them: an array of `registerClass` instances, an object
 * whose field is claimed by a registered serializer, a class instance whose fields are instances
 * of other registered classes. `v8.serialize` alone would drop their prototypes, so such a value
 * is stored with the encoding `v8+registered`: one v8 serialization of
 * `[1, root, slots]`, where every registered value is replaced by a slot object that appears
 * both in the tree and in `slots`:
 *
 * - `{ s: name, c: props }` for an instance of a class registered with `registerClass`: its own
 *   enumerable properties, themselves part of the tree (so instances that point at each other,
 *   cycles included, keep their identity);
 * - `{ s: name, b: bytes }` for a value a `registerSerializer` serializer claimed (its bytes).
 *
 * v8 keeps shared references within one serialization, so on the way back the slot objects found
 * in the tree are the ones listed in `slots`: they are recognised by identity, never by their
 * shape, and plain data that happens to look like a slot is left alone.
 *
 * Nested inside a value, serializers are offered only the objects the default codec cannot store
 * (class instances and the like), never plain objects, arrays, Maps or other built-ins.
 */
import v8 from 'node:v8';
import { CairnError } from '../errors.js';
import { findUnstorable, UnstorableValueError, type ValueProblem } from './value-check.js';

export const REGISTERED_ENCODING = 'v8+registered';
const FORMAT = 1;

/** What the codec's serializer registry looks like from here. */
export interface RegisteredSerializer {
  name: string;
  test(value: unknown): boolean;
  serialize(value: unknown): Uint8Array;
  deserialize(bytes: Uint8Array): unknown;
}

interface ClassSlot {
  s: string;
  c: Record<string, unknown>;
}

interface BytesSlot {
  s: string;
  b: Uint8Array;
}

type Slot = ClassSlot | BytesSlot;

/** Serializers made by `registerClass`, with the prototype they restore. */
const classPrototypes = new WeakMap<RegisteredSerializer, object>();

/** Marks `serializer` as the one `registerClass` made for instances of `proto`. */
export function markClassSerializer(serializer: RegisteredSerializer, proto: object): void {
  classPrototypes.set(serializer, proto);
}

/** Whether `serializer` was made by `registerClass` (its instances are stored by their properties). */
export function isClassSerializer(serializer: RegisteredSerializer): boolean {
  return classPrototypes.has(serializer);
}

/** Why a value could not be stored, as the codec words it (problem → message). */
export type ProblemMessage = (problem: ValueProblem) => string;

export interface EncodeContext {
  /** The artifact's name, first segment of every path. */
  name: string;
  step: string;
  serializers: readonly RegisteredSerializer[];
  problemMessage: ProblemMessage;
}

function fail(ctx: EncodeContext, what: string, cause?: unknown): CairnError {
  return new CairnError('UNSERIALIZABLE_ARTIFACT', `Cannot store artifact "${ctx.name}" of step "${ctx.step}": ${what}`, cause === undefined ? undefined : { cause });
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The first serializer whose test claims `value` (in registration order), if any. */
function claimant(value: object, path: string, ctx: EncodeContext): RegisteredSerializer | undefined {
  for (const s of ctx.serializers) {
    let claimed: boolean;
    try {
      claimed = s.test(value) === true;
    } catch (e) {
      throw fail(ctx, `the test() of serializer "${s.name}" threw on ${path}: ${errorText(e)}`, e);
    }
    if (claimed) return s;
  }
  return undefined;
}

/** The registered values found inside a value: which serializer claimed each, and where it is. */
export interface FoundRegistered {
  claimed: Map<object, RegisteredSerializer>;
  paths: Map<object, string>;
}

/**
 * Checks `value` with the registered serializers in mind. Returns the objects inside it that
 * serializers claimed (none for plain data), or throws the codec's message for the first part
 * that nothing can store. `root` set: `value` itself was claimed by this class serializer.
 */
export function findRegistered(value: unknown, ctx: EncodeContext, root?: RegisteredSerializer): FoundRegistered {
  const claimed = new Map<object, RegisteredSerializer>();
  const paths = new Map<object, string>();
  let problem: ValueProblem | undefined;
  try {
    problem = findUnstorable(value, ctx.name, {
      claim: (v, path) => {
        const s = v === value && root ? root : claimant(v, path(), ctx);
        if (!s) return undefined;
        claimed.set(v, s);
        paths.set(v, path());
        return isClassSerializer(s) ? 'props' : 'leaf';
      },
    });
  } catch (e) {
    if (e instanceof CairnError) throw e;
    throw fail(ctx, `reading it threw (a getter?): ${errorText(e)}`, e);
  }
  if (problem) throw new CairnError('UNSERIALIZABLE_ARTIFACT', ctx.problemMessage(problem));
  return { claimed, paths };
}

/** Built-in error classes V8 serializes as errors (message, stack, cause). */
const ERROR_CTORS = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError];

/**
 * Serializes a value that `findRegistered` found registered values in (`claimed`), with encoding
 * `v8+registered`. Containers are copied (sharing and cycles kept); everything else is shared.
 */
export function encodeRegistered(value: unknown, found: FoundRegistered, ctx: EncodeContext): Uint8Array {
  const { claimed, paths } = found;
  const copies = new Map<object, unknown>();
  const slots: Slot[] = [];
  const work: Array<() => void> = [];

  const copy = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    const done = copies.get(v);
    if (done !== undefined) return done;
    const s = claimed.get(v);
    if (s) {
      const slot = isClassSerializer(s) ? classSlot(v, s) : bytesSlot(v, s);
      copies.set(v, slot);
      slots.push(slot);
      return slot;
    }
    const proto = Object.getPrototypeOf(v) as object | null;
    if (proto === Array.prototype) {
      const src = v as unknown[];
      const out: unknown[] = new Array<unknown>(src.length);
      copies.set(v, out);
      work.push(() => {
        for (let i = 0; i < src.length; i++) if (i in src) out[i] = copy(src[i]);
      });
      return out;
    }
    if (proto === Object.prototype || proto === null) {
      const out: Record<string, unknown> = {};
      copies.set(v, out);
      work.push(() => assignProps(out, v));
      return out;
    }
    if (proto === Map.prototype) {
      const out = new Map<unknown, unknown>();
      copies.set(v, out);
      work.push(() => {
        for (const [k, x] of v as Map<unknown, unknown>) out.set(copy(k), copy(x));
      });
      return out;
    }
    if (proto === Set.prototype) {
      const out = new Set<unknown>();
      copies.set(v, out);
      work.push(() => {
        for (const x of v as Set<unknown>) out.add(copy(x));
      });
      return out;
    }
    const ctor = ERROR_CTORS.find((c) => c.prototype === proto);
    if (ctor && Object.prototype.hasOwnProperty.call(v, 'cause')) {
      const src = v as Error;
      const out = new ctor(src.message);
      Object.defineProperty(out, 'stack', { value: src.stack, writable: true, configurable: true });
      copies.set(v, out);
      work.push(() => Object.defineProperty(out, 'cause', { value: copy(src.cause), writable: true, configurable: true }));
      return out;
    }
    copies.set(v, v);
    return v;
  };

  const assignProps = (out: Record<string, unknown>, src: object): void => {
    for (const k of Object.keys(src)) {
      Object.defineProperty(out, k, { value: copy((src as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
    }
  };

  const classSlot = (v: object, s: RegisteredSerializer): ClassSlot => {
    const slot: ClassSlot = { s: s.name, c: {} };
    work.push(() => assignProps(slot.c, v));
    return slot;
  };

  const bytesSlot = (v: object, s: RegisteredSerializer): BytesSlot => {
    const where = paths.get(v) ?? ctx.name;
    let bytes: unknown;
    try {
      bytes = s.serialize(v);
    } catch (e) {
      if (e instanceof UnstorableValueError) {
        throw new CairnError('UNSERIALIZABLE_ARTIFACT', ctx.problemMessage({ ...e.problem, path: where + e.problem.path }), { cause: e });
      }
      throw fail(ctx, `serializer "${s.name}" failed on ${where}: ${errorText(e)}`, e);
    }
    if (!(bytes instanceof Uint8Array)) throw fail(ctx, `serializer "${s.name}" returned something other than a Uint8Array for ${where}.`);
    return { s: s.name, b: bytes };
  };

  const root = copy(value);
  while (work.length > 0) work.pop()!();
  try {
    return v8.serialize([FORMAT, root, slots]);
  } catch (e) {
    const why = e instanceof RangeError
      ? 'it is nested too deeply to serialize. Store it flatter (for example a list of nodes instead of a long linked chain).'
      : `${errorText(e)}.`;
    throw fail(ctx, why, e);
  }
}

function missing(name: string, serializers: readonly RegisteredSerializer[]): CairnError {
  const known = serializers.length > 0 ? ` (registered here: ${serializers.map((s) => s.name).join(', ')})` : '';
  return new CairnError(
    'STORE',
    `This artifact holds values stored by serializer "${name}", which is not registered in this process${known}. ` +
      `Import the module that calls registerClass(...) or registerSerializer({ name: '${name}', ... }) before reading it.`,
  );
}

/** Reads a `v8+registered` value back, with the registered serializers of this process. */
export function decodeRegistered(bytes: Uint8Array, serializers: readonly RegisteredSerializer[]): unknown {
  let envelope: unknown;
  try {
    envelope = v8.deserialize(bytes);
  } catch (e) {
    throw new CairnError('CORRUPT_BLOB', `Cannot decode an artifact of encoding "${REGISTERED_ENCODING}" (${bytes.byteLength} bytes): ${errorText(e)}`, { cause: e });
  }
  if (!Array.isArray(envelope) || envelope[0] !== FORMAT || !Array.isArray(envelope[2])) {
    throw new CairnError('STORE', `An artifact of encoding "${REGISTERED_ENCODING}" has a layout this version of cairn does not know; it was written by a newer cairn.`);
  }
  const root = envelope[1] as unknown;
  const slots = envelope[2] as Slot[];
  const results = new Map<object, unknown>();
  const classSlots: Array<[ClassSlot, object]> = [];
  for (const slot of slots) {
    const s = serializers.find((x) => x.name === slot.s);
    if (!s) throw missing(slot.s, serializers);
    if ('c' in slot) {
      const proto = classPrototypes.get(s);
      if (!proto) throw new CairnError('STORE', `Serializer "${slot.s}" stored its values with registerClass, but here it is registered with registerSerializer. Register it with registerClass to read this artifact.`);
      const instance = Object.create(proto) as object;
      results.set(slot, instance);
      classSlots.push([slot, instance]);
    } else {
      try {
        results.set(slot, s.deserialize(slot.b));
      } catch (e) {
        throw new CairnError('STORE', `Serializer "${slot.s}" failed to decode a value inside an artifact: ${errorText(e)}`, { cause: e });
      }
    }
  }
  // Values the serializers returned are not looked into: they hold no slots.
  const seen = new Set<object>([...results.values()].filter((x): x is object => typeof x === 'object' && x !== null));
  const top = replaceSlots(root, results, seen);
  for (const [slot, instance] of classSlots) {
    replaceSlots(slot.c, results, seen);
    for (const k of Object.keys(slot.c)) {
      Object.defineProperty(instance, k, { value: slot.c[k], enumerable: true, writable: true, configurable: true });
    }
  }
  return top;
}

/** Replaces, in place, every reference to a slot object inside `root` with its result. */
function replaceSlots(root: unknown, results: Map<object, unknown>, seen: Set<object>): unknown {
  const swap = (v: unknown): unknown => (typeof v === 'object' && v !== null && results.has(v) ? results.get(v) : v);
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || seen.has(v) || results.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (!(i in v)) continue;
        v[i] = swap(v[i]);
        stack.push(v[i]);
      }
    } else if (v instanceof Map) {
      const entries = [...v].map(([k, x]) => [swap(k), swap(x)] as const);
      v.clear();
      for (const [k, x] of entries) {
        v.set(k, x);
        stack.push(k, x);
      }
    } else if (v instanceof Set) {
      const entries = [...v].map(swap);
      v.clear();
      for (const x of entries) {
        v.add(x);
        stack.push(x);
      }
    } else if (v instanceof Error) {
      if (Object.prototype.hasOwnProperty.call(v, 'cause')) {
        const cause = swap((v as { cause: unknown }).cause);
        Object.defineProperty(v, 'cause', { value: cause, writable: true, configurable: true });
        stack.push(cause);
      }
    } else {
      const proto = Object.getPrototypeOf(v) as object | null;
      if (proto !== Object.prototype && proto !== null) continue;
      const obj = v as Record<string, unknown>;
      for (const k of Object.keys(obj)) {
        const x = swap(obj[k]);
        if (x !== obj[k]) Object.defineProperty(obj, k, { value: x, enumerable: true, writable: true, configurable: true });
        stack.push(x);
      }
    }
  }
  return swap(root);
}
