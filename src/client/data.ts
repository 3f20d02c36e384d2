/** The typed `data` view of a task or run: `await run.data.x`. */
import type { FlowSpec } from '../authoring/flow-spec.js';
import { CairnError } from '../errors.js';

/**
 * The artifacts of flow class `F`, each as a promise of its value: every property of `F` that is not
 * a member of `FlowSpec` and not a method (steps are methods).
 */
export type ArtifactsOf<F> = {
  readonly [K in keyof F as K extends keyof FlowSpec
    ? never
    : F[K] extends (...args: never[]) => unknown
      ? never
      : K]: Promise<F[K]>;
};

/** `ArtifactsOf<F>` when the flow class is known, else any name → `Promise<unknown>`. */
export type DataOf<F> = unknown extends F ? Readonly<Record<string, Promise<unknown>>> : ArtifactsOf<F>;

/** The constructor of a flow class, as passed to `Flow.get(MyFlow)`. */
export type FlowClassOf<F extends FlowSpec> = abstract new (...args: never[]) => F;

class ArtifactData {}

/**
 * A read-only view whose every property is a promise of the artifact of that name, loaded by
 * `load`. `then` is not trapped, so the view itself is not a thenable. The promises handed out are
 * marked handled, so probing a name nobody awaits does not crash the process.
 */
export function dataView<T>(owner: string, load: (name: string) => Promise<unknown>): T {
  const readOnly = (): never => {
    throw new CairnError('INVALID_ARGUMENT', `The artifacts of ${owner} are read-only in the client.`);
  };
  const handler: ProxyHandler<ArtifactData> = {
    get(_target, prop) {
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      const p = load(prop);
      p.catch(() => undefined);
      return p;
    },
    set: readOnly,
    defineProperty: readOnly,
    deleteProperty: readOnly,
  };
  return new Proxy(new ArtifactData(), handler) as T;
}
