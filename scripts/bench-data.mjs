// Benchmarks of large artifacts, measured beside a raw `dd ... conv=fsync` of the same size on the
// same disk in the same session. Imported by scripts/bench.mjs (`npm run bench -- artifact200` ...).
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const MiB = 1024 * 1024;

/** A flow whose start makes BENCH_MB MiB of float64 (seeded by BENCH_SEED so that every run stores new bytes). */
function bigFlow(name, { store, read }) {
  return `import { FlowSpec, step } from 'cairnflow';
export class ${name} extends FlowSpec {
  declare values: Float64Array;
  declare check: number;
  @step start() {
    const v = new Float64Array(Number(process.env.BENCH_MB) * ${MiB / 8});
    for (let i = 0; i < v.length; i++) v[i] = i * 0.5;
    v[0] = Number(process.env.BENCH_SEED);
    ${store ? 'this.values = v;' : 'this.check = v[v.length - 1];'}
    this.next(this.${read ? 'middle' : 'end'});
  }
  ${read ? `@step middle() {
    const v = this.values;
    this.check = v[0] + v[v.length - 1];
    this.next(this.end);
  }` : ''}
  @step end() {}
}
`;
}

function ddMs(dir, mb) {
  const file = join(dir, 'dd.bin');
  const t0 = performance.now();
  execFileSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', `count=${mb}`, 'conv=fsync'], { stdio: 'ignore' });
  const ms = performance.now() - t0;
  rmSync(file);
  return ms;
}

/** Touching `mb` MiB of fresh memory in a new process: what a VM charges for first use of pages (the page cache's too). */
function freshMemoryMs(mb) {
  const out = execFileSync(process.execPath, ['-e', `const t = performance.now(); Buffer.allocUnsafeSlow(${mb * MiB}).fill(1); console.log(performance.now() - t)`]);
  return Number(String(out).trim());
}

