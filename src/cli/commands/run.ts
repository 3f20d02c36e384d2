import { defineCommand, type FlowArg, type OptionDefs, type ParsedArgs } from '../command.js';
import type { RunOptions } from '../../orchestrator/run.js';

/** The options `run` and `resume` share. */
export const runOptions = {
  'run-id-file': { kind: 'string', metavar: 'FILE', help: 'write the run id to FILE before the first task starts' },
  tag: { kind: 'string', repeat: true, metavar: 'TAG', help: 'add a user tag to the run' },
  'max-workers': { kind: 'int', metavar: 'N', help: 'run at most N tasks at once (default 16)' },
  'max-num-splits': { kind: 'int', metavar: 'N', help: 'fail a foreach that yields more than N splits (default 100)' },
  'no-progress': { kind: 'flag', help: 'print the plain log of every event, also on a terminal' },
  cache: { kind: 'flag', help: 'reuse an earlier task with the same code, inputs and parameters, for every step (docs/caching.md)' },
  'no-cache': { kind: 'flag', help: 'run every task, also of steps with @cache' },
  with: {
    kind: 'string',
    repeat: true,
    metavar: 'SPEC',
    help: "add a step decorator to every step that lacks it: retry, 'timeout:seconds=60' (name:key=value,...)",
  },
  branch: { kind: 'string', metavar: 'NAME', help: 'for a @project flow: run on the branch test.NAME (default: CAIRN_BRANCH, else user.<you>)' },
  production: { kind: 'flag', help: 'for a @project flow: run on the production branch, prod (prod.NAME with --branch)' },
  executor: {
    kind: 'string',
    metavar: 'local|queue',
    help: 'run tasks here, or on `cairn worker` processes through the queue (default: CAIRN_EXECUTOR, else the executor of the config file, else local)',
  },
} as const satisfies OptionDefs;

/** `RunOptions` from the shared options. */
export function runOptionsFrom(args: ParsedArgs<typeof runOptions>, flow: FlowArg): RunOptions {
  const o = args.options;
  return {
    flowFile: flow.file,
    ...(flow.flowClass ? { flowClass: flow.flowClass } : {}),
    ...(o.tag ? { tags: o.tag } : {}),
    ...(o['max-workers'] !== undefined ? { maxWorkers: o['max-workers'] } : {}),
    ...(o['max-num-splits'] !== undefined ? { maxNumSplits: o['max-num-splits'] } : {}),
    ...(o['run-id-file'] ? { runIdFile: o['run-id-file'] } : {}),
    ...(o['no-progress'] ? { progress: false } : {}),
    ...(o.executor ? { executor: o.executor } : {}),
    ...(o.with ? { decorators: o.with } : {}),
    ...(o.branch !== undefined ? { branch: o.branch } : {}),
    ...(o.production ? { production: true } : {}),
    ...(o['no-cache'] ? { cache: false } : o.cache ? { cache: true } : {}),
  };
}

export default defineCommand({
  name: 'run',
  summary: 'Validate the flow, then run it. Exits 0 only if the run succeeded.',
  usage: 'cairn run <flow.ts> [options] [--<parameter> VALUE]...',
  options: runOptions,
  extraOptions: true,
  async run(args, flow) {
    const [{ executeRun }, { parameterInputs }] = await Promise.all([
      import('../../orchestrator/run.js'),
      import('../../orchestrator/parameters.js'),
    ]);
    // Options that are not run's are the flow's parameters; unknown ones fail before anything runs.
    const result = await executeRun(runOptionsFrom(args, flow), parameterInputs({ given: args.extra, commandOptions: Object.keys(runOptions) }));
    return result.status === 'succeeded' ? 0 : 1;
  },
  async helpFor(flow) {
    const { flowParametersHelp } = await import('./parameters-help.js');
    return flowParametersHelp(flow);
  },
});
