/**
 * `Parameter(...)` and `IncludeFile(...)`: values a run takes from the command line, the
 * environment or a default. Each returns a marker that the orchestrator finds by creating an
 * instance of the flow class and scanning its own fields; in a step, the field holds the run's
 * value instead (read-only). The marker is typed as that value, so `this.alpha` is a `number`.
 */
import { CairnError } from '../errors.js';

/** How a parameter's command-line text becomes its value. */
export type ParameterType = 'string' | 'number' | 'int' | 'boolean' | 'json';

const TYPES: readonly ParameterType[] = ['string', 'number', 'int', 'boolean', 'json'];

/**
 * What a callable default is given (Metaflow's `ParameterContext`): `default: (ctx) => ...` is
 * called when the run starts, in the process that starts it, only when no value is given.
 */
export interface ParameterContext {
  /** The flow's name (its class name). */
  flowName: string;
  /** The parameter's command-line name (`alpha` for `--alpha`). */
  parameterName: string;
  /** Who starts the run (`CAIRN_USER`, else the OS user). */
  user: string;
  /** The absolute path of the flow file. */
  flowFile: string | undefined;
  /**
   * Values of the other parameters, by field name: every parameter whose value comes from the
   * command line, the environment or a plain default, and the callable defaults declared above
   * this one.
   */
  parameters: Readonly<Record<string, unknown>>;
}

/** A default computed when the run starts. */
export type DefaultFunction<T> = (ctx: ParameterContext) => T;

/** A JSON value: what a `type: 'json'` parameter holds. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

interface BaseOptions {
  /** Shown by `cairn run <flow> --help` and `cairn show`. */
  help?: string;
  /** The run fails before it starts when no value is given (there must be no default then). */
  required?: boolean;
}

/** Options of `Parameter(name, options)`. */
export interface ParameterOptions<T = unknown> extends BaseOptions {
  /**
   * The value when neither `--<name>` nor `CAIRN_RUN_<NAME>` is given; also sets the type. A
   * function is called with a `ParameterContext` when the run starts (give `type` unless it
   * returns a string).
   */
  default?: T | DefaultFunction<T>;
  /** `string` (the default without a default value), `number`, `int` (a whole number), `boolean` or `json`. */
  type?: ParameterType;
  /** Splits a string parameter into a list of strings (`'a,b'` → `['a', 'b']`). */
  separator?: string;
}

/** Options of `IncludeFile(name, options)`. */
export interface IncludeFileOptions extends BaseOptions {
  /** The contents as a string (true, the default) or as a `Buffer` (false). */
  isText?: boolean;
  /** The file to read when no path is given, relative to the flow file's folder. */
  default?: string;
  /** How a text file is decoded (default `utf8`). */
  encoding?: BufferEncoding;
}

/** What the orchestrator knows about one parameter (from the marker it finds on the flow instance). */
export interface ParameterDefinition {
  kind: 'parameter' | 'file';
  /** The command-line name: `--<name>`, and `CAIRN_RUN_<NAME>` in the environment. */
  name: string;
  /** For a file: `string` (its path); `isText` says what the contents become. */
  type: ParameterType;
  help: string | undefined;
  required: boolean;
  hasDefault: boolean;
  /** The default as given (for a list parameter: the unsplit string; for a file: its path; or the function). */
  default: unknown;
  /** The default is a function, called with a `ParameterContext` when the run starts. */
  computed: boolean;
  separator: string | undefined;
  /** For a file. */
  isText: boolean;
  encoding: BufferEncoding;
}

const MARKER = Symbol.for('cairn.parameter');

/** The object `Parameter()` and `IncludeFile()` return; steps see the run's value in its place. */
class ParameterMarker {
  readonly [MARKER]: ParameterDefinition;
  constructor(definition: ParameterDefinition) {
    this[MARKER] = definition;
    Object.freeze(this);
  }
  toString(): string {
    const d = this[MARKER];
    return `[${d.kind === 'file' ? 'IncludeFile' : 'Parameter'} --${d.name}]`;
  }
}

/** The definition behind a marker, or undefined when `value` is not one. */
export function parameterDefinitionOf(value: unknown): ParameterDefinition | undefined {
  if (typeof value !== 'object' || value === null || !(MARKER in value)) return undefined;
  return (value as { [MARKER]: ParameterDefinition })[MARKER];
}

/** Command-line names: a letter, then letters, digits, `-` or `_`. */
const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

function fail(what: string, name: unknown, message: string): never {
  const label = typeof name === 'string' ? JSON.stringify(name) : '';
  throw new CairnError('INVALID_FLOW', `${what}(${label}): ${message}`);
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' || v === undefined) return String(v);
  if (typeof v === 'function') return 'a function';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** True for JSON values (plain objects and arrays of them, finite numbers, strings, booleans, null). */
export function isJsonValue(v: unknown, seen = new Set<object>()): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v !== 'object') return false;
  if (seen.has(v)) return false;
  seen.add(v);
  const proto = Object.getPrototypeOf(v);
  const ok = Array.isArray(v)
    ? v.every((x) => isJsonValue(x, seen))
    : (proto === Object.prototype || proto === null) && Object.values(v).every((x) => isJsonValue(x, seen));
  seen.delete(v);
  return ok;
}

