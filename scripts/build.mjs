// Builds dist/: every source module transpiled one to one by esbuild (so module identity is kept
// between the CLI, the worker and user flows), then type declarations from tsc.
import { build } from 'esbuild';
import { readdirSync, rmSync, chmodSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const out = join(root, 'dist');

function* walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (/\.ts$/.test(e.name) && !/\.(test|fixture|contract)\.ts$/.test(e.name) && !/\.d\.ts$/.test(e.name)) yield p;
  }
}

rmSync(out, { recursive: true, force: true });
const entryPoints = [...walk(src)];
await build({
  entryPoints,
  outdir: out,
  outbase: src,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
chmodSync(join(out, 'cli', 'bin.js'), 0o755);
if (!process.argv.includes('--no-types')) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (existsSync(tsc)) execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
}
console.log(`built ${entryPoints.length} modules into ${relative(process.cwd(), out) || 'dist'}/`);
