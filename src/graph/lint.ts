/**
 * The graph linter (`check`, also run before `run` and `resume`): Metaflow's lint rules, with
 * messages adapted to TypeScript. Checks run in Metaflow's order and every issue is collected;
 * checks that need a sound graph (split/join balance) are skipped while an earlier check has found
 * a structural problem, so that one mistake is reported once.
 */
import { END_STEP, reachableSteps, START_STEP } from './graph.js';
import { checkAmbiguousJoins, checkEmptySplits, checkForAcyclicity, checkForOrphans, checkSplitJoinBalance } from './lint-structure.js';
import type { LintContext } from './lint-context.js';
import type { FlowGraph, LintIssue, ParsedFlow, SourceLocation, StepNode } from './types.js';

/** Step names that collide with Metaflow's reserved words or with members of cairn's FlowSpec. */
export const RESERVED_STEP_NAMES: readonly string[] = [
  'name',
  'next',
  'input',
  'index',
  'cmd',
  'foreachStack',
  'mergeArtifacts',
  'setCompression',
  'main',
];

const VALID_FORMS = [
  'Make sure the this.next() expression matches with one of the supported transition types:',
  '  • Linear: this.next(this.stepName)',
  '  • Fan-out: this.next(this.step1, this.step2, ...)',
  "  • Foreach: this.next(this.step, { foreach: 'artifact' })",
  "  • Switch: this.next({ key: this.step, ... }, { condition: 'artifact' })",
  '',
  'For switch statements, keys must be identifiers, string literals or numbers, not variables or computed keys.',
].join('\n');

/** `file:line:column: message` (or just the message when the issue has no location). */
export function formatLintIssue(issue: LintIssue): string {
  const loc = issue.loc;
  return loc ? `${loc.file}:${loc.line}:${loc.column}: ${issue.message}` : issue.message;
}

/**
 * Lints a flow graph. `parsed` (the source it was built from) adds the checks that need it: steps
 * defined twice, and hints for `this.next()` targets that are methods without `@step`.
 * Never throws; returns no issues for a valid flow.
 */
export function lintGraph(graph: FlowGraph, parsed?: ParsedFlow): LintIssue[] {
  const issues: LintIssue[] = [];
  const ctx: LintContext = {
    graph,
    parsed,
    issues,
    reachable: reachableSteps(graph),
    report(node, message, loc) {
      const where = loc ?? node?.loc ?? graph.loc;
      const issue: LintIssue = { message };
      if (node) issue.step = node.name;
      if (where) issue.loc = where;
      issues.push(issue);
    },
  };
  const nodes = [...graph.steps.values()];

  checkReservedWords(ctx, nodes);
  const hasBasics = checkBasicSteps(ctx);
  checkDuplicateSteps(ctx);
  checkStartEndDegree(ctx);
  checkThatEndIsEnd(ctx);
  checkStepNames(ctx, nodes);
  const argsOk = checkNumArgs(ctx, nodes);
  const tailsOk = checkStaticTransitions(ctx, nodes);
  const transitionsOk = checkValidTransitions(ctx, nodes) && tailsOk;
  const targetsOk = checkUnknownTransitions(ctx, nodes, hasBasics);
  const acyclic = checkForAcyclicity(ctx);
  // A step whose transition is missing or wrong would make everything after it look unreachable.
  const edgesOk = hasBasics && transitionsOk && targetsOk;
  if (edgesOk) checkForOrphans(ctx);
  if (edgesOk && acyclic && argsOk) checkSplitJoinBalance(ctx);
  checkSwitchSplits(ctx, nodes);
  checkEmptySplits(ctx, nodes);
  checkAmbiguousJoins(ctx, nodes);
  return issues;
}

function checkReservedWords(ctx: LintContext, nodes: StepNode[]): void {
  for (const node of nodes) {
    if (RESERVED_STEP_NAMES.includes(node.name)) {
      ctx.report(node, `Step name *${node.name}* is a reserved word. Choose another name for the step.`);
    }
  }
}

function checkBasicSteps(ctx: LintContext): boolean {
  let ok = true;
  for (const [kind, name] of [['start', START_STEP], ['end', END_STEP]] as const) {
    if (!ctx.graph.steps.has(name)) {
      ok = false;
      ctx.report(
        undefined,
        `Your flow must have exactly one ${kind} step. Add a @step method named '${name}' to the flow class.`,
      );
    }
  }
  return ok;
}

function checkDuplicateSteps(ctx: LintContext): void {
  const seen = new Map<string, SourceLocation>();
  for (const step of ctx.parsed?.steps ?? []) {
    const first = seen.get(step.name);
    if (first === undefined) {
      seen.set(step.name, step.loc);
      continue;
    }
    ctx.report(
      ctx.graph.steps.get(step.name),
      `Step *${step.name}* is defined more than once (lines ${first.line} and ${step.loc.line}); ` +
        `the later definition replaces the earlier one. Rename or remove one of them.`,
      step.loc,
    );
  }
}

function checkStartEndDegree(ctx: LintContext): void {
  const start = ctx.graph.steps.get(ctx.graph.start);
  if (start && start.in.length > 0) {
    ctx.report(
      start,
      `The start step *${start.name}* has incoming transitions from *${start.in.join(', ')}*. ` +
        `A start step must have no incoming transitions: remove this.next(this.${start.name}) from those steps.`,
    );
  }
}

