/**
 * What decorators record about a flow class: its steps and each step's decorator settings. Stored
 * on the class's decorator metadata object (TC39 `context.metadata`), so subclasses inherit it.
 */
import { CairnError } from '../errors.js';

(Symbol as { metadata?: symbol }).metadata ??= Symbol.for('Symbol.metadata');

const STEPS = Symbol.for('cairn.steps');

export interface StepDecoration {
  name: string;
  /** Decorator name → its options, e.g. `retry → { times: 2 }`. */
  decorators: Record<string, Record<string, unknown>>;
  /** Decorators whose options cannot work, with the message saying why (`check` reports them). */
  problems?: Record<string, string>;
}

type Meta = Record<PropertyKey, unknown>;

function ownSteps(meta: Meta): Map<string, StepDecoration> {
  if (!Object.prototype.hasOwnProperty.call(meta, STEPS)) {
    const inherited = meta[STEPS] as Map<string, StepDecoration> | undefined;
    const copy = new Map<string, StepDecoration>();
    for (const [k, v] of inherited ?? []) copy.set(k, { name: v.name, decorators: { ...v.decorators }, ...(v.problems ? { problems: { ...v.problems } } : {}) });
    meta[STEPS] = copy;
  }
  return meta[STEPS] as Map<string, StepDecoration>;
}

function checkContext(context: ClassMethodDecoratorContext, decorator: string): void {
  if (typeof context !== 'object' || context === null || !('kind' in context)) {
    throw new CairnError(
      'INVALID_FLOW',
      `@${decorator} was called as a legacy (experimental) decorator. cairn needs standard decorators: ` +
        'remove "experimentalDecorators" from your tsconfig.json (tsx follows it).',
    );
  }
  if (context.kind !== 'method' || context.static || context.private || typeof context.name !== 'string') {
    const what = context.kind !== 'method' ? `a ${context.kind}` : context.static ? 'a static method' : 'a private method';
    throw new CairnError(
      'INVALID_FLOW',
      `@${decorator} is on ${what}${typeof context.name === 'string' ? ` (${context.name})` : ''}; it can only decorate a public instance method of a flow class.`,
    );
  }
  if (!context.metadata) throw new CairnError('INVALID_FLOW', `@${decorator}: this runtime gives decorators no metadata object.`);
}

function entryOf(context: ClassMethodDecoratorContext, decorator: string): StepDecoration {
  checkContext(context, decorator);
  const steps = ownSteps(context.metadata as Meta);
  const name = context.name as string;
  let entry = steps.get(name);
  if (!entry) steps.set(name, (entry = { name, decorators: {} }));
  return entry;
}

/** Records a decorator on a method; `step` marks the method as a step. */
export function recordDecorator(context: ClassMethodDecoratorContext, decorator: string, options: Record<string, unknown>): void {
  const entry = entryOf(context, decorator);
  entry.decorators[decorator] = options;
  if (entry.problems) delete entry.problems[decorator];
}

/**
 * Records a decorator that may be written several times on a method: `merge` gets what is recorded
 * so far and returns the new options, or a message saying why they cannot work.
 */
export function appendDecorator(
  context: ClassMethodDecoratorContext,
  decorator: string,
  merge: (existing: Record<string, unknown> | undefined) => Record<string, unknown> | string,
): void {
  const entry = entryOf(context, decorator);
  const next = merge(entry.decorators[decorator]);
  if (typeof next === 'string') recordDecoratorProblem(context, decorator, next);
  else if (!entry.problems?.[decorator]) entry.decorators[decorator] = next;
}

/** Records that a decorator on a method cannot work, and why; loading the flow reports it. */
export function recordDecoratorProblem(context: ClassMethodDecoratorContext, decorator: string, message: string): void {
  const entry = entryOf(context, decorator);
  delete entry.decorators[decorator];
  (entry.problems ??= {})[decorator] = message;
}

/** Every decorated method of a flow class (and its bases), steps or not. */
export function decoratedMethodsOf(cls: abstract new (...args: never[]) => unknown): Map<string, StepDecoration> {
  const meta = (cls as unknown as Record<symbol, Meta | undefined>)[Symbol.metadata as symbol];
  return new Map((meta?.[STEPS] as Map<string, StepDecoration> | undefined) ?? []);
}

/** Steps declared on a flow class (and its bases), by method name; only methods marked `@step`. */
export function stepsOf(cls: abstract new (...args: never[]) => unknown): Map<string, StepDecoration> {
  return new Map([...decoratedMethodsOf(cls)].filter(([, d]) => 'step' in d.decorators));
}
