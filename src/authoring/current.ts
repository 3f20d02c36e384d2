/**
 * `current`: facts about the task that is running, for code inside a step. Outside a task,
 * `isRunningFlow` is false and the other fields are undefined.
 */
import { currentCard, type CurrentCard } from './card-access.js';

export interface CurrentState {
  flowName: string;
  runId: string;
  stepName: string;
  taskId: string;
  /** The attempt, from 0. */
  retryCount: number;
  /** For a resumed run: the run it resumed. */
  originRunId: string | undefined;
  namespace: string;
  username: string;
  /** The run's user tags. */
  tags: string[];
  parameterNames: string[];
  /** For a `@project` flow: the project's name (else undefined). */
  projectName?: string | undefined;
  /** For a `@project` flow: the branch the run is on, `user.<name>`, `test.<name>` or `prod`. */
  branchName?: string | undefined;
  /** For a `@project` flow: `<project>.<branch>.<Flow>`. */
  projectFlowName?: string | undefined;
  isUserBranch?: boolean | undefined;
  isProduction?: boolean | undefined;
}

let state: CurrentState | undefined;

/** Called by the task runtime around each task. */
export function setCurrent(next: CurrentState | undefined): void {
  state = next && Object.freeze({ ...next, tags: Object.freeze([...next.tags]) as string[], parameterNames: Object.freeze([...next.parameterNames]) as string[] });
}

export interface Current extends Readonly<CurrentState> {
  readonly isRunningFlow: boolean;
  /** `Flow/run/step/task`. */
  readonly pathspec: string;
  /** The step's cards (`@card`): `current.card.append(new Markdown('# Hi'))`; see docs/cards.md. */
  readonly card: CurrentCard;
}

function field<K extends keyof CurrentState>(k: K): () => CurrentState[K] {
  return () => state?.[k] as CurrentState[K];
}

export const current: Current = Object.freeze(
  Object.defineProperties({} as Current, {
    isRunningFlow: { get: () => state !== undefined, enumerable: true },
    pathspec: { get: () => state && `${state.flowName}/${state.runId}/${state.stepName}/${state.taskId}`, enumerable: true },
    flowName: { get: field('flowName'), enumerable: true },
    runId: { get: field('runId'), enumerable: true },
    stepName: { get: field('stepName'), enumerable: true },
    taskId: { get: field('taskId'), enumerable: true },
    retryCount: { get: field('retryCount'), enumerable: true },
    originRunId: { get: field('originRunId'), enumerable: true },
    namespace: { get: field('namespace'), enumerable: true },
    username: { get: field('username'), enumerable: true },
    tags: { get: field('tags'), enumerable: true },
    parameterNames: { get: field('parameterNames'), enumerable: true },
    card: { get: currentCard, enumerable: false },
    projectName: { get: field('projectName'), enumerable: true },
    branchName: { get: field('branchName'), enumerable: true },
    projectFlowName: { get: field('projectFlowName'), enumerable: true },
    isUserBranch: { get: field('isUserBranch'), enumerable: true },
    isProduction: { get: field('isProduction'), enumerable: true },
  }),
);