function checkCommon(what: string, name: unknown, options: object, allowed: readonly string[]): asserts name is string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    fail(what, name, `the name must start with a letter and contain only letters, digits, '-' and '_' (it becomes the option --name); got ${show(name)}.`);
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    fail(what, name, `the options must be an object, like { default: ... }; got ${show(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) fail(what, name, `unknown option '${key}'. The options are: ${allowed.join(', ')}.`);
  }
  const o = options as BaseOptions;
  if (o.help !== undefined && typeof o.help !== 'string') fail(what, name, `help must be a string; got ${show(o.help)}.`);
  if (o.required !== undefined && typeof o.required !== 'boolean') fail(what, name, `required must be true or false; got ${show(o.required)}.`);
}

function typeOfDefault(v: unknown): ParameterType | undefined {
  if (typeof v === 'function') return 'string';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'object') return 'json';
  return undefined;
}

/** Whether `v` is a value of `type` (a list parameter's default is its unsplit text). */
export function valueMatches(type: ParameterType, v: unknown): boolean {
  if (type === 'json') return isJsonValue(v);
  if (type === 'number') return typeof v === 'number' && Number.isFinite(v);
  if (type === 'int') return Number.isSafeInteger(v);
  return typeof v === type;
}

/** What a value of `type` is, for messages: `a whole number`, `a JSON value`... */
export function typeDescription(type: ParameterType): string {
  return type === 'int' ? 'a whole number' : type === 'json' ? 'a JSON value' : `a ${type}`;
}

/** Validates `Parameter()` options and returns the definition (throws `INVALID_FLOW`). */
export function defineParameter(name: unknown, options: ParameterOptions = {}): ParameterDefinition {
  const what = 'Parameter';
  checkCommon(what, name, options, ['default', 'type', 'help', 'required', 'separator']);
  const hasDefault = options.default !== undefined;
  if (options.type !== undefined && !TYPES.includes(options.type)) {
    fail(what, name, `type must be one of ${TYPES.map((t) => `'${t}'`).join(', ')}; got ${show(options.type)}.`);
  }
  const inferred = hasDefault ? typeOfDefault(options.default) : 'string';
  if (inferred === undefined) {
    fail(what, name, `the default ${show(options.default)} cannot be a parameter value. Give a string, a number, a boolean or a JSON value.`);
  }
  const type = options.type ?? inferred;
  const computed = typeof options.default === 'function';
  if (hasDefault && !computed && !valueMatches(type, options.default)) {
    const why = type === 'json' ? 'is not a JSON value (plain objects, arrays, strings, finite numbers, booleans, null)' : `is not ${typeDescription(type)}`;
    fail(what, name, `the default ${show(options.default)} ${why}, but the type is '${type}'. Change the default or the type.`);
  }
  if (options.separator !== undefined) {
    if (typeof options.separator !== 'string' || options.separator === '') {
      fail(what, name, `separator must be a non-empty string; got ${show(options.separator)}.`);
    }
    if (type !== 'string') fail(what, name, `separator is only allowed for string parameters, and this one is a ${type}.`);
  }
  if (options.required && hasDefault) {
    fail(what, name, 'a required parameter cannot have a default (a default makes it optional). Remove one of them.');
  }
  return {
    kind: 'parameter', name, type, help: options.help, required: options.required === true, hasDefault,
    default: options.default, computed, separator: options.separator, isText: false, encoding: 'utf8',
  };
}

/** Validates `IncludeFile()` options and returns the definition (throws `INVALID_FLOW`). */
export function defineIncludeFile(name: unknown, options: IncludeFileOptions = {}): ParameterDefinition {
  const what = 'IncludeFile';
  checkCommon(what, name, options, ['isText', 'required', 'default', 'encoding', 'help']);
  if (options.isText !== undefined && typeof options.isText !== 'boolean') fail(what, name, `isText must be true or false; got ${show(options.isText)}.`);
  const isText = options.isText ?? true;
  if (options.default !== undefined && (typeof options.default !== 'string' || options.default === '')) {
    fail(what, name, `the default must be the path of a file, as a string; got ${show(options.default)}.`);
  }
  if (options.encoding !== undefined) {
    if (typeof options.encoding !== 'string' || !Buffer.isEncoding(options.encoding)) fail(what, name, `encoding ${show(options.encoding)} is not an encoding Node knows (try 'utf8' or 'latin1').`);
    if (!isText) fail(what, name, 'encoding applies to text files only; remove it or set isText: true.');
  }
  if (options.required && options.default !== undefined) {
    fail(what, name, 'a required file cannot have a default (a default makes it optional). Remove one of them.');
  }
  return {
    kind: 'file', name, type: 'string', help: options.help, required: options.required === true,
    hasDefault: options.default !== undefined, default: options.default, computed: false, separator: undefined, isText,
    encoding: options.encoding ?? 'utf8',
  };
}

/** Options that make a value always present: a default, or `required: true`. */
type Definite = { required: true } | { default: {} | null };
type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T;
interface ScalarTypes { string: string; number: number; int: number; boolean: boolean }
type Base<T> = Omit<ParameterOptions<T>, 'type' | 'separator' | 'default'>;
type ListOptions = Base<string> & { separator: string; type?: 'string'; default?: string };
type JsonOptions<T> = Base<T> & { type: 'json'; default?: T };
type NamedOptions<K extends keyof ScalarTypes> = Base<ScalarTypes[K]> & { type: K; separator?: K extends 'string' ? string : never; default?: ScalarTypes[K] };
type TypeNameOf<T> = T extends string ? 'string' : T extends number ? 'number' | 'int' : T extends boolean ? 'boolean' : 'json';
/** A default value (not a function): what the type of a parameter is inferred from. */
type Value = string | number | boolean | null | readonly unknown[] | { [key: string]: unknown };
type ScalarOptions<T> = Base<T> & { type?: TypeNameOf<Widen<T>>; default?: T };
/** With a default function. Without `type`, it must return a string (the type of a parameter without a default). */
type Computed<O, T> = Omit<O, 'default'> & { default: DefaultFunction<T> };

/**
 * A run parameter, given as `--<name> VALUE` to `cairn run`, or `CAIRN_RUN_<NAME>` in the
 * environment, else its default. Assign it to a field: the field name is the artifact's name.
 *
 * ```ts
 * alpha = Parameter('alpha', { default: 0.01, help: 'learning rate' });   // number
 * dataset = Parameter<string>('dataset', { required: true });
 * config = Parameter('config', { type: 'json', default: { depth: 3 } });
 * tags = Parameter('tags', { default: 'a,b', separator: ',' });           // string[]
 * epochs = Parameter('epochs', { type: 'int', default: 10 });             // number, refuses 2.5
 * out = Parameter('out', { default: (ctx) => `/tmp/${ctx.user}` });       // computed when the run starts
 * ```
 * Without a default and not required, the value is `undefined` when none is given.
 *
 * @example
 * ```ts
 * export class TrainFlow extends FlowSpec {
 *   alpha = Parameter('alpha', { default: 0.01 });   // npx cairn run flow.ts --alpha 0.1
 *   @step start() { console.log(this.alpha); this.next(this.end); }
 *   @step end() {}
 * }
 * ```
 */
export function Parameter(name: string, options: Computed<ListOptions, string>): string[];
export function Parameter<T = JsonValue>(name: string, options: Computed<JsonOptions<T>, T>): T;
export function Parameter<K extends keyof ScalarTypes>(name: string, options: Computed<NamedOptions<K>, ScalarTypes[K]>): ScalarTypes[K];
export function Parameter(name: string, options: Computed<ScalarOptions<string>, string>): string;
export function Parameter(name: string, options: ListOptions & Definite): string[];
export function Parameter(name: string, options: ListOptions): string[] | undefined;
export function Parameter<T = JsonValue>(name: string, options: JsonOptions<T> & Definite): T;
export function Parameter<T = JsonValue>(name: string, options: JsonOptions<T>): T | undefined;
export function Parameter<K extends keyof ScalarTypes>(name: string, options: NamedOptions<K> & Definite): ScalarTypes[K];
export function Parameter<K extends keyof ScalarTypes>(name: string, options: NamedOptions<K>): ScalarTypes[K] | undefined;
export function Parameter<T extends Value>(name: string, options: ScalarOptions<T> & Definite): Widen<T>;
export function Parameter<T extends Value = string>(name: string, options?: ScalarOptions<T>): Widen<T> | undefined;
export function Parameter(name: string, options?: ParameterOptions): unknown {
  return new ParameterMarker(defineParameter(name, options));
}

/**
 * A file whose contents become an artifact: `--<name> PATH` (or `CAIRN_RUN_<NAME>`, or the
 * default path). The field holds the contents, a string (`isText`, the default) or a `Buffer`.
 *
 * @example
 * ```ts
 * data = IncludeFile('data', { default: 'data.csv' });   // relative to the flow file; --data other.csv
 * ```
 */
export function IncludeFile(name: string, options: IncludeFileOptions & { isText: false } & Definite): Buffer;
export function IncludeFile(name: string, options: IncludeFileOptions & { isText: false }): Buffer | undefined;
export function IncludeFile(name: string, options: IncludeFileOptions & Definite): string;
export function IncludeFile(name: string, options?: IncludeFileOptions): string | undefined;
export function IncludeFile(name: string, options?: IncludeFileOptions): unknown {
  return new ParameterMarker(defineIncludeFile(name, options));
}
