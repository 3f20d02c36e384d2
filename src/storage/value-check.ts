/**
 * Finds the first part of a value that `v8.serialize` would refuse or would not bring back
 * faithfully (a function, a class instance whose prototype would be lost, a WeakMap...), with the
 * path to it. The walk is iterative (no recursion limit), visits each object once (cycles are fine)
 * and never looks inside typed arrays or ArrayBuffers.
 */
import { types } from 'node:util';

/** What is wrong with one part of a value, and where it is. */
export interface ValueProblem {
  /** Path from the root, e.g. `model.layers[2]`. */
  path: string;
  /** What the offending part is, e.g. `an instance of class Layer`, `a function`. */
  what: string;
  /** The class of the offending part, when it is a class instance. */
  className?: string;
  /** The offending part itself (to ask the serializer registry about it). */
  value: unknown;
}

/** Thrown by code that serializes plain data on behalf of a serializer (see `registerClass`). */
export class UnstorableValueError extends Error {
  readonly problem: ValueProblem;
  constructor(problem: ValueProblem) {
    super(`${problem.path} is ${problem.what}`);
    this.name = 'UnstorableValueError';
    this.problem = problem;
  }
}

const TYPED_ARRAY_PROTOS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView, Buffer,
].map((c) => c.prototype as object);

/** Prototypes whose instances `v8.deserialize` rebuilds exactly and that hold nothing to walk. */
const LEAF_PROTOS = new Set<object>([
  Date.prototype, RegExp.prototype, ArrayBuffer.prototype,
  Number.prototype, String.prototype, Boolean.prototype, BigInt.prototype,
  ...TYPED_ARRAY_PROTOS,
]);

/** Error classes V8 serializes with their prototype (message, stack and cause are kept). */
const ERROR_PROTOS = new Set<object>([
  Error.prototype, EvalError.prototype, RangeError.prototype, ReferenceError.prototype,
  SyntaxError.prototype, TypeError.prototype, URIError.prototype,
]);

/** One step of the path: an array index, a property name, or an entry of a Map / Set. */
type Segment = number | string | { kind: 'mapKey' | 'mapValue' | 'setEntry'; index: number; key?: unknown };

