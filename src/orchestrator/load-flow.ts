/**
 * Loads a flow file for a run or a check: compiles its code package, finds its flow class, and
 * extracts and lints its static graph. An unchanged flow comes from the flow cache instead.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { CairnError } from '../errors.js';
import { codeDirFor, codeFileName, codePackageIntact, materializeCodePackage } from '../core/code-package.js';
import { declaredFlows, type FlowSpec } from '../authoring/flow-spec.js';
import { decoratedMethodsOf } from '../authoring/metadata.js';
import type { FlowGraph, LintIssue, ParsedFlow } from '../graph/types.js';
import type { SourceReader } from '../graph/modules.js';
import { sha1Hex } from '../storage/hash.js';
import { compileFlow } from './code-package.js';
import { readFlowCache, stampInputs, writeFlowCache } from './flow-cache.js';
import { flowClassesIn } from '../runtime/code-loader.js';

export interface LoadedFlow {
  file: string;
  flowClass: typeof FlowSpec;
  /** The code package's text; undefined when it came from the cache (the store already has it). */
  code: string | undefined;
  codeSha: string;
  graph: FlowGraph;
  issues: LintIssue[];
}

export interface LoadOptions {
  /** Where this machine keeps materialized code packages (`<store root>/code`). */
  codeDir: string;
  /** Where loaded flows are cached (`<store root>/cache/flows`); no caching when absent. */
  cacheDir?: string;
  /** The flow class, when the flow file itself is the program. */
  flowClass?: typeof FlowSpec;
}

function readSource(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CairnError('INVALID_ARGUMENT', `Cannot read the flow file ${file}: ${(e as Error).message}. Check the path.`, { cause: e });
  }
}

async function importFlowClass(file: string, url: string): Promise<typeof FlowSpec> {
  let exports: Record<string, unknown>;
  try {
    exports = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof CairnError) throw e;
    const err = e as Error;
    throw new CairnError('INVALID_FLOW', `Loading ${file} failed: ${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`, { cause: e });
  }
  // `main(import.meta)` names the flow's source file (see import-meta.ts); older packages, the package.
  const declared = declaredFlows.get(pathToFileURL(file).href) ?? declaredFlows.get(url);
  const classes = flowClassesIn(exports).filter((c) => c === declared || Object.values(exports).includes(c));
  if (classes.length === 0) {
    throw new CairnError(
      'INVALID_FLOW',
      `${file} defines no flow. Export a class that extends FlowSpec (import { FlowSpec, step } from 'cairnflow').`,
    );
  }
  if (classes.length > 1) {
    throw new CairnError(
      'INVALID_FLOW',
      `${file} defines several flows (${classes.map((c) => c.name).join(', ')}). Keep one flow per file.`,
    );
  }
  return classes[0]!;
}

/**
 * Checks that need what decorators recorded at run time: steps the source parser did not find,
 * decorator options that cannot work, step decorators on methods that are not steps, and
 * `@catchError` where it cannot work (a foreach or a switch must choose where to go; a failure
 * gives it nothing to choose with).
 */
function crossCheck(flowClass: typeof FlowSpec, graph: FlowGraph, parsed: ParsedFlow): LintIssue[] {
  const issues: LintIssue[] = [];
  for (const [name, decoration] of decoratedMethodsOf(flowClass)) {
    const node = graph.steps.get(name);
    const isStep = 'step' in decoration.decorators;
    for (const message of Object.values(decoration.problems ?? {})) issues.push({ step: name, ...(node ? { loc: node.loc } : {}), message });
    if (!isStep) {
      const names = [...Object.keys(decoration.decorators), ...Object.keys(decoration.problems ?? {})].map((d) => `@${d}`);
      issues.push({
        step: name,
        message: `Method *${name}* has ${names.join(', ')} but is not a step, so ${names.length > 1 ? 'they do' : 'it does'} nothing. Add @step to it, or remove ${names.join(', ')}.`,
      });
    } else if (!node) {
      const unread = parsed.unreadBase;
      issues.push({
        step: name,
        ...(unread ? { loc: unread.loc } : {}),
        message: unread
          ? `Step *${name}* is marked @step at run time but its source was not found: ${unread.cls} extends ${unread.what}, which cairn cannot read (${unread.why}). ` +
            "Declare the steps in the flow class, or in a base class in one of the flow's own files that it extends by name."
          : `Step *${name}* is marked @step at run time but was not found in ${parsed.file}. Declare the flow's steps in the flow class in this file.`,
      });
    } else if ('catchError' in decoration.decorators && (node.type === 'foreach' || node.type === 'switch')) {
      issues.push({
        step: name,
        loc: node.loc,
        message: `Step *${name}* is a ${node.type} and cannot have @catchError: after a failure there is nothing to ${node.type === 'foreach' ? 'split over' : 'switch on'}. Move the risky work into a step before it, and put @catchError there.`,
      });
    }
  }
  return issues;
}

const SOURCE_FILE = /\.[cm]?[jt]sx?$/;

/** The flow's source files as the compiler saw them: their text, and where their imports led. */
function sourceReader(file: string, source: string, imports: Map<string, Map<string, string>>): SourceReader {
  return {
    read: (f) => (f === file ? source : readSource(f)),
    resolve: (from, specifier) => {
      const target = imports.get(from)?.get(specifier);
      return target !== undefined && SOURCE_FILE.test(target) ? target : undefined;
    },
  };
}

export async function loadFlow(fileArg: string, options: LoadOptions): Promise<LoadedFlow> {
  const file = resolve(fileArg);
  const cached = options.cacheDir ? readFlowCache(options.cacheDir, file) : undefined;
  const cachedCode = cached && join(options.codeDir, codeFileName(cached.codeSha));
  if (cached && cachedCode && codePackageIntact(cachedCode, cached.codeSha) && (!options.flowClass || options.flowClass.name === cached.className)) {
    const url = pathToFileURL(cachedCode).href;
    const flowClass = options.flowClass ?? (await importFlowClass(file, url));
    if (flowClass.name === cached.className) {
      return { file, flowClass, code: undefined, codeSha: cached.codeSha, graph: cached.graph, issues: cached.issues };
    }
  }
  const source = readSource(file);
  const startedAt = Date.now();
  const { code, inputs, imports } = await compileFlow(file);
  const codeSha = sha1Hex(Buffer.from(code));
  const url = materializeCodePackage(code, codeSha, options.codeDir);
  const flowClass = options.flowClass ?? (await importFlowClass(file, url));
  const { buildGraph, lintGraph, parseFlow } = await import('../graph/index.js');
  const parsed = parseFlow({ file, className: flowClass.name, reader: sourceReader(file, source, imports) });
  const graph = buildGraph(parsed);
  const issues = [...lintGraph(graph, parsed), ...crossCheck(flowClass, graph, parsed)];
  const stamps = stampInputs(inputs);
  if (options.cacheDir && stamps && stamps.every((s) => s.mtimeMs < startedAt - 1)) {
    writeFlowCache(options.cacheDir, file, stamps, { className: flowClass.name, codeSha, graph, issues });
  }
  return { file, flowClass, code, codeSha, graph, issues };
}

/** Where the flow loader keeps materialized code packages and its cache, for a flow and a store. */
export function loaderDirs(flowFile: string, root: string): { codeDir: string; cacheDir: string } {
  return { codeDir: codeDirFor(resolve(flowFile), join(root, 'code')), cacheDir: join(root, 'cache', 'flows') };
}
