// What a default card adds to a task: the time the worker spends after the step drawing and storing
// it (CardSession.finish, as runTask calls it), with a few small artifacts and user components.
// Usage: node scripts/bench-card.mjs N   (prints the median and p95 in ms as JSON)
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { LocalArtifactStore } from '../dist/storage/local-artifact-store.js';
import { encodeArtifact, decodeArtifact } from '../dist/storage/codec.js';
import { CardSession } from '../dist/cards/session.js';
import { Markdown, Table, VegaChart, ValueBox } from '../dist/cards/components.js';

const n = Number(process.argv[2] ?? 50);
const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-card-'));
const store = new LocalArtifactStore(dir);
const values = {
  rows: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `row ${i}`, score: Math.sin(i) })),
  weights: Float64Array.from({ length: 1000 }, (_, i) => Math.cos(i)),
  config: { lr: 0.01, layers: [64, 32], name: 'model' },
  note: 'a short string',
};
// Half the artifacts are inherited (stored, loaded for their preview), half assigned by the step (held).
const infos = {};
for (const [name, v] of Object.entries(values)) {
  const { bytes, type, encoding } = encodeArtifact(v, { name, step: 'bench' });
  infos[name] = { sha: await store.putBlob(bytes), size: bytes.byteLength, type, encoding };
}
const dag = [{ name: 'start', type: 'start', out: ['train'] }, { name: 'train', type: 'linear', out: ['end'] }, { name: 'end', type: 'end', out: [] }];
const times = [];
for (let i = 0; i < n + 5; i++) {
  const task = { flow: 'BenchFlow', runId: '1', step: 'train', taskId: String(i + 1) };
  const s = new CardSession({ store, task, attempt: 0, specs: [{ type: 'default', id: 'default', timeout: 45, refreshInterval: 1 }] });
  s.append(new Markdown('# Report\nSome **text**.'));
  s.append(new Table(values.rows));
  s.append(new VegaChart({ mark: 'line', data: { values: values.rows }, encoding: { x: { field: 'id', type: 'quantitative' }, y: { field: 'score', type: 'quantitative' } } }));
  s.append(new ValueBox({ title: 'Score', value: 0.93 }));
  const t0 = performance.now();
  await s.finish({
    pathspec: `BenchFlow/1/train/${task.taskId}`, step: 'train', attempt: 0, user: 'bench', tags: [], startedAt: Date.now() - 5, finishedAt: Date.now(), status: 'succeeded',
    source: { file: 'flow.ts', line: 10, code: '@card @step train() {\n  this.next(this.end);\n}' }, dag,
    parameters: [],
    artifacts: Object.entries(infos).map(([name, info], k) => ({ name, info, ...(k % 2 ? { value: { v: values[name] } } : {}) })),
    load: async (info) => decodeArtifact(await store.getBlob(info.sha), info.encoding),
  });
  if (i >= 5) times.push(performance.now() - t0);
}
rmSync(dir, { recursive: true, force: true });
times.sort((a, b) => a - b);
console.log(JSON.stringify({ median: times[Math.floor(times.length / 2)], p95: times[Math.floor(times.length * 0.95)] }));
