import { defineCommand } from '../command.js';
import { loadFlowArg } from '../load-flow.js';

export default defineCommand({
  name: 'show',
  summary: "Print the flow's parameters and graph: its steps, what each does next, and their docs.",
  usage: 'cairn show <flow.ts>',
  options: {},
  async run(_args, flow) {
    const loaded = await loadFlowArg(flow);
    const [{ renderGraph }, { discoverParameters, describeParameters }] = await Promise.all([
      import('../../graph/index.js'),
      import('../../orchestrator/parameters.js'),
    ]);
    console.log(renderGraph(loaded.graph, { parameters: describeParameters(discoverParameters(loaded.flowClass).parameters) }));
    return 0;
  },
});
