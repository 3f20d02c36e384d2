import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlowSource } from './parse.js';
import { buildGraph } from './graph.js';
import { formatLintIssue, lintGraph } from './lint.js';
import type { LintIssue } from './types.js';

const HEADER = `import { FlowSpec, step, type Inputs } from 'cairnflow';\n\nexport class F extends FlowSpec {\n`;

function lintOf(body: string): { src: string; issues: LintIssue[] } {
  const src = `${HEADER}${body}\n}\n`;
  const parsed = parseFlowSource(src, 'f.ts', 'F');
  return { src, issues: lintGraph(buildGraph(parsed), parsed) };
}

function lineOf(source: string, needle: string): number {
  const i = source.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `${needle} not in source`);
  return i + 1;
}

/**
 * Lints the flow and returns the one issue matching `pattern`, checking that it names `step`
 * and points at the line containing `at`. Unless `total` says otherwise, it must be the only issue.
 */
function expectIssue(body: string, pattern: RegExp, step: string | undefined, at: string, total = 1): LintIssue {
  const { src, issues } = lintOf(body);
  const all = issues.map(formatLintIssue).join('\n');
  const found = issues.filter((i) => pattern.test(i.message));
  assert.equal(found.length, 1, `expected one issue matching ${pattern}, got:\n${all}`);
  assert.equal(issues.length, total, `expected ${total} issue(s), got:\n${all}`);
  const issue = found[0];
  assert.ok(issue);
  assert.equal(issue.step, step);
  if (step !== undefined) assert.ok(issue.message.includes(`*${step}*`), issue.message);
  assert.equal(issue.loc?.file, 'f.ts');
  assert.equal(issue.loc?.line, lineOf(src, at), all);
  return issue;
}

const J = 'inputs: Inputs<F>';

