/**
 * Compiles a flow file and its local imports into one ES module (the run's code package), so every
 * worker, local or remote, runs exactly the code that was launched. Packages stay imports, and
 * cairn itself becomes a placeholder that each machine links to its own copy.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { CairnError } from '../errors.js';
import { CAIRN_PLACEHOLDER } from '../core/code-package.js';
import { rewriteImportMeta } from './import-meta.js';

// Loaded with require: importing a CommonJS package from ESM makes Node scan its source for names.
const require = createRequire(import.meta.url);

const cairnImports: Plugin = {
  name: 'cairn-runtime',
  setup(b) {
    b.onResolve({ filter: /^cairnflow$/ }, () => ({ path: CAIRN_PLACEHOLDER, external: true }));
  },
};

/** `import.meta` in each local source file describes that file, not the compiled package. */
const sourceImportMeta: Plugin = {
  name: 'cairn-import-meta',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const contents = rewriteImportMeta(text, args.path);
      if (contents === undefined) return undefined;
      const ext = /\.([cm]?)([jt]sx?)$/.exec(args.path)![2] as 'js' | 'jsx' | 'ts' | 'tsx';
      return { contents, loader: ext };
    });
  },
};

export interface CompiledFlow {
  code: string;
  /** Absolute paths of the source files the package was compiled from. */
  inputs: string[];
  /** For each input, how its imports of other inputs resolved: specifier as written → absolute path. */
  imports: Map<string, Map<string, string>>;
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
      plugins: [cairnImports, sourceImportMeta],
      // Standard decorators whatever the project's tsconfig says: legacy ones would break @step.
      tsconfigRaw: { compilerOptions: { experimentalDecorators: false, useDefineForClassFields: true } },
    });
    const base = dirname(file);
    const inputs = Object.keys(result.metafile.inputs).map((p) => resolve(base, p));
    const imports = new Map<string, Map<string, string>>();
    for (const [p, input] of Object.entries(result.metafile.inputs)) {
      const resolved = new Map<string, string>();
      for (const imp of input.imports) if (!imp.external && imp.original !== undefined) resolved.set(imp.original, resolve(base, imp.path));
      imports.set(resolve(base, p), resolved);
    }
    return { code: result.outputFiles[0]!.text, inputs, imports };
  } catch (e) {
    const errors = (e as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } }> }).errors;
    const detail = errors?.length
      ? errors.map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ${m.text}` : m.text)).join('\n')
      : String((e as Error).message ?? e);
    throw new CairnError('INVALID_FLOW', `Could not compile ${file}:\n${detail}`, { cause: e });
  }
}
