import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlowSource } from './parse.js';
import { buildGraph } from './graph.js';
import { renderGraph } from './show.js';

const SOURCE = `import { FlowSpec, step, retry, timeout, type Inputs } from 'cairnflow';

/**
 * A flow that shows every transition.
 * Second line of the doc.
 */
export class ShowFlow extends FlowSpec {
  /** Fans out. */
  @step start() { this.next(this.a, this.b); }

  /** Picks a size.
   *  Or loops. */
  @step a() { this.next({ big: this.heavy, small: this.light, again: this.a }, { condition: 'size' }); }
  @step heavy() { this.next(this.join); }
  @step light() { this.next(this.join); }

  @retry({ times: 2 }) @timeout({ seconds: 5 }) @step async b() { this.next(this.fe, { foreach: 'xs' }); }
  @step fe() { this.next(this.fejoin); }
  @step fejoin(inputs: Inputs<ShowFlow>) { this.next(this.join); }

  @step join(inputs: Inputs<ShowFlow>) { this.next(this.end); }
  /** The end. */
  @step end() {}
}
`;

describe('renderGraph', () => {
  test('prints the flow doc, then each step in topological order with decorators, doc and transition', () => {
    const graph = buildGraph(parseFlowSource(SOURCE, 'show.ts', 'ShowFlow'));
    assert.equal(
      renderGraph(graph),
      [
        'A flow that shows every transition.',
        'Second line of the doc.',
        '',
        'Step *start*',
        '    Fans out.',
        '    => a, b',
        '',
        'Step *a*',
        '    Picks a size.',
        '    Or loops.',
        '    => big: heavy, small: light, again: a (switch on size)',
        '',
        'Step *heavy*',
        '    ?',
        '    => join',
        '',
        'Step *light*',
        '    ?',
        '    => join',
        '',
        '@retry',
        '@timeout',
        'Step *b*',
        '    ?',
        '    => fe (foreach over xs)',
        '',
        'Step *fe*',
        '    ?',
        '    => fejoin',
        '',
        'Step *fejoin*',
        '    ?',
        '    => join',
        '',
        'Step *join*',
        '    ?',
        '    => end',
        '',
        'Step *end*',
        '    The end.',
        '',
      ].join('\n'),
    );
  });

  test('starts with the first step when the flow has no doc', () => {
    const src = `class F {\n  @step start() { this.next(this.end); }\n  @step end() {}\n}\n`;
    assert.equal(renderGraph(buildGraph(parseFlowSource(src, 'f.ts', 'F'))), 'Step *start*\n    ?\n    => end\n\nStep *end*\n    ?\n');
  });

  test('lists the parameters after the flow doc and before the steps; none when there are none', () => {
    const src = `/** Doc. */\nclass F {\n  @step start() { this.next(this.end); }\n  @step end() {}\n}\n`;
    const graph = buildGraph(parseFlowSource(src, 'f.ts', 'F'));
    assert.equal(
      renderGraph(graph, { parameters: ['--alpha NUMBER  (number, default: 1)', '--name STRING  (string, required)'] }),
      'Doc.\n\nParameters\n    --alpha NUMBER  (number, default: 1)\n    --name STRING  (string, required)\n\nStep *start*\n    ?\n    => end\n\nStep *end*\n    ?\n',
    );
    assert.equal(renderGraph(graph, { parameters: [] }), renderGraph(graph));
  });
});
