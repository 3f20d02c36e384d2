// cairn's benchmarks. Each case runs several times in a throwaway project and prints medians.
// Usage: npm run bench [-- --quick] [-- case-name ...]
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync, readFileSync, readdirSync, rmSync, copyFileSync } from 'node:fs';
import { dataCases } from './bench-data.mjs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { uiCases } from './bench-ui.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.filter((a) => !a.startsWith('--'));

function project() {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-'));
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(root, join(dir, 'node_modules', 'cairnflow'), 'dir');
  symlinkSync(join(root, 'dist', 'cli', 'bin.js'), join(dir, 'node_modules', '.bin', 'cairn'));
  symlinkSync(join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(dir, 'node_modules', '.bin', 'tsx'));
  return dir;
}

/** The pids of a process's descendants (from /proc). */
function descendants(pid) {
  const out = [];
  const walk = (p) => {
    let kids = [];
    try {
      for (const t of readdirSync(`/proc/${p}/task`)) kids.push(...readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').split(' ').filter(Boolean));
    } catch {}
    for (const k of kids) { out.push(k); walk(k); }
  };
  walk(pid);
  return out;
}

/**
 * Runs a command; returns wall ms and the peak RSS (VmHWM) of the process itself in MB (`rssMb`)
 * and the largest peak of any process it started (`childRssMb`), and its stdout with `{ stdout: true }`. Rejects on a non-zero exit unless `{ fails: true }` (then it
 * rejects on a zero exit).
 */
function timed(cmd, argv, cwd, env = {}, opts = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const stdio = ['ignore', opts.stdout ? 'pipe' : 'ignore', 'pipe'];
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, CAIRN_USER: 'bench', ...env }, stdio });
    let hwm = 0;
    let childHwm = 0;
    let stderr = '';
    let stdout = '';
    child.stdout?.on('data', (d) => (stdout += d));
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]) / 1024);
        if (opts.children) {
          for (const pid of descendants(child.pid)) {
            const c = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
            if (c) childHwm = Math.max(childHwm, Number(c[1]) / 1024);
          }
        }
      } catch {}
    }, 20);
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      const ms = performance.now() - t0;
      if ((code !== 0) !== Boolean(opts.fails)) reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ ms, rssMb: hwm, childRssMb: childHwm, stdout });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function repeat(n, fn) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await fn(i));
  return out;
}

function foreachFlow(n) {
  return `import { FlowSpec, step, type Inputs } from 'cairnflow';
export class Wide${n} extends FlowSpec {
  declare items: number[];
  declare y: number;
  declare total: number;
  @step start() { this.items = Array.from({ length: ${n} }, (_, i) => i); this.next(this.work, { foreach: 'items' }); }
  @step work() { this.y = this.input * 2; this.next(this.join); }
  @step join(inputs: Inputs<Wide${n}>) { let t = 0; for (const i of inputs) t += i.y; this.total = t; this.next(this.end); }
  @step end() {}
}
Wide${n}.main(import.meta);
`;
}

/** A 1000-way foreach whose join fails while BENCH_FAIL_JOIN is set. */
function failingJoinFlow(n) {
  return foreachFlow(n).replace('@step join(inputs: Inputs<Wide' + n + '>) {', `$&
    if (process.env.BENCH_FAIL_JOIN) throw new Error('the join fails on purpose');`);
}

/** Milliseconds between the first console line matching `from` and the last matching `to`. */
function span(stdout, from, to) {
  const at = (line) => new Date(line.slice(0, 23).replace(' ', 'T')).getTime();
  const lines = stdout.split('\n');
  const first = lines.find((l) => from.test(l));
  const last = lines.findLast((l) => to.test(l));
  if (!first || !last) throw new Error(`no lines matching ${from} and ${to} in:\n${stdout.slice(0, 2000)}`);
  return at(last) - at(first);
}

const results = [];
function report(name, value, unit, target, extra = '') {
  const line = `${name.padEnd(58)} ${value.toFixed(unit === 'MB' ? 0 : 3).padStart(9)} ${unit.padEnd(3)} (target <= ${target} ${unit})${extra}`;
  results.push(line);
  console.log(line);
}

/**
 * Runs each of `fns` `n` times, taking turns (a, b, a, b...), so that a machine whose load changes
 * during the bench slows every case alike; returns the results of each.
 */
