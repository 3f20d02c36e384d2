/** The static graph of a flow, extracted from its source before anything runs. */

export interface SourceLocation {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

/**
 * How a step ends (Metaflow's node types). A step that takes an `inputs` parameter is a `join`
 * whatever its transition; `start` and `end` are the entry and terminal steps.
 */
export type NodeType = 'start' | 'linear' | 'split' | 'foreach' | 'switch' | 'join' | 'end';

export interface StepNode {
  name: string;
  type: NodeType;
  /** Where the step method is declared. */
  loc: SourceLocation;
  /** The lines of `loc.file` the method spans, its decorators included (1-based, inclusive). */
  lines?: { start: number; end: number };
  /** Where its final `this.next(...)` call is, if it has one. */
  nextLoc?: SourceLocation;
  /** The method's leading doc comment, if any (shown by `show`). */
  doc?: string;
  /** Number of declared parameters (a join declares one: `inputs`). */
  numArgs: number;
  /** Static successors, in the order written. For a switch: the case targets, deduplicated. */
  out: string[];
  /** Static predecessors. */
  in: string[];
  /** For a foreach: the artifact name it iterates over. */
  foreach?: string;
  /**
   * For a switch: the condition artifact and case value → target step. `condition` is empty when
   * the source gives none (lint reports it).
   */
  switch?: { condition: string; cases: Record<string, string> };
  /**
   * Enclosing open splits (static branch or foreach steps), outer to inner. As in Metaflow, a
   * join's list still ends with the split it closes; switches are not splits.
   */
  splitParents: string[];
  /** For a join: the split step it closes. */
  matchingSplit?: string;
  /** For a split or foreach: the join that closes it. */
  matchingJoin?: string;
  /**
   * For each enclosing open split, the first step of the branch this step is on (outer to inner;
   * parallel to `splitParents` except that a join has left its split's branch).
   */
  splitBranches?: string[];
  /** Decorator names written on the method (`step`, `retry`, ...). */
  decorators: string[];
  /** Why the final `this.next(...)` could not be read statically (at `nextLoc`); lint reports it. */
  invalidNext?: string;
  /** `this.next(...)` calls that are not the method's last statement (lint reports them). */
  strayNextLocs?: SourceLocation[];
}

export interface FlowGraph {
  flowName: string;
  file: string;
  /** Steps in source order. */
  steps: Map<string, StepNode>;
  start: string;
  end: string;
  /** Flow class doc comment, if any. */
  doc?: string;
  /** Where the flow class name is declared. */
  loc?: SourceLocation;
}

/** One problem found by `lint`. Every message names the step and says how to fix it. */
export interface LintIssue {
  step?: string;
  loc?: SourceLocation;
  message: string;
}

/** How a step's last statement, `this.next(...)`, reads in the source. */
export type ParsedTransition =
  | { kind: 'linear'; target: string }
  | { kind: 'split'; targets: string[] }
  | { kind: 'foreach'; target: string; foreach: string }
  /**
   * `targets` lists the case targets in the order written (an object puts integer-like keys
   * first); `condition` is undefined (or empty) when the source gives none.
   */
  | { kind: 'switch'; cases: Record<string, string>; targets: string[]; condition?: string }
  /** A `this.next(...)` call whose arguments are not one of the four valid forms. */
  | { kind: 'invalid'; reason: string }
  /** The last statement is not a `this.next(...)` call. */
  | { kind: 'none' };

/** One `@step` method as written in the source. */
export interface ParsedStep {
  name: string;
  /** Where the method name is. */
  loc: SourceLocation;
  /** The lines the method spans, its decorators included. */
  lines?: { start: number; end: number };
  doc?: string;
  /** Declared parameters (a TypeScript `this` parameter is not counted). */
  numArgs: number;
  /** Decorator names in source order, `step` included. */
  decorators: string[];
  isAsync: boolean;
  transition: ParsedTransition;
  /** Where the final `this.next(...)` call is (for a valid or invalid one). */
  nextLoc?: SourceLocation;
  /** `this.next(...)` calls anywhere else in the method. */
  strayNextLocs: SourceLocation[];
}

/** What `parseFlowSource` reads from a flow file. */
export interface ParsedFlow {
  flowName: string;
  file: string;
  /** Where the class name is. */
  loc: SourceLocation;
  doc?: string;
  /**
   * Steps in source order, base classes' first, including steps inherited from base classes in the
   * same file or in other local files (each step keeps its own file in `loc`). A name defined
   * twice in one class appears twice (the later definition wins, as in JavaScript).
   */
  steps: ParsedStep[];
  /** Names of the class's other (non-step) methods, for lint hints. */
  methods: string[];
  /** The base classes whose steps were read, the farthest first (empty when the class extends FlowSpec). */
  bases: Array<{ name: string; loc: SourceLocation }>;
  /** Every source file that was read. */
  files: string[];
  /** A base class that could not be read (its steps are unknown): the class whose `extends` it is, how it is written, and why. */
  unreadBase?: { cls: string; what: string; why: string; loc: SourceLocation };
}
