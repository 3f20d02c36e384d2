import { recordDecorator } from './metadata.js';

type StepMethod = (this: unknown, ...args: never[]) => unknown;

/**
 * Marks a method as a step of the flow. Stack other step decorators with it in any order.
 * `@step()` is the same as `@step`.
 *
 * @example
 * ```ts
 * @step start() { this.next(this.train, { foreach: 'shards' }); }
 * ```
 */
export function step<M extends StepMethod>(method: M, context: ClassMethodDecoratorContext): M;
export function step(): typeof step;
export function step(method?: unknown, context?: unknown): unknown {
  if (method === undefined && context === undefined) return step;
  recordDecorator(context as ClassMethodDecoratorContext, 'step', {});
  return method;
}
