/**
 * Flow decorators: `@project`, `@schedule`, `@trigger` and `@triggerOnFinish`, written on the flow
 * class. Each records its checked options on the class's decorator metadata; a problem is recorded
 * too (and `check` reports it, naming the decorator) rather than thrown while the class is defined.
 * They take effect when the flow is deployed (`cairn argo-workflows create`); `@project` also
 * namespaces local runs.
 *
 * @example
 * ```ts
 * @project({ name: 'fraud' })
 * @schedule({ cron: '0 6 * * MON-FRI', timezone: 'Europe/Paris' })
 * export class ScoreFlow extends FlowSpec { ... }
 * ```
 */
import { CairnError } from '../errors.js';
import { cronProblem, isTimeZone, normalizeCron } from './cron.js';

(Symbol as { metadata?: symbol }).metadata ??= Symbol.for('Symbol.metadata');

const FLOW_DECORATORS = Symbol.for('cairn.flowDecorators');

export interface ProjectOptions {
  /** The project's name: lowercase letters, digits and underscores. */
  name: string;
}

export type ScheduleOptions =
  | { cron: string; timezone?: string }
  | { hourly: true; timezone?: string }
  | { daily: true; timezone?: string }
  | { weekly: true; timezone?: string };

export interface TriggerOptions {
  /** The event's name (letters, digits, `_`, `.`, `-`). */
  event: string;
  /** Parameter → the field of the event's payload that sets it (a list: fields of the same names). */
  parameters?: Record<string, string> | string[];
}

export interface TriggerOnFinishOptions {
  /** The flow (or flows) whose successful runs start this one. */
  flow?: string;
  flows?: string[];
}

/** What the flow decorators record, after checking. */
export interface FlowDecorations {
  project?: { name: string };
  /** `cron` is the expression to run on (hourly, daily and weekly are turned into one). */
  schedule?: { cron: string; timezone?: string };
  trigger?: { event: string; parameters: Record<string, string> };
  triggerOnFinish?: { flows: string[] };
  /** Decorator name → why its options cannot work. */
  problems?: Record<string, string>;
}

type Meta = Record<PropertyKey, unknown>;
type ClassDecorator = <C extends abstract new (...args: never[]) => unknown>(cls: C, context: ClassDecoratorContext) => void;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;
const FLOW_NAME = /^[A-Za-z_$][\w$]*$/;

function object(o: unknown, bad: (what: string) => never, example: string): Record<string, unknown> {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return bad(`pass the options as an object, like ${example}; got ${o === undefined ? 'none' : JSON.stringify(o)}.`);
  return o as Record<string, unknown>;
}

function onlyKeys(o: Record<string, unknown>, keys: readonly string[], bad: (what: string) => never, name: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) bad(`unknown option '${k}'. The options of @${name} are: ${keys.join(', ')}.`);
}

const SCHEDULES = { hourly: '0 * * * *', daily: '0 0 * * *', weekly: '0 0 * * 0' } as const;