describe('lintGraph: steps and transitions', () => {
  test('accepts a well-formed flow with every kind of transition', () => {
    const { issues } = lintOf(
      `  @step start() { this.next(this.a, this.b); }\n` +
        `  @step a() { this.next({ again: this.a, done: this.c }, { condition: 'more' }); }\n` +
        `  @step c() { this.next(this.join); }\n` +
        `  @step b() { this.next(this.fe, { foreach: 'xs' }); }\n` +
        `  @step fe() { this.next(this.inner, { foreach: 'ys' }); }\n` +
        `  @step inner() { this.next(this.innerjoin); }\n` +
        `  @step innerjoin(${J}) { this.next(this.fejoin); }\n` +
        `  @step fejoin(${J}) { this.next(this.join); }\n` +
        `  @step join(${J}) { this.next(this.end); }\n  @step end() {}`,
    );
    assert.deepEqual(issues, []);
  });

  test('reports a step named like a reserved word', () => {
    expectIssue(
      `  @step start() { this.next(this.cmd); }\n  @step cmd() { this.next(this.end); }\n  @step end() {}`,
      /is a reserved word\. Choose another name/,
      'cmd',
      '@step cmd()',
    );
  });

  test('reports a step named like a FlowSpec member, without also calling the name invalid', () => {
    expectIssue(
      `  @step start() { this.next(this.mergeArtifacts); }\n  @step mergeArtifacts() { this.next(this.end); }\n  @step end() {}`,
      /Step name \*mergeArtifacts\* is a reserved word/,
      'mergeArtifacts',
      '@step mergeArtifacts()',
    );
  });

  test('reports a flow without a start step, at the class', () => {
    expectIssue(
      `  @step begin() { this.next(this.end); }\n  @step end() {}`,
      /must have exactly one start step\. Add a @step method named 'start'/,
      undefined,
      'export class F',
    );
  });

  test('reports a flow without an end step once, not also as an unknown target', () => {
    expectIssue(
      `  @step start() { this.next(this.end); }`,
      /must have exactly one end step\. Add a @step method named 'end'/,
      undefined,
      'export class F',
    );
  });

  test('reports a step defined twice, at the second definition', () => {
    const issue = expectIssue(
      `  @step start() { this.next(this.end); }\n  @step end() {}\n  @step start() { this.next(this.end); } // again`,
      /is defined more than once \(lines 4 and 6\).*Rename or remove one/,
      'start',
      '// again',
    );
    assert.equal(issue.loc?.line, 6);
  });

  test('reports incoming transitions into the start step', () => {
    expectIssue(
      `  @step start() { this.next(this.a); }\n  @step a() { this.next({ back: this.start, on: this.end }, { condition: 'k' }); }\n  @step end() {}`,
      /start step \*start\* has incoming transitions from \*a\*.*remove this\.next\(this\.start\)/,
      'start',
      '@step start()',
      2, // and the loop it makes
    );
  });

  test('reports a this.next() in the end step, at the call', () => {
    expectIssue(
      `  @step start() { this.next(this.end); }\n  @step end() {\n    this.next(this.start);\n  }`,
      /terminal step \*end\* should not have a this\.next\(\) transition\. Just remove it\./,
      'end',
      'this.next(this.start)',
    );
  });

  test('reports an end step that takes inputs', () => {
    expectIssue(
      `  @step start() { this.next(this.end); }\n  @step end(${J}) {}`,
      /terminal step \*end\* should not be a join step.*Add a join step before it\./,
      'end',
      '@step end(',
    );
  });

  test('reports an invalid step name and suggests a valid one', () => {
    expectIssue(
      `  @step start() { this.next(this.loadData); }\n  @step loadData() { this.next(this.end); }\n  @step end() {}`,
      /\*loadData\* has an invalid name\. Only lowercase ascii characters, underscores, and digits.*\*load_data\*/,
      'loadData',
      '@step loadData()',
    );
    expectIssue(
      `  @step start() { this.next(this._x); }\n  @step _x() { this.next(this.end); }\n  @step end() {}`,
      /must not start with an underscore/,
      '_x',
      '@step _x()',
    );
  });

  test('reports a step with too many arguments', () => {
    expectIssue(
      `  @step start() { this.next(this.a, this.b); }\n  @step a() { this.next(this.join); }\n  @step b() { this.next(this.join); }\n` +
        `  @step join(inputs: Inputs<F>, extra: number) { this.next(this.end); }\n  @step end() {}`,
      /has too many arguments\. Normal steps take no arguments\. Join steps take one: inputs\./,
      'join',
      '@step join(',
    );
  });

  test('reports a step that is both a join and a split, without cascading balance errors', () => {
    expectIssue(
      `  @step start() { this.next(this.a, this.b); }\n  @step a() { this.next(this.join); }\n  @step b() { this.next(this.join); }\n` +
        `  @step join(${J}) { this.next(this.c, this.d); }\n  @step c() { this.next(this.j2); }\n  @step d() { this.next(this.j2); }\n` +
        `  @step j2(${J}) { this.next(this.end); }\n  @step end() {}`,
      /is both a join step \(it takes an inputs argument\) and a split step.*Add a new step/,
      'join',
      '@step join(',
    );
  });

  test('reports a step without a final this.next(), without calling later steps unreachable', () => {
    expectIssue(
      `  @step start() { this.next(this.a); }\n  @step a() {\n    console.log('no next');\n  }\n  @step end() {}`,
      /\*a\* is missing a this\.next\(\) transition to the next step\. Add a this\.next\(\) as the last line in the function\./,
      'a',
      '@step a()',
    );
  });

  test('reports a this.next() that is not the last statement, naming its line', () => {
    const issue = expectIssue(
      `  @step start() {\n    this.next(this.end);\n    console.log('after');\n  }\n  @step end() {}`,
      /\*start\* is missing a this\.next\(\) transition.*It calls this\.next\(\) at line 5, but not as its last statement\./,
      'start',
      '@step start()',
    );
    assert.match(issue.message, /Add a this\.next\(\) as the last line/);
  });

  test('reports this.next() called more than once, at the extra call', () => {
    expectIssue(
      `  @step start() {\n    if (Math.random() > 0.5) this.next(this.end);\n    this.next(this.end);\n  }\n  @step end() {}`,
      /\*start\* calls this\.next\(\) more than once \(also at line 5\).*use a switch/,
      'start',
      'Math.random()',
    );
  });

  test('reports a malformed this.next() with the four valid forms', () => {
    const issue = expectIssue(
      `  @step start() {\n    const target = this.end;\n    this.next(target);\n  }\n  @step end() {}`,
      /\*start\* specifies an invalid this\.next\(\) transition: the first argument is not a step reference/,
      'start',
      'this.next(target)',
    );
    for (const form of [
      'Linear: this.next(this.stepName)',
      'Fan-out: this.next(this.step1, this.step2, ...)',
      "Foreach: this.next(this.step, { foreach: 'artifact' })",
      "Switch: this.next({ key: this.step, ... }, { condition: 'artifact' })",
    ]) {
      assert.ok(issue.message.includes(form), form);
    }
  });

  test('reports a transition to an unknown step and suggests a close name', () => {
    expectIssue(
      `  @step start() { this.next(this.midle); }\n  @step middle() { this.next(this.end); }\n  @step end() {}`,
      /\*start\* specifies a this\.next\(\) transition to an unknown step, \*midle\*\. Did you mean \*middle\*\?/,
      'start',
      'this.midle',
    );
  });

  test('reports a transition to a method that lacks @step', () => {
    expectIssue(
      `  @step start() { this.next(this.helper); }\n  helper() { this.next(this.end); }\n  @step end() {}`,
      /unknown step, \*helper\*\. \*helper\* is a method of the flow but is not decorated with @step/,
      'start',
      'this.helper',
    );
  });

  test('reports a switch with fewer than two cases', () => {
    expectIssue(
      `  @step start() { this.next({ only: this.end }, { condition: 'k' }); }\n  @step end() {}`,
      /\*start\* is a switch split but defines 1 transition\. Switch splits must define at least 2 transitions/,
      'start',
      '@step start()',
    );
  });

  test('reports a switch without a condition', () => {
    expectIssue(
      `  @step start() { this.next({ a: this.a, b: this.end }); }\n  @step a() { this.next(this.end); }\n  @step end() {}`,
      /\*start\* is a switch split but has no condition variable.*\{ condition: 'artifact' \}/,
      'start',
      '@step start()',
    );
  });

  test('works without the parsed source, and never reports duplicates then', () => {
    const src = `${HEADER}  @step start() { this.next(this.end); }\n  @step end() {}\n  @step end() {}\n}\n`;
    const parsed = parseFlowSource(src, 'f.ts', 'F');
    assert.deepEqual(lintGraph(buildGraph(parsed)), []);
    assert.equal(lintGraph(buildGraph(parsed), parsed).length, 1);
  });
});

describe('formatLintIssue', () => {
  test('prefixes the message with file:line:column', () => {
    const issue: LintIssue = { step: 'join', loc: { file: 'file.ts', line: 12, column: 3 }, message: 'Step *join* is wrong.' };
    assert.equal(formatLintIssue(issue), 'file.ts:12:3: Step *join* is wrong.');
    assert.equal(formatLintIssue({ message: 'No location.' }), 'No location.');
  });
});
