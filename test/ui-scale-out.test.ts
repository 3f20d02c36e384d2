/**
 * The web UI over the scale-out stores: a flow run with its metadata in Postgres and its data in an
 * S3 bucket, then `cairn ui` started with the same settings and clicked through in Chromium. Skipped,
 * saying why, without the test servers or Chromium.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { Project } from './helpers.js';
import { BROWSER_SKIP, launchBrowser, openPage } from './browser.js';
import { startUi, type RunningUi } from './ui-helpers.js';
import { awsEnv, S3_SKIP_REASON, s3TestEnv, TestBucket } from '../src/storage/s3-test-bucket.fixture.js';
import { postgresSkipReason, POSTGRES_TEST_ENV, TestDatabase } from '../src/storage/postgres-test-db.fixture.js';

const s3 = s3TestEnv();
const adminUrl = process.env[POSTGRES_TEST_ENV];
const skip = BROWSER_SKIP ?? (s3 ? undefined : S3_SKIP_REASON) ?? postgresSkipReason();

describe('cairn ui on Postgres and S3', { skip }, () => {
  const project = new Project();
  const bucket = s3 ? new TestBucket(s3) : undefined;
  let db: TestDatabase;
  let env: Record<string, string>;
  let ui: RunningUi;
  let browser: Browser;
  let runId: string;

  before(async () => {
    await bucket!.create();
    db = await TestDatabase.create(adminUrl!, 'ui');
    env = { ...awsEnv(s3!), CAIRN_DATASTORE: 's3', CAIRN_DATASTORE_ROOT: `s3://${bucket!.name}/cairn`, CAIRN_METADATA: 'postgres', CAIRN_METADATA_URL: db.url };
    project.write('flow.ts', `
import { FlowSpec, step, type Inputs } from 'cairnflow';
import { existsSync } from 'node:fs';
export class ScaleFlow extends FlowSpec {
  declare items: number[];
  declare doubled: number;
  @step start() { this.items = [1, 2, 3]; this.next(this.fan, { foreach: 'items' }); }
  @step async fan() {
    this.doubled = this.input * 2;
    console.log('doubled', this.doubled);
    if (process.env.GATED) {
      console.log('waiting');
      while (!existsSync('release')) await new Promise((r) => setTimeout(r, 25));
    }
    this.next(this.join);
  }
  @step join(inputs: Inputs<ScaleFlow>) { this.next(this.end); }
  @step end() {}
}
`);
  });

  after(async () => {
    await browser?.close();
    await ui?.stop();
    await db?.drop();
    await bucket?.destroy();
    project[Symbol.dispose]();
  });

  it('lists the flow and its run, and opens the run with its steps', async () => {
    const r = await project.cli(['run', 'flow.ts', '--run-id-file', 'id.txt', '--no-progress'], env);
    assert.equal(r.code, 0, r.stderr);
    runId = readFileSync(join(project.dir, 'id.txt'), 'utf8').trim();
    ui = await startUi(project, env);
    assert.match(ui.proc.stdout, /reading postgres .* s3 /);
    browser = await launchBrowser();
    const { page, errors } = await openPage(browser, { allow: ui.origin });
    await page.goto(`${ui.origin}/`);
    await page.getByRole('link', { name: 'ScaleFlow' }).click();
    await page.locator(`a[href="/flows/ScaleFlow/runs/${runId}"]`).click();
    await page.locator('.cc-dag-node[data-step="fan"][data-state="succeeded"]').click();
    await page.locator('.task-list[data-step="fan"] .task-row').nth(2).waitFor();
    assert.deepEqual(await page.locator('.task-row .fe').allTextContents(), ['#0 1', '#1 2', '#2 3']);
    assert.equal(await page.locator('.timeline').getAttribute('data-tasks'), '6');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('follows a running run live', async () => {
    const run = project.start(['run', 'flow.ts', '--run-id-file', 'live.txt', '--no-progress'], { ...env, GATED: '1' });
    try {
      await run.waitFor(/waiting/);
      const liveId = readFileSync(join(project.dir, 'live.txt'), 'utf8').trim();
      const { page, errors } = await openPage(browser, { allow: ui.origin });
      await page.goto(`${ui.origin}/flows/ScaleFlow/runs/${liveId}`);
      await page.locator('.run-page[data-live="yes"] .cc-dag-node[data-step="fan"][data-state="running"]').waitFor();
      project.write('release', '');
      await page.locator('.cc-dag-node[data-step="end"][data-state="succeeded"]').waitFor({ timeout: 30_000 });
      await page.locator('.run-page[data-live="no"] .page-head .badge.s-succeeded').waitFor();
      assert.deepEqual(errors, []);
      await page.close();
      assert.equal((await run.exited).code, 0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });
});
