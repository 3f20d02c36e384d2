/** The state one lint pass shares between its rules (`lint.ts`, `lint-structure.ts`). */
import type { FlowGraph, LintIssue, ParsedFlow, SourceLocation, StepNode } from './types.js';

/** Shared state of one lint pass. */
export interface LintContext {
  graph: FlowGraph;
  parsed: ParsedFlow | undefined;
  issues: LintIssue[];
  reachable: Set<string>;
  report(node: StepNode | undefined, message: string, loc?: SourceLocation): void;
}
