import { defineCommand } from '../command.js';
import { loadFlowArg } from '../load-flow.js';

export default defineCommand({
  name: 'check',
  summary: "Validate the flow's graph; exits non-zero when it has problems.",
  usage: 'cairn check <flow.ts>',
  options: {},
  async run(_args, flow) {
    const loaded = await loadFlowArg(flow);
    const [{ formatLintIssue }, { parameterProblems }] = await Promise.all([import('../../graph/index.js'), import('../../orchestrator/parameters.js')]);
    const issues = [...loaded.issues.map(formatLintIssue), ...parameterProblems(loaded.flowClass)];
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
