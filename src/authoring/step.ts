import { recordDecorator } from './metadata.js';

type StepMethod = (this: unknown, ...args: never[]) => unknown;

/** Marks a method as a step of the flow. Stack other step decorators with it in any order. */
export function step<M extends StepMethod>(method: M, context: ClassMethodDecoratorContext): M {
  recordDecorator(context, 'step', {});
  return method;
}
