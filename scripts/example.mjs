// The seed example end to end on the embedded local store: run the flow, then read its artifact
// back through the client API.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'dist', 'cli', 'bin.js');
const r = spawnSync(process.execPath, [bin, 'run', 'examples/pass-artifacts-between-steps.ts', '--run-id-file', 'artifacts-run.txt'], {
  cwd: root,
  stdio: 'inherit',
});
if (r.status !== 0) process.exit(r.status ?? 1);

const { Run, Flow } = await import('cairnflow');
const runId = readFileSync(join(root, 'artifacts-run.txt'), 'utf8');
const run = await Run.get(`ArtFlow/${runId}`);
console.log(`Run('ArtFlow/${runId}').data.some_data =`, await run.data.some_data);
const latest = await (await Flow.get('ArtFlow')).latestRun();
console.log("Flow('ArtFlow').latestRun().data.some_data =", await latest.data.some_data);
