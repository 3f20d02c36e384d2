/**
 * Reads a flow class and its `@step` methods from TypeScript source, before anything runs,
 * following the class's `extends` into base classes declared in the same file or imported from the
 * flow's other local files.
 */
import type * as t from '@babel/types';
import { CairnError } from '../errors.js';
import { docBetween } from './doc-comments.js';
import { isThisNextCall, parseNextCall, unwrapExpression } from './parse-transition.js';
import { locOf, ModuleGraph, type ClassRef, type SourceModule, type SourceReader } from './modules.js';
import type { ParsedFlow, ParsedStep, SourceLocation } from './types.js';

export type { SourceReader } from './modules.js';

type NextCall = t.CallExpression | t.OptionalCallExpression;

interface Ctx {
  source: string;
  file: string;
  comments: readonly t.Comment[];
  /** Local name → imported name, for renamed imports (`import { step as s }`). */
  aliases: Map<string, string>;
}

export interface ParseFlowOptions {
  /** The flow file. */
  file: string;
  /** The flow class, declared at the top level of `file`. */
  className: string;
  /** Where the text of `file` and of the files it imports comes from. */
  reader: SourceReader;
}

/**
 * Parses `source` (the text of `file`) and reads the class named `className`, with base classes
 * declared in the same file only. See `parseFlow`.
 */
export function parseFlowSource(source: string, file: string, className: string): ParsedFlow {
  return parseFlow({
    file,
    className,
    reader: {
      read: (f) => {
        if (f === file) return source;
        throw new CairnError('INVALID_FLOW', `Cannot read ${f}.`);
      },
      resolve: () => undefined,
    },
  });
}

/**
 * Reads the flow class `className` of `file`: its doc comment and every method decorated with
 * `@step` (as `step` or `step(...)`, stacked with other decorators in any order), its own and those
 * of its base classes: declared in the same file, or imported from another local file (named,
 * default, renamed, re-exported or namespace imports; `reader.resolve` says where an import
 * leads). A subclass's method wins over a base class's of the same name. Each step's transition is
 * read from its last statement, which must be `this.next(...)`; other shapes are recorded for lint
 * to report, never thrown. Steps keep the file and line they are written at.
 *
 * The flow class must be declared at the top level of `file` (exported or not). A base class that
 * cannot be read (from a package, or written as an expression) ends the chain; `unreadBase` says
 * which and why.
 *
 * Throws a `CairnError` with code `INVALID_FLOW` if a file does not parse or the class is not in
 * the file.
 */
export function parseFlow(options: ParseFlowOptions): ParsedFlow {
  const { file, className } = options;
  const graph = new ModuleGraph(options.reader);
  const entry = graph.module(file);
  const found = entry.classes.get(className);
  if (found === undefined) {
    const others = [...entry.classes.keys()];
    throw new CairnError(
      'INVALID_FLOW',
      `No class named ${className} was found at the top level of ${file}` +
        (others.length > 0 ? ` (it declares ${others.join(', ')})` : '') +
        `. Export a class that extends FlowSpec from that file: ` +
        `\`export class ${className} extends FlowSpec { ... }\`.`,
    );
  }

  // The chain of classes, the flow class first.
  const chain: ClassRef[] = [{ module: entry, cls: found }];
  let unreadBase: ParsedFlow['unreadBase'];
  for (;;) {
    const base = graph.baseOf(chain.at(-1)!);
    if (base.kind === 'root') break;
    if (base.kind === 'unfollowed') {
      unreadBase = { cls: chain.at(-1)!.cls.decl.id?.name ?? className, what: base.what, why: base.why, loc: base.loc };
      break;
    }
    if (chain.some((c) => c.cls.decl === base.ref.cls.decl)) break;
    chain.push(base.ref);
  }

  // Base first; a name defined again in a subclass replaces the base's definition.
  let steps: Array<ParsedStep & { offset: number; order: [number, number] }> = [];
  let methods: string[] = [];
  chain.reverse().forEach((ref, depth) => {
    const ctx: Ctx = ctxOf(ref.module);
    const own = readMembers(ref.cls.decl, ctx);
    const defined = new Set([...own.steps.map((s) => s.name), ...own.methods]);
    steps = [...steps.filter((s) => !defined.has(s.name)), ...own.steps.map((s) => ({ ...s, order: [depth, s.offset] as [number, number] }))];
    methods = [...methods.filter((m) => !defined.has(m)), ...own.methods];
  });
  steps.sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1]);

  const decl = found.decl;
  const id = decl.id ?? decl;
  const parsed: ParsedFlow = {
    flowName: className,
    file,
    loc: locOf(id, file),
    doc: docBetween(entry.comments, {
      from: found.prevEnd,
      to: start(id),
      anchorLine: found.statement.loc?.start.line ?? 1,
      skip: (decl.decorators ?? []).map(rangeOf),
    }),
    steps: steps.map(({ offset: _offset, order: _order, ...step }) => step),
    methods: [...new Set(methods)],
    bases: chain.slice(0, -1).map((ref) => ({ name: ref.cls.decl.id?.name ?? '', loc: locOf(ref.cls.decl.id ?? ref.cls.decl, ref.module.file) })),
    files: graph.files,
  };
  if (unreadBase) parsed.unreadBase = unreadBase;
  return parsed;
}

