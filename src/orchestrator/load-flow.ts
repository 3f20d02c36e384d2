/**
 * Loads a flow file for a run or a check: compiles its code package, finds its flow class, and
 * extracts and lints its static graph.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CairnError } from '../errors.js';
import { materializeCodePackage } from '../core/code-package.js';
import { declaredFlows, type FlowSpec } from '../authoring/flow-spec.js';
import { stepsOf } from '../authoring/metadata.js';
import { buildGraph, lintGraph, parseFlowSource } from '../graph/index.js';
import type { FlowGraph, LintIssue } from '../graph/types.js';
import { sha1Hex } from '../storage/hash.js';
import { compileFlow } from './code-package.js';
import { flowClassesIn } from '../runtime/code-loader.js';

export interface LoadedFlow {
  file: string;
  flowClass: typeof FlowSpec;
  code: string;
  codeSha: string;
  graph: FlowGraph;
  issues: LintIssue[];
}

function readSource(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CairnError('INVALID_ARGUMENT', `Cannot read the flow file ${file}: ${(e as Error).message}. Check the path.`, { cause: e });
  }
}

async function findFlowClass(file: string, code: string, codeSha: string, codeDir: string): Promise<typeof FlowSpec> {
  const url = materializeCodePackage(code, codeSha, codeDir);
  const exports = (await import(url)) as Record<string, unknown>;
  const declared = declaredFlows.get(url);
  const classes = flowClassesIn(exports).filter((c) => c === declared || Object.values(exports).includes(c));
  if (classes.length === 0) {
    throw new CairnError(
      'INVALID_FLOW',
      `${file} defines no flow. Export a class that extends FlowSpec (import { FlowSpec, step } from 'cairn').`,
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

export async function loadFlow(
  fileArg: string,
  options: { codeDir: string; flowClass?: typeof FlowSpec },
): Promise<LoadedFlow> {
  const file = resolve(fileArg);
  const source = readSource(file);
  const code = await compileFlow(file);
  const codeSha = sha1Hex(Buffer.from(code));
  const flowClass = options.flowClass ?? (await findFlowClass(file, code, codeSha, options.codeDir));
  const parsed = parseFlowSource(source, file, flowClass.name);
  const graph = buildGraph(parsed);
  const issues = lintGraph(graph, parsed);
  const declaredSteps = [...stepsOf(flowClass).keys()];
  for (const name of declaredSteps) {
    if (!graph.steps.has(name)) {
      issues.push({ step: name, message: `Step *${name}* is marked @step at run time but not found in ${file}. Declare steps in the flow class in this file.` });
    }
  }
  return { file, flowClass, code, codeSha, graph, issues };
}
