/**
 * A run's parameter values: from `--<name> VALUE` on the command line, else `CAIRN_RUN_<NAME>` in
 * the environment, else the default (a default function is called last, with the values known so
 * far). Every value is checked before anything runs; all problems are reported together.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { CairnError } from '../errors.js';
import { currentUser } from '../core/identity.js';
import { isJsonValue, typeDescription, valueMatches, type JsonValue, type ParameterContext, type ParameterDefinition } from '../authoring/parameter.js';

/** A parameter found on a flow: its definition and the field (artifact name) that holds it. */
export interface FlowParameter extends ParameterDefinition {
  field: string;
}

export interface ResolveOptions {
  /**
   * Values from the command line, by option name (what the argument parser collected); `true` for
   * an option given without a value (`--verbose`: a boolean flag).
   */
  given?: Readonly<Record<string, ReadonlyArray<GivenValue>>>;
  /** Where `CAIRN_RUN_<NAME>` is looked up (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Where relative paths given on the command line or in the environment start (default `process.cwd()`). */
  cwd?: string;
  /** The flow file: an `IncludeFile` default path is relative to its folder; default functions see it. */
  flowFile?: string;
  /** Who starts the run, for default functions (default: `currentUser(env)`). */
  user?: string;
  /** The command's own option names, to suggest one for a mistyped option (`--max-wrokers`). */
  commandOptions?: readonly string[];
}

/** One command-line value: its text, or `true` for an option given without one (`--verbose`). */
export type GivenValue = string | true;

export interface ResolvedParameter {
  param: FlowParameter;
  /** What steps see. */
  value: unknown;
  /** What the run records for display: the value, or a file's path; null when there is none. */
  display: JsonValue;
  source: 'cli' | 'env' | 'default' | 'none';
}

/** `CAIRN_RUN_<NAME>`: the name in upper case, `-` as `_`. */
export function envVarName(name: string): string {
  return `CAIRN_RUN_${name.toUpperCase().replace(/-/g, '_')}`;
}

const TRUE = ['true', 't', 'yes', 'y', 'on', '1'];
const FALSE = ['false', 'f', 'no', 'n', 'off', '0'];

type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

/** Splits a list parameter's text: items are trimmed; empty text is an empty list. */
export function splitList(text: string, separator: string): string[] {
  return text.trim() === '' ? [] : text.split(separator).map((s) => s.trim());
}

/** Turns the text of a (non-file) parameter into its value; `label` names where it came from. */
export function parseParameterText(p: ParameterDefinition, text: string, label: string): Parsed {
  const bad = (expects: string, detail = ''): Parsed => ({ ok: false, message: `${label} expects ${expects}; got '${text}'${detail}.` });
  switch (p.type) {
    case 'string':
      return { ok: true, value: p.separator !== undefined ? splitList(text, p.separator) : text };
    case 'number': {
      const n = Number(text);
      return text.trim() !== '' && Number.isFinite(n) ? { ok: true, value: n } : bad('a number');
    }
    case 'int': {
      const n = Number(text);
      if (/^\s*[+-]?\d+\s*$/.test(text) && Number.isSafeInteger(n)) return { ok: true, value: n };
      return bad('a whole number (int)', /^\s*[+-]?\d+\s*$/.test(text) ? `, which is too large to be exact` : '');
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (TRUE.includes(t)) return { ok: true, value: true };
      if (FALSE.includes(t)) return { ok: true, value: false };
      return bad('a boolean (true or false)');
    }
    case 'json':
      try {
        return { ok: true, value: JSON.parse(text) as unknown };
      } catch (e) {
        return bad('JSON', ` (${(e as Error).message})`);
      }
  }
}

