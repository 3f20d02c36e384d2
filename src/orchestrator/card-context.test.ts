import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseFlowSource } from '../graph/parse.js';
import { buildGraph } from '../graph/graph.js';
import { taskCardsByStep } from './card-context.js';

const SOURCE = `import { FlowSpec, step, card } from 'cairnflow';
export class F extends FlowSpec {
    /** Splits. */
    @card
    @step start() {
        this.items = [1, 2];
        this.next(this.each, { foreach: 'items' });
    }
    @step each() { this.next(this.join); }
    @step join(inputs) { this.next(this.end); }
    @card({ type: 'blank' }) @step end() {}
}
`;

test('A step with a default card gets the graph and its own source, decorators included and dedented; a blank card gets neither', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-card-ctx-'));
  try {
    const file = join(dir, 'f.ts');
    writeFileSync(file, SOURCE);
    const graph = buildGraph(parseFlowSource(SOURCE, file, 'F'));
    const def = { type: 'default' as const, id: 'default', timeout: 45, refreshInterval: 1 };
    const blank = { ...def, type: 'blank' as const, id: 'blank' };
    const cards = taskCardsByStep(graph, new Map([['start', [def]], ['each', []], ['end', [blank]]]));
    assert.deepEqual([...cards.keys()], ['start', 'end'], 'steps without cards carry nothing');
    const start = cards.get('start')!;
    assert.deepEqual(start.source, {
      file: 'f.ts',
      line: 4,
      code: "@card\n@step start() {\n    this.items = [1, 2];\n    this.next(this.each, { foreach: 'items' });\n}",
    });
    assert.deepEqual(start.dag, [
      { name: 'start', type: 'foreach', out: ['each'], foreach: 'items', doc: 'Splits.' },
      { name: 'each', type: 'linear', out: ['join'] },
      { name: 'join', type: 'join', out: ['end'] },
      { name: 'end', type: 'end', out: [] },
    ]);
    assert.deepEqual(cards.get('end'), { specs: [blank] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
