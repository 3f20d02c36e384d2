import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlow, parseFlowSource } from './parse.js';
import { isCairnError } from '../errors.js';
import type { ParsedStep } from './types.js';

function lineOf(source: string, needle: string): number {
  const i = source.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `${needle} not in source`);
  return i + 1;
}

function flowOf(body: string): string {
  return `import { FlowSpec, step, retry, type Inputs } from 'cairnflow';\n\nexport class F extends FlowSpec {\n${body}\n}\n`;
}

function stepOf(body: string, name: string): ParsedStep {
  const step = parseFlowSource(flowOf(body), 'f.ts', 'F').steps.find((s) => s.name === name);
  assert.ok(step, `step ${name} not found`);
  return step;
}

const EXAMPLE = `import { FlowSpec, step, retry, type Inputs } from 'cairnflow';

/** Doc of the flow */
export class MyFlow extends FlowSpec {
  declare xs: number[];
  /** start doc */
  @step start() { this.xs = [1, 2, 3]; this.next(this.a, this.b); }
  @step a() { this.next(this.join); }
  @retry({ times: 2 }) @step async b() { await sleep(1); this.next(this.fe, { foreach: 'xs' }); }
  @step fe() { this.next(this.fejoin); }
  @step fejoin(inputs: Inputs<MyFlow>) { this.next(this.join); }
  @step join(inputs: Inputs<MyFlow>) { this.mergeArtifacts(inputs); this.next(this.end); }
  helper() { return 1; }
  @step end() {}
}
MyFlow.main(import.meta);
`;

