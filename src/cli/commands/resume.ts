import { defineCommand } from '../command.js';
import { usageError } from '../args.js';
import { runOptions, runOptionsFrom } from './run.js';

export default defineCommand({
  name: 'resume',
  summary: "Start a new run that clones the origin run's successful tasks and runs the rest (from STEP on, if given).",
  usage: 'cairn resume <flow.ts> [STEP | --step STEP] [options]',
  positionals: 1,
  options: {
    'origin-run-id': { kind: 'string', metavar: 'ID', help: 'the run to resume (default: the latest run of the flow)' },
    step: { kind: 'string', metavar: 'STEP', help: 'run STEP and every step after it again (the same as the positional STEP)' },
    force: { kind: 'flag', help: 'resume the origin even if it is still running (its running tasks then run a second time)' },
    ...runOptions,
  },
  // Collected only to say why they are refused: a flow's parameters cannot be given to resume.
  extraOptions: true,
  async run(args, flow) {
    const extra = Object.keys(args.extra);
    if (extra.length) {
      throw usageError(
        `Unknown option --${extra[0]} for \`resume\`. A resumed run keeps the parameter values of the run it resumes, ` +
          'so parameters cannot be given; start a new run with `cairn run` to use other values. ' +
          'Run `cairn resume --help` to see the options of resume.',
      );
    }
    const { resumeRun } = await import('../../orchestrator/resume.js');
    const [positional] = args.positionals;
    const option = args.options.step;
    if (positional !== undefined && option !== undefined && positional !== option) {
      throw usageError(`resume was given two steps to run again: ${positional} and --step ${option}. Give one.`);
    }
    const step = positional ?? option;
    const origin = args.options['origin-run-id'];
    const result = await resumeRun({
      ...runOptionsFrom(args, flow),
      ...(step !== undefined ? { step } : {}),
      ...(origin !== undefined ? { originRunId: origin } : {}),
      ...(args.options.force ? { force: true } : {}),
    });
    return result.status === 'succeeded' ? 0 : 1;
  },
});