export function dataCases({ project, timed, report, median, repeat, quick, results }) {
  const line = (text) => {
    results.push(text);
    console.log(text);
  };
  const cairnIn = (dir) => join(dir, 'node_modules', '.bin', 'cairn');

  /** In one process, through the codec and the local store, as a task stores an artifact: encode, hash, write. */
  async function storeInProcess(dir, mb, n) {
    const storage = await import(pathToFileURL(join(root, 'dist', 'storage', 'index.js')).href);
    const store = new storage.LocalArtifactStore(join(dir, 'direct'));
    const v = new Float64Array((mb * MiB) / 8);
    for (let i = 0; i < v.length; i++) v[i] = i * 0.5;
    const times = [];
    for (let i = 0; i < n; i++) {
      v[0] = 1e9 + i;
      const t0 = performance.now();
      const e = storage.encodeArtifact(v, { name: 'values', step: 'bench' });
      await store.putBlob(e.parts);
      times.push(performance.now() - t0);
    }
    rmSync(join(dir, 'direct'), { recursive: true, force: true });
    return median(times);
  }

  return {
    async artifact200() {
      const mb = 200;
      const dir = project();
      const n = quick ? 1 : 3;
      writeFileSync(join(dir, 'gen.ts'), bigFlow('GenOnly', { store: false, read: false }));
      writeFileSync(join(dir, 'pass.ts'), bigFlow('WriteRead', { store: true, read: true }));
      const env = (i) => ({ BENCH_MB: String(mb), BENCH_SEED: String(i) });
      await timed(cairnIn(dir), ['run', 'gen.ts'], dir, env(-1)); // compile the flows, warm the page cache
      await timed(cairnIn(dir), ['run', 'pass.ts'], dir, env(-2));
      const dd = [];
      const fresh = [];
      const direct = [];
      const gen = [];
      const pass = [];
      for (let i = 0; i < n; i++) {
        dd.push(ddMs(dir, mb));
        fresh.push(freshMemoryMs(mb));
        direct.push(await storeInProcess(dir, mb, 1));
        gen.push(await timed(cairnIn(dir), ['run', 'gen.ts'], dir, env(i), { children: true }));
        pass.push(await timed(cairnIn(dir), ['run', 'pass.ts'], dir, env(i), { children: true }));
      }
      const ddm = median(dd);
      const storeMs = median(direct);
      line(`artifact200: dd 200 MiB conv=fsync, same disk (median)      ${(ddm / 1000).toFixed(3).padStart(9)} s    [runs: ${n}]`);
      line(`artifact200: floor: touch 200 MiB of fresh memory (median) ${(median(fresh) / 1000).toFixed(3).padStart(9)} s    [runs: ${n}]`);
      line(`artifact200: store a 200 MiB Float64Array (encode+sha1+write) ${(storeMs / 1000).toFixed(3).padStart(9)} s    ratio to dd ${(storeMs / ddm).toFixed(2)} (target <= 1.5)`);
      const overhead = median(pass.map((r) => r.ms)) - median(gen.map((r) => r.ms));
      report('artifact200: write + read run, beyond generating (median)', overhead / 1000, 's', 1.0, `  [runs: ${n}]`);
      const peak = Math.max(...pass.map((r) => Math.max(r.rssMb, r.childRssMb)));
      const genPeak = Math.max(...gen.map((r) => Math.max(r.rssMb, r.childRssMb)));
      line(`artifact200: peak RSS of any cairn process                  ${peak.toFixed(0).padStart(9)} MB   ${(peak / (mb * 1.048576)).toFixed(2)}x the artifact (target <= 2); generating only: ${genPeak.toFixed(0)} MB`);
      rmSync(dir, { recursive: true, force: true });
    },
    async arrow10m() {
      // An apache-arrow Table of 10 million rows x 4 float64 columns (320 MB) through the codec and the
      // local store, in one process: encode (Arrow IPC + preview header), sha1, write; read, verify, decode.
      const dir = project();
      const storage = await import(pathToFileURL(join(root, 'dist', 'storage', 'index.js')).href);
      const { tableFromArrays } = await import('apache-arrow');
      const rows = 10_000_000;
      const cols = {};
      for (const c of ['a', 'b', 'c', 'd']) cols[c] = Float64Array.from({ length: rows }, (_, i) => i * 0.25 + c.charCodeAt(0));
      const table = tableFromArrays(cols);
      await storage.prepareFrames([table]);
      const store = new storage.LocalArtifactStore(join(dir, 'store'));
      const n = quick ? 1 : 3;
      const times = [];
      for (let i = 0; i < n; i++) {
        rmSync(join(dir, 'store'), { recursive: true, force: true });
        const t0 = performance.now();
        const e = storage.encodeArtifact(table, { name: 'table', step: 'bench' });
        const info = { sha: await store.putBlob(e.parts), size: e.size, type: e.type, encoding: e.encoding };
        const back = await storage.readArtifact(store, info, 'table');
        times.push(performance.now() - t0);
        if (back.numRows !== rows || back.getChild('d').get(rows - 1) !== (rows - 1) * 0.25 + 100) throw new Error('the table read back differs');
      }
      const mb = (rows * 4 * 8) / 1e6;
      const rate = mb / (median(times) / 1000);
      line(`arrow10m: Arrow Table 10M rows x 4 float64, write + read    ${rate.toFixed(0).padStart(9)} MB/s (target >= 500)  [runs: ${n}, ${(median(times) / 1000).toFixed(2)} s each]`);
      rmSync(dir, { recursive: true, force: true });
    },
    async artifact2g() {
      // A 2 GiB Buffer written by one step and read by the next; peak RSS of every process, once.
      const dir = project();
      writeFileSync(
        join(dir, 'huge.ts'),
        `import { FlowSpec, step } from 'cairnflow';
export class Huge extends FlowSpec {
  declare blob: Buffer;
  declare check: number;
  @step start() {
    this.blob = Buffer.alloc(2 * 1024 ** 3, 7);
    this.blob.writeUInt32LE(Date.now() % 1e9, 0);
    this.next(this.middle);
  }
  @step middle() {
    this.check = this.blob.length + this.blob[this.blob.length - 1];
    this.next(this.end);
  }
  @step end() {}
}
`,
      );
      const mb = 2048 * 1.048576;
      const dd = ddMs(dir, 2048);
      const r = await timed(cairnIn(dir), ['run', 'huge.ts'], dir, {}, { children: true });
      const peak = Math.max(r.rssMb, r.childRssMb);
      line(`artifact2g: dd 2 GiB conv=fsync, same disk                  ${(dd / 1000).toFixed(3).padStart(9)} s`);
      line(`artifact2g: run writing and reading a 2 GiB Buffer           ${(r.ms / 1000).toFixed(3).padStart(9)} s`);
      line(`artifact2g: peak RSS of any cairn process                  ${peak.toFixed(0).padStart(9)} MB   ${(peak / mb).toFixed(2)}x the artifact (target <= 1.5)`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
