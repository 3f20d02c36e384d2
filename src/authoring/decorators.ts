/**
 * Step decorators. Each records its validated options on the flow class; they stack with `@step`
 * in any order. What they do happens in the runtime: retries and time-outs in the orchestrator,
 * environment variables and caught failures in the worker.
 *
 * Each can be written with options (`@retry({ times: 2 })`, `@retry()`) and, where every option
 * has a default, bare, as in Metaflow (`@retry`). Options are checked by `decoratorOptions`, which
 * `run --with` uses too; a problem is recorded on the step (and `check` reports it) rather than
 * thrown while the class is being defined.
 */
import { CairnError } from '../errors.js';
import { appendDecorator, recordDecorator, recordDecoratorProblem } from './metadata.js';

type StepMethod = (this: unknown, ...args: never[]) => unknown;
type MethodDecorator = <M extends StepMethod>(method: M, context: ClassMethodDecoratorContext) => M;

/** Most attempts a task gets: the first, up to four retries, and a fallback for `@catchError`. */
export const MAX_ATTEMPTS = 6;
export const MAX_RETRIES = MAX_ATTEMPTS - 2;

export interface RetryOptions {
  /** How many times to re-run a failed task (default 3). */
  times?: number;
  /** Minutes to wait before each retry (default 0). */
  minutesBetweenRetries?: number;
}

export interface CatchErrorOptions {
  /** Artifact that receives `{ type, message, stack }` of the caught failure (null when the step succeeds). */
  var?: string;
  /** Print the caught exception on the console (default true). */
  printException?: boolean;
}

export interface TimeoutOptions {
  seconds?: number;
  minutes?: number;
  hours?: number;
}

export interface EnvironmentOptions {
  vars: Record<string, string>;
}

export interface CacheOptions {
  /** `false` turns the step cache off for this step, even with `run --cache` (default true). */
  enabled?: boolean;
}

export interface ResourcesOptions {
  cpu?: number;
  /** Megabytes. */
  memory?: number;
  gpu?: number;
}

export interface CardOptions {
  /** `default` (the task's artifacts, metadata, source and graph, plus your components) or `blank` (only your components). Default `default`. */
  type?: 'default' | 'blank';
  /** Tells several cards of a step apart (1 to 64 letters, digits, `_` or `-`); default: the type. */
  id?: string;
  /** Seconds that rendering the card may take after the step (default 45); past it the card records a timeout. */
  timeout?: number;
  /** For a live card (`current.card.refresh()`): at most how often, in seconds, it is rewritten while the task runs (default 1). */
  refreshInterval?: number;
}

/** One `@card` of a step, as recorded (every option resolved). */
export interface CardSpec {
  type: 'default' | 'blank';
  id: string;
  /** Seconds. */
  timeout: number;
  /** Seconds. */
  refreshInterval: number;
}

export const CARD_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** What kind of value an option takes (how `run --with` reads `key=value`). */
export type OptionKind = 'number' | 'string' | 'boolean' | 'json';

/** How one step decorator reads its options. */
interface DecoratorDefinition {
  options: Record<string, OptionKind>;
  /** How to write it when it cannot be used bare (it has a required option); undefined: bare is fine. */
  needs?: string;
  /** Checks the options (every key is known) and returns what is recorded; calls `bad` on a problem. */
  normalize(o: Record<string, unknown>, bad: (what: string) => never): Record<string, unknown>;
}