function checkThatEndIsEnd(ctx: LintContext): void {
  const end = ctx.graph.steps.get(ctx.graph.end);
  if (end === undefined) return;
  const nextLoc = end.nextLoc ?? end.strayNextLocs?.[0];
  if (nextLoc) {
    ctx.report(end, `The terminal step *${end.name}* should not have a this.next() transition. Just remove it.`, nextLoc);
  }
  if (end.numArgs >= 1) {
    ctx.report(
      end,
      `The terminal step *${end.name}* should not be a join step (it gets an extra argument). Add a join step before it.`,
    );
  }
}

/** `fooBar` → `foo_bar`, `_x` → `x`: a valid name close to an invalid one. */
function suggestName(name: string): string {
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .replace(/^_+/, '');
  return snake === '' ? 'step_name' : snake;
}

function checkStepNames(ctx: LintContext, nodes: StepNode[]): void {
  for (const node of nodes) {
    if (RESERVED_STEP_NAMES.includes(node.name)) continue; // already reported
    if (/[^a-z0-9_]/.test(node.name) || node.name.startsWith('_')) {
      ctx.report(
        node,
        `Step *${node.name}* has an invalid name. Only lowercase ascii characters, underscores, and digits ` +
          `are allowed, and the name must not start with an underscore. Rename it, e.g. *${suggestName(node.name)}*.`,
      );
    }
  }
}

function checkNumArgs(ctx: LintContext, nodes: StepNode[]): boolean {
  let ok = true;
  for (const node of nodes) {
    if (node.numArgs > 1) {
      ctx.report(
        node,
        `Step *${node.name}* has too many arguments. Normal steps take no arguments. Join steps take one: inputs.`,
      );
    } else if (node.numArgs === 1 && (node.type === 'split' || node.type === 'foreach' || node.type === 'switch')) {
      ok = false;
      ctx.report(
        node,
        `Step *${node.name}* is both a join step (it takes an inputs argument) and a split step (it transitions ` +
          `to multiple steps). This is not allowed. Add a new step so that split and join become separate steps.`,
      );
    }
  }
  return ok;
}

function lines(locs: SourceLocation[]): string {
  const ns = locs.map((l) => String(l.line));
  return ns.length === 1 ? `line ${ns[0]}` : `lines ${ns.slice(0, -1).join(', ')} and ${ns.at(-1)}`;
}

/** Every step but the end ends with one `this.next(...)`, as its last statement and nowhere else. */
function checkStaticTransitions(ctx: LintContext, nodes: StepNode[]): boolean {
  let ok = true;
  for (const node of nodes) {
    if (node.type === 'end') continue;
    const stray = node.strayNextLocs ?? [];
    if (node.nextLoc === undefined) {
      ok = false;
      const where = stray.length > 0 ? ` It calls this.next() at ${lines(stray)}, but not as its last statement.` : '';
      ctx.report(
        node,
        `Step *${node.name}* is missing a this.next() transition to the next step.${where} ` +
          `Add a this.next() as the last line in the function` +
          (stray.length > 1 ? `; to choose the next step at run time, use a switch: this.next({ key: this.step, ... }, { condition: 'artifact' }).` : '.'),
      );
    } else if (stray.length > 0) {
      ctx.report(
        node,
        `Step *${node.name}* calls this.next() more than once (also at ${lines(stray)}). Call this.next() exactly ` +
          `once, as the last line in the function; to choose the next step at run time, use a switch: ` +
          `this.next({ key: this.step, ... }, { condition: 'artifact' }).`,
        stray[0],
      );
    }
  }
  return ok;
}

function checkValidTransitions(ctx: LintContext, nodes: StepNode[]): boolean {
  let ok = true;
  for (const node of nodes) {
    if (node.type === 'end' || node.invalidNext === undefined) continue;
    ok = false;
    ctx.report(
      node,
      `Step *${node.name}* specifies an invalid this.next() transition: ${node.invalidNext}. ${VALID_FORMS}`,
      node.nextLoc,
    );
  }
  return ok;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

function unknownTargetHint(ctx: LintContext, target: string): string {
  if (ctx.parsed?.methods.includes(target)) {
    return `*${target}* is a method of the flow but is not decorated with @step: add @step to it.`;
  }
  const close = [...ctx.graph.steps.keys()].find((name) => editDistance(name, target) <= 2);
  if (close !== undefined) return `Did you mean *${close}*?`;
  return `Define a @step method named *${target}*, or fix the name in this.next().`;
}

function checkUnknownTransitions(ctx: LintContext, nodes: StepNode[], hasBasics: boolean): boolean {
  let ok = true;
  for (const node of nodes) {
    for (const target of node.out) {
      if (ctx.graph.steps.has(target)) continue;
      ok = false;
      // A missing start or end step has been reported already.
      if (!hasBasics && (target === ctx.graph.start || target === ctx.graph.end)) continue;
      ctx.report(
        node,
        `Step *${node.name}* specifies a this.next() transition to an unknown step, *${target}*. ` +
          unknownTargetHint(ctx, target),
        node.nextLoc,
      );
    }
  }
  return ok;
}

function checkSwitchSplits(ctx: LintContext, nodes: StepNode[]): void {
  for (const node of nodes) {
    if (node.type !== 'switch' || node.switch === undefined) continue;
    const num = Object.keys(node.switch.cases).length;
    if (num < 2) {
      ctx.report(
        node,
        `Step *${node.name}* is a switch split but defines ${num} transition${num === 1 ? '' : 's'}. ` +
          `Switch splits must define at least 2 transitions; for a single target use this.next(this.step).`,
        node.nextLoc,
      );
    }
    if (node.switch.condition === '') {
      ctx.report(
        node,
        `Step *${node.name}* is a switch split but has no condition variable. Name the artifact that selects ` +
          `the case: this.next({ ... }, { condition: 'artifact' }).`,
        node.nextLoc,
      );
    }
  }
}
