/**
 * cairn's public API. Importing it first installs the decorator-metadata polyfill Node 20 needs.
 */
import './authoring/metadata.js';
import { registerFlowLauncher } from './authoring/flow-spec.js';

// `MyFlow.main(import.meta)` runs the command line when the flow file is the program. The CLI is
// above the authoring layer, so the entry registers it, loaded only when it is used.
registerFlowLauncher(async (argv, context) => {
  (await import('./cli/early-worker.js')).startEarlyWorker(argv);
  const { main } = await import('./cli/main.js');
  await main(argv, context);
});

export { FlowSpec, type FlowClass } from './authoring/flow-spec.js';
export { step } from './authoring/step.js';
export { retry, catchError, timeout, environment, resources, card, cache } from './authoring/decorators.js';
export type { RetryOptions, CatchErrorOptions, TimeoutOptions, EnvironmentOptions, ResourcesOptions, CardOptions, CacheOptions } from './authoring/decorators.js';
export type { CurrentCard, CardHandle, CardRenderable } from './authoring/card-access.js';
export {
  CardComponentBase, Markdown, Table, Image, VegaChart, ProgressBar, ValueBox, JSONViewer, Artifact, Code,
  ErrorComponent, ErrorComponent as Error,
} from './cards/components.js';
export type { TableOptions, ImageOptions, ProgressBarOptions, ValueBoxOptions } from './cards/components.js';
export type { TableData } from './cards/component-data.js';
export { project, schedule, trigger, triggerOnFinish } from './authoring/flow-decorators.js';
export type { ProjectOptions, ScheduleOptions, TriggerOptions, TriggerOnFinishOptions } from './authoring/flow-decorators.js';
export { current, type Current } from './authoring/current.js';
export { Parameter, IncludeFile } from './authoring/parameter.js';
export type { ParameterOptions, IncludeFileOptions, ParameterType, ParameterContext, DefaultFunction, JsonValue } from './authoring/parameter.js';
export type { Inputs } from './authoring/inputs.js';
export type { ForeachFrameView, MergeOptions } from './authoring/task-hooks.js';

export { Flow, Run, Step, Task, DataArtifact, Card, namespace, getNamespace, defaultNamespace, useDatastore } from './client/index.js';
export type { ArtifactsOf, RunsOptions, TaskGetOptions, TaskLogChunk, TaskLogLine } from './client/index.js';
export type { RunGraph, RunGraphStep } from './client/index.js';
export type { CardDocument, CardComponent, CardCell, CardStatus, CardType, CardError, DagStep, ArtifactItem } from './cards/document.js';
export { diffRuns, gc, type GcOptions, type GcReport } from './client/index.js';
export type {
  RunDiff, StepDiff, TaskDiff, ArtifactDiff, ArtifactSide, ParameterDiff, DiffOptions, DiffStatus, DiffTaskState,
  ValueDiff, JsonDiff, JsonChange, NumbersDiff, TableDiff, ColumnDiff, Delta, NumberStatsDiff,
} from './client/index.js';

export { runFlow, resumeFlow, type RunFlowOptions, type ResumeFlowOptions } from './api/runner.js';

export { registerSerializer, registerClass, type ArtifactSerializer } from './storage/codec.js';
export type { ArtifactPreview, PreviewOptions, PreviewColumn, TreeNode, TreeContainer, TableCell } from './storage/preview.js';

export {
  CairnError,
  NotFoundError,
  InvalidPathspecError,
  NamespaceMismatchError,
  type ErrorCode,
} from './errors.js';
export { VERSION } from './version.js';
