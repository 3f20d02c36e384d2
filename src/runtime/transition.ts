/** Checks what a step did against the static graph, and works out where the run goes next. */
import { CairnError } from '../errors.js';
import type { Transition } from '../authoring/task-hooks.js';
import type { ExpectedTransition } from './protocol.js';

function describe(t: Transition): string {
  if (t.kind === 'foreach') return `this.next(this.${t.targets[0]}, { foreach: '${t.foreach}' })`;
  if (t.kind === 'switch') {
    const cases = Object.entries(t.cases).map(([k, v]) => `${k}: this.${v}`).join(', ');
    return `this.next({ ${cases} }, { condition: '${t.condition}' })`;
  }
  return `this.next(${t.targets.map((s) => `this.${s}`).join(', ')})`;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Throws unless the transition the step made is the one its source declares. */
export function checkTransition(step: string, expected: ExpectedTransition, actual: Transition | undefined): void {
  if (expected.type === 'end') {
    if (actual) throw new CairnError('INVALID_TRANSITION', `The end step must not call this.next(); it called ${describe(actual)}.`);
    return;
  }
  if (!actual) {
    throw new CairnError(
      'INVALID_TRANSITION',
      `Step ${step} finished without calling this.next(). Every step but end must end with a this.next(...) call.`,
    );
  }
  let ok: boolean;
  if (expected.foreach !== undefined) {
    ok = actual.kind === 'foreach' && actual.foreach === expected.foreach && sameList(actual.targets, expected.out);
  } else if (expected.switch) {
    const want = expected.switch;
    ok =
      actual.kind === 'switch' &&
      actual.condition === want.condition &&
      sameList(Object.keys(actual.cases).sort(), Object.keys(want.cases).sort()) &&
      Object.entries(want.cases).every(([k, v]) => actual.cases[k] === v);
  } else {
    ok = actual.kind === 'linear' && sameList(actual.targets, expected.out);
  }
  if (!ok) {
    throw new CairnError(
      'INVALID_TRANSITION',
      `Based on static analysis of the code, step ${step} was expected to transition to ` +
        `${expected.out.join(', ')}${expected.foreach ? ` (foreach over '${expected.foreach}')` : ''}` +
        `${expected.switch ? ` (switch on '${expected.switch.condition}')` : ''}, but it called ${describe(actual)}. ` +
        'Make sure the this.next(...) that runs is the last statement of the step, with the same arguments every time.',
    );
  }
}

/** The value of a switch condition picks one case; its key is the value as a string. */
export function chooseCase(step: string, condition: string, value: unknown, cases: Record<string, string>): string {
  const key = String(value);
  const target = Object.hasOwn(cases, key) ? cases[key] : undefined;
  if (target === undefined) {
    throw new CairnError(
      'INVALID_TRANSITION',
      `Step ${step} switches on '${condition}', whose value ${JSON.stringify(key)} matches no case ` +
        `(${Object.keys(cases).join(', ')}). Add a case for it, or set '${condition}' to one of them.`,
    );
  }
  return target;
}

/** The number of splits of a foreach artifact. */
export function splitCount(step: string, name: string, value: unknown, maxNumSplits: number): number {
  let n: number;
  if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) n = (value as ArrayLike<unknown>).length;
  else if (value instanceof Set || value instanceof Map) n = value.size;
  else if (typeof value === 'string') n = value.length;
  else {
    throw new CairnError(
      'INVALID_TRANSITION',
      `Step ${step} has a foreach over '${name}', which is ${value === undefined ? 'not set' : value === null ? 'null' : `of type ${typeof value}`}; ` +
        `assign a list to this.${name} before calling this.next().`,
    );
  }
  if (n === 0) {
    throw new CairnError(
      'INVALID_TRANSITION',
      `Step ${step} has a foreach over '${name}', which produced zero splits. A foreach needs at least one element.`,
    );
  }
  if (n > maxNumSplits) {
    throw new CairnError(
      'INVALID_TRANSITION',
      `Foreach in step ${step} yields ${n} child steps, which is more than the current maximum of ${maxNumSplits}. ` +
        `If that is intended, raise the limit with --max-num-splits ${n}.`,
    );
  }
  return n;
}

/** The element at `index` of a foreach artifact (a list, a typed array, a Set, a Map or a string). */
export function elementAt(list: unknown, index: number): unknown {
  if (Array.isArray(list) || ArrayBuffer.isView(list) || typeof list === 'string') return (list as ArrayLike<unknown>)[index];
  if (list instanceof Set || list instanceof Map) return [...list][index];
  return undefined;
}
