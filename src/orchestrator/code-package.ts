/**
 * Compiles a flow file and its local imports into one ES module (the run's code package), so every
 * worker, local or remote, runs exactly the code that was launched. Packages stay imports, and
 * cairn itself becomes a placeholder that each machine links to its own copy.
 */
import { createRequire } from 'node:module';
import type { Plugin } from 'esbuild';
import { CairnError } from '../errors.js';
import { CAIRN_PLACEHOLDER } from '../core/code-package.js';

// Loaded with require: importing a CommonJS package from ESM makes Node scan its source for names.
const require = createRequire(import.meta.url);

const cairnImports: Plugin = {
  name: 'cairn-runtime',
  setup(b) {
    b.onResolve({ filter: /^cairn$/ }, () => ({ path: CAIRN_PLACEHOLDER, external: true }));
  },
};

export async function compileFlow(file: string): Promise<string> {
  try {
    const { build } = require('esbuild') as typeof import('esbuild');
    const result = await build({
      entryPoints: [file],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      sourcemap: 'inline',
      sourcesContent: false,
      logLevel: 'silent',
      plugins: [cairnImports],
      // Standard decorators whatever the project's tsconfig says: legacy ones would break @step.
      tsconfigRaw: { compilerOptions: { experimentalDecorators: false, useDefineForClassFields: true } },
    });
    return result.outputFiles[0]!.text;
  } catch (e) {
    const errors = (e as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } }> }).errors;
    const detail = errors?.length
      ? errors.map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ${m.text}` : m.text)).join('\n')
      : String((e as Error).message ?? e);
    throw new CairnError('INVALID_FLOW', `Could not compile ${file}:\n${detail}`, { cause: e });
  }
}