/** Reads an `IncludeFile`; `folder` says which folder a relative path starts from, for the message. */
function readIncluded(p: FlowParameter, path: string, from: string, cwd: string, folder?: string): Parsed {
  try {
    const bytes = readFileSync(resolve(cwd, path));
    return { ok: true, value: p.isText ? bytes.toString(p.encoding) : bytes };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `no such file${folder && !isAbsolute(path) ? ` in ${cwd}, ${folder}` : ''}` : (e as Error).message;
    return { ok: false, message: `${from}: cannot read the file ${path} (${why}). Check the path.` };
  }
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

function unknownOption(flow: string, option: string, params: readonly FlowParameter[], commandOptions: readonly string[]): string {
  const names = [...params.map((p) => p.name), ...commandOptions];
  const close = names.find((n) => n.toLowerCase() === option.toLowerCase()) ?? names.find((n) => editDistance(n, option) <= 2);
  const hint = close ? ` Did you mean --${close}?` : '';
  if (params.length === 0) {
    return `Unknown option --${option} for \`run\`.${hint} ${flow} has no parameters; run \`cairn run --help\` to see the options of run.`;
  }
  return (
    `Unknown option --${option} for \`run\`.${hint} ` +
    `The parameters of ${flow} are: ${params.map((p) => `--${p.name}`).join(', ')}. ` +
    'Run `cairn run <flow.ts> --help` to see them with the options of run.'
  );
}

function display(p: FlowParameter, value: unknown, text: string | undefined): JsonValue {
  if (p.kind === 'file') return text ?? null;
  return value === undefined ? null : (value as JsonValue);
}

/** Where relative paths start: the command line's folder, and the flow file's folder for a default. */
interface Folders {
  cwd: string;
  defaults: string;
  /** Defaults are relative to the flow file's folder (not the working folder). */
  flowRelative: boolean;
}

/** Marks a parameter whose value comes from its default function (computed once the others are known). */
const COMPUTED = Symbol('computed');

/** The value of one parameter, or the problem with it. */
function resolveOne(p: FlowParameter, given: ReadonlyArray<GivenValue> | undefined, env: NodeJS.ProcessEnv, dirs: Folders): ResolvedParameter | string | typeof COMPUTED {
  const envName = envVarName(p.name);
  if (given && given.length > 1) return `--${p.name} was given ${given.length} times; give it once.`;
  let text: string | undefined;
  let label: string;
  let source: ResolvedParameter['source'];
  if (given?.[0] === true) {
    if (p.kind === 'parameter' && p.type === 'boolean') return { param: p, value: true, display: true, source: 'cli' };
    return `--${p.name} needs a value (${p.kind === 'file' ? 'a file path' : typeDescription(p.type)}): write --${p.name} VALUE.`;
  }
  if (given?.length) {
    [text, label, source] = [given[0]!, `--${p.name}`, 'cli'];
  } else if (env[envName] !== undefined) {
    [text, label, source] = [env[envName]!, `${envName} (for --${p.name})`, 'env'];
  } else if (p.hasDefault) {
    if (p.computed) return COMPUTED;
    if (p.kind === 'file') {
      const parsed = readIncluded(p, p.default as string, `The default of --${p.name}`, dirs.defaults, dirs.flowRelative ? "the flow file's folder" : undefined);
      return parsed.ok ? { param: p, value: parsed.value, display: p.default as string, source: 'default' } : parsed.message;
    } else {
      const value = p.separator !== undefined ? splitList(p.default as string, p.separator) : p.default;
      return { param: p, value, display: display(p, value, undefined), source: 'default' };
    }
  } else if (p.required) {
    const what = p.kind === 'file' ? 'PATH' : 'VALUE';
    return `--${p.name} is required: give --${p.name} ${what} or set ${envName}.`;
  } else {
    return { param: p, value: undefined, display: null, source: 'none' };
  }
  const parsed = p.kind === 'file' ? readIncluded(p, text, label, dirs.cwd) : parseParameterText(p, text, label);
  if (!parsed.ok) return parsed.message;
  return { param: p, value: parsed.value, display: display(p, parsed.value, text), source };
}

/**
 * `--no-<name>` for a boolean parameter `<name>`: given without a value, it means false (unless
 * the flow has a parameter named `no-<name>` itself). A value after it is a problem.
 */
function negatedFlags(
  params: readonly FlowParameter[],
  given: Readonly<Record<string, ReadonlyArray<GivenValue>>>,
  problems: string[],
): Record<string, ReadonlyArray<GivenValue>> {
  const out: Record<string, ReadonlyArray<GivenValue>> = { ...given };
  const names = new Set(params.map((p) => p.name));
  for (const [option, values] of Object.entries(given)) {
    if (!option.startsWith('no-') || names.has(option)) continue;
    const p = params.find((x) => x.name === option.slice(3) && x.kind === 'parameter' && x.type === 'boolean');
    if (!p) continue;
    delete out[option];
    if (values.some((v) => v !== true)) {
      problems.push(`--${option} takes no value: write --${option} alone, or --${p.name} VALUE.`);
      continue;
    }
    out[p.name] = [...(out[p.name] ?? []), ...values.map(() => 'false')];
  }
  return out;
}

/** Calls a parameter's default function and checks what it returns. */
function computeDefault(p: FlowParameter, ctx: ParameterContext): ResolvedParameter | string {
  let value: unknown;
  try {
    value = (p.default as (ctx: ParameterContext) => unknown)(ctx);
  } catch (e) {
    return `The default function of --${p.name} threw: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}. Fix it, or give --${p.name} a value.`;
  }
  if (value instanceof Promise) {
    void value.catch(() => undefined);
    return `The default function of --${p.name} returned a Promise; it must return the value itself (default functions run before the run starts, and are not awaited).`;
  }
  const expects = p.separator !== undefined ? 'a string (split by the separator) or an array of strings' : typeDescription(p.type);
  const ok = p.separator !== undefined
    ? typeof value === 'string' || (Array.isArray(value) && value.every((x) => typeof x === 'string'))
    : value === undefined || valueMatches(p.type, value);
  if (!ok) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : isJsonValue(value) ? JSON.stringify(value) : String(value);
    const hint = p.type === 'string' && p.separator === undefined && typeof value !== 'string' ? ` Give the parameter a type (type: 'number', 'int', 'boolean' or 'json'), or return a string.` : '';
    return `The default function of --${p.name} returned ${shown}, which is not ${expects} (the type of --${p.name} is '${p.type}').${hint}`;
  }
  const v = p.separator !== undefined && typeof value === 'string' ? splitList(value, p.separator) : value;
  return { param: p, value: v, display: display(p, v, undefined), source: 'default' };
}

