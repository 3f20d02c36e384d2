// Takes the screenshots of the web UI shown in README.md and docs/ui.md: runs a demo flow in a
// throwaway project, starts `cairn ui` there and photographs the pages in headless Chromium.
// Usage: node scripts/build.mjs && node scripts/screenshots.mjs   (writes docs/images/*.png)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'docs', 'images');
const chromium = process.env.CAIRN_TEST_CHROMIUM ?? '/usr/bin/chromium';

// The task page and the compare page: a step that fails once then succeeds, prints in colour,
// stores a table, a series, a nested object, and draws a card; run twice with other parameters.
const reportDemo = `import { FlowSpec, Markdown, Parameter, Table, card, current, retry, step } from 'cairnflow';

/** Trains a small model on a few customers and reports how it did. */
export class ReportFlow extends FlowSpec {
  lr = Parameter('lr', { default: 0.05 });
  epochs = Parameter('epochs', { default: 4 });
  declare customers: Array<{ id: number; name: string; region: string; spend: number; churned: boolean }>;
  declare loss: Float64Array;
  declare config: Record<string, unknown>;
  declare accuracy: number;
  declare notes: string;
  declare dataset: string;

  @step start() {
    const names = ['Ada', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia'];
    this.customers = names.map((name, i) => ({ id: 1000 + i, name, region: ['eu', 'us', 'ap'][i % 3]!, spend: Math.round(120 + i * 37.5 * (1 + this.lr)), churned: i % 3 === 0 }));
    this.dataset = 's3://acme-data/customers/2026-12-01.parquet';
    console.log('\\x1b[1mloading\\x1b[0m ' + this.customers.length + ' customers from ' + this.dataset);
    this.next(this.train);
  }

  @card({ type: 'blank', id: 'report' })
  @retry({ times: 1 })
  @step train() {
    if (current.retryCount === 0) {
      console.log('\\x1b[36m[train]\\x1b[0m connecting to the feature store...');
      throw new Error('feature store timed out after 30 s (ECONNRESET)');
    }
    this.config = { lr: this.lr, epochs: this.epochs, layers: [64, 32, 1], optimizer: { name: 'adam', betas: [0.9, 0.999] } };
    const steps = 400;
    this.loss = Float64Array.from({ length: steps }, (_, i) => 1.2 * Math.exp(-i / (80 / (this.lr * 20))) + 0.05 * Math.sin(i / 7) * Math.exp(-i / 300) + 0.08);
    for (let e = 1; e <= this.epochs; e++) {
      const l = this.loss[Math.floor((e / this.epochs) * (steps - 1))]!;
      console.log('\\x1b[36m[train]\\x1b[0m epoch ' + e + '/' + this.epochs + '  loss \\x1b[33m' + l.toFixed(4) + '\\x1b[0m  lr ' + this.lr);
    }
    this.accuracy = Math.round((0.86 + this.lr) * 1000) / 1000;
    console.log('\\x1b[32m✔ accuracy ' + this.accuracy + '\\x1b[0m');
    console.error('\\x1b[33mwarning:\\x1b[0m 2 customers have no region; they were left out');
    current.card.append(new Markdown('## Training report\\nAccuracy **' + this.accuracy + '** after ' + this.epochs + ' epochs.'));
    current.card.append(new Table(this.customers.slice(0, 3)));
    this.notes = 'Trained on ' + this.customers.length + ' customers. The loss flattens after epoch ' + Math.ceil(this.epochs / 2) + '.';
    this.next(this.end);
  }

  @step end() {}
}
`;

// The run page and the runs page: a foreach, a static branch, a switch; run three times.
const showcaseDemo = `import { FlowSpec, Parameter, step, type Inputs } from 'cairnflow';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Scores regions of a catalogue, trains on what the branches found, then decides whether to ship. */
export class ShowcaseFlow extends FlowSpec {
  threshold = Parameter('threshold', { default: 0.8 });
  declare regions: string[];
  declare region: string;
  declare score: number;
  declare scores: number[];
  declare model: string;
  declare report: string;
  declare verdict: string;

  /** Lists the regions to score. */
  @step start() {
    this.regions = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-south-1', 'ap-northeast-1', 'sa-east-1', 'af-south-1'];
    this.next(this.score_region, { foreach: 'regions' });
  }

  /** Scores one region. */
  @step async score_region() {
    this.region = this.input;
    await pause(120 + ((this.index ?? 0) % 4) * 90);
    this.score = 0.6 + ((this.index ?? 0) % 5) * 0.08;
    console.log('scored ' + this.region + ': ' + this.score.toFixed(2));
    this.next(this.gather);
  }

  @step gather(inputs: Inputs<ShowcaseFlow>) {
    this.scores = inputs.map((i) => i.score);
    this.next(this.fan_out);
  }

  @step fan_out() {
    this.next(this.train, this.summarize);
  }

  @step async train() {
    await pause(260);
    this.model = 'gbm(' + this.scores.length + ' regions)';
    this.next(this.merge);
  }

  @step async summarize() {
    await pause(140);
    this.report = 'mean ' + (this.scores.reduce((a, b) => a + b, 0) / this.scores.length).toFixed(3);
    this.next(this.merge);
  }

  @step merge(inputs: Inputs<ShowcaseFlow>) {
    this.mergeArtifacts(inputs);
    this.next(this.decide);
  }

  /** Ships the model when the best region clears the threshold. */
  @step decide() {
    this.verdict = Math.max(...this.scores) >= this.threshold ? 'ship' : 'hold';
    this.next({ ship: this.ship, hold: this.hold }, { condition: 'verdict' });
  }

  @step ship() {
    console.log('shipping ' + this.model);
    this.next(this.end);
  }

  @step hold() {
    this.next(this.end);
  }

  @step end() {}
}
`;