interface Frame {
  value: object;
  parent: Frame | undefined;
  segment: Segment | undefined;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function primitiveLabel(k: unknown): string | undefined {
  if (typeof k === 'string') return JSON.stringify(k);
  if (typeof k === 'number' || typeof k === 'boolean' || k === null || k === undefined) return String(k);
  if (typeof k === 'bigint') return `${k}n`;
  return undefined;
}

function formatSegment(seg: Segment): string {
  if (typeof seg === 'number') return `[${seg}]`;
  if (typeof seg === 'string') return IDENTIFIER.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  if (seg.kind === 'setEntry') return `<Set entry #${seg.index}>`;
  if (seg.kind === 'mapKey') return `<Map key #${seg.index}>`;
  const label = primitiveLabel(seg.key);
  return label === undefined ? `<Map value #${seg.index}>` : `.get(${label})`;
}

function formatPath(root: string, frame: Frame | undefined, last: Segment | undefined): string {
  const parts: string[] = last === undefined ? [] : [formatSegment(last)];
  for (let f = frame; f?.segment !== undefined; f = f.parent) parts.push(formatSegment(f.segment));
  return root + parts.reverse().join('');
}

function className(proto: object): string | undefined {
  const ctor = (proto as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' && ctor.name ? ctor.name : undefined;
}

/** Describes a primitive that cannot be stored, or returns undefined when it can. */
function describePrimitive(v: unknown): string | undefined {
  if (typeof v === 'function') {
    return /^class[\s{]/.test(Function.prototype.toString.call(v)) ? `a class (${(v as { name: string }).name || 'anonymous'})` : 'a function';
  }
  if (typeof v === 'symbol') return 'a symbol';
  return undefined;
}

/** Describes an object whose kind cannot be stored (after the allowed kinds were ruled out). */
function describeObject(v: object, proto: object | null): { what: string; className?: string } {
  if (types.isPromise(v)) return { what: 'a Promise (await it and store the result)' };
  if (types.isWeakMap(v)) return { what: 'a WeakMap' };
  if (types.isWeakSet(v)) return { what: 'a WeakSet' };
  if (types.isSharedArrayBuffer(v)) return { what: 'a SharedArrayBuffer (copy it into an ArrayBuffer)' };
  if (types.isSymbolObject(v)) return { what: 'a boxed symbol' };
  if (types.isGeneratorObject(v)) return { what: 'a generator object' };
  if (types.isModuleNamespaceObject(v)) return { what: 'a module namespace object' };
  if (typeof WeakRef !== 'undefined' && v instanceof WeakRef) return { what: 'a WeakRef' };
  if (proto === null) return { what: 'an object with an unusual prototype' };
  const name = className(proto);
  if (name === undefined) return { what: 'an instance of an anonymous class, whose prototype would be lost' };
  const base = Object.getPrototypeOf(proto) as object | null;
  const baseName = base && base !== Object.prototype ? className(base) : undefined;
  const sub = baseName ? ` (a subclass of ${baseName})` : '';
  return { what: `an instance of class ${name}${sub}, whose prototype would be lost`, className: name };
}

/**
 * How `findUnstorable` treats an object the default codec cannot store faithfully (a class
 * instance) when a registered serializer handles it: `leaf` (stored whole by the serializer, not
 * looked into) or `props` (its own enumerable properties are stored, and checked like those of a
 * plain object). Undefined when no serializer handles it: that is a problem.
 */
export type Claim = (value: object, path: () => string) => 'leaf' | 'props' | undefined;

export interface FindOptions {
  claim?: Claim;
}

/**
 * Returns the first part of `root` that cannot be stored faithfully with `v8.serialize`, or
 * undefined when the whole value can. `rootLabel` starts every path (the artifact name). With
 * `claim`, objects that a registered serializer handles are not problems (see `Claim`).
 */
export function findUnstorable(root: unknown, rootLabel: string, options: FindOptions = {}): ValueProblem | undefined {
  const claim = options.claim;
  const rootProblem = describePrimitive(root);
  if (rootProblem) return { path: rootLabel, what: rootProblem, value: root };
  if (typeof root !== 'object' || root === null) return undefined;

  const seen = new Set<object>();
  const stack: Frame[] = [{ value: root, parent: undefined, segment: undefined }];
  let problem: ValueProblem | undefined;
  let current: Frame | undefined;

  // Checks one child; returns false (and records the problem) when it cannot be stored.
  const visit = (child: unknown, segment: Segment): boolean => {
    if (typeof child !== 'object' || child === null) {
      const what = describePrimitive(child);
      if (what === undefined) return true;
      problem = { path: formatPath(rootLabel, current, segment), what, value: child };
      return false;
    }
    if (!seen.has(child)) stack.push({ value: child, parent: current, segment });
    return true;
  };

  while (stack.length > 0) {
    current = stack.pop() as Frame;
    const v = current.value;
    if (seen.has(v)) continue;
    seen.add(v);
    if (types.isProxy(v)) {
      return { path: formatPath(rootLabel, current.parent, current.segment), what: 'a Proxy', value: v };
    }
    const proto = Object.getPrototypeOf(v) as object | null;
    if (proto === Array.prototype) {
      // The hot loop (large arrays of numbers): primitives are checked inline.
      const arr = v as unknown[];
      for (let i = 0, n = arr.length; i < n; i++) {
        const x = arr[i];
        if (typeof x === 'object' ? x !== null : typeof x === 'function' || typeof x === 'symbol') {
          if (!visit(x, i)) return problem;
        }
      }
    } else if (proto === Object.prototype || proto === null) {
      const obj = v as Record<string, unknown>;
      for (const k in obj) {
        if (!Object.prototype.hasOwnProperty.call(obj, k)) continue;
        const x = obj[k];
        if (typeof x === 'object' ? x !== null : typeof x === 'function' || typeof x === 'symbol') {
          if (!visit(x, k)) return problem;
        }
      }
    } else if (proto === Map.prototype) {
      let i = 0;
      for (const [k, val] of v as Map<unknown, unknown>) {
        if (!visit(k, { kind: 'mapKey', index: i })) return problem;
        if (!visit(val, { kind: 'mapValue', index: i, key: k })) return problem;
        i++;
      }
    } else if (proto === Set.prototype) {
      let i = 0;
      for (const entry of v as Set<unknown>) if (!visit(entry, { kind: 'setEntry', index: i++ })) return problem;
    } else if (ERROR_PROTOS.has(proto)) {
      if (Object.prototype.hasOwnProperty.call(v, 'cause') && !visit((v as { cause: unknown }).cause, 'cause')) return problem;
    } else if (!LEAF_PROTOS.has(proto)) {
      const frame = current;
      const how = claim?.(v, () => formatPath(rootLabel, frame.parent, frame.segment));
      if (how === 'leaf') continue;
      if (how === 'props') {
        for (const k of Object.keys(v)) {
          const x = (v as Record<string, unknown>)[k];
          if (!visit(x, k)) return problem;
        }
        continue;
      }
      const d = describeObject(v, proto);
      return { path: formatPath(rootLabel, current.parent, current.segment), ...d, value: v };
    }
  }
  return undefined;
}

/** Throws `UnstorableValueError` when `value` cannot be stored faithfully with `v8.serialize`. */
export function assertStorable(value: unknown, rootLabel: string): void {
  const problem = findUnstorable(value, rootLabel);
  if (problem) throw new UnstorableValueError(problem);
}

/** A readable type name: `number`, `null`, `Array`, `Object`, `Map`, `Float64Array`, `Buffer`... */
export function valueTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === null) return 'Object';
  return className(proto) ?? 'Object';
}