describe('parseFlowSource', () => {
  test('reads every @step method of the class, in source order, with its location', () => {
    const parsed = parseFlowSource(EXAMPLE, 'my.ts', 'MyFlow');
    assert.deepEqual(
      parsed.steps.map((s) => s.name),
      ['start', 'a', 'b', 'fe', 'fejoin', 'join', 'end'],
    );
    const b = parsed.steps[2];
    const bLine = EXAMPLE.split('\n')[lineOf(EXAMPLE, 'async b()') - 1] ?? '';
    assert.deepEqual(b?.loc, { file: 'my.ts', line: lineOf(EXAMPLE, 'async b()'), column: bLine.indexOf('b()') + 1 });
    assert.deepEqual(parsed.loc, { file: 'my.ts', line: lineOf(EXAMPLE, 'class MyFlow'), column: 14 });
    assert.deepEqual(parsed.methods, ['helper']);
  });

  test('reads the flow doc and step docs from JSDoc comments', () => {
    const parsed = parseFlowSource(EXAMPLE, 'my.ts', 'MyFlow');
    assert.equal(parsed.doc, 'Doc of the flow');
    assert.equal(parsed.steps[0]?.doc, 'start doc');
    assert.equal(parsed.steps[1]?.doc, undefined);
  });

  test('keeps multi-line docs without their comment markers and indentation', () => {
    const step = stepOf(
      `  /**\n   * Loads the data.\n   *\n   *   indented line\n   */\n  @step start() { this.next(this.end); }\n  @step end() {}`,
      'start',
    );
    assert.equal(step.doc, 'Loads the data.\n\n  indented line');
  });

  test('takes line comments right above a step as its doc, but not a trailing comment of the previous member', () => {
    const src = `  @step start() { this.next(this.a); } // not a doc\n  // first line\n  // second line\n  @step a() { this.next(this.end); }\n  @step end() {}`;
    assert.equal(stepOf(src, 'a').doc, 'first line\nsecond line');
    assert.equal(stepOf(src, 'end').doc, undefined);
  });

  test('records all decorators in any order, the parameter count and async', () => {
    const parsed = parseFlowSource(EXAMPLE, 'my.ts', 'MyFlow');
    const b = parsed.steps.find((s) => s.name === 'b');
    assert.deepEqual(b?.decorators, ['retry', 'step']);
    assert.equal(b?.isAsync, true);
    assert.equal(parsed.steps.find((s) => s.name === 'join')?.numArgs, 1);
    const after = stepOf(`  @step @retry() start() { this.next(this.end); }\n  @step end() {}`, 'start');
    assert.deepEqual(after.decorators, ['step', 'retry']);
  });

  test('recognizes step(...) calls, renamed imports and namespace imports as @step', () => {
    const src = `import { step as s } from 'cairnflow';\nimport * as c from 'cairnflow';\nclass F {\n  @s() start() { this.next(this.a); }\n  @c.step a() { this.next(this.end); }\n  @step end() {}\n}\n`;
    const parsed = parseFlowSource(src, 'f.ts', 'F');
    assert.deepEqual(parsed.steps.map((x) => [x.name, x.decorators]), [
      ['start', ['step']],
      ['a', ['step']],
      ['end', ['step']],
    ]);
  });

  test('does not count a TypeScript this parameter', () => {
    assert.equal(stepOf(`  @step start(this: F) { this.next(this.end); }\n  @step end() {}`, 'start').numArgs, 0);
  });

  test('reads the four transition forms', () => {
    assert.deepEqual(stepOf(`  @step start() { this.next(this.b); }`, 'start').transition, { kind: 'linear', target: 'b' });
    assert.deepEqual(stepOf(`  @step start() { this.next(this.a, this.b, this.c); }`, 'start').transition, {
      kind: 'split',
      targets: ['a', 'b', 'c'],
    });
    assert.deepEqual(stepOf(`  @step start() { this.next(this.x, { foreach: 'shards' }); }`, 'start').transition, {
      kind: 'foreach',
      target: 'x',
      foreach: 'shards',
    });
    assert.deepEqual(
      stepOf(`  @step start() { this.next({ k1: this.a, 'k2': this.b, 3: this.c }, { condition: 'size' }); }`, 'start')
        .transition,
      { kind: 'switch', cases: { k1: 'a', k2: 'b', '3': 'c' }, targets: ['a', 'b', 'c'], condition: 'size' },
    );
  });

  test('accepts TypeScript wrappers, await and return around the final this.next()', () => {
    assert.deepEqual(stepOf(`  @step start() { return this.next(this.b!); }`, 'start').transition, { kind: 'linear', target: 'b' });
    assert.deepEqual(stepOf(`  @step async start() { await this.next(this.b); }`, 'start').transition, {
      kind: 'linear',
      target: 'b',
    });
  });

  test('records where the final this.next() is', () => {
    const src = flowOf(`  @step start() {\n    const x = 1;\n    this.next(this.end);\n  }\n  @step end() {}`);
    const start = parseFlowSource(src, 'f.ts', 'F').steps[0];
    assert.deepEqual(start?.nextLoc, { file: 'f.ts', line: lineOf(src, 'this.next(this.end)'), column: 5 });
    assert.deepEqual(start?.strayNextLocs, []);
  });

  test('records a switch without condition as a switch with no condition', () => {
    assert.deepEqual(stepOf(`  @step start() { this.next({ a: this.a, b: this.b }); }`, 'start').transition, {
      kind: 'switch',
      cases: { a: 'a', b: 'b' },
      targets: ['a', 'b'],
    });
  });

  test('records malformed this.next() calls as invalid transitions with a reason', () => {
    const cases: Array<[string, RegExp]> = [
      ['this.next()', /without a target/],
      ['this.next(next)', /first argument is not a step reference/],
      ['this.next(this.a, other)', /second argument/],
      ['this.next(...steps)', /spread/],
      ['this.next(this["a"])', /first argument/],
      ['this.next(this.a, { foreach: attr })', /string literal/],
      ['this.next(this.a, this.b, { foreach: "xs" })', /exactly one target/],
      ['this.next(this.a, { foreach: "xs", extra: 1 })', /unknown option 'extra'/],
      ['this.next(this.a, {})', /empty/],
      ['this.next(this.a, { condition: "c" })', /cases as an object/],
      ['this.next({ [key]: this.a, b: this.b }, { condition: "c" })', /keys must be/],
      ['this.next({ a: this.a, b: other }, { condition: "c" })', /case 'b' must map to a step/],
      ['this.next({ a: this.a, b: this.b }, { condition: name })', /condition must be a string literal/],
      ['this.next({ a: this.a, b: this.b }, { foreach: "xs" })', /cannot be combined with foreach/],
      ['this.next(this.a, this.a)', /listed more than once/],
    ];
    for (const [call, reason] of cases) {
      const tr = stepOf(`  @step start() { ${call}; }`, 'start').transition;
      assert.equal(tr.kind, 'invalid', call);
      assert.match(tr.kind === 'invalid' ? tr.reason : '', reason, call);
    }
  });

  test('records a missing final this.next() and this.next() calls elsewhere in the method', () => {
    const src = flowOf(`  @step start() {\n    if (x) this.next(this.a);\n    else {\n      this.next(this.b);\n    }\n  }`);
    const start = parseFlowSource(src, 'f.ts', 'F').steps[0];
    assert.deepEqual(start?.transition, { kind: 'none' });
    assert.equal(start?.nextLoc, undefined);
    assert.deepEqual(start?.strayNextLocs.map((l) => l.line), [lineOf(src, 'this.a'), lineOf(src, 'this.b')]);
  });

  test('includes steps of a base class declared in the same file, the subclass winning', () => {
    const src = `import { FlowSpec, step } from 'cairnflow';
class Base extends FlowSpec {
  @step start() { this.next(this.middle); }
  @step middle() { this.next(this.end); }
  @step end() {}
}
export class Child extends Base {
  /** overridden */
  @step middle() { this.next(this.end); }
}
`;
    const parsed = parseFlowSource(src, 'f.ts', 'Child');
    assert.deepEqual(parsed.steps.map((s) => s.name), ['start', 'end', 'middle']);
    assert.equal(parsed.steps.find((s) => s.name === 'middle')?.doc, 'overridden');
  });

  test('lists a step defined twice twice, so that lint can report it', () => {
    const parsed = parseFlowSource(flowOf(`  @step start() { this.next(this.end); }\n  @step start() { this.next(this.end); }`), 'f.ts', 'F');
    assert.deepEqual(parsed.steps.map((s) => s.name), ['start', 'start']);
  });

  test('finds a non-exported or default-exported class', () => {
    assert.equal(parseFlowSource(`class A { @step start() {} }`, 'a.ts', 'A').steps.length, 1);
    assert.equal(parseFlowSource(`export default class B { @step start() {} }`, 'b.ts', 'B').steps.length, 1);
  });

  test('throws INVALID_FLOW naming the file and class when the class is not there', () => {
    assert.throws(
      () => parseFlowSource(EXAMPLE, 'my.ts', 'OtherFlow'),
      (e: unknown) =>
        isCairnError(e) &&
        e.code === 'INVALID_FLOW' &&
        /OtherFlow/.test(e.message) &&
        /my\.ts/.test(e.message) &&
        /MyFlow/.test(e.message) &&
        /extends FlowSpec/.test(e.message),
    );
  });

  test('throws INVALID_FLOW with the position when the source does not parse', () => {
    assert.throws(
      () => parseFlowSource('class A {\n  @step start( {}\n}', 'bad.ts', 'A'),
      (e: unknown) => isCairnError(e) && e.code === 'INVALID_FLOW' && /^bad\.ts:3:1: .*Unexpected token, expected ","\)/.test(e.message),
    );
  });
});

