/**
 * The package as a user gets it: `npm pack`, the tarball installed with `npm install` into a fresh
 * project that has never seen this repository, then a flow run with the installed `cairn` command,
 * read back with the client, type-checked against the shipped declarations, and every shipped source
 * map checked to point at files that are in the package.
 *
 * better-sqlite3 compiles from source here (about two minutes of a core: no prebuilt binary can be
 * downloaded on this machine), so the install skips install scripts and takes the addon this
 * repository already built for the same pinned version. Everything else comes from npm.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { dirname, join, relative, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { repoRoot } from './helpers.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'cairn-pack-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const env = { ...process.env, CAIRN_USER: 'newcomer', CAIRN_DATASTORE_ROOT: '', npm_config_update_notifier: 'false' };
for (const k of Object.keys(env)) if (k.startsWith('CAIRN_') && k !== 'CAIRN_USER' && k !== 'CAIRN_DATASTORE_ROOT') delete env[k];

async function sh(command: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(command, args, { cwd, env, maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

function* files(root: string): Generator<string> {
  for (const e of readdirSync(root, { withFileTypes: true })) {
    const p = join(root, e.name);
    if (e.isDirectory()) yield* files(p);
    else yield p;
  }
}

test('the packed tarball installs into a fresh project, runs a flow with its cairn command, and reads it back', { timeout: 600_000 }, async () => {
  // Pack what `npm publish` would publish (dist/ is built by the test run).
  const packed = JSON.parse((await sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], repoRoot)).stdout) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  const shipped = packed[0]!.files.map((f) => f.path);
  assert.ok(shipped.includes('dist/cli/bin.js') && shipped.includes('dist/index.d.ts') && shipped.includes('README.md'));
  const unwanted = shipped.filter((p) => /\.(test|fixture|contract)\.(ts|js|d\.ts)$|^test\/|^scripts\/|(^|\/)web\/.*\.ts$/.test(p));
  assert.deepEqual(unwanted, [], 'tests, fixtures and browser sources stay out of the package');

  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', join(dir, packed[0]!.filename)], app);
  const installed = join(app, 'node_modules', 'cairnflow');
  assert.equal(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).name, 'cairnflow');
  const addon = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  mkdirSync(dirname(join(app, addon)), { recursive: true });
  copyFileSync(join(repoRoot, addon), join(app, addon));

  writeFileSync(
    join(app, 'flow.ts'),
    `import { FlowSpec, step, Parameter } from 'cairnflow';

export class HelloFlow extends FlowSpec {
  name = Parameter('name', { default: 'world' });
  declare greeting: string;

  @step start() {
    this.greeting = \`hello, \${this.name}\`;
    console.log(this.greeting);
    this.next(this.end);
  }

  @step end() {}
}

HelloFlow.main(import.meta);
`,
  );
  const cairn = join(app, 'node_modules', '.bin', 'cairn');
  const ran = await sh(cairn, ['run', 'flow.ts', '--name', 'npm', '--run-id-file', 'run.txt'], app);
  assert.match(ran.stdout + ran.stderr, /Done!/);
  const runId = readFileSync(join(app, 'run.txt'), 'utf8').trim();

  writeFileSync(
    join(app, 'read.mjs'),
    `import { Flow, namespace } from 'cairnflow';
import { LocalArtifactStore } from 'cairnflow/storage';
namespace(null);
const run = await (await Flow.get('HelloFlow')).latestRun();
const task = await (await run.step('start')).task();
console.log(JSON.stringify({ id: run.id, ok: run.successful, greeting: await (await task.artifact('greeting')).data(),
  stdout: await task.stdout(), storage: typeof LocalArtifactStore }));
`,
  );
  const read = JSON.parse((await sh(process.execPath, ['read.mjs'], app)).stdout);
  assert.deepEqual(read, { id: runId, ok: true, greeting: 'hello, npm', stdout: 'hello, npm\n', storage: 'function' });

  // The shipped declarations type a user's code: a correct use passes, a wrong one is an error. The
  // user has @types/node (taken from this repository), nothing else, and checks libraries too.
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false,
        types: ['node'], typeRoots: [join(repoRoot, 'node_modules', '@types')],
      },
    }),
  );
  writeFileSync(
    join(app, 'typed.ts'),
    `import { Flow, type Run } from 'cairnflow';
import type { ArtifactStore } from 'cairnflow/storage';
export async function latest(): Promise<Run | undefined> { return (await Flow.get('HelloFlow')).latestRun(); }
export type Store = ArtifactStore;
// @ts-expect-error a run id is a string, not a number
export const wrong: number = (await latest())!.id;
`,
  );
  await sh(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app);

  // Source maps in the package name sources that are in the package.
  const missing: string[] = [];
  let maps = 0;
  for (const file of files(join(installed, 'dist'))) {
    if (!file.endsWith('.map')) continue;
    maps++;
    const map = JSON.parse(readFileSync(file, 'utf8')) as { sources: string[]; sourceRoot?: string };
    for (const source of map.sources) {
      const path = resolve(dirname(file), map.sourceRoot ?? '', source);
      if (!existsSync(path)) missing.push(`${relative(installed, file)} -> ${relative(installed, path)}`);
    }
  }
  assert.ok(maps > 100, `expected the modules' source maps, found ${maps}`);
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} source map entries point outside the package`);
});
