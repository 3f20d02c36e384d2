import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlowSource } from './parse.js';
import { buildGraph, reachableSteps, topologicalOrder } from './graph.js';
import type { FlowGraph, StepNode } from './types.js';

function graphOf(body: string): FlowGraph {
  const src = `import { FlowSpec, step, type Inputs } from 'cairnflow';\nexport class F extends FlowSpec {\n${body}\n}\n`;
  return buildGraph(parseFlowSource(src, 'f.ts', 'F'));
}

function node(graph: FlowGraph, name: string): StepNode {
  const n = graph.steps.get(name);
  assert.ok(n, `no step ${name}`);
  return n;
}

/** name → [type, out, in, splitParents, matchingSplit] for compact assertions. */
function shape(graph: FlowGraph): Record<string, [string, string[], string[], string[], string?]> {
  const out: Record<string, [string, string[], string[], string[], string?]> = {};
  for (const n of graph.steps.values()) {
    out[n.name] = n.matchingSplit === undefined ? [n.type, n.out, n.in, n.splitParents] : [n.type, n.out, n.in, n.splitParents, n.matchingSplit];
  }
  return out;
}

const J = 'inputs: Inputs<F>';

describe('buildGraph', () => {
  test('builds a linear flow with start, linear and end nodes', () => {
    const g = graphOf(`  @step start() { this.next(this.middle); }\n  @step middle() { this.next(this.end); }\n  @step end() {}`);
    assert.equal(g.start, 'start');
    assert.equal(g.end, 'end');
    assert.equal(g.flowName, 'F');
    assert.deepEqual(shape(g), {
      start: ['start', ['middle'], [], []],
      middle: ['linear', ['end'], ['start'], []],
      end: ['end', [], ['middle'], []],
    });
  });

  test('builds a static branch closed by a join, with split parents and the matching split', () => {
    const g = graphOf(
      `  @step start() { this.next(this.a, this.b); }\n  @step a() { this.next(this.join); }\n  @step b() { this.next(this.join); }\n` +
        `  @step join(${J}) { this.next(this.end); }\n  @step end() {}`,
    );
    assert.deepEqual(shape(g), {
      start: ['split', ['a', 'b'], [], []],
      a: ['linear', ['join'], ['start'], ['start']],
      b: ['linear', ['join'], ['start'], ['start']],
      join: ['join', ['end'], ['a', 'b'], ['start'], 'start'],
      end: ['end', [], ['join'], []],
    });
    assert.equal(node(g, 'start').matchingJoin, 'join');
    assert.deepEqual(node(g, 'a').splitBranches, ['a']);
    assert.deepEqual(node(g, 'join').splitBranches, []);
  });

  test('builds a foreach with its artifact name', () => {
    const g = graphOf(
      `  @step start() { this.next(this.each, { foreach: 'xs' }); }\n  @step each() { this.next(this.join); }\n` +
        `  @step join(${J}) { this.next(this.end); }\n  @step end() {}`,
    );
    assert.equal(node(g, 'start').type, 'foreach');
    assert.equal(node(g, 'start').foreach, 'xs');
    assert.deepEqual(node(g, 'each').splitParents, ['start']);
    assert.equal(node(g, 'join').matchingSplit, 'start');
  });

  test('builds nested foreaches, each join closing the innermost open split', () => {
    const g = graphOf(
      `  @step start() { this.next(this.outer, { foreach: 'xs' }); }\n` +
        `  @step outer() { this.next(this.inner, { foreach: 'ys' }); }\n` +
        `  @step inner() { this.next(this.innerjoin); }\n` +
        `  @step innerjoin(${J}) { this.next(this.outerjoin); }\n` +
        `  @step outerjoin(${J}) { this.next(this.end); }\n  @step end() {}`,
    );
    assert.deepEqual(shape(g), {
      start: ['foreach', ['outer'], [], []],
      outer: ['foreach', ['inner'], ['start'], ['start']],
      inner: ['linear', ['innerjoin'], ['outer'], ['start', 'outer']],
      innerjoin: ['join', ['outerjoin'], ['inner'], ['start', 'outer'], 'outer'],
      outerjoin: ['join', ['end'], ['innerjoin'], ['start'], 'start'],
      end: ['end', [], ['outerjoin'], []],
    });
    assert.equal(node(g, 'outer').matchingJoin, 'innerjoin');
    assert.equal(node(g, 'start').matchingJoin, 'outerjoin');
  });

  test('builds a switch whose cases re-converge, without making it a split', () => {
    const g = graphOf(
      `  @step start() { this.next(this.choose); }\n` +
        `  @step choose() { this.next({ big: this.heavy, small: this.light, 3: this.light }, { condition: 'size' }); }\n` +
        `  @step heavy() { this.next(this.end); }\n  @step light() { this.next(this.end); }\n  @step end() {}`,
    );
    const choose = node(g, 'choose');
    assert.equal(choose.type, 'switch');
    assert.deepEqual(choose.switch, { condition: 'size', cases: { big: 'heavy', small: 'light', '3': 'light' } });
    assert.deepEqual(choose.out, ['heavy', 'light']);
    assert.deepEqual(node(g, 'heavy').splitParents, []);
    assert.deepEqual(node(g, 'end').in, ['heavy', 'light']);
  });

  test('builds a switch that loops on itself', () => {
    const g = graphOf(
      `  @step start() { this.next(this.loop); }\n` +
        `  @step loop() { this.next({ again: this.loop, done: this.end }, { condition: 'more' }); }\n  @step end() {}`,
    );
    assert.deepEqual(node(g, 'loop').out, ['loop', 'end']);
    assert.deepEqual(node(g, 'loop').in, ['start', 'loop']);
    assert.deepEqual(topologicalOrder(g), ['start', 'loop', 'end']);
  });

  test('keeps a switch inside a static branch within that branch', () => {
    const g = graphOf(
      `  @step start() { this.next(this.a, this.b); }\n` +
        `  @step a() { this.next({ x: this.c, y: this.d }, { condition: 'k' }); }\n` +
        `  @step c() { this.next(this.join); }\n  @step d() { this.next(this.join); }\n  @step b() { this.next(this.join); }\n` +
        `  @step join(${J}) { this.next(this.end); }\n  @step end() {}`,
    );
    assert.deepEqual(node(g, 'c').splitParents, ['start']);
    assert.deepEqual(node(g, 'c').splitBranches, ['a']);
    assert.deepEqual(node(g, 'join').in, ['c', 'd', 'b']);
    assert.equal(node(g, 'join').matchingSplit, 'start');
  });

  test('types a step with an inputs parameter as a join, and a splitting start as a split', () => {
    const g = graphOf(`  @step start() { this.next(this.a, this.b); }\n  @step a(${J}) { this.next(this.end); }\n  @step end() {}`);
    assert.equal(node(g, 'start').type, 'split');
    assert.equal(node(g, 'a').type, 'join');
  });

  test('keeps a malformed step in the graph with no successors and the reason for lint', () => {
    const g = graphOf(`  @step start() { this.next(somewhere); }\n  @step end() { this.next(this.start); }`);
    assert.deepEqual(node(g, 'start').out, []);
    assert.match(node(g, 'start').invalidNext ?? '', /step reference/);
    assert.deepEqual(node(g, 'end').out, []);
    assert.ok(node(g, 'end').nextLoc);
  });

  test('walks a long chain of diamonds quickly', () => {
    const n = 40;
    let body = '';
    for (let i = 0; i < n; i++) {
      body += `  @step ${i === 0 ? 'start' : `s${i}`}() { this.next(this.a${i}, this.b${i}); }\n`;
      body += `  @step a${i}() { this.next(this.j${i}); }\n  @step b${i}() { this.next(this.j${i}); }\n`;
      body += `  @step j${i}(${J}) { this.next(this.${i === n - 1 ? 'end' : `s${i + 1}`}); }\n`;
    }
    const t0 = Date.now();
    const g = graphOf(`${body}  @step end() {}`);
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(node(g, `j${n - 1}`).matchingSplit, `s${n - 1}`);
    assert.deepEqual(node(g, `a${n - 1}`).splitParents, [`s${n - 1}`]);
    assert.equal(reachableSteps(g).size, g.steps.size);
  });

  test('stays fast on a malformed flow whose splits never close', () => {
    const n = 40;
    let body = '';
    for (let i = 0; i < n; i++) {
      // Each "join" splits again, so it is a split and no split is ever closed.
      body += `  @step ${i === 0 ? 'start' : `j${i - 1}`}(${i === 0 ? '' : J}) { this.next(this.a${i}, this.b${i}); }\n`;
      body += `  @step a${i}() { this.next(this.j${i}); }\n  @step b${i}() { this.next(this.j${i}); }\n`;
    }
    const t0 = Date.now();
    const g = graphOf(`${body}  @step j${n - 1}(${J}) { this.next(this.end); }\n  @step end() {}`);
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(node(g, 'j0').type, 'split');
  });
});

describe('topologicalOrder', () => {
  test('lists every step after its predecessors, branches in the order written, unreachable steps last', () => {
    const g = graphOf(
      `  @step start() { this.next(this.a, this.b); }\n  @step orphan() { this.next(this.end); }\n` +
        `  @step b() { this.next(this.fe, { foreach: 'xs' }); }\n  @step fe() { this.next(this.fejoin); }\n` +
        `  @step fejoin(${J}) { this.next(this.join); }\n  @step a() { this.next(this.join); }\n` +
        `  @step join(${J}) { this.next(this.end); }\n  @step end() {}`,
    );
    assert.deepEqual(topologicalOrder(g), ['start', 'a', 'b', 'fe', 'fejoin', 'join', 'end', 'orphan']);
  });
});