function ctxOf(mod: SourceModule): Ctx {
  return { source: mod.source, file: mod.file, comments: mod.comments, aliases: mod.aliases };
}

function start(node: t.Node | t.Comment): number {
  return node.start ?? 0;
}

function end(node: t.Node): number {
  return node.end ?? 0;
}

function rangeOf(node: t.Node): [number, number] {
  return [start(node), end(node)];
}

/** The offset just after the line on which `offset` lies (so same-line trailing comments are skipped). */
function nextLineStart(source: string, offset: number): number {
  const nl = source.indexOf('\n', offset);
  return nl === -1 ? source.length : nl + 1;
}

function decoratorName(deco: t.Decorator, ctx: Ctx): string {
  let expr = unwrapExpression(deco.expression);
  if (expr.type === 'CallExpression') expr = unwrapExpression(expr.callee);
  if (expr.type === 'Identifier') return ctx.aliases.get(expr.name) ?? expr.name;
  if (expr.type === 'MemberExpression' && !expr.computed && expr.property.type === 'Identifier') {
    return expr.property.name;
  }
  return ctx.source.slice(start(deco.expression), end(deco.expression));
}

function memberName(member: t.ClassMethod): string | undefined {
  if (member.computed) return member.key.type === 'StringLiteral' ? member.key.value : undefined;
  if (member.key.type === 'Identifier') return member.key.name;
  if (member.key.type === 'StringLiteral') return member.key.value;
  return undefined;
}

interface Members {
  steps: Array<ParsedStep & { offset: number }>;
  methods: string[];
}

function readMembers(cls: t.ClassDeclaration, ctx: Ctx): Members {
  const out: Members = { steps: [], methods: [] };
  let prevEnd = start(cls.body) + 1;
  for (const member of cls.body.body) {
    const from = prevEnd;
    prevEnd = nextLineStart(ctx.source, end(member));
    if (member.type !== 'ClassMethod' || member.kind !== 'method' || member.static) continue;
    const name = memberName(member);
    if (name === undefined) continue;
    const decorators = (member.decorators ?? []).map((d) => decoratorName(d, ctx));
    if (!decorators.includes('step')) {
      out.methods.push(name);
      continue;
    }
    out.steps.push({ ...readStep(member, name, decorators, from, ctx), offset: start(member.key) });
  }
  return out;
}

function readStep(
  method: t.ClassMethod,
  name: string,
  decorators: string[],
  docFrom: number,
  ctx: Ctx,
): ParsedStep {
  const params = method.params.filter((p) => !(p.type === 'Identifier' && p.name === 'this'));
  const tail = tailNextCall(method.body.body.at(-1));
  const strayNextLocs: SourceLocation[] = [];
  walk(method.body, (node) => {
    if (node !== tail && isThisNextCall(node)) strayNextLocs.push(locOf(node, ctx.file));
  });
  const step: ParsedStep = {
    name,
    loc: locOf(method.key, ctx.file),
    lines: {
      start: Math.min(method.loc?.start.line ?? 1, ...(method.decorators ?? []).map((d) => d.loc?.start.line ?? Infinity)),
      end: method.loc?.end.line ?? 1,
    },
    doc: docBetween(ctx.comments, {
      from: docFrom,
      to: start(method.key),
      anchorLine: method.loc?.start.line ?? 1,
      skip: (method.decorators ?? []).map(rangeOf),
    }),
    numArgs: params.length,
    decorators,
    isAsync: method.async,
    transition: tail ? parseNextCall(tail) : { kind: 'none' },
    strayNextLocs,
  };
  if (tail) step.nextLoc = locOf(tail, ctx.file);
  if (step.doc === undefined) delete step.doc;
  return step;
}

/** The `this.next(...)` call a statement consists of (`await` / `void` / `return` allowed), if any. */
function tailNextCall(stmt: t.Statement | undefined): NextCall | undefined {
  let expr: t.Node | null | undefined;
  if (stmt?.type === 'ExpressionStatement') expr = stmt.expression;
  else if (stmt?.type === 'ReturnStatement') expr = stmt.argument;
  if (!expr) return undefined;
  expr = unwrapExpression(expr);
  if (expr.type === 'AwaitExpression') expr = unwrapExpression(expr.argument);
  else if (expr.type === 'UnaryExpression' && expr.operator === 'void') expr = unwrapExpression(expr.argument);
  return isThisNextCall(expr) ? expr : undefined;
}

const NON_CHILD_KEYS = new Set(['leadingComments', 'trailingComments', 'innerComments', 'loc', 'extra']);

function isNode(value: unknown): value is t.Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** Visits `node` and every node below it. */
function walk(node: t.Node, visit: (node: t.Node) => void): void {
  visit(node);
  for (const [key, value] of Object.entries(node)) {
    if (NON_CHILD_KEYS.has(key)) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) walk(item, visit);
    } else if (isNode(value)) {
      walk(value, visit);
    }
  }
}
