/**
 * A code package is the flow file and its local imports compiled into one ES module. Imports of
 * cairn itself are left as a placeholder, which every machine replaces with its own cairn, so the
 * flow and the runtime share one module instance.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CAIRN_PLACEHOLDER = '__cairn_runtime__';

const runtimeUrl = new URL('../index.js', import.meta.url).href;

/** Rewrites the placeholder specifier to `url` (this machine's cairn entry module). */
export function linkCodePackage(code: string, url: string = runtimeUrl): string {
  return code.split(JSON.stringify(CAIRN_PLACEHOLDER)).join(JSON.stringify(url));
}

/** The inverse of `linkCodePackage`: the package as it was stored. */
export function unlinkCodePackage(code: string, url: string = runtimeUrl): string {
  return code.split(JSON.stringify(url)).join(JSON.stringify(CAIRN_PLACEHOLDER));
}

/**
 * Writes a code package to `<codeDir>/<sha>.mjs` (once; atomically) linked to this machine's cairn,
 * and returns its URL for `import()`.
 */
export function materializeCodePackage(code: string | (() => string), sha: string, codeDir: string): string {
  const file = join(codeDir, `${sha}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(codeDir, { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, linkCodePackage(typeof code === 'function' ? code() : code));
    renameSync(tmp, file);
  }
  return pathToFileURL(file).href;
}
