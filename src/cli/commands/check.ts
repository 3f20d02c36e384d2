import type { Command, FlowArg } from '../command.js';

async function load(flow: FlowArg) {
  const [{ loadFlow, loaderDirs }, { resolveStoreConfig }] = await Promise.all([
    import('../../orchestrator/load-flow.js'),
    import('../../storage/config.js'),
  ]);
  return loadFlow(flow.file, { ...loaderDirs(flow.file, resolveStoreConfig().root), ...(flow.flowClass ? { flowClass: flow.flowClass } : {}) });
}

export const check: Command = {
  name: 'check',
  summary: "Validate the flow's graph; exits non-zero when it has problems.",
  usage: 'cairn check <flow.ts>',
  options: [],
  async run(_args, flow) {
    const loaded = await load(flow);
    const { formatLintIssue } = await import('../../graph/index.js');
    console.log('Validating your flow...');
    if (loaded.issues.length === 0) {
      console.log('    The graph looks good!');
      return 0;
    }
    console.error('Validity checker found an issue:');
    for (const issue of loaded.issues) console.error(formatLintIssue(issue));
    return 1;
  },
};

export const show: Command = {
  name: 'show',
  summary: "Print the flow's graph: its steps, what each does next, and their docs.",
  usage: 'cairn show <flow.ts>',
  options: [],
  async run(_args, flow) {
    const loaded = await load(flow);
    const { renderGraph } = await import('../../graph/index.js');
    console.log(renderGraph(loaded.graph));
    return 0;
  },
};
