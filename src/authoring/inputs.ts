import type { FlowSpec } from './flow-spec.js';

type StepKeys<F> = {
  [K in keyof F]: F[K] extends (...args: never[]) => unknown ? K : never;
}[keyof F];

/**
 * The parameter of a join step: the artifacts of each incoming task, indexable and iterable (a
 * foreach join's inputs are in split-index order), and by step name for a static join
 * (`inputs.a.x`).
 */
export type Inputs<F = any> = ReadonlyArray<Readonly<F>> & {
  readonly [K in Exclude<StepKeys<F>, keyof FlowSpec | keyof unknown[]>]: Readonly<F>;
};
