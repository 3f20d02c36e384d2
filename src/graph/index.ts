/** Static graph extraction, lint and `show` for flow source files. */
export { parseFlow, parseFlowSource, type ParseFlowOptions, type SourceReader } from './parse.js';
export { buildGraph, topologicalOrder, reachableSteps, START_STEP, END_STEP } from './graph.js';
export { lintGraph, formatLintIssue, RESERVED_STEP_NAMES } from './lint.js';
export { renderGraph } from './show.js';
export type {
  FlowGraph,
  LintIssue,
  NodeType,
  ParsedFlow,
  ParsedStep,
  ParsedTransition,
  SourceLocation,
  StepNode,
} from './types.js';
