import { defineCommand } from '../command.js';
import { usageError } from '../args.js';

const options = {
  'run-id': { kind: 'string', metavar: 'R', help: 'the id of the new run (the scheduler chooses it; it must be new)' },
  tag: { kind: 'string', repeat: true, metavar: 'TAG', help: 'add a user tag to the run' },
  branch: { kind: 'string', metavar: 'NAME', help: 'for a @project flow: the branch test.NAME (default: CAIRN_BRANCH, else user.<you>)' },
  production: { kind: 'flag', help: 'for a @project flow: the production branch, prod (prod.NAME with --branch)' },
} as const;

export default defineCommand({
  name: 'init-run',
  summary: 'Record a run and its parameters for a scheduler that runs its tasks with `cairn step`.',
  usage: 'cairn init-run <flow.ts> --run-id R [--tag T]... [--<parameter> VALUE]...',
  options,
  extraOptions: true,
  async run(args, flow) {
    const runId = args.options['run-id'];
    if (runId === undefined) throw usageError('init-run needs --run-id R: the id the scheduler gives the run.');
    const { initRun } = await import('../../orchestrator/init-run.js');
    const r = await initRun({
      flowFile: flow.file,
      runId,
      ...(args.options.tag ? { tags: args.options.tag } : {}),
      ...(args.options.branch !== undefined ? { branch: args.options.branch } : {}),
      ...(args.options.production ? { production: true } : {}),
      given: args.extra,
      commandOptions: Object.keys(options),
    });
    process.stdout.write(`Recorded run ${r.flow}/${r.runId} (code package ${r.codePackage.slice(0, 12)}); run its tasks with \`cairn step\`.\n`);
    return 0;
  },
  async helpFor(flow) {
    const { flowParametersHelp } = await import('./parameters-help.js');
    return flowParametersHelp(flow);
  },
});
