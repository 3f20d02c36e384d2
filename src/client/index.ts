/** The client API: read flows, runs, steps, tasks and artifacts from the store. */
export { Flow, type RunCountsByStatus, type RunsOptions } from './flow.js';
export type { RunGraph, RunGraphStep } from '../core/run-graph.js';
export { Run } from './run.js';
export { Step } from './step.js';
export { Task, type TaskGetOptions, type TaskLogChunk, type TaskLogLine } from './task.js';
export { DataArtifact } from './artifact.js';
export { Card } from './card.js';
export { namespace, getNamespace, defaultNamespace } from './namespace.js';
export { useDatastore } from './context.js';
export type { ArtifactsOf, DataOf, FlowClassOf } from './data.js';
export { diffRuns } from './diff/index.js';
export type * from './diff/index.js';
export { gc, type GcOptions, type GcReport } from './gc.js';
