/**
 * What a run starts from besides the flow, and the hook that prepares it: shared by `executeRun`,
 * the parameters (a new run) and resume (a run that clones its origin).
 */
import type { ArtifactInfo, ArtifactStore, MetadataStore } from '../storage/types.js';
import type { LoadedFlow } from './load-flow.js';
import type { RunReporter } from './reporter.js';
import type { CloneSource } from './run-execution.js';

/** What a run starts from besides the flow: its parameters, and for resume the origin to clone. */
export interface RunInputs {
  parameters: { artifacts: Record<string, ArtifactInfo>; names: string[]; values: Record<string, unknown> };
  clones?: CloneSource;
}

/**
 * Prepares the inputs of a run once the flow is loaded and the stores are open; without one, a run
 * resolves its parameters from the environment and their defaults (`parameterInputs()`).
 */
export type PrepareInputs = (ctx: { loaded: LoadedFlow; artifacts: ArtifactStore; metadata: MetadataStore; reporter: RunReporter }) => Promise<RunInputs>;
