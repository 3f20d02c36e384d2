// The floor for a local runtime on this machine: an orchestrator hands N trivial tasks to a pool of
// forked workers; each task loads its parent's artifact record, serializes one small artifact,
// hashes it, writes the blob (tmp + rename, skipped when present) and its name->hash record, and
// replies; the orchestrator records each task in SQLite. No flow logic: just the unavoidable I/O.
// usage: node scripts/bench-floor.mjs N WORKERS
// `npm run bench` runs it beside cairn, so that each figure is printed as a ratio to this floor.
import { fork } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, renameSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { serialize } from 'node:v8';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

if (process.argv[2] === '--worker') {
  const root = process.argv[3];
  process.on('message', (t) => {
    const parent = JSON.parse(readFileSync(join(root, 'tasks', `${t.parent}.json`), 'utf8'));
    const value = { i: t.i, doubled: t.i * 2, parentKeys: Object.keys(parent).length };
    const bytes = serialize(value);
    const sha = createHash('sha1').update(bytes).digest('hex');
    const dir = join(root, 'data', sha.slice(0, 2));
    const path = join(dir, sha);
    if (!existsSync(path)) {
      mkdirSync(dir, { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, path);
    }
    const rec = join(root, 'tasks', `${t.id}.json`);
    writeFileSync(`${rec}.tmp`, JSON.stringify({ ...parent, y: sha }));
    renameSync(`${rec}.tmp`, rec);
    process.send({ id: t.id, sha });
  });
} else {
  const N = Number(process.argv[2] ?? 1000), W = Number(process.argv[3] ?? 2);
  const { default: Database } = await import('better-sqlite3');
  const root = mkdtempSync(join(tmpdir(), 'floor-'));
  mkdirSync(join(root, 'tasks'), { recursive: true });
  writeFileSync(join(root, 'tasks', '0.json'), JSON.stringify({ items: 'sha-of-items' }));
  const db = new Database(join(root, 'meta.db'));
  db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL');
  db.exec('create table task (id integer primary key, step text, status text, sha text, t real)');
  const ins = db.prepare('insert into task values (?, ?, ?, ?, ?)');
  const t0 = performance.now();
  const workers = Array.from({ length: W }, () => fork(new URL(import.meta.url).pathname, ['--worker', root]));
  let next = 1, done = 0;
  await new Promise((resolve) => {
    const give = (w) => { if (next <= N) w.send({ id: next, i: next, parent: 0 }), next++; };
    for (const w of workers) {
      w.on('message', (m) => { ins.run(m.id, 'compute', 'ok', m.sha, Date.now()); done++; done === N ? resolve() : give(w); });
      give(w); give(w);   // two in flight per worker hides the round trip
    }
  });
  const ms = performance.now() - t0;
  for (const w of workers) w.kill();
  db.close();
  rmSync(root, { recursive: true, force: true });
  console.log(JSON.stringify({ tasks: N, workers: W, total_ms: Math.round(ms), per_task_ms: +(ms / N).toFixed(3) }));
}