async function alternate(n, fns) {
  const out = fns.map(() => []);
  for (let i = 0; i < n; i++) for (const [k, fn] of fns.entries()) out[k].push(await fn(i));
  return out;
}

/** A figure as a ratio to its reference measured in the same bench run. */
function ratio(name, value, reference, target, extra = '') {
  const line = `${name.padEnd(58)} ${(value / reference).toFixed(2).padStart(9)} x   (target <= ${target} x)${extra}`;
  results.push(line);
  console.log(line);
}

const floor = (n) => timed(process.execPath, [join(root, 'scripts', 'bench-floor.mjs'), String(n), '2'], root);
const msOf = (rs) => median(rs.map((r) => r.ms));

const cases = {
  async seed() {
    const dir = project();
    copyFileSync(join(root, 'examples', 'pass-artifacts-between-steps.ts'), join(dir, 'flow.ts'));
    writeFileSync(join(dir, 'empty.ts'), '');
    const n = quick ? 3 : 9;
    const cairn = join(dir, 'node_modules', '.bin', 'cairn');
    await timed(cairn, ['run', 'flow.ts'], dir); // warm the page cache and the flow cache
    const [node, bin] = await alternate(n, [() => timed(process.execPath, ['-e', '0'], dir), () => timed(cairn, ['run', 'flow.ts'], dir)]);
    report('node -e 0 (median)', msOf(node) / 1000, 's', '-', `  [runs: ${n}]`);
    report('seed flow: node_modules/.bin/cairn run flow.ts (median)', msOf(bin) / 1000, 's', 0.5, `  [runs: ${n}]`);
    ratio('seed flow through the bin / node -e 0', msOf(bin), msOf(node), 3.5);
    const [tsx, tsxEmpty] = await alternate(n, [() => timed('npx', ['tsx', 'flow.ts', 'run'], dir), () => timed('npx', ['tsx', 'empty.ts'], dir)]);
    report('seed flow: npx tsx flow.ts run (median)', msOf(tsx) / 1000, 's', '-', `  [runs: ${n}]`);
    report('npx tsx empty.ts: tsx itself on an empty file (median)', msOf(tsxEmpty) / 1000, 's', '-', `  [runs: ${n}]`);
    ratio('npx tsx flow.ts run / the bin', msOf(tsx), msOf(bin), 2);
    ratio('the same, less what npx tsx costs on an empty file', msOf(tsx) - msOf(tsxEmpty) + msOf(node), msOf(bin), 2);
    rmSync(dir, { recursive: true, force: true });
  },
  async foreach1000() {
    const dir = project();
    writeFileSync(join(dir, 'wide.ts'), foreachFlow(1000));
    const n = quick ? 1 : 5;
    const cairn = join(dir, 'node_modules', '.bin', 'cairn');
    const [ref, rs] = await alternate(n, [() => floor(1000), () => timed(cairn, ['run', 'wide.ts', '--max-num-splits', '1000'], dir)]);
    report('floor sketch: 1000 tasks, 2 workers, start to exit (median)', msOf(ref) / 1000, 's', '-', `  [runs: ${n}]`);
    report('1000-way foreach, trivial body, start to exit (median)', msOf(rs) / 1000, 's', 5, `  [runs: ${n}]`);
    ratio('1000-way foreach / the floor sketch', msOf(rs), msOf(ref), 2);
    rmSync(dir, { recursive: true, force: true });
  },
  async foreach10000() {
    const dir = project();
    writeFileSync(join(dir, 'wide.ts'), foreachFlow(10000));
    const n = quick ? 1 : 3;
    const cairn = join(dir, 'node_modules', '.bin', 'cairn');
    const [ref, rs] = await alternate(n, [() => floor(10000), () => timed(cairn, ['run', 'wide.ts', '--max-num-splits', '10000'], dir)]);
    report('floor sketch: 10,000 tasks, 2 workers, start to exit (median)', msOf(ref) / 1000, 's', '-', `  [runs: ${n}]`);
    report('10,000-way foreach: wall time (median)', msOf(rs) / 1000, 's', '-', `  [runs: ${n}]`);
    ratio('10,000-way foreach / the floor sketch', msOf(rs), msOf(ref), 2);
    report('10,000-way foreach: orchestrator peak RSS (median)', median(rs.map((r) => r.rssMb)), 'MB', 200);
    rmSync(dir, { recursive: true, force: true });
  },
  async resume1000() {
    const dir = project();
    writeFileSync(join(dir, 'wide.ts'), failingJoinFlow(1000));
    const cairn = join(dir, 'node_modules', '.bin', 'cairn');
    const run = ['run', 'wide.ts', '--max-num-splits', '1000', '--run-id-file', 'origin.txt'];
    await timed(cairn, run, dir, { BENCH_FAIL_JOIN: '1' }, { fails: true });
    const origin = readFileSync(join(dir, 'origin.txt'), 'utf8');
    const n = quick ? 3 : 9;
    const rs = await repeat(n, () => timed(cairn, ['resume', 'wide.ts', '--origin-run-id', origin, '--max-num-splits', '1000'], dir, {}, { stdout: true }));
    for (const r of rs) {
      const clones = r.stdout.match(/Cloning previously run task /g)?.length ?? 0;
      if (clones !== 1001) throw new Error(`resume cloned ${clones} tasks, not 1001`);
    }
    // From the first line resume prints (after the flow is loaded) to the last task cloned.
    const clone = rs.map((r) => span(r.stdout, / Resuming run /, /Cloning previously run task /));
    report('resume after a 1000-way foreach whose join failed: clone (median)', median(clone) / 1000, 's', 1, `  [runs: ${n}]`);
    report('the same: cairn resume start to exit, join and end re-run (median)', median(rs.map((r) => r.ms)) / 1000, 's', '-', `  [runs: ${n}]`);
    rmSync(dir, { recursive: true, force: true });
  },
  async client() {
    const dir = project();
    copyFileSync(join(root, 'examples', 'pass-artifacts-between-steps.ts'), join(dir, 'flow.ts'));
    await timed(join(dir, 'node_modules', '.bin', 'cairn'), ['run', 'flow.ts'], dir);
    // 999 more runs, recorded through the storage interfaces exactly as the orchestrator records them.
    await timed(process.execPath, [join(root, 'scripts', 'bench-seed-runs.mjs'), join(dir, '.cairn'), 'ArtFlow', '999'], dir);
    writeFileSync(
      join(dir, 'read.mjs'),
      "import { Flow } from 'cairnflow';\nconst run = await (await Flow.get('ArtFlow')).latestRun();\nconst v = await run.data.some_data;\nif (v.length !== 3) process.exit(3);\n",
    );
    const n = quick ? 3 : 9;
    const rs = await repeat(n, () => timed(process.execPath, ['read.mjs'], dir));
    report('fresh process: Flow.get().latestRun() + 1 artifact, 1000 runs', median(rs.map((r) => r.ms)) / 1000, 's', 0.3, `  [runs: ${n}]`);
    rmSync(dir, { recursive: true, force: true });
  },
  async cards() {
    // What the worker spends after a step drawing and storing its default card (scripts/bench-card.mjs).
    const n = quick ? 50 : 300;
    const r = await timed(process.execPath, [join(root, 'scripts', 'bench-card.mjs'), String(n)], root, {}, { stdout: true });
    const { median: med, p95 } = JSON.parse(r.stdout);
    report('default card, 4 small artifacts + 4 components: added per task (median)', med, 'ms', 20, `  [tasks: ${n}]`);
    report('the same, p95', p95, 'ms', '-');
  },
  async s3() {
    // A 200 MB Float64Array through the S3 artifact store (scripts/bench-s3.mjs), against the test server.
    const endpoint = process.env.CAIRN_TEST_S3_ENDPOINT;
    if (!endpoint) {
      console.log('s3: skipped: CAIRN_TEST_S3_ENDPOINT is not set (start the servers with `scripts/services.sh start DIR`, then `. DIR/env.sh`)');
      return;
    }
    const n = quick ? 1 : 3;
    const env = { AWS_ACCESS_KEY_ID: process.env.CAIRN_TEST_S3_ACCESS_KEY_ID ?? '', AWS_SECRET_ACCESS_KEY: process.env.CAIRN_TEST_S3_SECRET_ACCESS_KEY ?? '' };
    const r = await timed(process.execPath, [join(root, 'scripts', 'bench-s3.mjs'), endpoint, String(n)], root, env, { stdout: true });
    const f = JSON.parse(r.stdout.trim().split('\n').pop());
    const line = (name, mbps) => {
      const text = `${name.padEnd(58)} ${mbps.toFixed(0).padStart(9)} MB/s  [runs: ${n}]`;
      results.push(text);
      console.log(text);
    };
    line('s3: write 200 MB Float64Array (serialize, sha1, multipart)', f.write);
    line('s3: write it again (serialize, sha1, found: not sent)', f.dedupe);
    line('s3: read, cold cache (parallel ranges, verify, decode)', f.read);
    line('s3: read synchronously, cold cache (helper thread)', f.readSync);
    line('s3: read synchronously from the local cache', f.readCached);
  },
  async cache1000() {
    // A 1000-way foreach whose work step has @cache: a first run fills the cache, then each later
    // run reuses the 1000 tasks. Measured: how long the cached step takes (its first task created to
    // its last finished, from the metadata), and the whole run, start to exit.
    const dir = project();
    writeFileSync(join(dir, 'cached.ts'), foreachFlow(1000).replace('@step work()', '@cache @step work()').replace("import { FlowSpec, step,", "import { FlowSpec, step, cache,"));
    const cairn = join(dir, 'node_modules', '.bin', 'cairn');
    const args = ['run', 'cached.ts', '--max-num-splits', '1000'];
    await timed(cairn, args, dir);
    const { useDatastore, namespace, Flow } = await import(join(root, 'dist', 'index.js'));
    useDatastore(join(dir, '.cairn'));
    namespace(null);
    const n = quick ? 2 : 5;
    const steps = [];
    const walls = [];
    for (let i = 0; i < n; i++) {
      const r = await timed(cairn, args, dir, {}, { stdout: true });
      const hits = (r.stdout.match(/Cache hit: reusing task/g) ?? []).length;
      if (hits !== 1000) throw new Error(`expected 1000 cache hits, saw ${hits}`);
      walls.push(r.ms);
      const run = await (await Flow.get('Wide1000')).latestRun();
      const tasks = await (await run.step('work')).tasks();
      const first = Math.min(...tasks.map((t) => t.createdAt.getTime()));
      const last = Math.max(...tasks.map((t) => t.finishedAt.getTime()));
      steps.push(last - first);
    }
    useDatastore(undefined);
    const line = (name, value) => {
      const text = `${name.padEnd(58)} ${(value / 1000).toFixed(3).padStart(9)} s  [runs: ${n}]`;
      results.push(text);
      console.log(text);
    };
    line('cache1000: cached step of 1000 foreach tasks, skipped in', median(steps));
    line('cache1000: the whole run with the step cached, start to exit', median(walls));
    rmSync(dir, { recursive: true, force: true });
  },
  async gc10000() {
    // A store of 10,000 finished runs (one task each, whose record names 10 blobs of its own: 100,000
    // blobs), written straight through the store APIs; then `cairn gc --keep-last 5000 --grace 0s`,
    // which deletes 5,000 runs and the 50,000 blobs only they used, start to exit.
    const dir = project();
    const store = join(dir, '.cairn');
    const { LocalArtifactStore, SqliteMetadataStore } = await import(join(root, 'dist', 'storage', 'index.js'));
    mkdirSync(store, { recursive: true });
    const t0 = performance.now();
    const artifacts = new LocalArtifactStore(store);
    const metadata = new SqliteMetadataStore(join(store, 'metadata.db'));
    const RUNS = 10_000;
    for (let base = 0; base < RUNS; base += 500) {
      const batch = Array.from({ length: Math.min(500, RUNS - base) }, (_, k) => base + k);
      const at = 1_700_000_000_000;
      await Promise.all(batch.map((i) => metadata.createRun({
        flow: 'GcFlow', runId: String(1_700_000_000_000_000 + i), user: 'bench', createdAt: at + i, userTags: [], systemTags: ['user:bench'],
        params: {}, codePackage: null,
      })));
      await Promise.all(batch.map((i) => metadata.finishRun('GcFlow', String(1_700_000_000_000_000 + i), 'succeeded', at + i + 1)));
      await Promise.all(batch.map((i) => metadata.createTask({
        flow: 'GcFlow', runId: String(1_700_000_000_000_000 + i), step: 'start', taskId: '1', createdAt: at + i, foreachStack: [], parents: [],
      })));
      for (const i of batch) {
        const record = { version: 1, artifacts: {}, next: ['end'] };
        for (let j = 0; j < 10; j++) {
          const sha = artifacts.putBlobSync(Buffer.from(`run ${i} artifact ${j} `.repeat(8)));
          record.artifacts[`a${j}`] = { sha, size: 100, type: 'string', encoding: 'v8' };
        }
        artifacts.putTaskRecordSync({ flow: 'GcFlow', runId: String(1_700_000_000_000_000 + i), step: 'start', taskId: '1' }, 0, record);
      }
    }
    await metadata.close();
    console.log(`gc10000: store of ${RUNS} runs and ${RUNS * 10} blobs built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const cairn = join(dir, 'node_modules', '.bin', 'cairn');
    const r = await timed(cairn, ['gc', '--keep-last', '5000', '--grace', '0s'], dir, {}, { stdout: true });
    const m = /Deleted (\d+) of (\d+) blob/.exec(r.stdout);
    if (!m || m[1] !== '50000' || m[2] !== '100000' || !/Deleted 5000 run\(s\)/.test(r.stdout)) throw new Error(`gc10000: unexpected report:\n${r.stdout.slice(-600)}`);
    const text = `${'gc10000: cairn gc, 10,000 runs / 100,000 blobs (half deleted)'.padEnd(58)} ${(r.ms / 1000).toFixed(2).padStart(9)} s  [runs: 1] peak RSS ${r.rssMb.toFixed(0)} MB`;
    results.push(text);
    console.log(text);
    // The floor on this disk, now: removing the 50,000 blobs left and the 5,000 run folders with rm -rf.
    const floor = await timed('rm', ['-rf', join(store, 'blobs'), join(store, 'tasks')], dir);
    const ftext = `${'gc10000: floor: rm -rf of the 50,000 blobs and 5,000 runs left'.padEnd(58)} ${(floor.ms / 1000).toFixed(2).padStart(9)} s`;
    results.push(ftext);
    console.log(ftext);
    rmSync(dir, { recursive: true, force: true });
  },
  async longline() {
    // One line of 100 MiB printed by a task (console.log, and process.stdout.write): the peak RSS
    // of the worker (read by the task itself after printing) and of the orchestrator, beside a task
    // that makes the same string and does not print it (the floor: the task's own string).
    const dir = project();
    const mib = quick ? 20 : 100;
    writeFileSync(join(dir, 'longline.ts'), `import { FlowSpec, step } from 'cairnflow';
import { readFileSync } from 'node:fs';
const peak = () => Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
export class LongLine extends FlowSpec {
  declare peak: number;
  declare chars: number;
  @step start() {
    const line = Buffer.alloc(${mib} * 1024 * 1024, 'y').toString('latin1'); // a flat string, as a task's own text is
    if (process.env.BENCH_PRINT === 'console') console.log(line); // Node's console appends the newline: one copy of the line
    else if (process.env.BENCH_PRINT === 'write') { process.stdout.write(line); process.stdout.write('\\n'); }
    else this.chars = line.length;
    this.peak = peak();
    this.next(this.end);
  }
  @step end() {}
}
`);
    const cairn = join(dir, 'node_modules', '.bin', 'cairn');
    const n = quick ? 1 : 3;
    const workerPeak = async () => {
      const r = await timed(process.execPath, ['-e', `import('cairnflow').then(async ({ Flow }) => { const run = await (await Flow.get('LongLine')).latestRun(); const t = await (await run.step('start')).task(); console.log(await t.data.peak); })`], dir, {}, { stdout: true });
      return Number(r.stdout);
    };
    const quiet = [];
    const logged = [];
    const written = [];
    const peaks = async (rs, env) => {
      const r = await timed(cairn, ['run', 'longline.ts'], dir, env);
      rs.push({ orchestrator: r.rssMb, worker: await workerPeak() });
    };
    for (let i = 0; i < n; i++) {
      await peaks(quiet, {});
      await peaks(logged, { BENCH_PRINT: 'console' });
      await peaks(written, { BENCH_PRINT: 'write' });
    }
    const med = (rs, k) => median(rs.map((r) => r[k]));
    const floorOf = (k) => Math.round(med(quiet, k));
    report(`longline: floor: a task making a ${mib} MiB string, worker peak RSS`, med(quiet, 'worker'), 'MB', '-', `  [runs: ${n}]`);
    report('longline: console.log of it, worker peak RSS', med(logged, 'worker'), 'MB', floorOf('worker') + mib + 20, `  [runs: ${n}]`);
    report('longline: process.stdout.write of it, worker peak RSS', med(written, 'worker'), 'MB', floorOf('worker') + 20, `  [runs: ${n}]`);
    report('longline: floor: orchestrator peak RSS', med(quiet, 'orchestrator'), 'MB', '-', `  [runs: ${n}]`);
    report('longline: console.log of it, orchestrator peak RSS', med(logged, 'orchestrator'), 'MB', floorOf('orchestrator') + 20, `  [runs: ${n}]`);
    rmSync(dir, { recursive: true, force: true });
  },
  async queue1000() {
    // The 1000-way foreach on the queue executor with two local `cairn worker` processes, and on the
    // local executor in the same project, alternately. Tasks per second: 1003 tasks / start to exit.
    const redisUrl = process.env.CAIRN_TEST_REDIS_URL;
    if (!redisUrl) {
      console.log('queue1000: skipped: CAIRN_TEST_REDIS_URL is not set (start the servers with `scripts/services.sh start DIR`, then `. DIR/env.sh`)');
      return;
    }
    const dir = project();
    writeFileSync(join(dir, 'wide.ts'), foreachFlow(1000));
    const prefix = `cairn-bench-${process.pid}`;
    const env = { CAIRN_REDIS_URL: redisUrl, CAIRN_QUEUE_PREFIX: prefix };
    const cairn = join(dir, 'node_modules', '.bin', 'cairn');
    const workers = [1, 2].map((i) => spawn(process.execPath, [join(root, 'dist', 'cli', 'bin.js'), 'worker', '--name', `bench-${i}`], {
      cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'],
    }));
    try {
      await Promise.all(workers.map((w) => new Promise((resolve, reject) => {
        let out = '';
        w.stdout.on('data', (d) => { out += d; if (out.includes('is taking tasks')) resolve(); });
        w.on('exit', (code) => reject(new Error(`a worker exited (${code}): ${out}`)));
      })));
      const args = ['run', 'wide.ts', '--max-num-splits', '1000'];
      await timed(cairn, [...args, '--executor', 'queue'], dir, env); // warm the workers' code package
      const n = quick ? 1 : 3;
      const local = [];
      const queue = [];
      for (let i = 0; i < n; i++) {
        local.push(await timed(cairn, args, dir));
        queue.push(await timed(cairn, [...args, '--executor', 'queue'], dir, env));
      }
      const rate = (rs) => 1003 / (median(rs.map((r) => r.ms)) / 1000);
      const line = (name, value, unit) => {
        const text = `${name.padEnd(58)} ${value.toFixed(unit === 'x' ? 2 : 0).padStart(9)} ${unit}  [runs: ${n}]`;
        results.push(text);
        console.log(text);
      };
      line('queue1000: 1000-way foreach, queue + 2 workers (tasks/s)', rate(queue), 'tasks/s');
      line('queue1000: the same on the local executor (tasks/s)', rate(local), 'tasks/s');
      line('queue1000: queue rate / local rate', rate(queue) / rate(local), 'x');
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => (w.exitCode !== null ? null : new Promise((r) => w.on('exit', r)))));
      const { Redis } = await import('ioredis');
      const client = new Redis(redisUrl);
      const keys = await client.keys(`${prefix}:*`);
      if (keys.length) await client.del(...keys);
      client.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

Object.assign(cases, dataCases({ project, timed, report, median, repeat, quick, results }));
Object.assign(cases, uiCases({ root, project, timed, report, median, repeat, quick, foreachFlow }));

const os = await import('node:os');
console.log(`cairn bench on ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}${quick ? ' (quick)' : ''}`);
for (const [name, fn] of Object.entries(cases)) {
  if (only.length && !only.includes(name)) continue;
  await fn();
}