function number(bad: (what: string) => never, name: string, v: unknown, opts: { integer?: boolean; min?: number; max?: number } = {}): number | undefined {
  if (v === undefined) return undefined;
  const ok = typeof v === 'number' && Number.isFinite(v) && (!opts.integer || Number.isInteger(v));
  if (!ok || (opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
    const range = opts.max !== undefined ? ` from ${opts.min ?? 0} to ${opts.max}` : opts.min !== undefined ? ` of at least ${opts.min}` : '';
    return bad(`${name} must be a ${opts.integer ? 'whole ' : ''}number${range}; got ${JSON.stringify(v)}.`);
  }
  return v;
}

/** The step decorators, by name. */
export const STEP_DECORATORS: Readonly<Record<string, DecoratorDefinition>> = {
  retry: {
    options: { times: 'number', minutesBetweenRetries: 'number' },
    normalize: (o, bad) => ({
      times: number(bad, 'times', o['times'], { integer: true, min: 0, max: MAX_RETRIES }) ?? 3,
      minutesBetweenRetries: number(bad, 'minutesBetweenRetries', o['minutesBetweenRetries'], { min: 0 }) ?? 0,
    }),
  },
  catchError: {
    options: { var: 'string', printException: 'boolean' },
    normalize: (o, bad) => {
      const v = o['var'];
      if (v !== undefined && (typeof v !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(v))) bad(`var must be an artifact name; got ${JSON.stringify(v)}.`);
      const p = o['printException'];
      if (p !== undefined && typeof p !== 'boolean') bad(`printException must be true or false; got ${JSON.stringify(p)}.`);
      return { var: v, printException: p !== false };
    },
  },
  timeout: {
    options: { seconds: 'number', minutes: 'number', hours: 'number' },
    needs: 'a duration: write @timeout({ seconds: 60 }) (or minutes, hours)',
    normalize: (o, bad) => {
      const s = number(bad, 'seconds', o['seconds'], { min: 0 }) ?? 0;
      const m = number(bad, 'minutes', o['minutes'], { min: 0 }) ?? 0;
      const h = number(bad, 'hours', o['hours'], { min: 0 }) ?? 0;
      const seconds = s + m * 60 + h * 3600;
      if (seconds <= 0) bad('give a positive duration, e.g. @timeout({ minutes: 5 }).');
      return { seconds };
    },
  },
  environment: {
    options: { vars: 'json' },
    needs: "variables: write @environment({ vars: { NAME: 'value' } })",
    normalize: (o, bad) => {
      const vars = o['vars'];
      if (typeof vars !== 'object' || vars === null || Array.isArray(vars)) return bad('pass { vars: { NAME: "value" } }.');
      for (const [k, v] of Object.entries(vars)) {
        if (typeof v !== 'string') bad(`the value of ${k} must be a string; got ${typeof v}.`);
      }
      return { vars: { ...(vars as Record<string, string>) } };
    },
  },
  resources: {
    options: { cpu: 'number', memory: 'number', gpu: 'number' },
    normalize: (o, bad) => ({
      cpu: number(bad, 'cpu', o['cpu'], { min: 0 }),
      memory: number(bad, 'memory', o['memory'], { min: 0 }),
      gpu: number(bad, 'gpu', o['gpu'], { integer: true, min: 0 }),
    }),
  },
  card: {
    options: { type: 'string', id: 'string', timeout: 'number', refreshInterval: 'number' },
    normalize: (o, bad) => {
      const type = o['type'] ?? 'default';
      if (type !== 'default' && type !== 'blank') bad(`type must be 'default' or 'blank'; got ${JSON.stringify(type)}.`);
      const id = o['id'] ?? type;
      if (typeof id !== 'string' || !CARD_ID.test(id)) bad(`id must be 1 to 64 letters, digits, _ or -, like @card({ id: 'metrics' }); got ${JSON.stringify(id)}.`);
      const spec: CardSpec = {
        type: type as CardSpec['type'],
        id: id as string,
        timeout: number(bad, 'timeout', o['timeout'], { min: 0.001 }) ?? 45,
        refreshInterval: number(bad, 'refreshInterval', o['refreshInterval'], { min: 0.05 }) ?? 1,
      };
      // Several @card decorators on one step are kept as a list (see `decorateCard`).
      return { cards: [spec] };
    },
  },
  cache: {
    options: { enabled: 'boolean' },
    normalize: (o, bad) => {
      const e = o['enabled'];
      if (e !== undefined && typeof e !== 'boolean') bad(`enabled must be true or false; got ${JSON.stringify(e)}.`);
      return { enabled: e !== false };
    },
  },
};

/** `minutes_between_retries` → `minutesBetweenRetries` (Metaflow spells options in snake case). */
export function camelCase(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Checks the options of step decorator `name` (as written on a step, or read from `run --with`)
 * and returns what is recorded for it. Throws a `CairnError` (`INVALID_FLOW`) whose message
 * starts with `where` (e.g. `@retry on step start`) and says how to fix the problem.
 */
export function decoratorOptions(name: string, options: unknown, where = `@${name}`): Record<string, unknown> {
  const def = STEP_DECORATORS[name];
  const bad = (what: string): never => {
    throw new CairnError('INVALID_FLOW', `${where}: ${what}`);
  };
  if (!def) return bad(`there is no step decorator named ${name}. The step decorators are: ${Object.keys(STEP_DECORATORS).join(', ')}.`);
  if (options === undefined) {
    if (def.needs) bad(`it needs ${def.needs}.`);
    return def.normalize({}, bad);
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    const keys = Object.keys(def.options);
    return bad(`the options must be an object, like @${name}({ ${keys[0]}: ... }); got ${typeof options === 'function' ? 'a function' : JSON.stringify(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (key in def.options) continue;
    const camel = camelCase(key);
    const hint = camel !== key && camel in def.options ? ` Did you mean ${camel}?` : '';
    bad(`unknown option '${key}'.${hint} The options of @${name} are: ${Object.keys(def.options).join(', ')}.`);
  }
  return def.normalize(options as Record<string, unknown>, bad);
}

function isDecoratorCall(a: unknown, b: unknown): b is ClassMethodDecoratorContext {
  return typeof a === 'function' && typeof b === 'object' && b !== null && 'kind' in b;
}

/** The decorator that records `name` with `options` on a step (problems are recorded, not thrown). */
function decorate(name: string, options: unknown): MethodDecorator {
  return (method, context) => {
    const where = `@${name} on ${typeof context === 'object' && context !== null && typeof context.name === 'string' ? `step ${context.name}` : 'a method'}`;
    let recorded: Record<string, unknown>;
    try {
      recorded = decoratorOptions(name, options, where);
    } catch (e) {
      if (!(e instanceof CairnError)) throw e;
      recordDecoratorProblem(context, name, e.message);
      return method;
    }
    recordDecorator(context, name, recorded);
    return method;
  };
}

/**
 * `@card` may be written several times on a step: each adds a card to the step's list. Two cards
 * with the same id are a problem that `check` reports.
 */
function decorateCard(options: unknown): MethodDecorator {
  return (method, context) => {
    const where = `@card on ${typeof context === 'object' && context !== null && typeof context.name === 'string' ? `step ${context.name}` : 'a method'}`;
    let spec: CardSpec;
    try {
      spec = (decoratorOptions('card', options, where)['cards'] as CardSpec[])[0]!;
    } catch (e) {
      if (!(e instanceof CairnError)) throw e;
      recordDecoratorProblem(context, 'card', e.message);
      return method;
    }
    appendDecorator(context, 'card', (existing) => {
      // Decorators apply from the one nearest the method outwards: put this one first, so the list reads in source order.
      const cards = [spec, ...((existing?.['cards'] as CardSpec[] | undefined) ?? [])];
      const twin = cards.slice(1).find((c) => c.id === spec.id);
      if (twin) {
        return `${where}: two cards have the id '${spec.id}'. Give each card of a step its own id, like @card({ id: 'metrics' }).`;
      }
      return { cards };
    });
    return method;
  };
}

/** Both forms of a decorator: `@name` (bare) and `@name(options)`. */
function either(name: string, a: unknown, b: unknown): unknown {
  if (isDecoratorCall(a, b)) return decorate(name, undefined)(a as StepMethod, b);
  if (b !== undefined) {
    // Called with a method and something that is not a decorator context: a legacy decorator.
    recordDecorator(b as ClassMethodDecoratorContext, name, {});
  }
  return decorate(name, a);
}

/**
 * Re-runs a failed task up to `times` times (default 3); every attempt is recorded. `@retry` alone works too.
 *
 * @example
 * ```ts
 * @retry({ times: 2, minutesBetweenRetries: 1 }) @step fetch() { ... }
 * @retry @step flaky() { ... }   // three retries
 * ```
 */
export function retry<M extends StepMethod>(method: M, context: ClassMethodDecoratorContext): M;
export function retry(options?: RetryOptions): MethodDecorator;
export function retry(a?: unknown, b?: unknown): unknown {
  return either('retry', a, b);
}

/**
 * After the retries are spent, swallows the failure: the task finishes, `this[var]` holds the
 * exception (null when the step succeeds), and the flow goes on. `@catchError` alone works too.
 *
 * @example
 * ```ts
 * declare failure: Error | null;
 * @catchError({ var: 'failure' }) @step risky() { ...; this.next(this.end); }
 * @step end() { if (this.failure) console.log('risky failed:', this.failure.message); }
 * ```
 */
export function catchError<M extends StepMethod>(method: M, context: ClassMethodDecoratorContext): M;
export function catchError(options?: CatchErrorOptions): MethodDecorator;
export function catchError(a?: unknown, b?: unknown): unknown {
  return either('catchError', a, b);
}

/**
 * Fails an attempt that runs longer than this (a step stuck in a synchronous loop too).
 *
 * @example
 * ```ts
 * @timeout({ minutes: 5 }) @step train() { ... }
 * ```
 */
export function timeout(options: TimeoutOptions): MethodDecorator;
export function timeout(a?: unknown, b?: unknown): unknown {
  return either('timeout', a, b);
}

/** Environment variables set for the task (and the processes it starts). */
export function environment(options: EnvironmentOptions): MethodDecorator;
export function environment(a?: unknown, b?: unknown): unknown {
  return either('environment', a, b);
}

/**
 * Gives the task a card: a report stored with its artifacts, drawn after the step (also when the
 * step fails) and viewed with `cairn card view`, the web UI or `task.cards()`. Write it several
 * times with different ids for several cards. `@card` alone is a default card.
 */
export function card<M extends StepMethod>(method: M, context: ClassMethodDecoratorContext): M;
export function card(options?: CardOptions): MethodDecorator;
export function card(a?: unknown, b?: unknown): unknown {
  if (isDecoratorCall(a, b)) return decorateCard(undefined)(a as StepMethod, b);
  return decorateCard(a);
}

/** What the task needs; executors that place tasks on machines honour it. `@resources` alone works too. */
export function resources<M extends StepMethod>(method: M, context: ClassMethodDecoratorContext): M;
export function resources(options?: ResourcesOptions): MethodDecorator;
export function resources(a?: unknown, b?: unknown): unknown {
  return either('resources', a, b);
}

/**
 * Reuses an earlier successful task of the flow instead of running the step, when the code, the
 * input artifacts, the parameters and the foreach input are all the same (see docs/caching.md).
 * `@cache` alone works too; `@cache({ enabled: false })` keeps the step out of `run --cache`.
 */
export function cache<M extends StepMethod>(method: M, context: ClassMethodDecoratorContext): M;
export function cache(options?: CacheOptions): MethodDecorator;
export function cache(a?: unknown, b?: unknown): unknown {
  return either('cache', a, b);
}

/** The decorator settings of one step, as the runtime reads them. */
export interface StepSettings {
  retry: { times: number; minutesBetweenRetries: number } | undefined;
  catchError: { var: string | undefined; printException: boolean } | undefined;
  timeoutSeconds: number | undefined;
  environment: Record<string, string>;
  resources: { cpu?: number; memory?: number; gpu?: number };
  /** The step's cards, in source order. */
  cards: CardSpec[];
  /** `@cache`: true or false as the step says; undefined when the step has no `@cache`. */
  cache: boolean | undefined;
}

export function settingsOf(decorators: Record<string, Record<string, unknown>>): StepSettings {
  const r = decorators['retry'] as StepSettings['retry'];
  const c = decorators['catchError'] as StepSettings['catchError'];
  return {
    retry: r,
    catchError: c,
    timeoutSeconds: decorators['timeout']?.['seconds'] as number | undefined,
    environment: (decorators['environment']?.['vars'] as Record<string, string> | undefined) ?? {},
    resources: (decorators['resources'] as StepSettings['resources'] | undefined) ?? {},
    cards: (decorators['card']?.['cards'] as CardSpec[] | undefined) ?? [],
    cache: decorators['cache'] === undefined ? undefined : decorators['cache']['enabled'] !== false,
  };
}
