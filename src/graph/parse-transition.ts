/**
 * Reads a `this.next(...)` call into a transition, statically. The four valid forms are:
 *   linear   this.next(this.b)
 *   fan-out  this.next(this.a, this.b, ...)
 *   foreach  this.next(this.x, { foreach: 'attr' })
 *   switch   this.next({ k1: this.a, 'k2': this.b, 3: this.c }, { condition: 'attr' })
 * Anything else becomes an `invalid` transition with a reason, for lint to report.
 */
import type * as t from '@babel/types';
import type { ParsedTransition } from './types.js';

type NextCall = t.CallExpression | t.OptionalCallExpression;
type Argument = NextCall['arguments'][number];

/** Strips parentheses and TypeScript-only wrappers (`x as T`, `x!`, `x satisfies T`, `<T>x`). */
export function unwrapExpression(node: t.Node): t.Node {
  let cur = node;
  for (;;) {
    switch (cur.type) {
      case 'ParenthesizedExpression':
      case 'TSAsExpression':
      case 'TSSatisfiesExpression':
      case 'TSNonNullExpression':
      case 'TSTypeAssertion':
        cur = cur.expression;
        break;
      default:
        return cur;
    }
  }
}

/** True for `this.next(...)` (also `this.next?.(...)` and `this['next'](...)`). */
export function isThisNextCall(node: t.Node): node is NextCall {
  if (node.type !== 'CallExpression' && node.type !== 'OptionalCallExpression') return false;
  const callee = unwrapExpression(node.callee);
  if (callee.type !== 'MemberExpression' && callee.type !== 'OptionalMemberExpression') return false;
  if (unwrapExpression(callee.object).type !== 'ThisExpression') return false;
  const prop = callee.property;
  if (!callee.computed) return prop.type === 'Identifier' && prop.name === 'next';
  return prop.type === 'StringLiteral' && prop.value === 'next';
}

/** `this.<name>` → name, otherwise undefined. */
function stepRef(node: t.Node): string | undefined {
  const expr = unwrapExpression(node);
  if (expr.type !== 'MemberExpression' || expr.computed) return undefined;
  if (unwrapExpression(expr.object).type !== 'ThisExpression') return undefined;
  return expr.property.type === 'Identifier' ? expr.property.name : undefined;
}

/** A string literal (or a template literal without substitutions), otherwise undefined. */
function stringValue(node: t.Node): string | undefined {
  const expr = unwrapExpression(node);
  if (expr.type === 'StringLiteral') return expr.value;
  if (expr.type === 'TemplateLiteral' && expr.expressions.length === 0) {
    return expr.quasis.map((q) => q.value.cooked ?? q.value.raw).join('');
  }
  return undefined;
}

function ordinal(i: number): string {
  return ['first', 'second', 'third', 'fourth', 'fifth'][i] ?? `number ${i + 1}`;
}

type Options = { ok: true; values: Map<string, t.Node> } | { ok: false; reason: string };

/** Reads `{ foreach: ... }` / `{ condition: ... }`: plain, non-computed properties only. */
function readOptions(node: t.ObjectExpression): Options {
  const values = new Map<string, t.Node>();
  for (const prop of node.properties) {
    if (prop.type !== 'ObjectProperty' || prop.computed) {
      return { ok: false, reason: 'the options object may only hold plain properties' };
    }
    const key = prop.key;
    const name =
      key.type === 'Identifier' ? key.name : key.type === 'StringLiteral' ? key.value : undefined;
    if (name === undefined) {
      return { ok: false, reason: 'the options object may only hold plain properties' };
    }
    if (name !== 'foreach' && name !== 'condition') {
      return { ok: false, reason: `unknown option '${name}' (use 'foreach' or 'condition')` };
    }
    values.set(name, prop.value);
  }
  if (values.size === 0) return { ok: false, reason: 'the options object is empty' };
  if (values.size > 1) {
    return { ok: false, reason: "'foreach' and 'condition' cannot be combined" };
  }
  return { ok: true, values };
}

type Cases = { ok: true; cases: Record<string, string>; targets: string[] } | { ok: false; reason: string };

