import { loadFlow, loaderDirs } from '../../orchestrator/load-flow.js';
import { formatLintIssue, renderGraph } from '../../graph/index.js';
import type { FlowSpec } from '../../authoring/flow-spec.js';
import { resolveStoreConfig } from '../../storage/config.js';

type FlowArg = { file: string; flowClass?: typeof FlowSpec };

const dirs = (file: string) => loaderDirs(file, resolveStoreConfig().root);

export async function checkCommand(flow: FlowArg): Promise<number> {
  const loaded = await loadFlow(flow.file, { ...dirs(flow.file), ...(flow.flowClass ? { flowClass: flow.flowClass } : {}) });
  console.log('Validating your flow...');
  if (loaded.issues.length === 0) {
    console.log('    The graph looks good!');
    return 0;
  }
  console.error('Validity checker found an issue:');
  for (const issue of loaded.issues) console.error(formatLintIssue(issue));
  return 1;
}

export async function showCommand(flow: FlowArg): Promise<number> {
  const loaded = await loadFlow(flow.file, { ...dirs(flow.file), ...(flow.flowClass ? { flowClass: flow.flowClass } : {}) });
  console.log(renderGraph(loaded.graph));
  return 0;
}
