/**
 * `run --with SPEC`: step decorators added to every step of a run, as Metaflow's `--with`. A spec
 * is `name` or `name:key=value,key=value` (`retry`, `timeout:seconds=60`,
 * `environment:vars={"A":"1"}`); values are read by the option's kind, and the options are
 * checked exactly as the decorator's own (`decoratorOptions`). A step that has the decorator
 * already keeps its own options.
 */
import { CairnError } from '../errors.js';
import { camelCase, decoratorOptions, STEP_DECORATORS, type OptionKind } from '../authoring/decorators.js';
import type { FlowGraph } from '../graph/types.js';

/** One decorator given with `--with`, checked. */
export interface DecoratorSpec {
  /** As given on the command line. */
  spec: string;
  /** The decorator's name (`catch` is read as `catchError`, as Metaflow calls it). */
  name: string;
  /** What is recorded for it, as if it were written on the step. */
  options: Record<string, unknown>;
}

const ALIASES: Record<string, string> = { catch: 'catchError' };

/** How to write the decorators that cannot be given bare. */
const EXAMPLES: Record<string, string> = { timeout: 'seconds=60', environment: 'vars={"NAME":"value"}' };

function bad(spec: string, what: string): CairnError {
  return new CairnError('INVALID_ARGUMENT', `--with ${spec}: ${what}`);
}

/** Splits `a=1,b={"x":1,"y":2},c='p,q'` at the commas that are not inside brackets or quotes. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts;
}

function unquote(text: string): string {
  const t = text.trim();
  return t.length >= 2 && (t[0] === '"' || t[0] === "'") && t.at(-1) === t[0] ? t.slice(1, -1) : t;
}

function readValue(spec: string, key: string, kind: OptionKind, text: string): unknown {
  const t = text.trim();
  switch (kind) {
    case 'number': {
      const n = Number(t);
      if (t === '' || !Number.isFinite(n)) throw bad(spec, `${key} takes a number; got ${JSON.stringify(text)}.`);
      return n;
    }
    case 'boolean': {
      const v = t.toLowerCase();
      if (v === 'true') return true;
      if (v === 'false') return false;
      throw bad(spec, `${key} takes true or false; got ${JSON.stringify(text)}.`);
    }
    case 'string':
      return unquote(t);
    case 'json':
      try {
        return JSON.parse(t) as unknown;
      } catch (e) {
        throw bad(spec, `${key} takes JSON (for example ${key}={"NAME":"value"}); got ${JSON.stringify(text)} (${(e as Error).message}).`);
      }
  }
}

/** Reads one `--with` spec; throws `INVALID_ARGUMENT` saying what is wrong and how to write it. */
export function parseDecoratorSpec(spec: string): DecoratorSpec {
  const colon = spec.indexOf(':');
  const given = (colon < 0 ? spec : spec.slice(0, colon)).trim();
  const name = ALIASES[given] ?? given;
  const def = STEP_DECORATORS[name];
  if (!def) {
    const known = Object.keys(STEP_DECORATORS).join(', ');
    throw bad(spec, given === '' ? `give a decorator name, like --with retry or --with timeout:seconds=60. The step decorators are: ${known}.` : `there is no step decorator named ${given}. The step decorators are: ${known}.`);
  }
  let options: Record<string, unknown> | undefined;
  if (colon >= 0) {
    options = {};
    const body = spec.slice(colon + 1);
    if (body.trim() === '') throw bad(spec, `give options after the colon (name:key=value,key=value), or write --with ${given} alone.`);
    for (const part of splitTopLevel(body)) {
      const eq = part.indexOf('=');
      if (eq < 0) throw bad(spec, `${JSON.stringify(part)} is not key=value. Write options as ${given}:key=value,key=value.`);
      const rawKey = part.slice(0, eq).trim();
      const key = rawKey in def.options ? rawKey : camelCase(rawKey);
      const kind = def.options[key];
      if (!kind) throw bad(spec, `unknown option '${rawKey}'. The options of ${name} are: ${Object.keys(def.options).join(', ')}.`);
      if (key in options) throw bad(spec, `${key} is given twice.`);
      options[key] = readValue(spec, key, kind, part.slice(eq + 1));
    }
  }
  if (options === undefined && def.needs) {
    throw bad(spec, `${name} needs options: write --with ${name}:${EXAMPLES[name] ?? 'key=value'}.`);
  }
  try {
    return { spec, name, options: decoratorOptions(name, options, `--with ${spec}`) };
  } catch (e) {
    if (e instanceof CairnError) throw new CairnError('INVALID_ARGUMENT', e.message, { cause: e });
    throw e;
  }
}

/** Reads every `--with` spec; a decorator given twice is refused. */
export function parseDecoratorSpecs(specs: readonly string[]): DecoratorSpec[] {
  const out: DecoratorSpec[] = [];
  for (const spec of specs) {
    const d = parseDecoratorSpec(spec);
    const twin = out.find((o) => o.name === d.name);
    if (twin) throw bad(spec, `${d.name} is also given as --with ${twin.spec}. Give each decorator once.`);
    out.push(d);
  }
  return out;
}

/**
 * The decorators of each step of a run: its own, and those given with `--with` that it does not
 * have. Refuses `--with catchError` on a flow with a foreach or switch step (which cannot have it).
 */
export function stepDecorators(
  graph: FlowGraph,
  own: ReadonlyMap<string, Record<string, Record<string, unknown>>>,
  specs: readonly DecoratorSpec[],
): Map<string, Record<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, Record<string, unknown>>>();
  for (const name of graph.steps.keys()) {
    const mine = own.get(name) ?? {};
    const added = Object.fromEntries(specs.filter((s) => !(s.name in mine)).map((s) => [s.name, s.options]));
    out.set(name, { ...added, ...mine });
  }
  const c = specs.find((s) => s.name === 'catchError');
  if (c) {
    const blocked = [...graph.steps.values()].filter((n) => (n.type === 'foreach' || n.type === 'switch') && !('catchError' in (own.get(n.name) ?? {})));
    if (blocked.length > 0) {
      throw bad(
        c.spec,
        `${blocked.map((n) => `${n.name} (a ${n.type})`).join(', ')} cannot have @catchError: after a failure there is nothing to split over or switch on. ` +
          'Put @catchError on the steps that need it instead of using --with.',
      );
    }
  }
  return out;
}
