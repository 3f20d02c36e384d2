/**
 * Step decorators. Each records its validated options on the flow class; they stack with `@step`
 * in any order. What they do happens in the runtime: retries and time-outs in the orchestrator,
 * environment variables and caught failures in the worker.
 */
import { CairnError } from '../errors.js';
import { recordDecorator } from './metadata.js';

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
  /** Artifact that receives `{ type, message, stack }` of the caught failure (undefined on success). */
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

export interface ResourcesOptions {
  cpu?: number;
  /** Megabytes. */
  memory?: number;
  gpu?: number;
}

function bad(decorator: string, what: string): CairnError {
  return new CairnError('INVALID_ARGUMENT', `@${decorator}: ${what}`);
}

function number(decorator: string, name: string, v: unknown, opts: { integer?: boolean; min?: number; max?: number } = {}): number | undefined {
  if (v === undefined) return undefined;
  const ok = typeof v === 'number' && Number.isFinite(v) && (!opts.integer || Number.isInteger(v));
  if (!ok || (opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
    const range = opts.max !== undefined ? ` from ${opts.min ?? 0} to ${opts.max}` : opts.min !== undefined ? ` of at least ${opts.min}` : '';
    throw bad(decorator, `${name} must be a ${opts.integer ? 'whole ' : ''}number${range}; got ${JSON.stringify(v)}.`);
  }
  return v;
}

function decorator(name: string, options: Record<string, unknown>): MethodDecorator {
  return (method, context) => {
    recordDecorator(context, name, options);
    return method;
  };
}

/** Re-runs a failed task up to `times` times; every attempt is recorded. */
export function retry(options: RetryOptions = {}): MethodDecorator {
  const times = number('retry', 'times', options.times, { integer: true, min: 0, max: MAX_RETRIES }) ?? 3;
  const minutes = number('retry', 'minutesBetweenRetries', options.minutesBetweenRetries, { min: 0 }) ?? 0;
  return decorator('retry', { times, minutesBetweenRetries: minutes });
}

/**
 * After the retries are spent, swallows the failure: the task finishes, `this[var]` holds the
 * exception, and the flow goes on.
 */
export function catchError(options: CatchErrorOptions = {}): MethodDecorator {
  if (options.var !== undefined && (typeof options.var !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(options.var))) {
    throw bad('catchError', `var must be an artifact name; got ${JSON.stringify(options.var)}.`);
  }
  return decorator('catchError', { var: options.var, printException: options.printException !== false });
}

/** Fails an attempt that runs longer than this (a step stuck in a synchronous loop too). */
export function timeout(options: TimeoutOptions): MethodDecorator {
  const s = number('timeout', 'seconds', options.seconds, { min: 0 }) ?? 0;
  const m = number('timeout', 'minutes', options.minutes, { min: 0 }) ?? 0;
  const h = number('timeout', 'hours', options.hours, { min: 0 }) ?? 0;
  const seconds = s + m * 60 + h * 3600;
  if (seconds <= 0) throw bad('timeout', 'give a positive duration, e.g. @timeout({ minutes: 5 }).');
  return decorator('timeout', { seconds });
}

/** Environment variables set for the task (and the processes it starts). */
export function environment(options: EnvironmentOptions): MethodDecorator {
  const vars = options?.vars;
  if (typeof vars !== 'object' || vars === null) throw bad('environment', 'pass { vars: { NAME: "value" } }.');
  for (const [k, v] of Object.entries(vars)) {
    if (typeof v !== 'string') throw bad('environment', `the value of ${k} must be a string; got ${typeof v}.`);
  }
  return decorator('environment', { vars: { ...vars } });
}

/** What the task needs; executors that place tasks on machines honour it. */
export function resources(options: ResourcesOptions = {}): MethodDecorator {
  const cpu = number('resources', 'cpu', options.cpu, { min: 0 });
  const memory = number('resources', 'memory', options.memory, { min: 0 });
  const gpu = number('resources', 'gpu', options.gpu, { integer: true, min: 0 });
  return decorator('resources', { cpu, memory, gpu });
}

/** The decorator settings of one step, as the runtime reads them. */
export interface StepSettings {
  retry: { times: number; minutesBetweenRetries: number } | undefined;
  catchError: { var: string | undefined; printException: boolean } | undefined;
  timeoutSeconds: number | undefined;
  environment: Record<string, string>;
  resources: { cpu?: number; memory?: number; gpu?: number };
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
  };
}
