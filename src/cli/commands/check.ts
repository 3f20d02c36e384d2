import { defineCommand } from '../command.js';
import { loadFlowArg } from '../load-flow.js';

export default defineCommand({
  name: 'check',
  summary: "Validate the flow's graph and decorators; exits non-zero when it has problems.",
  usage: 'cairn check <flow.ts>',
  options: {},
  async run(_args, flow) {
    const loaded = await loadFlowArg(flow);
    const [{ formatLintIssue }, { parameterProblems }, { flowDecoratorProblems, unknownFlowProblems }, { resolveStoreConfig }] = await Promise.all([
      import('../../graph/index.js'),
      import('../../orchestrator/parameters.js'),
      import('../../orchestrator/flow-decorators.js'),
      import('../../storage/config.js'),
    ]);
    const unknown = await unknownFlowProblems(loaded.flowClass, loaded.file, resolveStoreConfig());
    const issues = [...loaded.issues.map(formatLintIssue), ...parameterProblems(loaded.flowClass), ...flowDecoratorProblems(loaded.flowClass), ...unknown];
    console.log('Validating your flow...');
    if (issues.length === 0) {
      console.log('    The graph looks good!');
      return 0;
    }
    console.error('Validity checker found an issue:');
    for (const issue of issues) console.error(issue);
    return 1;
  },
});
