/**
 * Compiles a flow file and its local imports into one ES module (the run's code package), so every
 * worker, local or remote, runs exactly the code that was launched. Packages stay imports, and
 * cairn itself becomes a placeholder that each machine links to its own copy.
 */
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { CairnError } from '../errors.js';
import { CAIRN_PLACEHOLDER } from '../core/code-package.js';

// Loaded with require: importing a CommonJS package from ESM makes Node scan its source for names.
const require = createRequire(import.meta.url);

const cairnImports: Plugin = {
  name: 'cairn-runtime',
  setup(b) {
    b.onResolve({ filter: /^cairnflow$/ }, () => ({ path: CAIRN_PLACEHOLDER, external: true }));
  },
};

export interface CompiledFlow {
  code: string;
  /** Absolute paths of the source files the package was compiled from. */
  inputs: string[];
}

export async function compileFlow(file: string): Promise<CompiledFlow> {
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
      // A decorated class that names itself in its body (`TrainFlow.MAX_DEPTH`) is renamed
      // `_TrainFlow` when decorators are lowered; keep its name, which is the flow's name.
      keepNames: true,
      // Stack traces point at the flow's own files, wherever the package is materialized.
      sourceRoot: `${pathToFileURL(dirname(file)).href}/`,
      sourcesContent: false,
      logLevel: 'silent',
      metafile: true,
      absWorkingDir: dirname(file),
      plugins: [cairnImports],
      // Standard decorators whatever the project's tsconfig says: legacy ones would break @step.
      tsconfigRaw: { compilerOptions: { experimentalDecorators: false, useDefineForClassFields: true } },
    });
    const inputs = Object.keys(result.metafile.inputs).map((p) => resolve(dirname(file), p));
    return { code: result.outputFiles[0]!.text, inputs };
  } catch (e) {
    const errors = (e as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } }> }).errors;
    const detail = errors?.length
      ? errors.map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ${m.text}` : m.text)).join('\n')
      : String((e as Error).message ?? e);
    throw new CairnError('INVALID_FLOW', `Could not compile ${file}:\n${detail}`, { cause: e });
  }
}
