// Runs test files with node's test runner (node 20 does not expand globs itself).
//
//   node scripts/test.mjs                  every test
//   node scripts/test.mjs --unit           unit tests: src/**/*.test.ts and scripts/*.test.mjs (no build needed)
//   node scripts/test.mjs --e2e            end-to-end tests: test/*.test.ts (they run dist/: build first)
//   node scripts/test.mjs [--unit|--e2e] <substring>...   only the files whose path contains one of them
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
function* walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (/\.test\.(ts|mjs)$/.test(e.name)) yield p;
  }
}
const args = process.argv.slice(2);
const unit = args.includes('--unit');
const e2e = args.includes('--e2e');
const filters = args.filter((a) => a !== '--unit' && a !== '--e2e');
const dirs = [...(unit || !e2e ? ['src', 'scripts'] : []), ...(e2e || !unit ? ['test'] : [])];
const files = dirs
  .flatMap((d) => [...walk(join(root, d))])
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
