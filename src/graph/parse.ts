/** Reads a flow class and its `@step` methods from TypeScript source, before anything runs. */
import { parse as babelParse } from '@babel/parser';
import type * as t from '@babel/types';
import { CairnError } from '../errors.js';
import { docBetween } from './doc-comments.js';
import { isThisNextCall, parseNextCall, unwrapExpression } from './parse-transition.js';
import type { ParsedFlow, ParsedStep, SourceLocation } from './types.js';

type NextCall = t.CallExpression | t.OptionalCallExpression;

interface TopLevelClass {
  decl: t.ClassDeclaration;
  /** The top-level statement holding it (the `export` declaration, if any). */
  statement: t.Statement;
  /** Where the previous top-level statement ends (doc comments are searched after it). */
  prevEnd: number;
}

interface Ctx {
  source: string;
  file: string;
  comments: readonly t.Comment[];
  /** Local name → imported name, for renamed imports (`import { step as s }`). */
  aliases: Map<string, string>;
}

/**
 * Parses `source` (the text of `file`) and reads the class named `className`: its doc comment and
 * every method decorated with `@step` (as `step` or `step(...)`, stacked with other decorators in
 * any order). Each step's transition is read from its last statement, which must be
 * `this.next(...)`; other shapes are recorded for lint to report, never thrown.
 *
 * The class must be declared at the top level of the file (exported or not). Steps inherited from
 * a base class declared in the same file are included (the subclass's methods win); steps of a base
 * class imported from another file are not seen.
 *
 * Throws a `CairnError` with code `INVALID_FLOW` if the source does not parse or the class is not
 * in the file.
 */
export function parseFlowSource(source: string, file: string, className: string): ParsedFlow {
  const ast = parseSource(source, file);
  const ctx: Ctx = { source, file, comments: ast.comments ?? [], aliases: importAliases(ast.program) };
  const classes = topLevelClasses(ast.program);
  const found = classes.get(className);
  if (found === undefined) {
    const others = [...classes.keys()];
    throw new CairnError(
      'INVALID_FLOW',
      `No class named ${className} was found at the top level of ${file}` +
        (others.length > 0 ? ` (it declares ${others.join(', ')})` : '') +
        `. Export a class that extends FlowSpec from that file: ` +
        `\`export class ${className} extends FlowSpec { ... }\`.`,
    );
  }

  const chain = classChain(found, classes);
  let steps: Array<ParsedStep & { offset: number }> = [];
  let methods: string[] = [];
  for (const cls of chain) {
    const own = readMembers(cls.decl, ctx);
    const defined = new Set([...own.steps.map((s) => s.name), ...own.methods]);
    steps = [...steps.filter((s) => !defined.has(s.name)), ...own.steps];
    methods = [...methods.filter((m) => !defined.has(m)), ...own.methods];
  }
  steps.sort((a, b) => a.offset - b.offset);

  const decl = found.decl;
  const id = decl.id ?? decl;
  return {
    flowName: className,
    file,
    loc: locOf(id, file),
    doc: docBetween(ctx.comments, {
      from: found.prevEnd,
      to: start(id),
      anchorLine: found.statement.loc?.start.line ?? 1,
      skip: (decl.decorators ?? []).map(rangeOf),
    }),
    steps: steps.map(({ offset: _offset, ...step }) => step),
    methods: [...new Set(methods)],
  };
}

function parseSource(source: string, file: string): t.File {
  try {
    return babelParse(source, {
      sourceType: 'module',
      sourceFilename: file,
      plugins: ['typescript', ['decorators', { allowCallParenthesized: true }]],
    });
  } catch (e) {
    const pos = (e as { loc?: { line?: number; column?: number } }).loc;
    const where = pos?.line !== undefined ? `${file}:${pos.line}:${(pos.column ?? 0) + 1}` : file;
    const reason = (e instanceof Error ? e.message : String(e)).replace(/ \(\d+:\d+\)$/, '');
    throw new CairnError(
      'INVALID_FLOW',
      `${where}: the flow file could not be parsed as TypeScript (${reason}). Fix the syntax error and try again.`,
      { cause: e },
    );
  }
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

function locOf(node: t.Node, file: string): SourceLocation {
  const pos = node.loc?.start;
  return { file, line: pos?.line ?? 1, column: (pos?.column ?? 0) + 1 };
}

/** The offset just after the line on which `offset` lies (so same-line trailing comments are skipped). */
function nextLineStart(source: string, offset: number): number {
  const nl = source.indexOf('\n', offset);
  return nl === -1 ? source.length : nl + 1;
}

function importAliases(program: t.Program): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const stmt of program.body) {
    if (stmt.type !== 'ImportDeclaration') continue;
    for (const spec of stmt.specifiers) {
      if (spec.type !== 'ImportSpecifier') continue;
      const imported = spec.imported.type === 'Identifier' ? spec.imported.name : spec.imported.value;
      if (imported !== spec.local.name) aliases.set(spec.local.name, imported);
    }
  }
  return aliases;
}

function topLevelClasses(program: t.Program): Map<string, TopLevelClass> {
  const classes = new Map<string, TopLevelClass>();
  let prevEnd = 0;
  for (const stmt of program.body) {
    let decl: t.Node | null | undefined = stmt;
    if (stmt.type === 'ExportNamedDeclaration' || stmt.type === 'ExportDefaultDeclaration') {
      decl = stmt.declaration;
    }
    if (decl?.type === 'ClassDeclaration' && decl.id) {
      classes.set(decl.id.name, { decl, statement: stmt, prevEnd });
    }
    prevEnd = end(stmt);
  }
  return classes;
}

/** The class and its same-file base classes, base first. */
function classChain(cls: TopLevelClass, classes: Map<string, TopLevelClass>): TopLevelClass[] {
  const chain: TopLevelClass[] = [cls];
  const seen = new Set<t.ClassDeclaration>([cls.decl]);
  let cur = cls;
  for (;;) {
    const sup = cur.decl.superClass ? unwrapExpression(cur.decl.superClass) : undefined;
    const base = sup?.type === 'Identifier' ? classes.get(sup.name) : undefined;
    if (base === undefined || seen.has(base.decl)) break;
    seen.add(base.decl);
    chain.unshift(base);
    cur = base;
  }
  return chain;
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