describe('parseFlow across files', () => {
  /** Files by path; imports resolve by joining the specifier (without extension) to the folder. */
  function reader(files: Record<string, string>) {
    return {
      read: (f: string) => {
        const text = files[f];
        if (text === undefined) throw new Error(`no ${f}`);
        return text;
      },
      resolve: (from: string, spec: string) => {
        if (!spec.startsWith('.')) return undefined;
        const dir = from.slice(0, from.lastIndexOf('/'));
        const parts = `${dir}/${spec}`.replace(/\.js$/, '').split('/');
        const out: string[] = [];
        for (const p of parts) p === '..' ? out.pop() : p !== '.' && out.push(p);
        const path = `${out.join('/')}.ts`;
        return path in files ? path : undefined;
      },
    };
  }

  test('follows named, renamed, default, namespace and re-exported bases, each step keeping its file', () => {
    const files = {
      '/p/flow.ts': `import Mid from './lib/mid.js';\nexport class F extends Mid {\n  @step end() {}\n}\n`,
      '/p/lib/mid.ts': `import * as all from './all';\nexport default class Mid extends all.Root {\n  @step middle() { this.next(this.end); }\n}\n`,
      '/p/lib/all.ts': `export * from './other';\nexport { Base as Root } from './root';\n`,
      '/p/lib/other.ts': `export const x = 1;\n`,
      '/p/lib/root.ts': `import { FlowSpec as FS, step as s } from 'cairnflow';\nexport class Base extends FS {\n  @s start() { this.next(this.middle); }\n}\n`,
    };
    const parsed = parseFlow({ file: '/p/flow.ts', className: 'F', reader: reader(files) });
    assert.deepEqual(parsed.steps.map((s) => [s.name, s.loc.file, s.loc.line]), [
      ['start', '/p/lib/root.ts', 3],
      ['middle', '/p/lib/mid.ts', 3],
      ['end', '/p/flow.ts', 3],
    ]);
    assert.deepEqual(parsed.bases.map((b) => b.name), ['Base', 'Mid']);
    assert.equal(parsed.unreadBase, undefined);
    assert.deepEqual(new Set(parsed.files), new Set(['/p/flow.ts', '/p/lib/mid.ts', '/p/lib/all.ts',  '/p/lib/root.ts']), 'a name exported by name is found without reading the star exports');
  });

  test('says why a base cannot be read: a package, an expression, a name nothing declares', () => {
    const unread = (src: string) => parseFlow({ file: '/p/f.ts', className: 'F', reader: reader({ '/p/f.ts': src }) }).unreadBase;
    assert.match(unread(`import { Base } from 'some-lib';\nexport class F extends Base {}`)!.why, /package 'some-lib'/);
    assert.match(unread(`export class F extends mix(FlowSpec) {}`)!.why, /named directly/);
    assert.deepEqual(unread(`export class F extends Nope {}`)!.loc, { file: '/p/f.ts', line: 1, column: 24 });
    assert.equal(unread(`import { FlowSpec } from 'cairnflow';\nexport class F extends FlowSpec {}`), undefined);
  });

  test('stops at a cycle of re-exports instead of looping', () => {
    const files = {
      '/p/f.ts': `import { B } from './a';\nexport class F extends B {}\n`,
      '/p/a.ts': `export { B } from './b';\n`,
      '/p/b.ts': `export { B } from './a';\n`,
    };
    assert.match(parseFlow({ file: '/p/f.ts', className: 'F', reader: reader(files) }).unreadBase!.why, /exports no class B/);
  });
});