/** Reads `{ k1: this.a, 'k2': this.b, 3: this.c }`. */
function readSwitchCases(node: t.ObjectExpression): Cases {
  const cases: Record<string, string> = {};
  const targets: string[] = [];
  for (const prop of node.properties) {
    if (prop.type !== 'ObjectProperty') {
      return { ok: false, reason: 'switch cases must be plain `key: this.step` properties' };
    }
    const key = prop.key;
    let caseKey: string | undefined;
    if (!prop.computed) {
      if (key.type === 'Identifier') caseKey = key.name;
      else if (key.type === 'StringLiteral') caseKey = key.value;
      else if (key.type === 'NumericLiteral') caseKey = String(key.value);
    }
    if (caseKey === undefined) {
      return { ok: false, reason: 'switch case keys must be identifiers, string literals or numbers' };
    }
    const target = stepRef(prop.value);
    if (target === undefined) {
      return { ok: false, reason: `switch case '${caseKey}' must map to a step, written this.stepName` };
    }
    cases[caseKey] = target;
    targets.push(target);
  }
  return { ok: true, cases, targets };
}

function isSpread(arg: Argument): boolean {
  return arg.type === 'SpreadElement' || arg.type === 'ArgumentPlaceholder';
}

function parseSwitch(args: Argument[], dict: t.ObjectExpression): ParsedTransition {
  const read = readSwitchCases(dict);
  if (!read.ok) return { kind: 'invalid', reason: read.reason };
  if (args.length > 2) {
    return { kind: 'invalid', reason: 'a switch takes the cases and one options object, nothing else' };
  }
  const opts = args[1];
  const { cases, targets } = read;
  if (opts === undefined) return { kind: 'switch', cases, targets };
  const optsNode = unwrapExpression(opts);
  if (optsNode.type !== 'ObjectExpression') {
    return { kind: 'invalid', reason: "the second argument of a switch must be { condition: 'artifact' }" };
  }
  const options = readOptions(optsNode);
  if (!options.ok) return { kind: 'invalid', reason: options.reason };
  const condition = options.values.get('condition');
  if (condition === undefined) {
    return { kind: 'invalid', reason: 'a switch cannot be combined with foreach' };
  }
  const name = stringValue(condition);
  if (name === undefined) {
    return { kind: 'invalid', reason: 'the condition must be a string literal naming an artifact' };
  }
  return { kind: 'switch', cases, targets, condition: name };
}

/** Reads the arguments of a `this.next(...)` call. */
export function parseNextCall(call: NextCall): ParsedTransition {
  const args = call.arguments;
  if (args.length === 0) {
    return { kind: 'invalid', reason: 'this.next() is called without a target step' };
  }
  if (args.some(isSpread)) {
    return { kind: 'invalid', reason: 'spread arguments cannot be read before the flow runs' };
  }
  const first = args[0];
  if (first === undefined) return { kind: 'invalid', reason: 'no target step' };
  const firstNode = unwrapExpression(first);
  if (firstNode.type === 'ObjectExpression') return parseSwitch(args, firstNode);

  const last = args[args.length - 1];
  const lastNode = last === undefined ? undefined : unwrapExpression(last);
  const optsNode = args.length > 1 && lastNode?.type === 'ObjectExpression' ? lastNode : undefined;
  const targetArgs = optsNode === undefined ? args : args.slice(0, -1);

  const targets: string[] = [];
  for (const [i, arg] of targetArgs.entries()) {
    const name = stepRef(arg);
    if (name === undefined) {
      return {
        kind: 'invalid',
        reason: `the ${ordinal(i)} argument is not a step reference of the form this.stepName`,
      };
    }
    if (targets.includes(name)) {
      return { kind: 'invalid', reason: `step ${name} is listed more than once` };
    }
    targets.push(name);
  }

  if (optsNode === undefined) {
    const [only] = targets;
    if (targets.length === 1 && only !== undefined) return { kind: 'linear', target: only };
    return { kind: 'split', targets };
  }
  const options = readOptions(optsNode);
  if (!options.ok) return { kind: 'invalid', reason: options.reason };
  const foreach = options.values.get('foreach');
  if (foreach === undefined) {
    return {
      kind: 'invalid',
      reason: "a condition needs the cases as an object: this.next({ key: this.step, ... }, { condition: 'artifact' })",
    };
  }
  const attr = stringValue(foreach);
  if (attr === undefined || attr === '') {
    return { kind: 'invalid', reason: 'the foreach option must be a string literal naming an artifact' };
  }
  const [target] = targets;
  if (targets.length !== 1 || target === undefined) {
    return { kind: 'invalid', reason: 'a foreach transition takes exactly one target step' };
  }
  return { kind: 'foreach', target, foreach: attr };
}