function project() {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-shots-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'cairnflow'), 'dir');
  writeFileSync(join(dir, 'report.ts'), reportDemo);
  writeFileSync(join(dir, 'showcase.ts'), showcaseDemo);
  return dir;
}

const dir = project();
const cli = join(root, 'dist', 'cli', 'bin.js');
const env = { ...process.env, CAIRN_USER: 'alice', CAIRN_DATASTORE_ROOT: '' };
const reportRuns = [];
for (const args of [[], ['--lr', '0.08', '--epochs', '6']]) {
  const r = spawnSync(process.execPath, [cli, 'run', 'report.ts', '--no-progress', '--run-id-file', 'id.txt', ...args], { cwd: dir, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the demo run failed: ${r.stderr}`);
  reportRuns.push(readFileSync(join(dir, 'id.txt'), 'utf8').trim());
}
let showcaseRun;
for (const args of [['--tag', 'nightly', '--threshold', '0.95'], ['--tag', 'nightly'], ['--tag', 'nightly', '--tag', 'candidate', '--threshold', '0.9']]) {
  const r = spawnSync(process.execPath, [cli, 'run', 'showcase.ts', '--no-progress', '--run-id-file', 'id.txt', ...args], { cwd: dir, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the demo run failed: ${r.stderr}`);
  showcaseRun = readFileSync(join(dir, 'id.txt'), 'utf8').trim();
}
const ui = spawn(process.execPath, [cli, 'ui', '--port', '0'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
const origin = await new Promise((resolve, reject) => {
  let text = '';
  ui.stdout.on('data', (d) => {
    text += d;
    const m = /cairn ui: (http:\/\/\S+?)\/ /.exec(text);
    if (m) resolve(m[1]);
  });
  ui.on('exit', (code) => reject(new Error(`cairn ui exited (${code})`)));
});
const { chromium: pw } = await import('playwright-core');
const browser = await pw.launch({ executablePath: chromium, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  mkdirSync(out, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1360, height: 1000 }, deviceScaleFactor: 1 });
  await page.goto(`${origin}/flows/ShowcaseFlow/runs/${showcaseRun}?step=score_region`);
  await page.locator('.cc-dag-node').first().waitFor();
  await page.locator('.task-row').first().waitFor();
  await page.screenshot({ path: join(out, 'ui-run.png'), fullPage: true });
  await page.goto(`${origin}/flows/ShowcaseFlow`);
  await page.locator('table.runs tbody tr').first().waitFor();
  await page.screenshot({ path: join(out, 'ui-runs.png'), clip: { x: 0, y: 0, width: 1360, height: 420 } });
  const [a, b] = reportRuns;
  const run = await (await fetch(`${origin}/api/flows/ReportFlow/runs/${b}`)).json();
  const train = run.steps.find((s) => s.name === 'train').tasks[0].id;
  await page.goto(`${origin}/flows/ReportFlow/runs/${b}/steps/train/tasks/${train}`);
  await page.locator('.log-line').first().waitFor();
  await page.locator('[data-artifact="loss"] svg').waitFor();
  await page.frameLocator('iframe.card-frame').locator('.cc-title').waitFor();
  // A page as tall as its content, so that the card's frame (drawn only in view) is in view.
  await page.setViewportSize({ width: 1360, height: Math.ceil(await page.evaluate(() => document.documentElement.scrollHeight)) + 40 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(out, 'ui-task.png'), fullPage: true });
  await page.setViewportSize({ width: 1360, height: 1000 });
  await page.goto(`${origin}/flows/ReportFlow/compare?a=${a}&b=${b}`);
  await page.locator('.cmp-params').waitFor();
  await page.screenshot({ path: join(out, 'ui-compare.png'), fullPage: true });
  console.log('wrote docs/images/ui-run.png, ui-runs.png, ui-task.png and ui-compare.png');
} finally {
  await browser.close();
  ui.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