const DEFINITIONS: Record<string, (o: unknown, bad: (what: string) => never) => Record<string, unknown>> = {
  project(raw, bad) {
    const o = object(raw, bad, "@project({ name: 'fraud' })");
    onlyKeys(o, ['name'], bad, 'project');
    const name = o['name'];
    if (typeof name !== 'string' || !/^[a-z0-9_]{1,64}$/.test(name)) {
      bad(`name must be lowercase letters, digits and underscores (at most 64), like 'fraud_detection'; got ${JSON.stringify(name)}.`);
    }
    return { name };
  },
  schedule(raw, bad) {
    const o = object(raw, bad, "@schedule({ cron: '0 6 * * *' }) or @schedule({ daily: true })");
    onlyKeys(o, ['cron', 'timezone', 'hourly', 'daily', 'weekly'], bad, 'schedule');
    const kinds = (['cron', 'hourly', 'daily', 'weekly'] as const).filter((k) => o[k] !== undefined && o[k] !== false);
    if (kinds.length !== 1) bad(`give exactly one of cron, hourly, daily, weekly; got ${kinds.length ? kinds.join(' and ') : 'none'}.`);
    const kind = kinds[0]!;
    let cron: string;
    if (kind === 'cron') {
      if (typeof o['cron'] !== 'string') return bad(`cron must be a string like '0 6 * * *'; got ${JSON.stringify(o['cron'])}.`);
      const problem = cronProblem(o['cron']);
      if (problem) bad(`cron '${o['cron']}' is not a valid cron expression: ${problem}.`);
      cron = normalizeCron(o['cron']);
    } else {
      if (o[kind] !== true) bad(`${kind} must be true; got ${JSON.stringify(o[kind])}.`);
      cron = SCHEDULES[kind];
    }
    const tz = o['timezone'];
    if (tz !== undefined && (typeof tz !== 'string' || !isTimeZone(tz))) bad(`timezone must be an IANA time zone like 'Europe/Paris' or 'UTC'; got ${JSON.stringify(tz)}.`);
    return { cron, ...(tz !== undefined ? { timezone: tz } : {}) };
  },
  trigger(raw, bad) {
    const o = object(raw, bad, "@trigger({ event: 'data_ready', parameters: { day: 'date' } })");
    onlyKeys(o, ['event', 'parameters'], bad, 'trigger');
    const event = o['event'];
    if (typeof event !== 'string' || !NAME.test(event)) bad(`event must be an event name (letters, digits, '_', '.', '-'); got ${JSON.stringify(event)}.`);
    const p = o['parameters'] ?? {};
    const parameters: Record<string, string> = {};
    if (Array.isArray(p)) {
      for (const n of p) {
        if (typeof n !== 'string' || n === '') bad(`parameters must list parameter names; got ${JSON.stringify(n)}.`);
        parameters[n] = n;
      }
    } else if (typeof p === 'object' && p !== null) {
      for (const [k, v] of Object.entries(p)) {
        if (typeof v !== 'string' || !/^[A-Za-z_][\w.-]*$/.test(v)) bad(`parameters.${k} must name a field of the event's payload, like 'date'; got ${JSON.stringify(v)}.`);
        parameters[k] = v as string;
      }
    } else {
      bad(`parameters must map parameter names to payload fields, like { day: 'date' }; got ${JSON.stringify(p)}.`);
    }
    return { event, parameters };
  },
  triggerOnFinish(raw, bad) {
    const o = object(raw, bad, "@triggerOnFinish({ flow: 'UpstreamFlow' })");
    onlyKeys(o, ['flow', 'flows'], bad, 'triggerOnFinish');
    if ((o['flow'] === undefined) === (o['flows'] === undefined)) bad('give either flow (one flow) or flows (a list).');
    const flows = o['flow'] !== undefined ? [o['flow']] : o['flows'];
    if (!Array.isArray(flows) || flows.length === 0) return bad(`flows must be a non-empty list of flow names; got ${JSON.stringify(flows)}.`);
    for (const f of flows) if (typeof f !== 'string' || !FLOW_NAME.test(f)) bad(`${JSON.stringify(f)} is not a flow name: give the flow's class name, like 'UpstreamFlow'.`);
    return { flows: [...new Set(flows as string[])] };
  },
};

function record(name: string, options: unknown): ClassDecorator {
  return (_cls, context) => {
    if (typeof context !== 'object' || context === null || context.kind !== 'class') {
      throw new CairnError('INVALID_FLOW', `@${name} decorates a flow class (write it above \`export class MyFlow extends FlowSpec\`), not a ${context?.kind ?? 'legacy decorator target'}.`);
    }
    if (!context.metadata) throw new CairnError('INVALID_FLOW', `@${name}: this runtime gives decorators no metadata object.`);
    const meta = context.metadata as Meta;
    const own: FlowDecorations = Object.prototype.hasOwnProperty.call(meta, FLOW_DECORATORS)
      ? (meta[FLOW_DECORATORS] as FlowDecorations)
      : { ...structuredClone((meta[FLOW_DECORATORS] as FlowDecorations | undefined) ?? {}) };
    meta[FLOW_DECORATORS] = own;
    try {
      const checked = DEFINITIONS[name]!(options, (what) => {
        throw new CairnError('INVALID_FLOW', `@${name} on flow ${String(context.name)}: ${what}`);
      });
      (own as Record<string, unknown>)[name] = checked;
      if (own.problems) delete own.problems[name];
    } catch (e) {
      if (!(e instanceof CairnError)) throw e;
      delete (own as Record<string, unknown>)[name];
      (own.problems ??= {})[name] = e.message;
    }
  };
}

/** Namespaces the flow's runs and deployments as `<name>.<branch>.<Flow>` (branch `user.<you>`, `test.<b>` or `prod`). */
export function project(options: ProjectOptions): ClassDecorator {
  return record('project', options);
}

/** Runs the deployed flow on a schedule: `{ cron, timezone }`, `{ hourly: true }`, `{ daily: true }` or `{ weekly: true }`. */
export function schedule(options: ScheduleOptions): ClassDecorator {
  return record('schedule', options);
}

/** Starts the deployed flow when an event arrives, setting parameters from fields of its payload. */
export function trigger(options: TriggerOptions): ClassDecorator {
  return record('trigger', options);
}

/** Starts the deployed flow when a run of another deployed flow (of the same project branch) succeeds. */
export function triggerOnFinish(options: TriggerOnFinishOptions): ClassDecorator {
  return record('triggerOnFinish', options);
}

/** What the flow decorators of a flow class (and its bases) recorded. */
export function flowDecorationsOf(cls: abstract new (...args: never[]) => unknown): FlowDecorations {
  const meta = (cls as unknown as Record<symbol, Meta | undefined>)[Symbol.metadata as symbol];
  return (meta?.[FLOW_DECORATORS] as FlowDecorations | undefined) ?? {};
}
