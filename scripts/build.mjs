// Builds dist/: every source module transpiled one to one by esbuild (so module identity is kept
// between the CLI, the worker and user flows), the browser bundles (code under a `web/` folder, with
// the front-end libraries it imports, for the browser), then type declarations from tsc.
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
    if (e.isDirectory()) {
      if (e.name !== 'web') yield* walk(p); // browser code: bundled below, never run by Node
    }
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

// Browser bundles: one self-contained script (and its CSS, when it imports some) per entry, so that
// nothing is fetched from a network when a page or a card is viewed. Add entries here.
const browserBundles = [
  // The card viewer: renders a card document (the web UI's card frames and `cairn card get` files).
  { entry: 'src/cards/web/viewer.ts', out: 'cards/viewer.js' },
  // The Vega-Lite renderer, loaded only by cards that hold a chart.
  { entry: 'src/cards/web/vega.ts', out: 'cards/vega.js' },
  // The web UI (`cairn ui`): its pages, with app.css beside it.
  { entry: 'src/ui/web/app.ts', out: 'ui/app.js' },
];
await Promise.all(
  browserBundles.map(({ entry, out: file }) =>
    build({
      entryPoints: [join(root, entry)],
      outfile: join(out, file),
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: ['chrome110', 'firefox110', 'safari16'],
      minify: true,
      legalComments: 'none',
      logLevel: 'warning',
      define: { 'process.env.NODE_ENV': '"production"' },
    }),
  ),
);
if (!process.argv.includes('--no-types')) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (existsSync(tsc)) execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
}
console.log(`built ${entryPoints.length} modules and ${browserBundles.length} browser bundles into ${relative(process.cwd(), out) || 'dist'}/`);
