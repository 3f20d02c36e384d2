// The web UI's benchmarks (`npm run bench -- ui-runs ui-foreach ui-log`), called by scripts/bench.mjs
// with its helpers. Each starts `cairn ui` in a throwaway project and drives headless Chromium
// (playwright-core, /usr/bin/chromium); the UI server's peak RSS is its VmHWM.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const CHROMIUM = process.env.CAIRN_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** `cairn ui --port 0` in `dir`: its origin, and its peak RSS in MB when stopped. */
async function startUi(root, dir) {
  const child = spawn(process.execPath, [join(root, 'dist', 'cli', 'bin.js'), 'ui', '--port', '0'], {
    cwd: dir, env: { ...process.env, CAIRN_DATASTORE_ROOT: '' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const origin = await new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      const m = /cairn ui: (http:\/\/\S+?)\/ /.exec(text);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`cairn ui exited (${code})`)));
  });
  const hwm = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  return {
    origin,
    hwm,
    async stop() {
      const rss = hwm();
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
      return rss;
    },
  };
}

async function browser() {
  if (!existsSync(CHROMIUM)) return undefined;
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}

/** Milliseconds from navigation start until `selector` is in the page (the page can be used). */
async function interactive(b, url, selector) {
  const page = await b.newPage({ viewport: { width: 1360, height: 1000 } });
  try {
    const t0 = performance.now();
    await page.goto(url, { waitUntil: 'commit' });
    await page.locator(selector).first().waitFor({ timeout: 60_000 });
    return performance.now() - t0;
  } finally {
    await page.close();
  }
}

/** The median time a page that reads no data (the 404 page) takes to show: what any page costs on this machine. */
async function floorPage(b, origin, quick) {
  const loads = [];
  for (let i = 0; i < (quick ? 3 : 7); i++) loads.push(await interactive(b, `${origin}/no/such/page`, '.notfound h1'));
  return [...loads].sort((x, y) => x - y)[Math.floor(loads.length / 2)];
}

/** A flow whose one step waits for a file \`go\`, then prints a line with the time it printed it, every 100 ms, for `n` lines. */
const tickFlow = (n) => `import { FlowSpec, step } from 'cairnflow';
import { existsSync } from 'node:fs';
export class TickFlow extends FlowSpec {
  @step async start() {
    while (!existsSync('go')) await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < ${n}; i++) { console.log('tick ' + Date.now()); await new Promise((r) => setTimeout(r, 100)); }
    this.next(this.end);
  }
  @step end() {}
}
`;

