/**
 * The seam between the authoring API and the task runtime: a flow instance that is running a task
 * has hooks installed here by the runtime. Authoring code never imports the runtime.
 */
import { CairnError } from '../errors.js';

export type Transition =
  | { kind: 'linear'; targets: string[] }
  | { kind: 'foreach'; targets: string[]; foreach: string }
  | { kind: 'switch'; cases: Record<string, string>; condition: string };

export interface ForeachFrameView {
  index: number;
  numSplits: number;
  value: unknown;
}

export interface MergeOptions {
  include?: readonly string[];
  exclude?: readonly string[];
}

export interface TaskHooks {
  stepName(fn: unknown): string | undefined;
  next(transition: Transition): void;
  input(): unknown;
  index(): number | undefined;
  foreachStack(): ForeachFrameView[];
  mergeArtifacts(inputs: unknown, options: MergeOptions): void;
  setCompression(names: readonly string[], compression: string): void;
}

const hooks = new WeakMap<object, TaskHooks>();

export function installHooks(instance: object, h: TaskHooks): void {
  hooks.set(instance, h);
}

export function hooksOf(instance: object, what: string): TaskHooks {
  const h = hooks.get(instance);
  if (!h) {
    throw new CairnError(
      'INVALID_ARGUMENT',
      `${what} can only be used inside a step while cairn runs the flow (run it with \`cairn run <file>\`).`,
    );
  }
  return h;
}