/**
 * Resolves every parameter of a flow, in order: command line, environment, default. Throws
 * `INVALID_ARGUMENT` naming every problem: options that are not parameters, missing required
 * values, values of the wrong type, files that cannot be read.
 */
export function resolveParameters(flow: string, params: readonly FlowParameter[], options: ResolveOptions = {}): ResolvedParameter[] {
  const problems: string[] = [];
  const given = negatedFlags(params, options.given ?? {}, problems);
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const dirs: Folders = { cwd, defaults: options.flowFile ? dirname(resolve(cwd, options.flowFile)) : cwd, flowRelative: options.flowFile !== undefined };
  const names = new Set(params.map((p) => p.name));
  for (const option of Object.keys(given)) if (!names.has(option)) problems.push(unknownOption(flow, option, params, options.commandOptions ?? []));
  const byParam = new Map<FlowParameter, ResolvedParameter>();
  const computed: FlowParameter[] = [];
  for (const p of params) {
    const r = resolveOne(p, Object.prototype.hasOwnProperty.call(given, p.name) ? given[p.name] : undefined, env, dirs);
    if (r === COMPUTED) computed.push(p);
    else if (typeof r === 'string') problems.push(r);
    else byParam.set(p, r);
  }
  if (computed.length > 0 && problems.length === 0) {
    const known: Record<string, unknown> = Object.fromEntries([...byParam.values()].map((r) => [r.param.field, r.value]));
    const base = { flowName: flow, user: options.user ?? currentUser(env), flowFile: options.flowFile ? resolve(cwd, options.flowFile) : undefined };
    for (const p of computed) {
      const r = computeDefault(p, { ...base, parameterName: p.name, parameters: Object.freeze({ ...known }) });
      if (typeof r === 'string') problems.push(r);
      else {
        byParam.set(p, r);
        known[p.field] = r.value;
      }
    }
  }
  const resolved = params.flatMap((p) => byParam.get(p) ?? []);
  if (problems.length === 1) throw new CairnError('INVALID_ARGUMENT', problems[0]!);
  if (problems.length > 1) {
    throw new CairnError('INVALID_ARGUMENT', `The parameters of ${flow} have ${problems.length} problems:\n${problems.map((m) => `  ${m}`).join('\n')}`);
  }
  return resolved;
}