export function uiCases({ root, project, timed, report, median, repeat, quick, foreachFlow }) {
  return {
    /** 10,000 runs of a flow: the runs page's API answer, the page interactive, the server's RSS. */
    async 'ui-runs'() {
      const b = await browser();
      if (!b) return console.log(`ui-runs: skipped: no Chromium at ${CHROMIUM}`);
      const dir = project();
      try {
        copyFileSync(join(root, 'examples', 'pass-artifacts-between-steps.ts'), join(dir, 'flow.ts'));
        await timed(join(dir, 'node_modules', '.bin', 'cairn'), ['run', 'flow.ts'], dir);
        await timed(process.execPath, [join(root, 'scripts', 'bench-seed-runs.mjs'), join(dir, '.cairn'), 'ArtFlow', '9999'], dir);
        const ui = await startUi(root, dir);
        const api = `${ui.origin}/api/flows/ArtFlow/runs`;
        const first = await (await fetch(api)).json();
        if (first.runs.length !== 50 || !first.next) throw new Error('the runs page did not answer 50 runs and a next page');
        const n = quick ? 10 : 40;
        const answers = await repeat(n, async () => {
          const t0 = performance.now();
          const res = await fetch(api);
          await res.arrayBuffer();
          return performance.now() - t0;
        });
        report('ui: runs page API answer, 10,000 runs (median)', median(answers), 'ms', 50, `  [requests: ${n}]`);
        const pages = await repeat(quick ? 3 : 7, () => interactive(b, `${ui.origin}/flows/ArtFlow`, 'table.runs tbody tr'));
        report('ui: runs page interactive in Chromium, 10,000 runs (median)', median(pages) / 1000, 's', 1, `  [loads: ${pages.length}]`);
        const floor = await floorPage(b, ui.origin, quick);
        report('ui: floor: a page that reads no data (the 404 page) (median)', floor / 1000, 's', '-');
        report('ui: runs page interactive / the floor', median(pages) / floor, 'x', '-');
        const flows = await repeat(quick ? 3 : 5, () => interactive(b, `${ui.origin}/`, 'table.flows tbody tr'));
        report('ui: flows page interactive (counts 10,000 runs) (median)', median(flows) / 1000, 's', '-', `  [loads: ${flows.length}]`);
        report('ui: UI server peak RSS, 10,000 runs', await ui.stop(), 'MB', 150);
      } finally {
        await b.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    /** The run page of a 10,000-way foreach: its API answer, the page interactive (graph, tasks, timeline drawn), the server's RSS. */
    async 'ui-foreach'() {
      const b = await browser();
      if (!b) return console.log(`ui-foreach: skipped: no Chromium at ${CHROMIUM}`);
      const dir = project();
      try {
        writeFileSync(join(dir, 'wide.ts'), foreachFlow(10000));
        await timed(join(dir, 'node_modules', '.bin', 'cairn'), ['run', 'wide.ts', '--max-num-splits', '10000', '--run-id-file', 'id.txt'], dir);
        const runId = readFileSync(join(dir, 'id.txt'), 'utf8').trim();
        const ui = await startUi(root, dir);
        const api = `${ui.origin}/api/flows/Wide10000/runs/${runId}`;
        const body = await (await fetch(api)).json();
        const work = body.steps.find((s) => s.name === 'work');
        if (work?.tasks.length !== 10000 || work.tasks[9999].foreach.value !== '9999') throw new Error('the run page did not answer 10,000 labelled tasks');
        const answers = await repeat(quick ? 2 : 5, async () => {
          const t0 = performance.now();
          const res = await fetch(api);
          await res.arrayBuffer();
          return performance.now() - t0;
        });
        report('ui: run page API answer, 10,000-way foreach (median)', median(answers), 'ms', '-', `  [requests: ${answers.length}]`);
        const url = `${ui.origin}/flows/Wide10000/runs/${runId}?step=work`;
        const ready = '.run-page:has(.cc-dag-node[data-step="join"]) .timeline[data-tasks="10003"]';
        const loads = await repeat(quick ? 2 : 5, () => interactive(b, url, '.task-list[data-step="work"] .task-row'));
        const full = await repeat(quick ? 2 : 5, () => interactive(b, url, ready));
        report('ui: run page of a 10,000-way foreach, tasks listed (median)', median(loads) / 1000, 's', 1.5, `  [loads: ${loads.length}]`);
        report('ui: the same, graph, tasks and timeline all drawn (median)', median(full) / 1000, 's', 1.5, `  [loads: ${full.length}]`);
        const floor = await floorPage(b, ui.origin, quick);
        report('ui: floor: a page that reads no data (the 404 page) (median)', floor / 1000, 's', '-');
        report('ui: 10,000-way foreach run page drawn / the floor', median(full) / floor, 'x', '-');
        report('ui: UI server peak RSS, 10,000-way foreach run page', await ui.stop(), 'MB', 150);
      } finally {
        await b.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    /** A line a running task prints, until a page's EventSource on the task's log stream has it. */
    async 'ui-log'() {
      const b = await browser();
      if (!b) return console.log(`ui-log: skipped: no Chromium at ${CHROMIUM}`);
      const dir = project();
      const lines = quick ? 20 : 60;
      writeFileSync(join(dir, 'tick.ts'), tickFlow(lines));
      const run = spawn(join(dir, 'node_modules', '.bin', 'cairn'), ['run', 'tick.ts', '--run-id-file', 'id.txt', '--no-progress'], { cwd: dir, stdio: 'ignore' });
      let runId;
      for (let i = 0; i < 2000 && !runId; i++) {
        if (existsSync(join(dir, 'id.txt'))) runId = readFileSync(join(dir, 'id.txt'), 'utf8').trim();
        else await new Promise((r) => setTimeout(r, 25));
      }
      const ui = await startUi(root, dir);
      const page = await b.newPage();
      try {
        await page.goto(`${ui.origin}/`);
        let taskId;
        for (let i = 0; i < 400 && !taskId; i++) {
          const res = await fetch(`${ui.origin}/api/flows/TickFlow/runs/${runId}`);
          if (res.ok) taskId = (await res.json()).steps.find((s) => s.name === 'start')?.tasks[0]?.id;
          if (!taskId) await new Promise((r) => setTimeout(r, 25));
        }
        const url = `/api/flows/TickFlow/runs/${runId}/steps/start/tasks/${taskId}/logs/events?stream=stdout`;
        const opened = page.evaluate((u) => new Promise((resolve) => {
          const out = [];
          const es = new EventSource(u);
          es.addEventListener('open', () => { window.streamOpen = true; });
          es.addEventListener('lines', (e) => {
            const now = Date.now();
            for (const l of JSON.parse(e.data).lines) out.push(now - Number(l.text.slice(5)));
          });
          es.addEventListener('end', () => { es.close(); resolve(out); });
        }), url);
        await page.waitForFunction(() => window.streamOpen === true);
        writeFileSync(join(dir, 'go'), '');
        const live = await opened;
        report('ui: log line printed → in the page (median)', median(live), 'ms', 1000, `  [lines: ${live.length}]`);
        report('ui: log line printed → in the page (worst)', Math.max(...live), 'ms', 1000);
        report('ui: UI server peak RSS, following a log', await ui.stop(), 'MB', 150);
      } finally {
        await page.close();
        await b.close();
        if (run.exitCode === null) run.kill('SIGTERM');
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
